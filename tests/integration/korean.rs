//! The program in Korean: the catalogues agree, the main views are drawn in Korean at
//! 120×40 and 80×24 without a wide character cut or a border moved, and what machines and
//! the tutorial's readers compare is the same in both languages.

use std::collections::BTreeSet;

use crate::common;
use crate::common::cli::assert_success;
use crate::ui_snapshots::{drawn_one, full, inside_app, report_app};
use mnist_tui::app::{update, App, Msg, Tab};
use mnist_tui::i18n::{self, catalogue_ids, Language};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

fn ids(text: &str) -> BTreeSet<String> {
    catalogue_ids(text).into_iter().collect()
}

#[test]
fn both_catalogues_hold_the_same_messages_but_the_command_lines_korean_texts() {
    let english = ids(i18n::ENGLISH_CATALOGUE);
    // English's command-line texts are the doc comments of cli.rs (a test of the binary
    // checks that each flag has its Korean text).
    let korean: BTreeSet<String> = ids(i18n::KOREAN_CATALOGUE)
        .into_iter()
        .filter(|id| !id.starts_with("cli-") || english.contains(id))
        .collect();
    let only_english: Vec<_> = english.difference(&korean).collect();
    let only_korean: Vec<_> = korean.difference(&english).collect();
    assert!(
        only_english.is_empty(),
        "missing from ko.ftl: {only_english:?}"
    );
    assert!(
        only_korean.is_empty(),
        "missing from en.ftl: {only_korean:?}"
    );
    assert!(english.len() > 250, "{} messages", english.len());
}

#[test]
fn both_catalogues_parse_without_an_error() {
    for (name, text) in [
        ("en", i18n::ENGLISH_CATALOGUE),
        ("ko", i18n::KOREAN_CATALOGUE),
    ] {
        if let Err((_, errors)) = fluent_syntax::parser::parse(text) {
            panic!("{name}.ftl: {errors:?}");
        }
    }
}

/// Every id the code names in a string literal (`"status-epoch"`, `"key-pause"`) of a
/// family the catalogue has: a typo would show the id itself on screen.
#[test]
fn every_message_id_in_the_code_is_in_the_english_catalogue() {
    let english = ids(i18n::ENGLISH_CATALOGUE);
    let families: BTreeSet<&str> = english
        .iter()
        .filter_map(|id| id.split('-').next())
        .collect();
    let mut missing = Vec::new();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for literal in text.split('"').skip(1).step_by(2) {
                let plain = literal
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c));
                let family = literal.split('-').next().unwrap_or("");
                if plain
                    && literal.contains('-')
                    && !literal.ends_with('-')
                    && families.contains(family)
                    && !literal.starts_with("cli-")
                    && !english.contains(literal)
                {
                    missing.push(format!("{}: {literal}", path.display()));
                }
            }
        }
    }
    assert!(missing.is_empty(), "ids not in en.ftl: {missing:#?}");
}

#[test]
fn a_missing_korean_message_falls_back_to_english_and_an_unknown_id_shows_itself() {
    i18n::with_language(Language::Korean, || {
        assert_eq!(mnist_tui::tr!("status-title"), "상태");
        assert_eq!(mnist_tui::tr!("no-such-message"), "no-such-message");
    });
    assert_eq!(mnist_tui::tr!("status-title"), "Status");
}

#[test]
fn the_locale_decides_in_posix_order_and_c_is_english() {
    let s = |v: &str| Some(v.to_string());
    let ko = Language::Korean;
    let en = Language::English;
    assert_eq!(i18n::language_from_locale(None, None, s("ko_KR.UTF-8")), ko);
    assert_eq!(i18n::language_from_locale(None, None, s("C")), en);
    assert_eq!(i18n::language_from_locale(None, None, None), en);
    assert_eq!(
        i18n::language_from_locale(s("C"), s("ko_KR.UTF-8"), s("ko")),
        en
    );
    assert_eq!(
        i18n::language_from_locale(s(""), s("ko_KR.UTF-8"), s("C")),
        ko
    );
    assert_eq!(
        i18n::language_from_locale(None, s("en_US.UTF-8"), s("ko_KR")),
        en
    );
    assert_eq!(i18n::language_from_locale(None, None, s("ko")), ko);
    assert_eq!(i18n::language_from_locale(None, None, s("kok_IN")), en);
}

/// The columns of the leftmost and rightmost vertical border on each row below the tabs.
fn outer_borders(t: &Terminal<TestBackend>) -> Vec<(Option<u16>, Option<u16>)> {
    let buf = t.backend().buffer();
    let (w, h) = (buf.area.width, buf.area.height);
    (1..h.saturating_sub(1))
        .map(|y| {
            let is_border = |x: u16| matches!(buf[(x, y)].symbol(), "│" | "┌" | "┐" | "└" | "┘");
            (
                (0..w).find(|&x| is_border(x)),
                (0..w).rev().find(|&x| is_border(x)),
            )
        })
        .collect()
}

/// The view drawn from `app` in Korean (the app built in Korean too: notices are made in
/// `update`), checked against the English one: the same outer borders on every row.
fn korean(make: impl Fn() -> App, size: (u16, u16)) -> Terminal<TestBackend> {
    let english = full(&make(), size);
    let korean = i18n::with_language(Language::Korean, || full(&make(), size));
    assert_eq!(
        outer_borders(&korean),
        outer_borders(&english),
        "a border moved"
    );
    let text = format!("{}", korean.backend());
    assert!(
        text.chars().any(|c| ('가'..='힣').contains(&c)),
        "no Hangul drawn:\n{text}"
    );
    korean
}

fn with_tab(app: impl Fn((u16, u16)) -> App, tab: Tab, size: (u16, u16)) -> impl Fn() -> App {
    move || {
        let mut app = app(size);
        app.tab = tab;
        app
    }
}

#[test]
fn korean_overview_120x40_and_80x24() {
    for size in [(120, 40), (80, 24)] {
        let t = korean(with_tab(common::busy_app, Tab::Overview, size), size);
        insta::assert_snapshot!(
            format!("korean_overview_{}x{}", size.0, size.1),
            t.backend()
        );
    }
}

#[test]
fn korean_help_overlay_80x24_and_120x40() {
    for size in [(80, 24), (120, 40)] {
        let make = || {
            let mut app = common::busy_app(size);
            update(
                &mut app,
                Msg::Key(crossterm::event::KeyCode::Char('?').into()),
            );
            app
        };
        let t = i18n::with_language(Language::Korean, || full(&make(), size));
        insta::assert_snapshot!(
            format!("korean_help_overlay_{}x{}", size.0, size.1),
            t.backend()
        );
    }
}

#[test]
fn korean_confusion_and_mistakes_80x24_and_120x40() {
    for size in [(80, 24), (120, 40)] {
        for tab in [Tab::Confusion, Tab::Mistakes] {
            let t = korean(with_tab(report_app, tab, size), size);
            let name = format!("korean_{:?}_{}x{}", tab, size.0, size.1).to_lowercase();
            insta::assert_snapshot!(name, t.backend());
        }
    }
}

#[test]
fn korean_draw_layers_and_clusters_80x24_and_120x40() {
    for size in [(80, 24), (120, 40)] {
        let t = korean(with_tab(drawn_one, Tab::Draw, size), size);
        insta::assert_snapshot!(format!("korean_draw_{}x{}", size.0, size.1), t.backend());
        for tab in [Tab::Layers, Tab::Clusters] {
            let t = korean(with_tab(inside_app, tab, size), size);
            let name = format!("korean_{:?}_{}x{}", tab, size.0, size.1).to_lowercase();
            insta::assert_snapshot!(name, t.backend());
        }
    }
}

#[test]
fn korean_status_line_drops_whole_fields_and_never_cuts_a_number() {
    let t = korean(
        with_tab(common::busy_app, Tab::Overview, (80, 24)),
        (80, 24),
    );
    // The status panel's second line, the rate line, where a narrow terminal drops fields
    // (as the backend prints it: a wide character's second cell left out).
    let screen = format!("{}", t.backend());
    let line = screen
        .lines()
        .find(|r| r.contains("│학습률 "))
        .expect("the rate line");
    assert!(line.contains("학습률 1.778e-3"), "{line}");
    for field in ["모델 seed", "데이터 MNIST"] {
        let head = field.split(' ').next().unwrap();
        assert!(
            !line.contains(head) || line.contains(field),
            "cut field in {line}"
        );
    }
}

/// The tutorial's stdout, byte for byte, from a short `train` with `args` and `env`.
fn tutorial_lines(args: &[&str], env: &[(&str, &str)]) -> Vec<u8> {
    let short = [
        "train",
        "--epochs",
        "1",
        "--train-limit",
        "600",
        "--test-limit",
        "200",
    ];
    let quiet = ["--threads", "1", "--no-record"];
    let all: Vec<&str> = short.iter().chain(&quiet).chain(args).copied().collect();
    let out = run(&all, env);
    assert_success(&out);
    out.stdout
}

#[test]
fn trains_tutorial_lines_are_byte_identical_in_both_languages() {
    let english = tutorial_lines(&["--lang", "en"], &[]);
    let korean = tutorial_lines(&["--lang", "ko"], &[]);
    let by_locale = tutorial_lines(&[], &[("LANG", "ko_KR.UTF-8")]);
    assert_eq!(
        String::from_utf8_lossy(&korean),
        String::from_utf8_lossy(&english)
    );
    assert_eq!(by_locale, english);
    let text = String::from_utf8(english).unwrap();
    assert!(text.starts_with("Learning started. It takes sometime.\nEpoch: 0001 cost = "));
    assert!(
        text.contains("\nLearning Finished!\nAccuracy: 0."),
        "{text}"
    );
    assert!(
        text.contains("\nLabel:  [") && text.contains("\nPrediction:  ["),
        "{text}"
    );
}

/// The binary run in an empty directory (no `config.toml` there), the locale variables
/// cleared but `env`.
fn run(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let cwd = tempfile::tempdir().unwrap();
    common::cli::binary()
        .current_dir(cwd.path())
        .args(args)
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env_remove("LANG")
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

#[test]
fn help_follows_the_locale_the_flag_overrides_it_and_c_is_english() {
    let korean = String::from_utf8(run(&["--help"], &[("LANG", "ko_KR.UTF-8")]).stdout).unwrap();
    assert!(korean.contains("사용법: mnist-tui"), "{korean}");
    assert!(korean.contains("Adam 학습률"), "{korean}");
    let flag = run(&["--lang", "en", "--help"], &[("LANG", "ko_KR.UTF-8")]);
    let english = String::from_utf8(flag.stdout).unwrap();
    assert!(english.contains("Usage: mnist-tui") && english.contains("Adam learning rate"));
    let c = String::from_utf8(run(&["--help"], &[("LANG", "C")]).stdout).unwrap();
    assert_eq!(c, english);
    let all = run(&["--help"], &[("LC_ALL", "ko_KR.UTF-8"), ("LANG", "C")]);
    assert!(String::from_utf8(all.stdout).unwrap().contains("사용법:"));
}

#[test]
fn a_bad_lang_is_refused_in_one_line_on_the_command_line_and_in_the_config() {
    let out = run(&["--lang", "fr", "train"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("fr"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bad.toml");
    std::fs::write(&config, "lang = \"fr\"\n").unwrap();
    let out = run(&["train", "--config", config.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("lang: `fr` is not one of en, ko"), "{err}");
}

#[test]
fn the_configs_lang_chooses_korean_and_the_flag_still_wins() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("ko.toml");
    std::fs::write(&config, "lang = \"ko\"\n").unwrap();
    let config = config.to_str().unwrap();
    let korean = String::from_utf8(run(&["--config", config, "--help"], &[]).stdout).unwrap();
    assert!(korean.contains("사용법:"), "{korean}");
    let english = run(&["--config", config, "--lang", "en", "--help"], &[]).stdout;
    assert!(String::from_utf8(english).unwrap().contains("Usage:"));
}

#[test]
fn machine_readable_output_is_the_same_in_both_languages() {
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().to_str().unwrap();
    let list = |lang: &str| run(&["runs", runs, "--list", "--json", "--lang", lang], &[]).stdout;
    assert_eq!(list("ko"), list("en"));
    let csv = |lang: &str| run(&["runs", runs, "--list", "--csv", "--lang", lang], &[]).stdout;
    assert_eq!(csv("ko"), csv("en"));
}

#[test]
fn bad_input_is_one_korean_line_with_a_non_zero_exit() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.png");
    std::fs::write(&empty, b"").unwrap();
    let out = run(&["--lang", "ko", "predict", empty.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("오류: ") && err.contains("파일이 비어 있습니다"),
        "{err}"
    );
    let out = run(&["train", "--epochs", "0"], &[("LANG", "ko_KR.UTF-8")]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        err.trim_end(),
        "오류: 명령줄: epochs: 0은(는) 1 이상이어야 합니다"
    );
}
