//! The keys' names as people read them, from the one table: in titles, notices and the
//! key line (`key_name`), and in the README (`markdown_table`). A title that wrote a key
//! by hand could disagree with the table; these cannot.

use crossterm::event::KeyCode;

use super::{Action, BINDINGS};

/// The key that does `action`, as the user reads it (`L`, `space`, `Esc`): the first key
/// the table binds to it.
pub fn key_name(action: Action) -> String {
    BINDINGS
        .iter()
        .flat_map(|b| b.codes.iter())
        .find(|&&(_, a)| a == action)
        .map_or_else(|| "?".into(), |&(code, _)| code_name(code))
}

/// A key code as the table writes it.
fn code_name(code: KeyCode) -> String {
    match code {
        KeyCode::Char(' ') => "space".into(),
        KeyCode::Char(c) => c.to_string(),
        KeyCode::Esc => "Esc".into(),
        KeyCode::Enter => "Enter".into(),
        KeyCode::Tab => "Tab".into(),
        KeyCode::BackTab => "Shift-Tab".into(),
        KeyCode::Left => "←".into(),
        KeyCode::Right => "→".into(),
        KeyCode::Up => "↑".into(),
        KeyCode::Down => "↓".into(),
        KeyCode::PageUp => "PgUp".into(),
        KeyCode::PageDown => "PgDn".into(),
        KeyCode::Home => "Home".into(),
        KeyCode::End => "End".into(),
        other => format!("{other:?}"),
    }
}

/// The key table as Markdown, as the README shows it (README.ko.md: in Korean).
pub fn markdown_table() -> String {
    let mut out = format!(
        "| {} | {} | {} |\n|---|---|---|\n",
        crate::tr!("keys-table-key"),
        crate::tr!("keys-table-where"),
        crate::tr!("keys-table-what")
    );
    for b in BINDINGS {
        let keys: Vec<String> = b
            .keys
            .split(", ")
            .map(|group| {
                let alternatives: Vec<String> =
                    group.split(" / ").map(|k| format!("`{k}`")).collect();
                alternatives.join(" / ")
            })
            .collect();
        out += &format!(
            "| {} | {} | {} |\n",
            keys.join(", "),
            b.views.label(),
            b.help()
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::Tab;

    #[test]
    fn every_action_a_title_or_notice_names_has_a_key_in_the_table() {
        use Action::*;
        for action in [
            ToggleLogScale,
            ToggleFilterScale,
            NewSample,
            LowerLearningRate,
            PauseOrResume,
            Step,
            TogglePen,
            ToggleEraser,
            PreviousSuggestion,
            NextSuggestion,
            ApplySuggestion,
            CloseFinder,
            Branch,
            KeepBranch,
            KeepMain,
            LowerBranchRate,
            RaiseBranchRate,
            ShowView(Tab::Draw),
        ] {
            assert_ne!(key_name(action), "?", "{action:?} has no key in the table");
        }
    }

    #[test]
    fn key_names_are_written_as_the_table_writes_them() {
        assert_eq!(key_name(Action::ToggleLogScale), "L");
        assert_eq!(key_name(Action::PauseOrResume), "space");
        assert_eq!(key_name(Action::CloseFinder), "Esc");
        assert_eq!(key_name(Action::PreviousSuggestion), "←");
    }

    #[test]
    fn the_readme_key_table_is_the_table_the_program_uses() {
        use crate::i18n::{with_language, Language};
        let readme = include_str!("../../../README.md");
        let table = with_language(Language::English, markdown_table);
        assert!(
            readme.contains(&table),
            "README.md's key table differs from src/app/keymap.rs; it should read:\n{table}"
        );
        let readme = include_str!("../../../README.ko.md");
        let table = with_language(Language::Korean, markdown_table);
        assert!(
            readme.contains(&table),
            "README.ko.md's key table differs from src/app/keymap.rs; it should read:\n{table}"
        );
    }
}
