#!/bin/bash
# Training throughput with the dashboard open vs headless, as the worker itself measures it
# (samples per second of training time, from --metrics), in alternating pairs so drift in
# the machine's speed hits both sides alike. Needs tmux; run from the repository root after
# `cargo build --release` (BIN: another build to measure). PAIRS (default 20) and LIMIT (training images, default 12000).
# VIEW: a key pressed once the dashboard is up (6: Layers, 7: Clusters), so that view is
# the one drawn. Each pair also times launch to the epoch's line on the wall clock, which
# counts the worker's work between batches too (quick evaluations, the look inside the
# network, the sample's saliency), where samples/s counts only the training steps.
set -euo pipefail
B="${BIN:-$PWD/target/release/mnist-tui}"
ARGS="--train-limit ${LIMIT:-12000} --test-limit 1000 --epochs 1 --threads 2"
TMP=$(mktemp -d)
cd "$TMP"
now() { date +%s.%N; }
# Seconds from launch until FILE has its epoch line.
until_epoch() {
  until grep -q '^epoch' "$1" 2>/dev/null; do sleep 0.02; done
}
dashboard() {
  rm -f d.csv
  local t0; t0=$(now)
  tmux new-session -d -s throughput -x 120 -y 40 "$B $ARGS --metrics d.csv; sleep 100"
  if [ -n "${VIEW:-}" ]; then sleep 1; tmux send-keys -t throughput "$VIEW"; fi
  until_epoch d.csv
  local t1; t1=$(now)
  tmux kill-session -t throughput
  echo "$(grep '^epoch' d.csv | cut -d, -f11) $(python3 -c "print($t1 - $t0)")"
}
headless() {
  rm -f h.csv
  local t0; t0=$(now)
  "$B" train $ARGS --metrics h.csv >/dev/null &
  until_epoch h.csv
  local t1; t1=$(now)
  wait
  echo "$(grep '^epoch' h.csv | cut -d, -f11) $(python3 -c "print($t1 - $t0)")"
}
for _ in $(seq 1 "${PAIRS:-20}"); do
  read -r h hw <<<"$(headless)"
  read -r d dw <<<"$(dashboard)"
  python3 -c "print(f'headless {$h:.0f}  dashboard {$d:.0f}  ratio {$d / $h:.3f}  wall {$hw:.2f} s / {$dw:.2f} s  ratio {$hw / $dw:.3f}')"
done | tee ratios.txt
python3 -c "
import statistics
rows = [l.split() for l in open('ratios.txt')]
r = [float(x[5]) for x in rows]
w = [float(x[-1]) for x in rows]
print(f'median ratio {statistics.median(r):.3f} (samples/s), {statistics.median(w):.3f} (wall clock, headless / dashboard) over {len(r)} pairs')"
