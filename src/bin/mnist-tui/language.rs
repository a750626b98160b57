//! The language of the whole program, chosen before anything is printed, and the command
//! line's help and errors in it.
//!
//! English needs nothing here: clap draws the doc comments of `cli.rs`. In Korean the
//! same [`clap::Command`] gets its texts from the catalogue's `cli-…` messages, keyed by
//! subcommand and flag, and clap's own headings and errors are written in Korean too.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::error::{ContextKind, ErrorKind};
use clap::{Arg, ArgAction, Command, CommandFactory};
use mnist_tui::i18n::{self, Language};
use mnist_tui::{config, tr};

use crate::cli::Cli;

/// The language asked for: `--lang` on the command line, then the config files' `lang`,
/// then the locale. Read before clap parses, so that `--help` is already in it.
pub fn choose(argv: &[OsString], cwd: &Path) -> Language {
    let flag = |name: &str| -> Option<String> {
        let prefix = format!("{name}=");
        argv.iter().enumerate().find_map(|(i, arg)| {
            let arg = arg.to_str()?;
            if arg == name {
                argv.get(i + 1)?.to_str().map(str::to_owned)
            } else {
                arg.strip_prefix(&prefix).map(str::to_owned)
            }
        })
    };
    if let Some(language) = flag("--lang").and_then(|code| Language::from_code(&code)) {
        return language;
    }
    let config_file = flag("--config").map(PathBuf::from);
    config::configured_language(config_file.as_deref(), cwd)
        .unwrap_or_else(Language::from_environment)
}

/// The command line's definition, its texts in this thread's language.
pub fn command() -> Command {
    let command = Cli::command();
    match i18n::language() {
        Language::English => command,
        Language::Korean => {
            let mut command = in_korean(command, None);
            // clap adds its `help` subcommand while building; only then can its text change.
            command.build();
            command.mut_subcommand("help", |help| help.about(tr!("cli-help")))
        }
    }
}

/// `command` and its subcommands with the catalogue's texts; `path` is the subcommand's
/// name (`None` at the top).
fn in_korean(mut command: Command, path: Option<&str>) -> Command {
    let about = path.map_or_else(|| "cli-about".to_owned(), |name| format!("cli-{name}"));
    if i18n::has_message(&about) {
        command = command.about(tr!(&about));
        if command.get_long_about().is_some() {
            command = command.long_about(tr!(&format!("{about}.long")));
        }
    }
    let options = tr!("cli-options");
    let arguments = tr!("cli-arguments");
    command = command
        .help_template(format!(
            "{{before-help}}{{about-with-newline}}\n{} {{usage}}\n\n{{all-args}}{{after-help}}",
            tr!("cli-usage")
        ))
        .subcommand_help_heading(tr!("cli-commands"))
        .disable_help_flag(true)
        .arg(
            Arg::new("help")
                .short('h')
                .long("help")
                .action(ArgAction::Help)
                .help(tr!("cli-arg-help")),
        );
    if path.is_none() {
        command = command.disable_version_flag(true).arg(
            Arg::new("version")
                .short('V')
                .long("version")
                .action(ArgAction::Version)
                .help(tr!("cli-arg-version")),
        );
    }
    let ids: Vec<String> = command
        .get_arguments()
        .map(|a| a.get_id().to_string())
        .collect();
    for id in ids {
        let text = argument_text(path, &id);
        let (options, arguments) = (options.clone(), arguments.clone());
        command = command.mut_arg(&id, move |arg| {
            let heading = if arg.is_positional() {
                arguments
            } else {
                options
            };
            let arg = arg.help_heading(heading);
            match text {
                Some(text) if arg.get_long_help().is_some() => {
                    arg.help(text.clone()).long_help(text)
                }
                Some(text) => arg.help(text),
                None => arg,
            }
        });
    }
    let names: Vec<String> = command
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    for name in names {
        command = command.mut_subcommand(&name, |sub| in_korean(sub, Some(&name)));
    }
    command
}

/// The catalogue's text for flag `id` of subcommand `path`: its own (`cli-train-arg-lr`),
/// else the one the flag has everywhere (`cli-arg-lr`).
fn argument_text(path: Option<&str>, id: &str) -> Option<String> {
    let own = path.map(|name| format!("cli-{name}-arg-{id}"));
    let shared = format!("cli-arg-{id}");
    own.into_iter()
        .chain([shared])
        .find(|key| i18n::has_message(key))
        .map(|key| tr!(&key))
}

/// A manual page's section heading in this thread's language (clap_mangen writes `NAME`,
/// `SYNOPSIS`, `DESCRIPTION`, `OPTIONS`, `SUBCOMMANDS`, `VERSION`).
pub fn man_heading(heading: &str) -> String {
    let id = format!("cli-man-{}", heading.to_lowercase());
    if i18n::language() == Language::Korean && i18n::has_message(&id) {
        tr!(&id)
    } else {
        heading.to_owned()
    }
}

/// The one line a refused command line gets: clap's first line in English, the same in
/// the catalogue's words in Korean (clap writes English only).
pub fn usage_error_line(error: &clap::Error) -> String {
    let english = || {
        let text = error.to_string();
        let first = text
            .lines()
            .next()
            .unwrap_or("error: bad command line")
            .to_owned();
        format!("{first} (see --help)")
    };
    if i18n::language() == Language::English {
        return english();
    }
    let context = |kind| error.get(kind).map(|v| v.to_string()).unwrap_or_default();
    let arg = context(ContextKind::InvalidArg);
    let problem = match error.kind() {
        ErrorKind::UnknownArgument => tr!("cli-error-unknown-argument", arg = arg),
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => tr!(
            "cli-error-invalid-value",
            arg = arg,
            value = context(ContextKind::InvalidValue)
        ),
        ErrorKind::MissingRequiredArgument => tr!("cli-error-missing-required", arg = arg),
        ErrorKind::InvalidSubcommand => tr!(
            "cli-error-unknown-command",
            arg = context(ContextKind::InvalidSubcommand)
        ),
        ErrorKind::ArgumentConflict => tr!(
            "cli-error-conflict",
            arg = arg,
            other = context(ContextKind::PriorArg)
        ),
        ErrorKind::NoEquals | ErrorKind::TooFewValues | ErrorKind::WrongNumberOfValues => {
            tr!("cli-error-missing-value", arg = arg)
        }
        _ => return english(),
    };
    format!("{}: {problem} ({})", tr!("cli-error"), tr!("cli-see-help"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_flag(command: &Command, path: Option<&str>, out: &mut Vec<String>) {
        for arg in command.get_arguments() {
            out.push(format!("{}/{}", path.unwrap_or("-"), arg.get_id()));
        }
        for sub in command.get_subcommands() {
            every_flag(sub, Some(sub.get_name()), out);
        }
    }

    #[test]
    fn every_flag_and_subcommand_has_its_korean_text() {
        i18n::with_language(Language::Korean, || {
            let mut flags = Vec::new();
            every_flag(&Cli::command(), None, &mut flags);
            for flag in flags {
                let (path, id) = flag.split_once('/').unwrap();
                let path = (path != "-").then_some(path);
                assert!(
                    argument_text(path, id).is_some(),
                    "no Korean text for {flag}"
                );
                if let Some(name) = path {
                    assert!(
                        i18n::has_message(&format!("cli-{name}")),
                        "no Korean about for {name}"
                    );
                }
            }
        });
    }

    #[test]
    fn every_korean_command_line_text_names_a_flag_or_subcommand_that_exists() {
        let mut flags = Vec::new();
        every_flag(&Cli::command(), None, &mut flags);
        let names: Vec<String> = Cli::command()
            .get_subcommands()
            .map(|s| s.get_name().to_owned())
            .collect();
        let ids = i18n::catalogue_ids(i18n::KOREAN_CATALOGUE);
        // `cli-about.long`: an attribute belongs to its message.
        let messages = ids.iter().map(|id| id.split('.').next().unwrap_or(id));
        for id in messages.filter(|id| id.starts_with("cli-")) {
            let known = if let Some(flag) = id.strip_prefix("cli-arg-") {
                flags.iter().any(|f| f.ends_with(&format!("/{flag}")))
                    || ["help", "version"].contains(&flag)
            } else if let Some((name, flag)) = id.strip_prefix("cli-").unwrap().split_once("-arg-")
            {
                flags.contains(&format!("{name}/{flag}"))
            } else {
                let rest = id.strip_prefix("cli-").unwrap();
                rest == "about"
                    || rest == "help"
                    || names.iter().any(|n| n == rest)
                    || [
                        "usage",
                        "options",
                        "arguments",
                        "commands",
                        "error",
                        "see-help",
                    ]
                    .contains(&rest)
                    || rest.starts_with("error-")
                    || rest.starts_with("man-")
            };
            assert!(known, "{id} names nothing on the command line");
        }
    }

    #[test]
    fn korean_help_is_in_korean_and_english_help_unchanged() {
        let help = i18n::with_language(Language::Korean, || command().render_help().to_string());
        assert!(help.contains("사용법:"), "{help}");
        assert!(help.contains("Adam 학습률"), "{help}");
        assert!(!help.contains("Adam learning rate"), "{help}");
        let english =
            i18n::with_language(Language::English, || command().render_help().to_string());
        assert_eq!(english, Cli::command().render_help().to_string());
    }

    #[test]
    fn the_flag_beats_the_locale_and_a_bad_flag_value_is_left_to_clap() {
        let argv = |args: &[&str]| args.iter().map(OsString::from).collect::<Vec<_>>();
        let cwd = std::env::temp_dir().join("mnist-tui-no-config-here");
        assert_eq!(
            choose(&argv(&["mnist-tui", "--lang", "ko"]), &cwd),
            Language::Korean
        );
        assert_eq!(
            choose(&argv(&["mnist-tui", "train", "--lang=ko"]), &cwd),
            Language::Korean
        );
        assert_eq!(
            choose(&argv(&["mnist-tui", "--lang", "en"]), &cwd),
            Language::English
        );
    }

    #[test]
    fn a_refused_flag_gets_one_korean_line() {
        i18n::with_language(Language::Korean, || {
            let error = command()
                .try_get_matches_from(["mnist-tui", "--bogus"])
                .unwrap_err();
            let line = usage_error_line(&error);
            assert_eq!(line, "오류: 알 수 없는 인자 '--bogus' (--help 참조)");
        });
    }
}
