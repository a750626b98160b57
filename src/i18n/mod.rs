//! Every string a person reads, in their language: English (the default) or Korean.
//!
//! The texts live in Fluent catalogues, `assets/locales/en.ftl` and `ko.ftl`, compiled
//! into the binary. Code names a message by its id (`tr!("status-title")`, with named
//! arguments `tr!("status-epoch", done = 3, planned = 15)`); a message missing from the
//! Korean catalogue falls back to the English one, and a test fails when one catalogue
//! has an id the other lacks.
//!
//! The language is chosen once, at start ([`set_language`]): `--lang`, then the config's
//! `lang`, then the locale ([`Language::from_environment`]). A thread may draw in another
//! language for a while ([`with_language`]): the tests draw Korean and English snapshots
//! side by side on their own threads.
//!
//! What machines read never goes through here: `--json`, metrics files, run records and
//! the tutorial's printed lines (`Epoch: 0001 cost = …`) are the same in every language.

mod locale;
pub mod width;

use std::cell::Cell;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::FluentResource;
// For `tr!`'s expansion, so that a caller needs no fluent dependency of its own.
pub use fluent_bundle::{FluentArgs, FluentValue};

pub use locale::{language_from_locale, Language};

/// The catalogues, as shipped.
pub const ENGLISH_CATALOGUE: &str = include_str!("../../assets/locales/en.ftl");
pub const KOREAN_CATALOGUE: &str = include_str!("../../assets/locales/ko.ftl");

/// The process's language, as [`Language::index`]; English until [`set_language`].
static PROCESS_LANGUAGE: AtomicU8 = AtomicU8::new(0);

thread_local! {
    /// A thread's own language while [`with_language`] runs, over the process's.
    static THREAD_LANGUAGE: Cell<Option<Language>> = const { Cell::new(None) };
}

/// Sets the language of every thread that has not chosen its own.
pub fn set_language(language: Language) {
    PROCESS_LANGUAGE.store(language.index(), Ordering::Relaxed);
}

/// The language strings are looked up in on this thread.
pub fn language() -> Language {
    THREAD_LANGUAGE
        .with(Cell::get)
        .unwrap_or_else(|| Language::from_index(PROCESS_LANGUAGE.load(Ordering::Relaxed)))
}

/// Runs `f` with this thread's strings in `language`, then restores what was before (also
/// when `f` panics, so a failing test does not leave its language to the next).
pub fn with_language<T>(language: Language, f: impl FnOnce() -> T) -> T {
    struct Restore(Option<Language>);
    impl Drop for Restore {
        fn drop(&mut self) {
            THREAD_LANGUAGE.with(|l| l.set(self.0));
        }
    }
    let _restore = Restore(THREAD_LANGUAGE.with(|l| l.replace(Some(language))));
    f()
}

fn bundle(language: Language) -> &'static FluentBundle<FluentResource> {
    static BUNDLES: OnceLock<[FluentBundle<FluentResource>; 2]> = OnceLock::new();
    let bundles = BUNDLES.get_or_init(|| {
        [
            load(Language::English, ENGLISH_CATALOGUE),
            load(Language::Korean, KOREAN_CATALOGUE),
        ]
    });
    &bundles[usize::from(language.index())]
}

fn load(language: Language, text: &'static str) -> FluentBundle<FluentResource> {
    // The catalogues are compiled in and parsed by a test: an error here is a bug of
    // this build, not of the user's input.
    let resource = FluentResource::try_new(text.to_owned())
        .unwrap_or_else(|(_, errors)| panic!("{} catalogue: {errors:?}", language.code()));
    let mut bundle = FluentBundle::new_concurrent(vec![language.identifier()]);
    // Fluent wraps each argument in Unicode isolation marks for right-to-left scripts;
    // terminals draw them as stray cells, and neither language here needs them.
    bundle.set_use_isolating(false);
    bundle
        .add_resource(resource)
        .unwrap_or_else(|errors| panic!("{} catalogue: {errors:?}", language.code()));
    bundle
}

/// The message `id` in this thread's language, its `{ $name }` arguments filled in; the
/// English message where the language has none, and the id itself where neither has it
/// (which a test rules out for every id the code names).
pub fn message(id: &str, args: Option<&FluentArgs>) -> String {
    let (key, attribute) = split(id);
    let language = language();
    for candidate in [language, Language::English] {
        let bundle = bundle(candidate);
        let Some(found) = bundle.get_message(key) else {
            continue;
        };
        let pattern = match attribute {
            Some(a) => found.get_attribute(a).map(|a| a.value()),
            None => found.value(),
        };
        if let Some(pattern) = pattern {
            let mut errors = Vec::new();
            return bundle
                .format_pattern(pattern, args, &mut errors)
                .into_owned();
        }
    }
    id.to_owned()
}

/// Whether the catalogue of this thread's language (or English) has `id`.
pub fn has_message(id: &str) -> bool {
    let (key, _) = split(id);
    bundle(language()).has_message(key) || bundle(Language::English).has_message(key)
}

/// `message.attribute` as its two parts; a plain `message` has no attribute.
fn split(id: &str) -> (&str, Option<&str>) {
    match id.split_once('.') {
        Some((key, attribute)) => (key, Some(attribute)),
        None => (id, None),
    }
}

/// The ids a catalogue's text defines: `message` for each message, `message.attribute` for
/// each of its attributes, in the catalogue's order.
pub fn catalogue_ids(text: &str) -> Vec<String> {
    use fluent_syntax::ast::Entry;
    let resource = match fluent_syntax::parser::parse(text) {
        Ok(resource) => resource,
        Err((resource, _)) => resource,
    };
    let mut ids = Vec::new();
    for entry in resource.body {
        if let Entry::Message(message) = entry {
            let id = message.id.name;
            if message.value.is_some() {
                ids.push(id.to_owned());
            }
            for attribute in message.attributes {
                ids.push(format!("{id}.{}", attribute.id.name));
            }
        }
    }
    ids
}

/// The message `id` in this thread's language: `tr!("id")`, or with named arguments
/// `tr!("id", epoch = 3, rate = "1e-3")`. Arguments are anything Fluent takes (numbers
/// stay numbers, for plural rules; strings); format numbers first where their digits
/// matter (`format!("{lr:.0e}")`).
#[macro_export]
macro_rules! tr {
    ($id:expr) => {
        $crate::i18n::message($id, None)
    };
    ($id:expr, $($name:ident = $value:expr),+ $(,)?) => {{
        let mut args = $crate::i18n::FluentArgs::new();
        $( args.set(stringify!($name), $crate::i18n::FluentValue::from($value)); )+
        $crate::i18n::message($id, Some(&args))
    }};
}
