//! Running the real binary as a user would, and what its errors must look like.

use std::path::Path;
use std::process::{Command, Output};

/// The built `mnist-tui`, in English: the assertions read English, whatever the locale of
/// whoever runs the tests.
pub fn binary() -> Command {
    let mut binary = Command::new(env!("CARGO_BIN_EXE_mnist-tui"));
    binary.env("LC_ALL", "C.UTF-8");
    binary
}

/// Runs `mnist-tui ARGS` in `cwd` to the end.
pub fn mnist_tui(args: &[&str], cwd: &Path) -> Output {
    binary().args(args).current_dir(cwd).output().unwrap()
}

/// Checks that the run succeeded, showing its stderr if not.
pub fn assert_success(out: &Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Checks the bad-input contract (exit code 2, one line on stderr starting with
/// `error: `, nothing on stdout) and returns the line.
pub fn one_line_error(out: &Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(out.stdout.is_empty(), "nothing on stdout");
    err
}

/// Runs each case and checks that it fails as bad input with `error: EXPECTED…`.
pub fn expect_bad_input(cases: &[(&[&str], &str)], cwd: &Path) {
    for (args, expected) in cases {
        let err = one_line_error(&mnist_tui(args, cwd));
        assert!(
            err.starts_with(&format!("error: {expected}")),
            "{args:?}: {err}"
        );
    }
}
