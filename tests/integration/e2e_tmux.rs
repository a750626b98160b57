//! The dashboard as a person uses it: the real binary in a detached tmux session, keys
//! sent with `send-keys`, the screen read with `capture-pane`.

use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    session: String,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(args)
            .output()
            .expect("tmux is installed (CI installs it)");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", &self.session])
    }

    fn keys(&self, keys: &str) {
        self.run(&["send-keys", "-t", &self.session, keys]);
    }

    /// Waits until the screen satisfies `pred`, returning it; panics with the last screen.
    fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let screen = self.screen();
            if pred(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Starts `env ENV TERM=xterm-256color mnist-tui ARGS` in a new detached session of
    /// `size`, in `dir`, with `LC_ALL=C.UTF-8` (English, unless ENV sets another locale). When the program ends the shell writes its exit code to
    /// `dir/exit-code`, prints `EXIT-CODE n` and `SHELL-IS-BACK`, and waits.
    fn start(name: &str, dir: &std::path::Path, size: (u16, u16), env: &str, args: &str) -> Tmux {
        let tmux = Tmux {
            session: format!("mnist-tui-{name}-{}", std::process::id()),
        };
        let bin = env!("CARGO_BIN_EXE_mnist-tui");
        let script = format!(
            "env {env} TERM=xterm-256color {bin} {args}; code=$?; echo $code > exit-code; echo EXIT-CODE $code; echo SHELL-IS-BACK; sleep 60"
        );
        let (w, h) = (size.0.to_string(), size.1.to_string());
        let cwd = dir.display().to_string();
        tmux.run(&[
            "new-session",
            "-d",
            // The assertions read English, whatever the locale of whoever runs the tests.
            "-e",
            "LC_ALL=C.UTF-8",
            "-s",
            &tmux.session,
            "-c",
            &cwd,
            "-x",
            &w,
            "-y",
            &h,
            &script,
        ]);
        tmux
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.session])
            .output();
    }
}

/// The text after `label` on the screen, up to the next double space.
fn field<'a>(screen: &'a str, label: &str) -> &'a str {
    let start = screen
        .find(label)
        .map(|i| i + label.len())
        .unwrap_or(screen.len());
    let rest = &screen[start..];
    rest.split([' ', '│']).next().unwrap_or("")
}

#[test]
fn dashboard_responds_to_keys_and_exits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let done = dir.path().join("exit-code");
    let tmux = Tmux::start(
        "e2e",
        dir.path(),
        (120, 40),
        "",
        "--train-limit 3000 --test-limit 500 --threads 2 --epochs 20",
    );

    let screen = tmux.wait_for("the first batches", |s| {
        s.contains("● running") && s.contains("prediction")
    });
    assert!(screen.contains("Sample: label"), "{screen}");
    assert!(screen.contains("lr 1.000e-3 "), "{screen}");
    assert!(
        screen.contains("epoch") && screen.contains("/20 "),
        "{screen}"
    );

    tmux.keys("+");
    tmux.wait_for("the acknowledged learning rate", |s| {
        s.contains("lr 1.778e-3 ")
    });
    tmux.keys("]");
    tmux.wait_for("the acknowledged epoch count", |s| s.contains("/21 "));
    tmux.keys("Space");
    tmux.wait_for("the paused state", |s| s.contains("● paused"));
    let before = field(&tmux.screen(), "test #").to_string();
    tmux.keys("n");
    tmux.wait_for("a new digit", |s| field(s, "test #") != before);
    tmux.keys("?");
    tmux.wait_for("the help overlay", |s| s.contains(" Keys "));
    tmux.keys("Escape");
    tmux.wait_for("the help overlay to close", |s| !s.contains(" Keys "));
    tmux.keys("q");

    let screen = tmux.wait_for("the shell", |s| s.contains("SHELL-IS-BACK"));
    let code = std::fs::read_to_string(&done).unwrap();
    assert_eq!(code.trim(), "0");
    // The alternate screen is gone: no panel borders left on the terminal.
    assert!(!screen.contains("Status"), "{screen}");
}

/// The epoch number on the status line (`epoch K/N`).
fn epoch_shown(screen: &str) -> usize {
    screen
        .match_indices("epoch ")
        .filter_map(|(i, _)| {
            let token = screen[i + 6..].split(' ').next()?;
            token.split_once('/')?.0.parse().ok()
        })
        .next()
        .unwrap_or(0)
}

#[test]
fn key_and_resize_storms_never_crash_or_stop_training() {
    let dir = tempfile::tempdir().unwrap();
    let done = dir.path().join("exit-code");
    let tmux = Tmux::start(
        "storm",
        dir.path(),
        (120, 40),
        "",
        "--train-limit 3000 --test-limit 300 --threads 2 --epochs 1000",
    );
    tmux.wait_for("the first batches", |s| s.contains("● running"));
    // Every key the dashboard knows except the quitting ones (q, Esc, Ctrl-C) and `t`
    // (each t-SNE layout takes both cores for seconds: under a loaded test run the
    // training this test waits for would crawl), plus keys it does not know, and the
    // learning-rate prompt's Enter and Backspace.
    let keys: Vec<&str> = [
        "+", "-", "[", "]", "Space", ".", "n", "L", "?", "Tab", "BTab", "1", "2", "3", "4", "d",
        "x", "c", "s", "Left", "Right", "Up", "Down", "PageUp", "PageDown", "Home", "End", "Enter",
        "BSpace", "a", "z", "7", "0", "e", "F5", "Insert", "DC", "8", "v", "u", "w",
    ]
    .to_vec();
    let mut rng = 0x2545_f491_u64;
    let mut next = |n: usize| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        (rng % n as u64) as usize
    };
    let mut sent = 0;
    let mut resizes = 0;
    for _ in 0..100 {
        let burst: Vec<&str> = (0..20).map(|_| keys[next(keys.len())]).collect();
        let mut args = vec!["send-keys", "-t", &tmux.session];
        args.extend(&burst);
        tmux.run(&args);
        sent += burst.len();
        let (w, h) = ((20 + next(200)).to_string(), (5 + next(60)).to_string());
        tmux.run(&["resize-window", "-t", &tmux.session, "-x", &w, "-y", &h]);
        resizes += 1;
    }
    assert_eq!((sent, resizes), (2000, 100));
    tmux.run(&[
        "resize-window",
        "-t",
        &tmux.session,
        "-x",
        "120",
        "-y",
        "40",
    ]);
    // Back to a known state: the overview, and more epochs than done.
    tmux.keys("1");
    for _ in 0..3 {
        tmux.keys("]");
    }
    let screen = tmux.wait_for("the dashboard at full size", |s| s.contains("Status"));
    assert!(!screen.contains("crashed"), "{screen}");
    if screen.contains("● paused") || screen.contains("● diverged") {
        tmux.keys("Space");
    }
    let before = epoch_shown(&tmux.wait_for("training", |s| s.contains("● running")));
    tmux.wait_for("training to go on", |s| epoch_shown(s) > before);
    tmux.keys("q");
    tmux.wait_for("the shell", |s| s.contains("SHELL-IS-BACK"));
    assert_eq!(std::fs::read_to_string(&done).unwrap().trim(), "0");
}

/// Runs the dashboard in tmux with an injected fault; returns the session and the file
/// the shell writes the exit code to.
fn faulty_dashboard(fault: &str) -> (Tmux, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let tmux = Tmux::start(
        fault,
        dir.path(),
        (100, 30),
        &format!("-u RUST_BACKTRACE MNIST_TUI_INJECT_FAULT={fault}"),
        "--train-limit 3000 --test-limit 300 --threads 2",
    );
    (tmux, dir)
}

#[test]
#[cfg_attr(
    not(feature = "fault-injection"),
    ignore = "needs the fault-injection feature (the README's test command turns it on)"
)]
fn a_ui_panic_restores_the_terminal_and_prints_the_message() {
    let (tmux, _dir) = faulty_dashboard("panic-ui");
    let screen = tmux.wait_for("the exit", |s| s.contains("EXIT-CODE"));
    assert!(
        screen.contains("injected fault: the UI panicked"),
        "{screen}"
    );
    assert!(screen.contains("EXIT-CODE 101"), "{screen}");
    // The alternate screen is gone: no dashboard left on the terminal.
    assert!(!screen.contains("Status"), "{screen}");
}

#[test]
#[cfg_attr(
    not(feature = "fault-injection"),
    ignore = "needs the fault-injection feature (the README's test command turns it on)"
)]
fn a_worker_panic_is_shown_in_the_dashboard_which_stays_usable() {
    let (tmux, _dir) = faulty_dashboard("panic-worker");
    let screen = tmux.wait_for("the crash on screen", |s| s.contains("● crashed"));
    assert!(
        screen.contains("the training worker stopped unexpectedly"),
        "{screen}"
    );
    // Still responsive: the help overlay opens and closes, then q quits.
    tmux.keys("?");
    tmux.wait_for("the help overlay", |s| s.contains(" Keys "));
    tmux.keys("Escape");
    tmux.wait_for("the help overlay to close", |s| !s.contains(" Keys "));
    tmux.keys("q");
    let screen = tmux.wait_for("the exit", |s| s.contains("EXIT-CODE"));
    assert!(
        screen.contains("error: the training worker crashed: panicked at"),
        "{screen}"
    );
    assert!(
        screen.contains("injected fault: the worker panicked at batch 3"),
        "{screen}"
    );
    assert!(screen.contains("EXIT-CODE 1"), "{screen}");
    assert!(!screen.contains("Status"), "{screen}");
}

#[test]
fn f_finds_a_learning_rate_and_enter_applies_it_in_the_status_bar() {
    let dir = tempfile::tempdir().unwrap();
    let tmux = Tmux::start(
        "finder",
        dir.path(),
        (120, 40),
        "",
        "--train-limit 3000 --test-limit 500 --threads 2 --epochs 20",
    );
    tmux.wait_for("the first batches", |s| s.contains("● running"));
    tmux.keys("f");
    let screen = tmux.wait_for("the finder's suggestions", |s| {
        s.contains("Learning-rate finder for the run:") && s.contains("Enter apply")
    });
    // The readout's first (chosen) suggestion, `▸valley 1.23e-3`.
    let chosen = field(&screen, "▸valley ").to_string();
    let rate: f64 = chosen.parse().unwrap_or_else(|_| panic!("{screen}"));
    assert!((1e-5..1.0).contains(&rate), "{screen}");
    tmux.keys("Enter");
    // The readout rounds to three digits, the status bar to four; the status bar says
    // it as a notice first (`learning rate X (valley of the range test)`).
    let screen = tmux.wait_for("the chosen rate in the status bar", |s| {
        let lr: f64 = field(s, "│learning rate ").parse().unwrap_or(0.0);
        !s.contains("Learning-rate finder") && (lr - rate).abs() <= 0.01 * rate
    });
    assert!(screen.contains("(valley of the range test)"), "{screen}");
    // The next key clears the notice: the rate in force is the chosen one.
    tmux.keys("L");
    tmux.wait_for("the acknowledged rate", |s| {
        // The status bar's line (the cost legend has an `lr change` too).
        let status = s.lines().find(|l| l.contains("  model ")).unwrap_or("");
        let lr: f64 = field(status, "│lr ").parse().unwrap_or(0.0);
        (lr - rate).abs() <= 0.01 * rate
    });
    tmux.keys("q");
    tmux.wait_for("the shell", |s| s.contains("SHELL-IS-BACK"));
}

#[test]
fn view_follows_a_metrics_file_while_train_writes_it_and_replays_it_when_done() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("run.jsonl");
    // A run slow enough to be watched: 60 batches an epoch, a sample line and a flush every epoch.
    let bin = env!("CARGO_BIN_EXE_mnist-tui");
    let mut train = Command::new(bin)
        .args(["train", "--train-limit", "6000", "--test-limit", "500"])
        .args(["--threads", "1", "--epochs", "10", "--metrics"])
        .arg(&file)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !std::fs::read_to_string(&file).is_ok_and(|s| s.contains("\"epoch\"")) {
        assert!(Instant::now() < deadline, "train wrote no epoch line");
        std::thread::sleep(Duration::from_millis(50));
    }
    let tmux = Tmux::start("view", dir.path(), (120, 40), "", "view run.jsonl");
    let screen = tmux.wait_for("the file being followed", |s| {
        s.contains("viewing run.jsonl (read-only) · being written")
    });
    assert!(screen.contains("Sample: label"), "{screen}");
    // The view moves on as the file grows, then sees the run end.
    let first = epoch_shown(&screen);
    tmux.wait_for("a later epoch", |s| epoch_shown(s) > first);
    assert!(train.wait().unwrap().success());
    let screen = tmux.wait_for("the run's end", |s| s.contains("· run ended"));
    assert!(screen.contains("final accuracy 0.9"), "{screen}");
    // Steering keys are refused in words; q quits with exit code 0.
    tmux.keys("+");
    tmux.wait_for("the read-only notice", |s| {
        s.contains("read-only: this dashboard")
    });
    tmux.keys("q");
    tmux.wait_for("the shell", |s| s.contains("SHELL-IS-BACK"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("exit-code"))
            .unwrap()
            .trim(),
        "0"
    );

    // A finished file replays to the same end.
    let replay = Tmux::start("replay", dir.path(), (120, 40), "", "view run.jsonl");
    let screen = replay.wait_for("the replayed run", |s| s.contains("· run ended"));
    assert_eq!(epoch_shown(&screen), 10, "{screen}");
}

#[test]
fn the_views_inside_the_network_draw_and_follow_a_real_run() {
    let dir = tempfile::tempdir().unwrap();
    let tmux = Tmux::start(
        "inside",
        dir.path(),
        (120, 40),
        "",
        "--train-limit 3000 --test-limit 500 --threads 2 --epochs 30",
    );
    tmux.wait_for("the first batches", |s| s.contains("● running"));
    // Layers: a row per layer with its numbers, measured at the first quick evaluation.
    tmux.keys("6");
    let screen = tmux.wait_for("the layer health", |s| {
        s.contains("Layer health at epoch") && s.contains("dense")
    });
    for what in ["conv1", "conv2", "‖W‖", "‖∇W‖", "‖ΔW‖/‖W‖", "dead"] {
        assert!(screen.contains(what), "{what} missing:\n{screen}");
    }
    // It follows the run: a later measurement replaces the epoch in the title.
    let first = field(&screen, "Layer health at epoch ").to_string();
    tmux.wait_for("a later measurement", |s| {
        field(s, "Layer health at epoch ") != first
    });
    // Clusters: the scatter with its variance, and the cursor's digit.
    tmux.keys("7");
    let screen = tmux.wait_for("the projection", |s| s.contains("PCA at epoch"));
    assert!(screen.contains("test #0 (arrows)"), "{screen}");
    // Point 0 may be the last one in some direction: the first arrow that moves it.
    let moved = ["Right", "Up", "Left", "Down"].iter().any(|key| {
        tmux.keys(key);
        std::thread::sleep(Duration::from_millis(500));
        let s = tmux.screen();
        s.contains("(arrows)") && !s.contains("test #0 (arrows)")
    });
    assert!(moved, "no arrow moved the cursor:\n{}", tmux.screen());
    // Why: the sample explained, then asked about another class.
    tmux.keys("1");
    tmux.keys("w");
    tmux.wait_for("the saliency overlay", |s| s.contains("· why "));
    tmux.keys("0");
    tmux.wait_for("why another class", |s| {
        s.contains("why not 0?") || s.contains("why 0?")
    });
    // The draw pad explains the drawing as it is drawn (a stroke down the middle).
    tmux.keys("d");
    tmux.keys("Space");
    for _ in 0..10 {
        tmux.keys("Down");
    }
    tmux.wait_for("the drawing explained", |s| s.contains("red +"));
    tmux.keys("q");
    tmux.wait_for("the shell", |s| s.contains("SHELL-IS-BACK"));
}

#[test]
fn the_runs_workspace_overlays_two_recorded_runs_and_opens_one_and_comes_back() {
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_mnist-tui");
    for lr in ["0.001", "0.003"] {
        let out = Command::new(bin)
            .args(["train", "--epochs", "1", "--train-limit", "2000"])
            .args(["--test-limit", "500", "--threads", "2", "--lr", lr])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(out.status.success());
    }
    let tmux = Tmux::start("runs", dir.path(), (120, 40), "", "runs");
    tmux.wait_for("the table", |s| s.contains("2 shown of 2 · 0 marked"));
    tmux.keys("Space");
    tmux.keys("Down");
    tmux.keys("Space");
    let screen = tmux.wait_for("both runs overlaid", |s| {
        s.contains("2 marked") && s.contains("Test accuracy · best")
    });
    assert!(
        screen.contains("seed-lr1e-3") && screen.contains("seed-lr3e-3"),
        "{screen}"
    );
    // Enter opens the highlighted run read-only; Esc comes back to the workspace.
    tmux.keys("Enter");
    tmux.wait_for("the run's dashboard", |s| s.contains("(read-only)"));
    tmux.keys("Escape");
    tmux.wait_for("the workspace again", |s| {
        s.contains("2 shown of 2 · 2 marked")
    });
    tmux.keys("q");
    tmux.wait_for("the shell", |s| s.contains("SHELL-IS-BACK"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("exit-code"))
            .unwrap()
            .trim(),
        "0"
    );
}

#[test]
fn the_dashboard_follows_a_korean_locale_and_lang_en_overrides_it() {
    let dir = tempfile::tempdir().unwrap();
    let done = dir.path().join("exit-code");
    let args = "--train-limit 3000 --test-limit 300 --threads 2 --epochs 20 --no-record";
    let tmux = Tmux::start("korean", dir.path(), (80, 24), "LC_ALL=ko_KR.UTF-8", args);
    let screen = tmux.wait_for("the Korean dashboard", |s| {
        s.contains("● 학습 중") && s.contains("표본: 정답")
    });
    assert!(screen.contains("학습률 1.000e-3"), "{screen}");
    assert!(screen.contains("q 끝내기"), "{screen}");
    tmux.keys("+");
    tmux.wait_for("the acknowledged rate", |s| s.contains("학습률 1.778e-3"));
    tmux.keys("?");
    tmux.wait_for("the help overlay", |s| {
        s.contains("┌ 키 ") && s.contains("끝내기(")
    });
    tmux.keys("Escape");
    tmux.keys("q");
    tmux.wait_for("the shell", |s| s.contains("SHELL-IS-BACK"));
    assert_eq!(std::fs::read_to_string(&done).unwrap().trim(), "0");

    let english = Tmux::start(
        "korean-en",
        dir.path(),
        (80, 24),
        "LC_ALL=ko_KR.UTF-8",
        &format!("{args} --lang en"),
    );
    let screen = english.wait_for("the English dashboard", |s| s.contains("● running"));
    assert!(!screen.contains("학습"), "{screen}");
    english.keys("q");
    english.wait_for("the shell", |s| s.contains("SHELL-IS-BACK"));
}
