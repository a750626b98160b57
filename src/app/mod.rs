//! The dashboard's state, changed only by [`update`] (Elm style). Messages come from the
//! workers' events, from keys and resizes, and from a clock tick; everything the terminal
//! loop must then do (commands for either worker, starting or keeping a branch) comes
//! back from [`update`] as one list of [`Effect`]s.

pub mod branch;
mod clock;
pub mod clusters;
pub mod compare;
mod curves;
pub mod draw_pad;
mod filters;
pub mod finder;
mod history;
pub mod keymap;
mod keys;
mod layers;
mod overlays;
mod report;
mod run;
mod screen;
mod walk;
pub mod workspace;

use crate::tr;
use std::time::{Duration, Instant};

use crossterm::event::{KeyEvent, MouseEvent};

pub use branch::Branch;
pub use clock::Clock;
pub use clusters::ClustersView;
pub use compare::{CompareView, ComparedRun, RunChoice};
pub use curves::CurvesView;
pub use draw_pad::DrawPad;
pub use filters::FiltersView;
pub use finder::{FinderView, SweepOf};
pub use history::{Curve, History, RunMark};
pub use layers::LayersView;
pub use overlays::{Overlays, Prompt};
pub use report::ReportView;
pub use run::RunProgress;
pub use screen::{ColorMode, Screen, MIN_SIZE};
pub use walk::{WalkView, HEAD_ROWS as WALK_HEAD_ROWS};

use crate::train::events::position_label;
use crate::train::{Checkpoint, Command, Event, FileState, RunInfo, SamplePrediction};
use keymap::{key_name, Action};

/// Learning-rate step of `+` / `-`: four presses per decade.
pub const LR_STEP: f64 = 1.778_279_410_038_922_8; // 10^(1/4)
/// A branch starts at the main run's learning rate divided by this (two `-` presses):
/// "what if I had lowered the learning rate here?"
pub const BRANCH_LR_FACTOR: f64 = LR_STEP * LR_STEP;

/// What the training is doing, as the worker last said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunState {
    Starting,
    Running,
    Paused,
    Finished,
    Diverged,
    Stopped,
    /// The worker thread ended without saying so (it panicked).
    Crashed,
}

impl RunState {
    pub const ALL: [RunState; 7] = [
        RunState::Starting,
        RunState::Running,
        RunState::Paused,
        RunState::Finished,
        RunState::Diverged,
        RunState::Stopped,
        RunState::Crashed,
    ];

    pub fn label(self) -> String {
        crate::tr!(match self {
            RunState::Starting => "state-starting",
            RunState::Running => "state-running",
            RunState::Paused => "state-paused",
            RunState::Finished => "state-finished",
            RunState::Diverged => "state-diverged",
            RunState::Stopped => "state-stopped",
            RunState::Crashed => "state-crashed",
        })
    }
}

/// Input to [`update`].
#[derive(Debug, Clone)]
pub enum Msg {
    Worker(Event),
    /// The worker's event channel closed.
    WorkerGone,
    /// An event of the branch's worker.
    Branch(Event),
    /// The branch's event channel closed.
    BranchGone,
    /// A command could not be handed to a worker (its queue was full).
    CommandRefused,
    /// The branch's worker could not be started.
    BranchFailed(String),
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize(u16, u16),
    /// The clock, for elapsed time and speed.
    Tick(Instant),
    /// The terminal answered the graphics query at start-up: it can show pixels.
    GraphicsFound(ratatui_image::picker::Picker),
    /// The recorded runs, listed for the compare picker.
    RunsListed(Vec<crate::train::runs::ListedRun>),
    /// A recorded run's curves, read for the compare overlay.
    RunRead(Box<ComparedRun>),
    /// A recorded run could not be listed or read.
    RunsUnreadable(String),
}

/// What the terminal loop must do after an update.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// A command for the main worker.
    ToMain(Command),
    /// Start a second worker from this state at this learning rate.
    SpawnBranch {
        from: Box<Checkpoint>,
        learning_rate: f64,
        /// Epochs the branch trains to (a finished run's branch gets one more).
        epochs: usize,
    },
    /// A command for the branch's worker.
    ToBranch(Command),
    /// Stop the main worker; the branch's worker becomes the main one.
    PromoteBranch,
    /// List the recorded runs of this directory, for the compare picker.
    ListRuns(std::path::PathBuf),
    /// Read this recorded run's curves, to draw over the live run's, and follow them.
    ReadRun {
        name: String,
        path: std::path::PathBuf,
    },
    /// Stop following the compared run.
    ForgetRun,
}

/// The file a read-only dashboard draws, and whether its run is still being written.
#[derive(Debug, Clone, PartialEq)]
pub struct Viewing {
    pub file: std::path::PathBuf,
    pub state: FileState,
}

/// What the main area shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tab {
    /// Curves, filters and the sample digit together.
    #[default]
    Overview,
    Confusion,
    Mistakes,
    Draw,
    /// The filters and feature maps with the main area to themselves (at 80×24 the
    /// overview has no room for them).
    Filters,
    /// Each layer's weights, gradients, updates and dead units over the run.
    Layers,
    /// The test subset's penultimate features in two dimensions, coloured by label.
    Clusters,
    /// One digit through every layer.
    Walk,
}

impl Tab {
    pub const ALL: [Tab; 8] = [
        Tab::Overview,
        Tab::Confusion,
        Tab::Mistakes,
        Tab::Draw,
        Tab::Filters,
        Tab::Layers,
        Tab::Clusters,
        Tab::Walk,
    ];

    pub fn label(self) -> String {
        crate::tr!(self.text())
    }

    /// The label where the tab line is narrow (80 columns: eight tabs share it).
    pub fn short_label(self) -> String {
        crate::tr!(&format!("{}.short", self.text()))
    }

    fn text(self) -> &'static str {
        match self {
            Tab::Overview => "tab-overview",
            Tab::Confusion => "tab-confusion",
            Tab::Mistakes => "tab-mistakes",
            Tab::Draw => "tab-draw",
            Tab::Filters => "tab-filters",
            Tab::Layers => "tab-layers",
            Tab::Clusters => "tab-clusters",
            Tab::Walk => "tab-walk",
        }
    }

    /// Whether the view shows a digit the saliency overlay explains (the sample or the
    /// drawing), so that the digit keys choose the class to explain there.
    pub fn explains(self) -> bool {
        matches!(self, Tab::Overview | Tab::Draw)
    }
}

/// What the saliency overlay explains, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Why {
    /// The class asked about with a digit key ("why not 3?"); `None`: the prediction.
    pub class: Option<u8>,
    pub by: Explanation,
}

/// The two explanations `w` cycles through, to check one against the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Explanation {
    /// Gradient × input: how the score would move for a small change of each pixel.
    #[default]
    Gradient,
    /// How much the probability drops when a patch hides the pixel.
    Occlusion,
}

impl Explanation {
    pub fn name(self) -> String {
        crate::tr!(match self {
            Explanation::Gradient => "explanation-gradient",
            Explanation::Occlusion => "explanation-occlusion",
        })
    }
}

impl Why {
    /// The class explained for a model that predicts `predicted`.
    pub fn class_for(self, predicted: usize) -> usize {
        self.class.map_or(predicted, usize::from)
    }
}

/// Everything the dashboard shows: the runs, and the state of each view and overlay.
/// Changed only by [`update`].
#[derive(Debug, Clone)]
pub struct App {
    pub info: Option<RunInfo>,
    /// The main run, as its worker reported it.
    pub run: RunProgress,
    pub branch: Option<Branch>,
    /// `b` was pressed and the main worker's state is on its way.
    pub fork_requested: bool,
    /// The view the main area shows.
    pub tab: Tab,
    /// The sample test digit with the model's verdict and feature maps.
    pub sample: Option<Box<SamplePrediction>>,
    pub curves: CurvesView,
    /// A recorded run drawn over the live one, and its picker.
    pub compare: CompareView,
    pub filters: FiltersView,
    pub report: ReportView,
    pub pad: DrawPad,
    pub layers: LayersView,
    pub clusters: ClustersView,
    pub walk: WalkView,
    /// The saliency overlay on the sample and the drawing, and the class it explains
    /// (`None`: the overlay is off).
    pub why: Option<Why>,
    pub overlays: Overlays,
    /// A one-line notice (refused input, a worker crash...).
    pub notice: Option<String>,
    /// The run is a metrics file read back (`mnist-tui view`): nothing can be changed.
    pub viewing: Option<Viewing>,
    pub screen: Screen,
    pub clock: Clock,
    pub quit: bool,
}

impl App {
    /// The digit the Walk view walks: the drawing's (`v`), or the sample's.
    pub fn walked(&self) -> Option<&crate::train::events::Walk> {
        let walk = if self.walk.drawing {
            Some(&self.pad.walk).filter(|_| !self.pad.is_empty())
        } else {
            self.sample.as_deref().map(|s| &s.walk)
        };
        walk.filter(|w| !w.is_empty())
    }

    pub fn new(now: Instant, size: (u16, u16)) -> Self {
        Self {
            info: None,
            run: RunProgress::new(0.0),
            branch: None,
            fork_requested: false,
            tab: Tab::Overview,
            sample: None,
            curves: CurvesView::default(),
            compare: CompareView::default(),
            filters: FiltersView::default(),
            report: ReportView::default(),
            pad: DrawPad::default(),
            layers: LayersView::default(),
            clusters: ClustersView::default(),
            walk: WalkView::default(),
            why: None,
            overlays: Overlays::default(),
            notice: None,
            viewing: None,
            screen: Screen::new(size),
            clock: Clock::new(now),
            quit: false,
        }
    }

    pub fn batches_per_epoch(&self) -> usize {
        self.info.as_ref().map_or(0, |i| i.batches_per_epoch)
    }

    /// Position of the main run in epochs (fractional).
    pub fn progress_epochs(&self) -> f64 {
        self.run.progress_epochs()
    }

    /// Seconds left at the current speed, for the epoch count in force.
    pub fn eta_seconds(&self) -> Option<f64> {
        let info = self.info.as_ref()?;
        let speed = self.clock.samples_per_second?;
        let total = self.run.epochs * info.batches_per_epoch;
        let left = total.saturating_sub(self.run.batches_done) * info.batch_size;
        Some(left as f64 / speed.max(1e-9))
    }

    /// Makes the branch the main run (its worker has become the main worker).
    pub fn promote_branch(&mut self) {
        let Some(b) = self.branch.take() else { return };
        self.run = b.run;
        self.report.report = None;
        self.clock.restart_speed();
        self.notice = Some(tr!(
            "notice-kept-branch",
            lr = format!("{:.3e}", self.run.learning_rate)
        ));
    }

    pub fn too_small(&self) -> bool {
        self.screen.too_small()
    }
}

/// How often the draw pad's verdict is refreshed while the model trains.
const PAD_REFRESH: Duration = Duration::from_millis(500);
/// How long an unanswered draw-pad request waits before it is sent again.
const PAD_RETRY: Duration = Duration::from_secs(2);

/// Applies one message; returns everything the terminal loop must do about it.
pub fn update(app: &mut App, msg: Msg) -> Vec<Effect> {
    let mut effects = match msg {
        Msg::Worker(event) => on_event(app, event),
        Msg::Branch(event) => {
            on_sweep_event(app, SweepOf::Branch, &event);
            if let Some(b) = &mut app.branch {
                b.run.apply(&event);
            }
            Vec::new()
        }
        Msg::BranchGone => {
            if let Some(b) = &mut app.branch {
                b.run.worker_gone();
            }
            Vec::new()
        }
        Msg::BranchFailed(error) => {
            app.branch = None;
            app.notice = Some(tr!("notice-branch-failed", error = error.to_string()));
            Vec::new()
        }
        Msg::CommandRefused => {
            app.notice = Some(tr!("notice-busy"));
            Vec::new()
        }
        Msg::Mouse(mouse) => {
            keys::on_mouse(app, mouse);
            Vec::new()
        }
        Msg::WorkerGone => {
            if app.run.state != RunState::Stopped {
                app.run.worker_gone();
                app.notice.get_or_insert_with(|| tr!("notice-worker-gone"));
            }
            Vec::new()
        }
        Msg::Key(key) => keys::on_key(app, key),
        Msg::Resize(w, h) => {
            app.screen.size = (w, h);
            Vec::new()
        }
        Msg::Tick(now) => {
            tick(app, now);
            Vec::new()
        }
        Msg::GraphicsFound(picker) => {
            app.screen.graphics = Some(picker);
            Vec::new()
        }
        Msg::RunsListed(listed) => {
            let own = app.info.as_ref().and_then(|i| i.recorded_in.clone());
            app.compare.offer(listed, own.as_deref());
            if app.compare.choices.as_ref().is_some_and(Vec::is_empty) {
                app.compare.choices = None;
                app.notice = Some(tr!("notice-nothing-to-compare"));
            }
            Vec::new()
        }
        Msg::RunRead(run) => {
            // The first reading is announced; later ones are the run growing.
            if app.compare.run.is_none() {
                let again = key_name(Action::CompareRun);
                app.notice = Some(tr!("notice-comparing", run = run.name.clone(), key = again));
            }
            app.compare.run = Some(*run);
            Vec::new()
        }
        Msg::RunsUnreadable(problem) => {
            app.notice = Some(problem);
            Vec::new()
        }
    };
    effects.extend(request_pad_prediction(app));
    effects
}

/// Sends the drawing to the worker when it changed and no request is outstanding (so a
/// fast drag never floods the command channel).
pub(crate) fn request_pad_prediction(app: &mut App) -> Option<Effect> {
    // A viewed file has no model to ask.
    let no_model = app.info.is_none() || app.viewing.is_some() || !app.run.is_alive();
    if !app.pad.dirty || app.pad.waiting || no_model {
        return None;
    }
    app.pad.dirty = false;
    if app.pad.is_empty() {
        app.pad.prediction = None;
        return None;
    }
    app.pad.waiting = true;
    app.pad.asked_at = Some(app.clock.now);
    Some(Effect::ToMain(Command::Predict(Box::new(
        app.pad.model_input(),
    ))))
}

fn tick(app: &mut App, now: Instant) {
    app.clock.tick(now, app.run.state == RunState::Running);
    // The model keeps learning: ask again now and then what it makes of the drawing.
    if app.tab == Tab::Draw
        && !app.pad.is_empty()
        && app.run.state == RunState::Running
        && app.pad.asked_before(now, PAD_REFRESH)
    {
        app.pad.dirty = true;
    }
    // A request the worker never answered (dropped while it was busy): ask again.
    if app.pad.waiting && app.pad.asked_before(now, PAD_RETRY) {
        app.pad.waiting = false;
        app.pad.dirty = true;
    }
}

/// The main worker's events: the run's progress, then what only the dashboard shows.
fn on_event(app: &mut App, event: Event) -> Vec<Effect> {
    app.run.apply(&event);
    on_sweep_event(app, SweepOf::Main, &event);
    match event {
        Event::Started(info) => app.info = Some(info),
        Event::Batches(_) => update_speed(app),
        Event::Filters(f) => app.filters.weights = Some(f),
        Event::Sample(s) => app.sample = Some(s),
        Event::Health(report) => app.layers.health.push(*report),
        Event::Projected(p) => app.clusters.on_projection(p),
        Event::Embedded(p) => app.clusters.on_embedding(p),
        Event::Fooled(answer) => {
            app.pad.fooling = false;
            match answer {
                Some(f) => app.pad.fooled = Some(f),
                None => {
                    let largest = crate::model::fool::ladder().last().copied().unwrap_or(0.5);
                    app.notice = Some(tr!("notice-not-fooled", largest = format!("{largest:.2}")));
                }
            }
        }
        Event::TestReport(report) => app.report.on_report(report),
        Event::Predicted(p) => {
            app.pad.waiting = false;
            app.pad.prediction = (!app.pad.is_empty()).then_some(p.probabilities);
            app.pad.saliency = p.saliency;
            app.pad.occlusion = p.occlusion;
            app.pad.walk = p.walk;
        }
        Event::Saved { path, epoch, batch } => {
            app.notice = Some(tr!(
                "notice-saved",
                path = path.display().to_string(),
                position = position_label(epoch, batch)
            ));
        }
        Event::SaveFailed { path, error } => {
            app.notice = Some(tr!(
                "notice-save-failed",
                path = path.display().to_string(),
                error = error.to_string()
            ));
        }
        Event::Warning(w) => app.notice = Some(w),
        Event::Forked(checkpoint) => return fork_branch(app, checkpoint),
        Event::Following { file, state } => app.viewing = Some(Viewing { file, state }),
        _ => {}
    }
    Vec::new()
}

/// A learning-rate sweep's points fill the finder of the run they are of.
fn on_sweep_event(app: &mut App, of: SweepOf, event: &Event) {
    let Some(finder) = app.overlays.finder.as_mut().filter(|f| f.of == of) else {
        return;
    };
    match event {
        Event::SweepPoint(p) => finder.on_point(*p),
        Event::SweepDone(sweep) => finder.on_done(sweep.clone()),
        _ => {}
    }
}

/// The main worker's state arrived: the branch starts from it, if one was asked for.
fn fork_branch(app: &mut App, from: Box<Checkpoint>) -> Vec<Effect> {
    if !std::mem::take(&mut app.fork_requested) || app.branch.is_some() {
        return Vec::new();
    }
    let learning_rate = app.run.learning_rate / BRANCH_LR_FACTOR;
    let at = app.progress_epochs();
    let planned = from.progress.settings.epochs;
    // A branch of a finished run would have nothing left to train: it trains one epoch
    // more (and `]` gives it more, with the main run).
    let epochs = if from.progress.position.epoch >= planned {
        app.notice = Some(tr!(
            "notice-branch-after-end",
            key = key_name(Action::MoreEpochs)
        ));
        from.progress.position.epoch + 1
    } else {
        planned
    };
    app.run.history.marks.push((at, RunMark::Branch));
    app.branch = Some(Branch::new(learning_rate, at));
    vec![Effect::SpawnBranch {
        from,
        learning_rate,
        epochs,
    }]
}

/// Samples per second over the last few seconds of batches.
fn update_speed(app: &mut App) {
    let Some(info) = &app.info else { return };
    // A file read back arrives all at once: its speed is the epochs' own.
    if app.viewing.is_some() {
        return;
    }
    app.clock.on_batches(app.run.batches_done, info.batch_size);
}
