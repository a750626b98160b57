#!/usr/bin/env python3
"""Checks that two `mnist-tui train` outputs (the tutorial's lines) agree: the Arm build
under qemu against the x86 build's portable lane set.

The two do not round alike, so the epoch costs are held to a relative 1e-6, not to the
bit: Arm's portable lanes fuse each multiply-add (every aarch64 CPU has the instruction),
while x86-64's baseline has no FMA and multiplies and adds in two roundings; gemm's dense
products also run other micro-kernels (NEON against AVX2/AVX-512). The test accuracy,
a count of images, must be equal, and so must the sample's label and prediction.
"""
import re
import sys

TOLERANCE = 1e-6


def lines(path):
    text = open(path).read()
    costs = [float(c) for c in re.findall(r"^Epoch: \d+ cost = ([0-9.]+)$", text, re.M)]
    rest = [l for l in text.splitlines() if l.startswith(("Accuracy:", "Label:", "Prediction:"))]
    if not costs or len(rest) != 3:
        sys.exit(f"{path}: not the tutorial's lines:\n{text}")
    return costs, rest


def main():
    (arm_costs, arm_rest), (x86_costs, x86_rest) = lines(sys.argv[1]), lines(sys.argv[2])
    for i, (a, x) in enumerate(zip(arm_costs, x86_costs), 1):
        if abs(a - x) > TOLERANCE * abs(x):
            sys.exit(f"epoch {i}: Arm cost {a} against x86 {x}: more than {TOLERANCE} apart")
    if len(arm_costs) != len(x86_costs) or arm_rest != x86_rest:
        sys.exit(f"Arm and x86 disagree: {arm_rest} against {x86_rest}")
    print(f"Arm and x86 agree: costs {arm_costs} and {x86_costs}, {arm_rest[0]}")


if __name__ == "__main__":
    main()
