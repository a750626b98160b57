//! Every key binding in one table: which keys, in which views, what they do. The key
//! handler looks keys up here, and the help overlay, the bottom key line and the README's
//! key table are all drawn from it, so they cannot disagree.

mod names;

pub use names::{key_name, markdown_table};

use crossterm::event::KeyCode;

use super::Tab;

/// What a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    PauseOrResume,
    Step,
    RaiseLearningRate,
    LowerLearningRate,
    CycleSchedule,
    TypeLearningRate,
    MoreEpochs,
    FewerEpochs,
    NextView,
    PreviousView,
    ShowView(Tab),
    NewSample,
    Save,
    ToggleLogScale,
    ToggleWholeRun,
    CompareRun,
    ToggleFilterScale,
    Branch,
    KeepBranch,
    KeepMain,
    LowerBranchRate,
    RaiseBranchRate,
    Help,
    // The Mistakes view.
    PreviousMistake,
    NextMistake,
    MistakesBack10,
    MistakesForward10,
    FirstMistake,
    LastMistake,
    // The learning-rate finder.
    FindLearningRate,
    FindBranchLearningRate,
    PreviousSuggestion,
    NextSuggestion,
    ApplySuggestion,
    CloseFinder,
    // The draw pad.
    LeavePad,
    MoveCursor(isize, isize),
    TogglePen,
    ToggleEraser,
    ClearPad,
    // Inside the network.
    ToggleWhy,
    ExplainClass(u8),
    PickPoint(isize, isize),
    ToggleTsne,
    FoolIt,
    PutBack,
    WalkLayer(isize),
    WalkMap(isize),
    WalkLarge,
    WalkSource,
}

impl Action {
    /// Whether the action changes the run (its worker's rate, epochs, schedule, state,
    /// files): what a dashboard drawn from a metrics file cannot do.
    pub fn steers_the_run(self) -> bool {
        use Action::*;
        matches!(
            self,
            PauseOrResume
                | Step
                | RaiseLearningRate
                | LowerLearningRate
                | CycleSchedule
                | TypeLearningRate
                | MoreEpochs
                | FewerEpochs
                | NewSample
                | Save
                | Branch
                | KeepBranch
                | KeepMain
                | LowerBranchRate
                | RaiseBranchRate
                | FindLearningRate
                | FindBranchLearningRate
        )
    }
}

/// Where a binding works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Views {
    /// Every view (the draw pad passes on the keys it does not take).
    All,
    Only(Tab),
    /// While the learning-rate finder is open, over any view.
    Finder,
    /// While the saliency overlay is on, in the views it explains ([`Tab::explains`]).
    Why,
}

impl Views {
    pub fn contains(self, tab: Tab) -> bool {
        match self {
            Views::All => true,
            Views::Only(t) => t == tab,
            Views::Finder | Views::Why => false,
        }
    }

    pub fn label(self) -> String {
        match self {
            Views::All => crate::tr!("views-all"),
            Views::Only(t) => t.label(),
            Views::Finder => crate::tr!("views-finder"),
            Views::Why => crate::tr!("views-why"),
        }
    }
}

/// One row of the table: keys written as the user reads them, the key codes and what each
/// does, where it works, its text in the catalogue (the help line, and as `.short` the
/// word of the key line), and the views whose key line lists it.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub keys: &'static str,
    pub codes: &'static [(KeyCode, Action)],
    pub views: Views,
    /// The catalogue id of its help text; its `.short` attribute is the key line's word.
    pub text: &'static str,
    /// The views whose bottom line shows this binding, most used first in table order.
    pub key_line: &'static [Tab],
}

impl Binding {
    /// What the binding does, as the help overlay says it.
    pub fn help(&self) -> String {
        crate::tr!(self.text)
    }

    /// The binding's word on the key line.
    pub fn short(&self) -> String {
        crate::tr!(&format!("{}.short", self.text))
    }

    /// The keys as the bottom line writes them: the first of a list, pairs without
    /// spaces (`q`, `+/-`).
    pub fn keys_short(&self) -> String {
        let first = self.keys.split(", ").next().unwrap_or(self.keys);
        first.replace(" / ", "/")
    }
}

const OVERVIEW: &[Tab] = &[Tab::Overview, Tab::Confusion];
const MOST: &[Tab] = &[
    Tab::Overview,
    Tab::Confusion,
    Tab::Mistakes,
    Tab::Filters,
    Tab::Layers,
    Tab::Clusters,
];
const EVERY: &[Tab] = &Tab::ALL;
const EXPLAINED: &[Tab] = &[Tab::Overview, Tab::Draw];
const CLUSTERS: &[Tab] = &[Tab::Clusters];
const WALK: &[Tab] = &[Tab::Walk];
const FILTERS: &[Tab] = &[Tab::Filters];
const DRAW: &[Tab] = &[Tab::Draw];
const MISTAKES: &[Tab] = &[Tab::Mistakes];

/// The digit keys' classes while the saliency overlay is on.
const CLASS_KEYS: &[(KeyCode, Action)] = &[
    (Char('0'), ExplainClass(0)),
    (Char('1'), ExplainClass(1)),
    (Char('2'), ExplainClass(2)),
    (Char('3'), ExplainClass(3)),
    (Char('4'), ExplainClass(4)),
    (Char('5'), ExplainClass(5)),
    (Char('6'), ExplainClass(6)),
    (Char('7'), ExplainClass(7)),
    (Char('8'), ExplainClass(8)),
    (Char('9'), ExplainClass(9)),
];

use Action::*;
use KeyCode::Char;

/// The bindings, in the order the key line and the help list them (the most used first:
/// the key line is cut at the terminal's edge). A view's own bindings win over those of
/// every view wherever they stand ([`action_for`]): `space` on the draw pad puts the pen
/// down instead of pausing.
pub const BINDINGS: &[Binding] = &[
    Binding {
        keys: "Esc",
        codes: &[(KeyCode::Esc, LeavePad)],
        views: Views::Only(Tab::Draw),
        text: "key-back",
        key_line: DRAW,
    },
    Binding {
        keys: "mouse",
        codes: &[],
        views: Views::Only(Tab::Draw),
        text: "key-drag-draws-right-erases",
        key_line: DRAW,
    },
    Binding {
        keys: "arrows",
        codes: &[
            (KeyCode::Left, MoveCursor(-1, 0)),
            (KeyCode::Right, MoveCursor(1, 0)),
            (KeyCode::Up, MoveCursor(0, -1)),
            (KeyCode::Down, MoveCursor(0, 1)),
        ],
        views: Views::Only(Tab::Draw),
        text: "key-move",
        key_line: DRAW,
    },
    Binding {
        keys: "space",
        codes: &[(Char(' '), TogglePen)],
        views: Views::Only(Tab::Draw),
        text: "key-pen-down",
        key_line: DRAW,
    },
    Binding {
        keys: "x",
        codes: &[(Char('x'), ToggleEraser)],
        views: Views::Only(Tab::Draw),
        text: "key-eraser",
        key_line: DRAW,
    },
    Binding {
        keys: "c",
        codes: &[(Char('c'), ClearPad)],
        views: Views::Only(Tab::Draw),
        text: "key-clear",
        key_line: DRAW,
    },
    Binding {
        keys: "arrows",
        codes: &[
            (KeyCode::Left, PickPoint(-1, 0)),
            (KeyCode::Right, PickPoint(1, 0)),
            (KeyCode::Up, PickPoint(0, 1)),
            (KeyCode::Down, PickPoint(0, -1)),
        ],
        views: Views::Only(Tab::Clusters),
        text: "key-pick-a-point",
        key_line: CLUSTERS,
    },
    Binding {
        keys: "↑ / ↓",
        codes: &[(KeyCode::Up, WalkLayer(-1)), (KeyCode::Down, WalkLayer(1))],
        views: Views::Only(Tab::Walk),
        text: "key-layer",
        key_line: WALK,
    },
    Binding {
        keys: "← / →",
        codes: &[(KeyCode::Left, WalkMap(-1)), (KeyCode::Right, WalkMap(1))],
        views: Views::Only(Tab::Walk),
        text: "key-map",
        key_line: WALK,
    },
    Binding {
        keys: "Enter",
        codes: &[(KeyCode::Enter, WalkLarge)],
        views: Views::Only(Tab::Walk),
        text: "key-large",
        key_line: WALK,
    },
    Binding {
        keys: "v",
        codes: &[(Char('v'), WalkSource)],
        views: Views::Only(Tab::Walk),
        text: "key-drawing-sample",
        key_line: WALK,
    },
    Binding {
        keys: "t",
        codes: &[(Char('t'), ToggleTsne)],
        views: Views::Only(Tab::Clusters),
        text: "key-tsne",
        key_line: CLUSTERS,
    },
    Binding {
        keys: "q, Esc, Ctrl-C",
        codes: &[(Char('q'), Quit), (KeyCode::Esc, Quit)],
        views: Views::All,
        text: "key-quit",
        key_line: MOST,
    },
    Binding {
        keys: "← / →",
        codes: &[
            (KeyCode::Left, PreviousMistake),
            (KeyCode::Right, NextMistake),
        ],
        views: Views::Only(Tab::Mistakes),
        text: "key-browse",
        key_line: MISTAKES,
    },
    Binding {
        keys: "PgUp / PgDn",
        codes: &[
            (KeyCode::PageUp, MistakesBack10),
            (KeyCode::PageDown, MistakesForward10),
        ],
        views: Views::Only(Tab::Mistakes),
        text: "key-ten",
        key_line: MISTAKES,
    },
    Binding {
        keys: "Home / End",
        codes: &[(KeyCode::Home, FirstMistake), (KeyCode::End, LastMistake)],
        views: Views::Only(Tab::Mistakes),
        text: "key-ends",
        key_line: &[],
    },
    Binding {
        keys: "space",
        codes: &[(Char(' '), PauseOrResume)],
        views: Views::All,
        text: "key-pause",
        key_line: MOST,
    },
    Binding {
        keys: "+ / -",
        codes: &[
            (Char('+'), RaiseLearningRate),
            (Char('='), RaiseLearningRate),
            (Char('-'), LowerLearningRate),
            (Char('_'), LowerLearningRate),
        ],
        views: Views::All,
        text: "key-lr",
        key_line: MOST,
    },
    Binding {
        keys: "] / [",
        codes: &[(Char(']'), MoreEpochs), (Char('['), FewerEpochs)],
        views: Views::All,
        text: "key-epochs",
        key_line: OVERVIEW,
    },
    Binding {
        keys: "Tab, 1-8",
        codes: &[
            (KeyCode::Tab, NextView),
            (KeyCode::BackTab, PreviousView),
            (Char('1'), ShowView(Tab::Overview)),
            (Char('2'), ShowView(Tab::Confusion)),
            (Char('3'), ShowView(Tab::Mistakes)),
            (Char('4'), ShowView(Tab::Draw)),
            (Char('5'), ShowView(Tab::Filters)),
            (Char('6'), ShowView(Tab::Layers)),
            (Char('7'), ShowView(Tab::Clusters)),
            (Char('8'), ShowView(Tab::Walk)),
        ],
        views: Views::All,
        text: "key-view",
        key_line: MOST,
    },
    Binding {
        keys: "d",
        codes: &[(Char('d'), ShowView(Tab::Draw))],
        views: Views::All,
        text: "key-draw",
        key_line: OVERVIEW,
    },
    Binding {
        keys: "w",
        codes: &[(Char('w'), ToggleWhy)],
        views: Views::All,
        text: "key-why",
        key_line: EXPLAINED,
    },
    Binding {
        keys: "0-9",
        codes: CLASS_KEYS,
        views: Views::Why,
        text: "key-why-class",
        key_line: &[],
    },
    Binding {
        keys: "a",
        codes: &[(Char('a'), FoolIt)],
        views: Views::Only(Tab::Draw),
        text: "key-fool-it",
        key_line: DRAW,
    },
    Binding {
        keys: "u",
        codes: &[(Char('u'), PutBack)],
        views: Views::Only(Tab::Draw),
        text: "key-put-back",
        key_line: DRAW,
    },
    Binding {
        keys: "?",
        codes: &[(Char('?'), Help)],
        views: Views::All,
        text: "key-help",
        key_line: EVERY,
    },
    Binding {
        keys: ".",
        codes: &[(Char('.'), Step)],
        views: Views::All,
        text: "key-step",
        key_line: OVERVIEW,
    },
    Binding {
        keys: "l",
        codes: &[(Char('l'), TypeLearningRate)],
        views: Views::All,
        text: "key-set-lr",
        key_line: OVERVIEW,
    },
    Binding {
        keys: "n",
        codes: &[(Char('n'), NewSample)],
        views: Views::All,
        text: "key-digit",
        key_line: OVERVIEW,
    },
    Binding {
        keys: "s",
        codes: &[(Char('s'), Save)],
        views: Views::All,
        text: "key-save",
        key_line: OVERVIEW,
    },
    Binding {
        keys: "S",
        codes: &[(Char('S'), CycleSchedule)],
        views: Views::All,
        text: "key-schedule",
        key_line: &[],
    },
    Binding {
        keys: "f / F",
        codes: &[
            (Char('f'), FindLearningRate),
            (Char('F'), FindBranchLearningRate),
        ],
        views: Views::All,
        text: "key-find-lr",
        key_line: &[],
    },
    Binding {
        keys: "← / →",
        codes: &[
            (KeyCode::Left, PreviousSuggestion),
            (KeyCode::Right, NextSuggestion),
        ],
        views: Views::Finder,
        text: "key-choose",
        key_line: &[],
    },
    Binding {
        keys: "Enter",
        codes: &[(KeyCode::Enter, ApplySuggestion)],
        views: Views::Finder,
        text: "key-apply",
        key_line: &[],
    },
    Binding {
        keys: "Esc",
        codes: &[(KeyCode::Esc, CloseFinder)],
        views: Views::Finder,
        text: "key-discard",
        key_line: &[],
    },
    Binding {
        keys: "L",
        codes: &[(Char('L'), ToggleLogScale)],
        views: Views::All,
        text: "key-log",
        key_line: &[],
    },
    Binding {
        keys: "z",
        codes: &[(Char('z'), ToggleWholeRun)],
        views: Views::All,
        text: "key-whole-run",
        key_line: &[],
    },
    Binding {
        keys: "o",
        codes: &[(Char('o'), CompareRun)],
        views: Views::All,
        text: "key-compare",
        key_line: &[],
    },
    Binding {
        keys: "p",
        codes: &[(Char('p'), ToggleFilterScale)],
        views: Views::All,
        text: "key-filter-scale",
        key_line: FILTERS,
    },
    Binding {
        keys: "b",
        codes: &[(Char('b'), Branch)],
        views: Views::All,
        text: "key-branch",
        key_line: &[],
    },
    Binding {
        keys: "k / m, ( / )",
        codes: &[
            (Char('k'), KeepBranch),
            (Char('m'), KeepMain),
            (Char('('), LowerBranchRate),
            (Char(')'), RaiseBranchRate),
        ],
        views: Views::All,
        text: "key-keep",
        key_line: &[],
    },
];

/// What `code` does in `tab`, if anything: the view's own bindings first.
pub fn action_for(tab: Tab, code: KeyCode) -> Option<Action> {
    let in_view = |b: &&Binding| b.views.contains(tab);
    let specific = BINDINGS
        .iter()
        .filter(in_view)
        .filter(|b| b.views != Views::All);
    let general = BINDINGS.iter().filter(|b| b.views == Views::All);
    specific
        .chain(general)
        .flat_map(|b| b.codes.iter())
        .find(|(c, _)| *c == code)
        .map(|&(_, action)| action)
}

/// What `code` does while the learning-rate finder is open, if it is one of its keys.
pub fn finder_action_for(code: KeyCode) -> Option<Action> {
    overlay_action_for(Views::Finder, code)
}

/// What `code` does while the saliency overlay is on, if it is one of its keys.
pub fn why_action_for(code: KeyCode) -> Option<Action> {
    overlay_action_for(Views::Why, code)
}

fn overlay_action_for(views: Views, code: KeyCode) -> Option<Action> {
    BINDINGS
        .iter()
        .filter(|b| b.views == views)
        .flat_map(|b| b.codes.iter())
        .find(|(c, _)| *c == code)
        .map(|&(_, action)| action)
}

/// The bindings the bottom line shows in `tab`, in order.
pub fn key_line(tab: Tab) -> impl Iterator<Item = &'static Binding> {
    BINDINGS.iter().filter(move |b| b.key_line.contains(&tab))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_views_own_keys_win_over_the_keys_of_every_view() {
        assert_eq!(action_for(Tab::Draw, Char(' ')), Some(TogglePen));
        assert_eq!(action_for(Tab::Overview, Char(' ')), Some(PauseOrResume));
        assert_eq!(action_for(Tab::Draw, KeyCode::Esc), Some(LeavePad));
        assert_eq!(action_for(Tab::Mistakes, KeyCode::Esc), Some(Quit));
        assert_eq!(
            action_for(Tab::Mistakes, KeyCode::Left),
            Some(PreviousMistake)
        );
        assert_eq!(action_for(Tab::Overview, KeyCode::Left), None);
        // Keys the pad does not take still work there.
        assert_eq!(action_for(Tab::Draw, Char('q')), Some(Quit));
    }

    #[test]
    fn no_key_means_two_things_in_one_view() {
        for tab in Tab::ALL {
            let mut seen = Vec::new();
            for b in BINDINGS.iter().filter(|b| b.views == Views::Only(tab)) {
                for (code, _) in b.codes {
                    assert!(!seen.contains(code), "{code:?} twice in {tab:?}");
                    seen.push(*code);
                }
            }
            let mut general = Vec::new();
            let mut finder = Vec::new();
            for b in BINDINGS.iter().filter(|b| b.views == Views::Finder) {
                for (code, _) in b.codes {
                    assert!(!finder.contains(code), "{code:?} twice in the finder");
                    finder.push(*code);
                }
            }
            for b in BINDINGS.iter().filter(|b| b.views == Views::All) {
                for (code, _) in b.codes {
                    assert!(!general.contains(code), "{code:?} twice");
                    general.push(*code);
                }
            }
        }
    }
}
