#!/usr/bin/env python3
"""Writes the embedded MNIST files of this folder from the four original IDX files.

Usage: python3 assets/mnist/make_embedded.py DIR_WITH_THE_ORIGINAL_GZ_FILES  (needs `pip install brotli`)

Why brotli (quality 11, 4 MB window): it packs MNIST slightly smaller than xz -9 (9.3 MB
for the four files against 9.4) and decodes about five times faster, which is most of the
time from launch to the first batch. The training images are two streams, the first
holding the IDX header and images 0-29 999, the second images 30 000-59 999, so that two
cores decode them side by side into one buffer. Every file decodes back to the original,
checked against SHA256SUMS here.
"""
import gzip
import hashlib
import pathlib
import sys

import brotli

HERE = pathlib.Path(__file__).resolve().parent
NAMES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
# The split of the training images: header (16 bytes) and the first 30 000 images.
FIRST_PART = 16 + 30_000 * 784


# 4 MB: the decoder holds a ring buffer of the window's size, three at once at launch;
# with 16 MB windows they were over 30 MB more of peak memory, for 1.4 % smaller files.
WINDOW_BITS = 22


def pack(data):
    return brotli.compress(data, quality=11, lgwin=WINDOW_BITS)


def main():
    src = pathlib.Path(sys.argv[1])
    sums = dict(line.split()[::-1] for line in (HERE / "SHA256SUMS").read_text().splitlines())
    for name in NAMES:
        data = gzip.decompress((src / f"{name}.gz").read_bytes())
        if hashlib.sha256(data).hexdigest() != sums[name]:
            raise SystemExit(f"{name}: not the original file")
        if name == "train-images-idx3-ubyte":
            (HERE / f"{name}.br").write_bytes(pack(data[:FIRST_PART]))
            (HERE / f"{name}.2.br").write_bytes(pack(data[FIRST_PART:]))
        else:
            (HERE / f"{name}.br").write_bytes(pack(data))
        print(name, "done", flush=True)


if __name__ == "__main__":
    main()
