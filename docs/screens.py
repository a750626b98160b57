#!/usr/bin/env python3
"""Regenerates every picture of the README and the guide from real runs of the dashboard.

    cargo build --release
    python3 docs/screens.py [--bin target/release/mnist-tui] [--only NAME ...]

Needs tmux and Pillow (`pip install pillow`). Each scene starts `mnist-tui` in a detached
tmux session of a fixed size, waits for the run to reach a state (the status bar's text),
types keys as a person would, reads the screen with `tmux capture-pane -e` (colours
included) and paints it cell by cell into `assets/screens/NAME.png`: block characters as
rectangles, so half-block pictures come out exact, and braille as dots. The runs train
for real, so the pictures show what the program shows today; run this after any change
to what the dashboard draws, and commit the pictures with the change.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import unicodedata

from PIL import Image, ImageDraw, ImageFont

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "assets", "screens")

# A run long enough that every curve has its shape, short enough to finish in seconds.
QUICK = "--train-limit 12000 --epochs 3 --threads 2"

# name: (columns, rows, flags, steps). A step is ("wait", text on screen), ("keys", tmux
# key names typed one at a time), or ("sleep", seconds).
SCENES = {
    "overview-120x40": (120, 40, QUICK, [("wait", "● finished")]),
    "overview-80x24": (80, 24, QUICK, [("wait", "● finished")]),
    "error-log-axis-120x40": (120, 40, QUICK, [("wait", "● finished"), ("keys", ["L"]),
                                               ("wait", "error, log scale")]),
    "filters-view-120x40": (120, 40, QUICK, [("wait", "● finished"), ("keys", ["5", "p"]),
                                             ("wait", "own scales")]),
    "draw-pad-120x40": (120, 40, QUICK + " --pretrained", [
        ("wait", "● finished"), ("keys", ["4"]), ("wait", "draw a digit"),
        # A 7: the bar from left to right, then the stroke down and to the left.
        ("keys", ["Up"] * 8 + ["Left"] * 7 + ["Space"] + ["Right"] * 14 + ["Down", "Left"] * 7
                 + ["Down"] * 5 + ["Space"]),
        ("wait", "%)"),
    ]),
    "layers-120x40": (120, 40, QUICK, [("wait", "● finished"), ("keys", ["6"]),
                                       ("wait", "Layer health at epoch")]),
    "layers-lr0.05-120x40": (120, 40, "--train-limit 6000 --epochs 1 --threads 2 --lr 0.05",
                             [("wait", "● finished"), ("keys", ["6"]),
                              ("wait", "Layer health at epoch")]),
    "why-120x40": (120, 40, QUICK, [("wait", "● finished"), ("keys", ["w", "3"]),
                                    ("sleep", 2)]),
    "clusters-120x40": (120, 40, QUICK, [("wait", "● finished"), ("keys", ["7"]),
                                         ("wait", "PC1")]),
    "tsne-120x40": (120, 40, QUICK, [("wait", "● finished"), ("keys", ["7"]), ("wait", "PC1"),
                                     ("keys", ["t"]), ("wait", "t-SNE at epoch")]),
    "walk-120x40": (120, 40, QUICK, [("wait", "● finished"), ("keys", ["8", "Down", "Down", "Down"]),
                                     ("wait", "conv2 + ReLU ·")]),
    "walk-large-120x40": (120, 40, QUICK, [("wait", "● finished"),
                                           ("keys", ["8", "Down", "Right", "Right", "Enter"]),
                                           ("wait", "conv1 filter #2")]),
    "occlusion-120x40": (120, 40, QUICK, [("wait", "● finished"), ("keys", ["w", "w"]),
                                          ("sleep", 2)]),
    "fool-it-120x40": (120, 40, QUICK + " --pretrained", [
        ("wait", "● finished"), ("keys", ["4"]), ("wait", "draw a digit"),
        ("keys", ["Up"] * 8 + ["Left"] * 7 + ["Space"] + ["Right"] * 14 + ["Down", "Left"] * 7
                 + ["Down"] * 5 + ["Space"]),
        ("wait", "%)"), ("keys", ["a"]), ("wait", "Fooled"),
    ]),
    # The Korean dashboard (README.ko.md): the same runs with `--lang ko`.
    "ko-overview-120x40": (120, 40, QUICK + " --lang ko", [("wait", "● 끝남")]),
    "ko-overview-80x24": (80, 24, QUICK + " --lang ko", [("wait", "● 끝남")]),
    "ko-help-120x40": (120, 40, QUICK + " --lang ko", [("wait", "● 끝남"), ("keys", ["?"]),
                                                     ("wait", "도움말")]),
}

# The runs workspace's scenes open on recorded runs, trained headless first in one
# directory they share: the basic network at three learning rates, the deep one, and two
# more seeds of the first.
RUNS_SETUP = [
    # Two more seeds of the first run's settings, recorded first so that they sit below
    # the four runs in the table: repeats for `R` to group.
    f"sweep {QUICK} --seed 778,779"] + [
    f"train {QUICK} --lr {lr}" for lr in ("0.001", "0.003", "0.0003")] + [
    f"train {QUICK} --model deep"]
MARK_ALL = [("wait", "Runs in"), ("keys", ["Space", "Down"] * 4), ("sleep", 2)]
RUNS_SCENES = {
    "runs-120x40": (120, 40, "runs", MARK_ALL),
    "runs-80x24": (80, 24, "runs", MARK_ALL),
    # R groups the three seeds of lr 1e-3; the group and the other runs marked.
    "runs-repeats-120x40": (120, 40, "runs", [("wait", "Runs in"), ("keys", ["R"]),
                                              ("keys", ["Space", "Down"] * 4), ("sleep", 2)]),
}

CW, CH, SIZE = 9, 18, 15
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf"
# Hangul (the Korean scenes) takes two cells, drawn with the first of these that exists
# (Debian: apt-get install fonts-nanum, or fonts-noto-cjk).
WIDE_FONTS = ["/usr/share/fonts/truetype/nanum/NanumGothicCoding.ttf",
              "/usr/share/fonts/truetype/nanum/NanumGothic.ttf",
              "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"]
BASE16 = [(0, 0, 0), (205, 49, 49), (13, 188, 121), (229, 229, 16), (36, 114, 200), (188, 63, 188),
          (17, 168, 205), (229, 229, 229), (102, 102, 102), (241, 76, 76), (35, 209, 139),
          (245, 245, 67), (59, 142, 234), (214, 112, 214), (41, 184, 219), (255, 255, 255)]
DEFAULT_FG, DEFAULT_BG = (220, 220, 220), (24, 24, 24)
WIDE = object()  # the second cell of a wide character


def tmux(*args):
    # -u: UTF-8 whatever the locale, for the Korean scenes' Hangul.
    return subprocess.run(["tmux", "-u", *args], capture_output=True, text=True,
                          check=True).stdout


def screen(session, colours=False):
    return tmux("capture-pane", "-p", *(["-e"] if colours else []), "-t", session)


def run_scene(binary, name, cols, rows, flags, steps, shared=None):
    # tmux reads a dot in a target as "session.window": none in the name.
    session = f"screens-{name}-{os.getpid()}".replace(".", "_")
    with tempfile.TemporaryDirectory() as own:
        cwd = shared or own
        command = f"env COLORTERM=truecolor TERM=xterm-256color {binary} {flags}; sleep 60"
        tmux("new-session", "-d", "-s", session, "-c", cwd, "-x", str(cols), "-y", str(rows),
             command)
        try:
            for kind, what in steps:
                if kind == "wait":
                    deadline = time.time() + 180
                    while what not in screen(session):
                        if time.time() > deadline:
                            sys.exit(f"{name}: '{what}' never showed:\n{screen(session)}")
                        time.sleep(0.3)
                elif kind == "keys":
                    for key in what:
                        tmux("send-keys", "-t", session, key)
                        time.sleep(0.03)
                else:
                    time.sleep(what)
            time.sleep(0.8)  # the frame after the last change
            text = screen(session, colours=True)
        finally:
            subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    path = os.path.join(OUT, name + ".png")
    render(parse(text), path)
    print(path)


def xterm256(n):
    if n < 16:
        return BASE16[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return steps[n // 36], steps[(n // 6) % 6], steps[n % 6]
    v = 8 + (n - 232) * 10
    return v, v, v


def parse(text):
    """Rows of cells (char, fg, bg, bold) from SGR-coloured text."""
    rows, fg, bg, bold, rev = [], None, None, False, False
    for line in text.split("\n"):
        row, i = [], 0
        while i < len(line):
            m = re.match(r"\x1b\[([0-9;]*)m", line[i:])
            if m:
                codes = [int(c) if c else 0 for c in m.group(1).split(";")]
                k = 0
                while k < len(codes):
                    c = codes[k]
                    if c == 0:
                        fg, bg, bold, rev = None, None, False, False
                    elif c == 1:
                        bold = True
                    elif c == 22:
                        bold = False
                    elif c == 7:
                        rev = True
                    elif c == 27:
                        rev = False
                    elif 30 <= c <= 37 or 90 <= c <= 97:
                        fg = BASE16[c - 30 if c < 90 else c - 82]
                    elif 40 <= c <= 47 or 100 <= c <= 107:
                        bg = BASE16[c - 40 if c < 100 else c - 92]
                    elif c == 39:
                        fg = None
                    elif c == 49:
                        bg = None
                    elif c in (38, 48) and k + 1 < len(codes):
                        col = None
                        if codes[k + 1] == 5 and k + 2 < len(codes):
                            col = xterm256(codes[k + 2])
                            k += 2
                        elif codes[k + 1] == 2 and k + 4 < len(codes):
                            col = tuple(codes[k + 2:k + 5])
                            k += 4
                        if c == 38:
                            fg = col
                        else:
                            bg = col
                    k += 1
                i += m.end()
                continue
            ch = line[i]
            f, b = fg or DEFAULT_FG, bg or DEFAULT_BG
            if rev:
                f, b = b, f
            row.append((ch, f, b, bold))
            if unicodedata.east_asian_width(ch) in ("W", "F"):
                row.append((WIDE, f, b, bold))
            i += 1
        rows.append(row)
    while rows and not rows[-1]:
        rows.pop()
    return rows


def render(rows, out):
    width = max((len(r) for r in rows), default=1)
    img = Image.new("RGB", (width * CW, len(rows) * CH), DEFAULT_BG)
    d = ImageDraw.Draw(img)
    font, bold = ImageFont.truetype(FONT, SIZE), ImageFont.truetype(BOLD, SIZE)
    wide_path = next((p for p in WIDE_FONTS if os.path.exists(p)), None)
    wide = ImageFont.truetype(wide_path, SIZE) if wide_path else None
    for y, row in enumerate(rows):
        for x, (ch, f, b, bd) in enumerate(row):
            if ch is WIDE:
                continue
            x0, y0 = x * CW, y * CH
            d.rectangle([x0, y0, x0 + CW - 1, y0 + CH - 1], fill=b)
            if ch == "▀":
                d.rectangle([x0, y0, x0 + CW - 1, y0 + CH // 2 - 1], fill=f)
            elif ch == "▄":
                d.rectangle([x0, y0 + CH // 2, x0 + CW - 1, y0 + CH - 1], fill=f)
            elif ch == "█":
                d.rectangle([x0, y0, x0 + CW - 1, y0 + CH - 1], fill=f)
            elif ch in "░▒▓":
                a = {"░": 0.25, "▒": 0.5, "▓": 0.75}[ch]
                mix = tuple(int(b[i] + (f[i] - b[i]) * a) for i in range(3))
                d.rectangle([x0, y0, x0 + CW - 1, y0 + CH - 1], fill=mix)
            elif 0x2800 <= ord(ch) <= 0x28FF:
                bits = ord(ch) - 0x2800
                dots = [(0, 0, 0x01), (0, 1, 0x02), (0, 2, 0x04), (1, 0, 0x08), (1, 1, 0x10),
                        (1, 2, 0x20), (0, 3, 0x40), (1, 3, 0x80)]
                for cx, cy, bit in dots:
                    if bits & bit:
                        px, py = x0 + 2 + cx * 4, y0 + 2 + cy * 4
                        d.rectangle([px, py, px + 1, py + 1], fill=f)
            elif ch != " " and wide and unicodedata.east_asian_width(ch) in ("W", "F"):
                d.rectangle([x0, y0, x0 + 2 * CW - 1, y0 + CH - 1], fill=b)
                d.text((x0, y0), ch, font=wide, fill=f)
            elif ch != " ":
                d.text((x0, y0), ch, font=bold if bd else font, fill=f)
    img.save(out)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "mnist-tui"))
    p.add_argument("--only", nargs="*", help="scene names (default: all)")
    a = p.parse_args()
    if not os.path.exists(a.bin):
        sys.exit(f"{a.bin} not found: cargo build --release first")
    os.makedirs(OUT, exist_ok=True)
    binary = os.path.abspath(a.bin)
    for name, (cols, rows, flags, steps) in SCENES.items():
        if not a.only or name in a.only:
            run_scene(binary, name, cols, rows, flags, steps)
    wanted = [n for n in RUNS_SCENES if not a.only or n in a.only]
    if wanted:
        with tempfile.TemporaryDirectory() as shared:
            for args in RUNS_SETUP:
                subprocess.run([binary, *args.split()], cwd=shared, check=True,
                               stdout=subprocess.DEVNULL)
            for name in wanted:
                cols, rows, flags, steps = RUNS_SCENES[name]
                run_scene(binary, name, cols, rows, flags, steps, shared)


if __name__ == "__main__":
    main()
