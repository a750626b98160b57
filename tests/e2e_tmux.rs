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
    let tmux = Tmux {
        session: format!("mnist-tui-e2e-{}", std::process::id()),
    };
    let bin = env!("CARGO_BIN_EXE_mnist-tui");
    let dir = tempfile::tempdir().unwrap();
    let done = dir.path().join("exit-code");
    let script = format!(
        "TERM=xterm-256color {bin} --train-limit 3000 --test-limit 500 --threads 2 --epochs 20; echo $? > {}; echo SHELL-IS-BACK; sleep 60",
        done.display()
    );
    tmux.run(&[
        "new-session",
        "-d",
        "-s",
        &tmux.session,
        "-x",
        "120",
        "-y",
        "40",
        &script,
    ]);

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
