#!/usr/bin/env python3
"""A peer trainer against itself: its thread scaling or its instruction sets, in rounds.

Why: `mnist-tui bench --compare threads|kernels` says how much our epoch gains from a
second thread or loses on a narrower instruction set. Whether a target for those ratios
is within reach on this machine is easier to judge beside what a mature library gets
from the same hardware, measured the same way: runs of each setting back to back,
taking turns at the order, and the median of each round's time ratio.

Usage (from the repository root):
    python3 benches/peers/peer_rounds.py --python VENV/bin/python --peer PEER.py \
        --mnist DIR --vary threads|isa [--rounds 4] [--max-batches N]

`--vary threads` runs the peer with 2 threads and with 1; `--vary isa` runs it with 2
threads and oneDNN (TensorFlow's convolution library) capped at AVX-512, AVX2 and
SSE4.1 through `ONEDNN_MAX_CPU_ISA`. The peer prints one JSON line with
`sec_per_epoch_median` and `infer_images_per_s`, as `pairs.py` expects.
"""
import argparse
import json
import os
import statistics

from pairs import run

ISA_CAPS = ["AVX512_CORE", "AVX2", "SSE41"]


def settings(vary):
    """(label, extra arguments, extra environment) per setting; the first is the reference."""
    if vary == "threads":
        return [("2 threads", ["--threads", "2"], {}), ("1 thread", ["--threads", "1"], {})]
    return [(isa, ["--threads", "2"], {"ONEDNN_MAX_CPU_ISA": isa}) for isa in ISA_CAPS]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--python", required=True, help="the interpreter that has the peer's framework")
    p.add_argument("--peer", required=True, help="the peer script")
    p.add_argument("--mnist", required=True, help="folder of the four MNIST IDX files, for the peer")
    p.add_argument("--vary", required=True, choices=["threads", "isa"])
    p.add_argument("--rounds", type=int, default=4)
    p.add_argument("--max-batches", type=int, default=None, help="batches per epoch (all by default)")
    a = p.parse_args()
    variants = settings(a.vary)
    times = {label: [] for label, _, _ in variants}
    for r in range(a.rounds):
        # Round r starts with setting r mod n, so that no setting always follows another.
        order = variants[r % len(variants):] + variants[:r % len(variants)]
        for label, args, env in order:
            cmd = [a.python, a.peer, "--epochs", "1", "--mnist", a.mnist] + args
            if a.max_batches:
                cmd += ["--max-batches", str(a.max_batches)]
            out = run(cmd, env=dict(os.environ, **env))
            times[label].append(out["sec_per_epoch_median"])
            print(json.dumps({
                "round": r + 1,
                "setting": label,
                "sec_per_epoch": out["sec_per_epoch_median"],
                "infer_images_per_s": out["infer_images_per_s"],
                "other_cpu": out.get("other_cpu_frac_per_epoch"),
            }), flush=True)
    reference = variants[0][0]
    for label, _, _ in variants[1:]:
        ratios = [t / ref for t, ref in zip(times[label], times[reference])]
        print(json.dumps({
            "setting": label,
            "against": reference,
            "median_time_ratio": round(statistics.median(ratios), 3),
            "round_ratios": [round(x, 3) for x in ratios],
        }), flush=True)


if __name__ == "__main__":
    main()
