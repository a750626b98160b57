#!/usr/bin/env python3
# Run from the repository root after `cargo build --release`; needs tmux.
# Key-to-screen latency in tmux: send a key, poll capture-pane until the screen shows it.
import subprocess, time, re, statistics, sys
import os
B = os.path.abspath("target/release/mnist-tui")
S = "lat"
def tmux(*a):
    return subprocess.run(["tmux", *a], capture_output=True, text=True).stdout
tmux("kill-session", "-t", S)
tmux("new-session", "-d", "-s", S, "-x", "120", "-y", "40", f"{B} --epochs 50")
def screen(): return tmux("capture-pane", "-p", "-t", S)
while "● running" not in screen() or "img/s" not in screen(): time.sleep(0.2)
time.sleep(3)
def lr(s):
    m = re.search(r"lr (\d\.\d+e-?\d+) ", s); return m.group(1) if m else None
lat_lr, lat_help, lat_why, lat_view, lat_pick = [], [], [], [], []
def picked(s):
    m = re.search(r"test #(\d+) \(arrows\)", s); return m.group(1) if m else None
for i in range(int(sys.argv[1]) if len(sys.argv) > 1 else 20):
    before = lr(screen())
    t = time.perf_counter(); tmux("send-keys", "-t", S, "+" if i % 2 == 0 else "-")
    while lr(screen()) == before: pass
    lat_lr.append((time.perf_counter() - t) * 1000)
    time.sleep(0.3 + (i % 7) * 0.013)
    t = time.perf_counter(); tmux("send-keys", "-t", S, "?")
    while " Keys " not in screen(): pass
    lat_help.append((time.perf_counter() - t) * 1000)
    tmux("send-keys", "-t", S, "Escape")
    while " Keys " in screen(): pass
    time.sleep(0.3 + (i % 5) * 0.017)
    # The views inside the network: the saliency overlay, the Layers view, the cursor.
    t = time.perf_counter(); tmux("send-keys", "-t", S, "w")
    while "· why " not in screen(): pass
    lat_why.append((time.perf_counter() - t) * 1000)
    # w again: off (builds before occlusion), or occlusion and then off.
    tmux("send-keys", "-t", S, "w")
    while "· why " in screen():
        if "· occlusion" in screen():
            tmux("send-keys", "-t", S, "w")
            while "· occlusion" in screen(): pass
    time.sleep(0.2)
    t = time.perf_counter(); tmux("send-keys", "-t", S, "6")
    while "Layer health" not in screen(): pass
    lat_view.append((time.perf_counter() - t) * 1000)
    tmux("send-keys", "-t", S, "7")
    while "(arrows)" not in screen(): pass
    time.sleep(0.2)
    before = picked(screen())
    t = time.perf_counter(); tmux("send-keys", "-t", S, "Right" if i % 2 == 0 else "Left")
    while picked(screen()) == before: pass
    lat_pick.append((time.perf_counter() - t) * 1000)
    tmux("send-keys", "-t", S, "1")
    while "Sample:" not in screen(): pass
    time.sleep(0.2)
t = time.perf_counter(); screen(); cap = (time.perf_counter() - t) * 1000
tmux("send-keys", "-t", S, "q")
q = lambda v: f"median {statistics.median(v):.0f} ms (min {min(v):.0f}, max {max(v):.0f}, n={len(v)})"
print("lr key (worker ack):", q(lat_lr))
print("help key (UI only): ", q(lat_help))
print("w overlay (UI only):", q(lat_why))
print("6 Layers view:      ", q(lat_view))
print("arrow in Clusters:  ", q(lat_pick))
print(f"one capture-pane: {cap:.1f} ms")
