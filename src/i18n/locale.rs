//! Which language a person asked for: a `--lang` value, a config value, or the POSIX
//! locale variables.

use unic_langid::LanguageIdentifier;

/// A language the catalogues hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    #[default]
    English,
    Korean,
}

impl Language {
    pub const ALL: [Language; 2] = [Language::English, Language::Korean];

    /// The code `--lang` and the config's `lang` take.
    pub fn code(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::Korean => "ko",
        }
    }

    /// `en` or `ko` (case-insensitive); anything else is `None`.
    pub fn from_code(code: &str) -> Option<Language> {
        Language::ALL
            .into_iter()
            .find(|l| l.code().eq_ignore_ascii_case(code.trim()))
    }

    /// The language the locale names, after POSIX's order: the first of `LC_ALL`,
    /// `LC_MESSAGES` and `LANG` that is set and not empty decides; English when it does
    /// not name Korean (`C`, `POSIX`, `en_US.UTF-8`, unset).
    pub fn from_environment() -> Language {
        let var = |name| std::env::var(name).ok();
        language_from_locale(var("LC_ALL"), var("LC_MESSAGES"), var("LANG"))
    }

    pub(super) fn index(self) -> u8 {
        self as u8
    }

    pub(super) fn from_index(index: u8) -> Language {
        if index == Language::Korean.index() {
            Language::Korean
        } else {
            Language::English
        }
    }

    pub(super) fn identifier(self) -> LanguageIdentifier {
        // Both codes are valid language subtags; the parse cannot fail.
        self.code().parse().unwrap_or_default()
    }
}

/// [`Language::from_environment`] on given values (`LC_ALL`, `LC_MESSAGES`, `LANG`), for
/// tests.
pub fn language_from_locale(
    lc_all: Option<String>,
    lc_messages: Option<String>,
    lang: Option<String>,
) -> Language {
    let chosen = [lc_all, lc_messages, lang]
        .into_iter()
        .flatten()
        .find(|value| !value.is_empty());
    match chosen {
        // `ko`, `ko_KR`, `ko_KR.UTF-8`, `ko_KR.eucKR@euro`: the language is what stands
        // before the territory, the codeset and the modifier.
        Some(locale) => {
            let language = locale.split(['_', '.', '@', '-']).next().unwrap_or("");
            Language::from_code(language).unwrap_or(Language::English)
        }
        None => Language::English,
    }
}
