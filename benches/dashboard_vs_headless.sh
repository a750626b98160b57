#!/bin/bash
# Training throughput with the dashboard open vs headless, as the worker itself measures it
# (samples per second of training time, from --metrics), in alternating pairs so drift in
# the machine's speed hits both sides alike. Needs tmux; run from the repository root after
# `cargo build --release`. PAIRS (default 20) and LIMIT (training images, default 12000).
set -euo pipefail
B="$PWD/target/release/mnist-tui"
ARGS="--train-limit ${LIMIT:-12000} --test-limit 1000 --epochs 1 --threads 2"
TMP=$(mktemp -d)
cd "$TMP"
dashboard() {
  rm -f d.csv
  tmux new-session -d -s throughput -x 120 -y 40 "$B $ARGS --metrics d.csv; sleep 100"
  until grep -q '^epoch' d.csv 2>/dev/null; do sleep 0.2; done
  tmux kill-session -t throughput
  grep '^epoch' d.csv | cut -d, -f11
}
for _ in $(seq 1 "${PAIRS:-20}"); do
  rm -f h.csv
  "$B" train $ARGS --metrics h.csv >/dev/null
  h=$(grep '^epoch' h.csv | cut -d, -f11)
  d=$(dashboard)
  python3 -c "print(f'headless {$h:.0f}  dashboard {$d:.0f}  ratio {$d / $h:.3f}')"
done | tee ratios.txt
python3 -c "
import statistics
r = [float(l.split()[-1]) for l in open('ratios.txt')]
print(f'median ratio {statistics.median(r):.3f} over {len(r)} pairs')"
