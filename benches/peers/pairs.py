#!/usr/bin/env python3
"""mnist-tui against a peer trainer, in alternating pairs, one full epoch each.

Why pairs: absolute times on a shared machine drift by a third within minutes, so each
peer run is followed at once by an mnist-tui run and only the ratio of the two is kept;
the median of the pairs is what the README quotes.

Usage (from the repository root, after `cargo build --release`):
    python3 benches/peers/pairs.py --python VENV/bin/python --peer PEER.py \
        --mnist DIR [--model seed|deep] [--pairs 5] [--threads 2] [--bin PATH] \
        [--extra "--kernels avx2"]

The peer is one of the TensorFlow/PyTorch scripts that print one JSON line with
`sec_per_epoch_median`, `infer_images_per_s` and `peak_rss_mb` (benches/peers/tf_deep_cnn.py
is the deep model's). mnist-tui runs `bench --train-limit 60000` with the same thread count.
"""
import argparse
import json
import statistics
import subprocess
import sys


def last_json(text):
    """The last line of `text` that parses as a JSON object."""
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                continue
    raise SystemExit("no JSON result line in:\n" + text[-2000:])


def run(cmd, env=None):
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr[-2000:]}")
    return last_json(done.stdout)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--python", required=True, help="the interpreter that has the peer's framework")
    p.add_argument("--peer", required=True, help="the peer script")
    p.add_argument("--mnist", required=True, help="folder of the four MNIST IDX files, for the peer")
    p.add_argument("--model", default="seed")
    p.add_argument("--pairs", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--bin", default="target/release/mnist-tui")
    p.add_argument("--extra", default="", help="more arguments for mnist-tui bench")
    a = p.parse_args()
    peer_cmd = [a.python, a.peer, "--epochs", "1", "--threads", str(a.threads), "--mnist", a.mnist]
    ours_cmd = [a.bin, "bench", "--model", a.model, "--train-limit", "60000",
                "--threads", str(a.threads)] + a.extra.split()
    epoch, infer = [], []
    for i in range(a.pairs):
        peer = run(peer_cmd)
        ours = run(ours_cmd)
        e = ours["sec_per_epoch"] / peer["sec_per_epoch_median"]
        f = ours["infer_images_per_s"] / peer["infer_images_per_s"]
        epoch.append(e)
        infer.append(f)
        print(json.dumps({
            "pair": i + 1,
            "peer_sec_per_epoch": peer["sec_per_epoch_median"],
            "ours_sec_per_epoch": round(ours["sec_per_epoch"], 3),
            "epoch_ratio": round(e, 3),
            "peer_infer": peer["infer_images_per_s"],
            "ours_infer": ours["infer_images_per_s"],
            "infer_ratio": round(f, 3),
            "peer_rss_mb": peer["peak_rss_mb"],
            "ours_rss_mb": ours["peak_rss_mb"],
            "ours_cost": ours["epoch_cost"],
            "ours_step_gflops": ours.get("step_gflops"),
            "ours_cpu_use": ours.get("cpu_use"),
            "ours_launch_s": ours.get("launch_to_first_batch_s"),
            "peer_other_cpu": peer.get("other_cpu_frac_per_epoch"),
        }), flush=True)
    print(f"median over {a.pairs} pairs: seconds per epoch {statistics.median(epoch):.3f}x the peer's "
          f"(pairs {min(epoch):.2f}-{max(epoch):.2f}); inference {statistics.median(infer):.2f}x "
          f"(pairs {min(infer):.2f}-{max(infer):.2f})")


if __name__ == "__main__":
    sys.exit(main())
