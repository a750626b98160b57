//! The dashboard's terminal loop: sets the terminal up and always restores it (on quit, on
//! error, on panic), turns keys, resizes and worker events into messages for
//! [`mnist_tui::app::update`], and redraws at most ~30 times a second.

use std::io::{stdout, Stdout};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use crossbeam_channel::{select, unbounded, Receiver, Sender, TrySendError};
use crossterm::event::{
    self, DisableMouseCapture, EnableMouseCapture, Event as TermEvent, MouseEventKind,
};
use crossterm::execute;
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;

use mnist_tui::app::{update, App, ColorMode, ComparedRun, Effect, Msg, RunState};
use mnist_tui::train::runs;
use mnist_tui::train::{Checkpoint, Command, Event, WorkerHandle};

/// Shortest time between two frames redrawn for training progress. The UI shares the two
/// cores with the kernels, whose parallel loops all wait for a preempted thread, so
/// progress draws five times a second; keys draw at once (~30 fps cap).
const FRAME: Duration = Duration::from_millis(200);
/// How long after a command the loop wakes for each worker event, so the reply shows at
/// once.
const ATTENTIVE: Duration = Duration::from_secs(2);
/// Shortest time between two frames after a key press.
const KEY_FRAME: Duration = Duration::from_millis(33);
/// How long to wait for the worker to stop at a batch boundary after `q`.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// A panic message from a thread other than the UI's (the worker), shown after exit.
static WORKER_PANIC: OnceLock<Mutex<Option<String>>> = OnceLock::new();

pub fn restore_terminal() {
    let _ = disable_raw_mode();
    let _ = execute!(
        stdout(),
        DisableMouseCapture,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

/// Restores the terminal before the default panic message is printed; a panic on a
/// worker thread leaves the dashboard up (it shows the crash) and is reported at exit.
/// Installed once, however many screens the process opens.
pub fn install_panic_hook() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(install_panic_hook_now);
}

fn install_panic_hook_now() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let ui_thread = std::thread::current().name() == Some("main");
        if ui_thread {
            restore_terminal();
            default(info);
        } else {
            let slot = WORKER_PANIC.get_or_init(|| Mutex::new(None));
            if let Ok(mut s) = slot.lock() {
                s.get_or_insert_with(|| info.to_string());
            }
        }
    }));
}

/// The terminal in raw mode on the alternate screen, restored when dropped.
pub struct TerminalGuard(pub Terminal<CrosstermBackend<Stdout>>);

impl TerminalGuard {
    /// Raw mode, the alternate screen and mouse reports, the screen cleared.
    pub fn enter() -> anyhow::Result<TerminalGuard> {
        install_panic_hook();
        let term = TerminalGuard(fresh_screen()?);
        Ok(term)
    }

    /// Takes the terminal back after another screen restored it, and redraws whole.
    pub fn reenter(&mut self) -> anyhow::Result<()> {
        self.0 = fresh_screen()?;
        Ok(())
    }
}

/// Raw mode and a cleared alternate screen, with a terminal that draws every cell anew.
/// Cleared by an escape code rather than `Terminal::clear`, which asks the terminal where
/// its cursor is: an answer the input thread, once reading, would take for keys.
fn fresh_screen() -> anyhow::Result<Terminal<CrosstermBackend<Stdout>>> {
    enable_raw_mode()?;
    execute!(
        stdout(),
        EnterAlternateScreen,
        EnableMouseCapture,
        crossterm::terminal::Clear(crossterm::terminal::ClearType::All)
    )?;
    Ok(Terminal::new(CrosstermBackend::new(stdout()))?)
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

/// How images are drawn (`--graphics`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Graphics {
    /// Real pixels where the terminal has a graphics protocol (kitty, sixel, iTerm2);
    /// half blocks elsewhere, and always inside tmux.
    #[default]
    Auto,
    /// Half blocks everywhere.
    Halfblocks,
}

/// Asks the terminal which graphics protocol it speaks. Inside tmux the answer would be
/// the outer terminal's, which tmux does not pass images to: half blocks there.
fn graphics_protocol(choice: Graphics) -> Option<ratatui_image::picker::Picker> {
    if choice == Graphics::Halfblocks || std::env::var_os("TMUX").is_some() {
        return None;
    }
    let picker = ratatui_image::picker::Picker::from_query_stdio().ok()?;
    (picker.protocol_type() != ratatui_image::picker::ProtocolType::Halfblocks).then_some(picker)
}

/// Terminal events, read on their own thread so the UI can wait on all its inputs at once.
/// One thread for the whole process: the workspace and the dashboards it opens take turns
/// on the same receiver, so no key goes to a screen that has closed.
pub fn input() -> Receiver<TermEvent> {
    static INPUT: OnceLock<Receiver<TermEvent>> = OnceLock::new();
    INPUT
        .get_or_init(|| {
            let (tx, rx) = unbounded();
            std::thread::Builder::new()
                .name("input".into())
                .spawn(move || {
                    while let Ok(e) = event::read() {
                        if tx.send(e).is_err() {
                            break;
                        }
                    }
                })
                .expect("cannot start the input thread");
            rx
        })
        .clone()
}

/// Starts a second worker from a run's state at a learning rate, for a number of epochs
/// (the `b` branch).
pub type SpawnBranch = dyn Fn(Box<Checkpoint>, f64, usize) -> anyhow::Result<WorkerHandle> + Send;

/// One worker's channel ends, the main worker's and the branch's alike.
struct WorkerLink {
    /// `None` once the worker's event channel closed.
    events: Option<Receiver<Event>>,
    commands: Sender<Command>,
}

impl WorkerLink {
    fn new(w: WorkerHandle) -> (Self, std::thread::JoinHandle<()>) {
        let link = Self {
            events: Some(w.events),
            commands: w.commands,
        };
        (link, w.thread)
    }

    /// Takes every event waiting, noting when the worker has gone.
    fn drain(&mut self, wrap: fn(Event) -> Msg, gone: Msg, msgs: &mut Vec<Msg>) {
        let Some(r) = &self.events else { return };
        loop {
            match r.try_recv() {
                Ok(e) => msgs.push(wrap(e)),
                Err(crossbeam_channel::TryRecvError::Empty) => return,
                Err(crossbeam_channel::TryRecvError::Disconnected) => {
                    self.events = None;
                    msgs.push(gone);
                    return;
                }
            }
        }
    }

    /// The event channel to wait on, or one that never fires.
    fn events_or_never(&self, listen: bool) -> Receiver<Event> {
        match &self.events {
            Some(r) if listen => r.clone(),
            _ => crossbeam_channel::never(),
        }
    }

    /// Hands over a command without ever waiting: a full queue (64 unanswered commands)
    /// means the worker is busy, and the user is told.
    fn send(&self, cmd: Command) -> Option<Msg> {
        match self.commands.try_send(cmd) {
            Err(TrySendError::Full(_)) => Some(Msg::CommandRefused),
            _ => None,
        }
    }
}

/// The workers the dashboard talks to.
struct Workers {
    main: WorkerLink,
    branch: Option<WorkerLink>,
    /// Not a worker, but read like one: the recorded run drawn over the live one.
    compared: Option<ComparedFile>,
}

impl Workers {
    /// Carries out what an update asked for; failures come back as messages.
    fn perform(&mut self, effect: Effect, spawn_branch: &SpawnBranch) -> Option<Msg> {
        match effect {
            Effect::ToMain(cmd) => self.main.send(cmd),
            Effect::SpawnBranch {
                from,
                learning_rate,
                epochs,
            } => match spawn_branch(from, learning_rate, epochs) {
                Ok(w) => {
                    // The branch's thread is not joined: it stops with the main one.
                    self.branch = Some(WorkerLink::new(w).0);
                    None
                }
                Err(e) => Some(Msg::BranchFailed(format!("{e:#}"))),
            },
            Effect::ToBranch(cmd) => {
                let stop = cmd == Command::Stop;
                if let Some(b) = &self.branch {
                    let _ = b.commands.try_send(cmd);
                }
                if stop {
                    self.branch = None;
                }
                None
            }
            Effect::PromoteBranch => {
                if let Some(b) = self.branch.take() {
                    let _ = self.main.commands.try_send(Command::Stop);
                    self.main = b;
                }
                None
            }
            // A few small summaries: read on the UI thread.
            Effect::ListRuns(dir) => Some(match runs::list(&dir) {
                Ok(listed) => Msg::RunsListed(listed),
                Err(e) => Msg::RunsUnreadable(e.to_string()),
            }),
            Effect::ReadRun { name, path } => match ComparedFile::open(name, &path) {
                Ok((file, msg)) => {
                    self.compared = Some(file);
                    Some(msg)
                }
                Err(problem) => Some(Msg::RunsUnreadable(problem)),
            },
            Effect::ForgetRun => {
                self.compared = None;
                None
            }
        }
    }

    fn stop_all(&self) {
        let _ = self.main.commands.send(Command::Stop);
        if let Some(b) = &self.branch {
            let _ = b.commands.try_send(Command::Stop);
        }
    }
}

/// How often a compared run's file is looked at for new lines (it may still be training).
const COMPARED_POLL: Duration = Duration::from_secs(1);

/// A recorded run drawn over the live one (`o`), followed while its file grows.
struct ComparedFile {
    name: String,
    reader: runs::CurvesReader,
    polled: Instant,
}

impl ComparedFile {
    /// Reads the run's whole metrics file (a 15-epoch run's is about 1.4 MB: a few
    /// milliseconds).
    fn open(name: String, path: &std::path::Path) -> Result<(ComparedFile, Msg), String> {
        let failed = |e: String| format!("{name}: {e}");
        let mut reader = runs::CurvesReader::open(path).map_err(|e| failed(e.to_string()))?;
        while reader.poll().map_err(failed)? {}
        let msg = Msg::RunRead(Box::new(ComparedRun {
            name: name.clone(),
            curves: reader.curves.clone(),
        }));
        let file = ComparedFile {
            name,
            reader,
            polled: Instant::now(),
        };
        Ok((file, msg))
    }

    /// What the file gained since the last look, at most once a second.
    fn poll(&mut self) -> Option<Msg> {
        if self.polled.elapsed() < COMPARED_POLL {
            return None;
        }
        self.polled = Instant::now();
        match self.reader.poll() {
            Ok(true) => Some(Msg::RunRead(Box::new(ComparedRun {
                name: self.name.clone(),
                curves: self.reader.curves.clone(),
            }))),
            _ => None,
        }
    }
}

/// When to collect worker events and redraw.
struct FrameClock {
    next_frame: Instant,
    last_frame: Instant,
    dirty: bool,
    /// Until then the loop wakes for every worker event (a reply to a command is due);
    /// otherwise it collects them once a frame, so the UI thread does not wake ~25 times a
    /// second and preempt a kernel thread that the other one then waits for.
    attentive_until: Instant,
    quit_at: Option<Instant>,
}

impl FrameClock {
    fn new(now: Instant) -> Self {
        Self {
            next_frame: now,
            last_frame: now,
            dirty: true,
            attentive_until: now,
            quit_at: None,
        }
    }

    /// Keys, and the workers' answers to them, draw at once (within the ~30 fps cap), not
    /// after the progress interval.
    fn note(&mut self, msg: &Msg) {
        let urgent = match msg {
            Msg::Worker(e) | Msg::Branch(e) => !matches!(e, Event::Batches(_) | Event::Filters(_)),
            _ => true,
        };
        if urgent {
            self.next_frame = self.next_frame.min(self.last_frame + KEY_FRAME);
        }
        self.dirty = true;
    }
}

/// Collects the next messages: on a frame, every event the workers sent since the last
/// one; between frames, whichever input comes first (or none, at the frame's time).
fn collect_inputs(
    workers: &mut Workers,
    input: &Receiver<TermEvent>,
    app: &App,
    clock: &FrameClock,
) -> Vec<Msg> {
    let now = Instant::now();
    let mut msgs = Vec::new();
    if now >= clock.next_frame {
        msgs.extend(workers.compared.as_mut().and_then(ComparedFile::poll));
        workers.main.drain(Msg::Worker, Msg::WorkerGone, &mut msgs);
        if let Some(b) = &mut workers.branch {
            b.drain(Msg::Branch, Msg::BranchGone, &mut msgs);
        }
        return msgs;
    }
    let listen = now < clock.attentive_until
        || app.run.state != RunState::Running
        || app.pad.waiting
        || app.fork_requested;
    let main_rx = workers.main.events_or_never(listen);
    let branch_rx = workers
        .branch
        .as_ref()
        .map_or_else(crossbeam_channel::never, |b| b.events_or_never(listen));
    select! {
        recv(main_rx) -> e => match e {
            Ok(e) => {
                msgs.push(Msg::Worker(e));
                // Coalesce a burst: take what is already waiting.
                msgs.extend(main_rx.try_iter().take(256).map(Msg::Worker));
            }
            Err(_) => {
                workers.main.events = None;
                msgs.push(Msg::WorkerGone);
            }
        },
        recv(branch_rx) -> e => match e {
            Ok(e) => {
                msgs.push(Msg::Branch(e));
                msgs.extend(branch_rx.try_iter().take(256).map(Msg::Branch));
            }
            Err(_) => {
                if let Some(b) = &mut workers.branch {
                    b.events = None;
                }
                msgs.push(Msg::BranchGone);
            }
        },
        recv(input) -> e => match e {
            Ok(TermEvent::Key(k)) => msgs.push(Msg::Key(k)),
            Ok(TermEvent::Resize(w, h)) => msgs.push(Msg::Resize(w, h)),
            Ok(TermEvent::Mouse(m)) if m.kind != MouseEventKind::Moved => msgs.push(Msg::Mouse(m)),
            Ok(_) => {}
            // The terminal is gone: quit as `q` would.
            Err(_) => msgs.push(Msg::Key(crossterm::event::KeyCode::Char('q').into())),
        },
        default(clock.next_frame.saturating_duration_since(now)) => {}
    }
    msgs
}

/// Updates the state with each message and carries out what the update asks, feeding
/// failures back in as messages.
fn dispatch(
    app: &mut App,
    msgs: Vec<Msg>,
    workers: &mut Workers,
    clock: &mut FrameClock,
    spawn_branch: &SpawnBranch,
) {
    let mut queue = std::collections::VecDeque::from(msgs);
    while let Some(msg) = queue.pop_front() {
        clock.note(&msg);
        let effects = update(app, msg);
        if !effects.is_empty() {
            clock.attentive_until = Instant::now() + ATTENTIVE;
        }
        queue.extend(
            effects
                .into_iter()
                .filter_map(|e| workers.perform(e, spawn_branch)),
        );
    }
}

/// Redraws when a frame is due and something changed (while training runs, the clock
/// and the progress change every frame).
fn draw_if_due(
    term: &mut TerminalGuard,
    app: &mut App,
    workers: &mut Workers,
    clock: &mut FrameClock,
    spawn_branch: &SpawnBranch,
    frame_due: bool,
) -> anyhow::Result<()> {
    let now = Instant::now();
    if !frame_due || now < clock.next_frame {
        return Ok(());
    }
    if clock.dirty || app.run.state == RunState::Running {
        dispatch(app, vec![Msg::Tick(now)], workers, clock, spawn_branch);
        term.0.draw(|f| mnist_tui::ui::draw(f, app))?;
        clock.dirty = false;
        clock.last_frame = now;
        if app.run.batches_done >= 3 && mnist_tui::fault::injected("panic-ui") {
            panic!("injected fault: the UI panicked");
        }
    }
    clock.next_frame = now + FRAME;
    Ok(())
}

/// After a quit: whether the worker has stopped, or the grace period is over.
fn quit_done(app: &App, workers: &Workers, clock: &mut FrameClock) -> bool {
    if !app.quit {
        return false;
    }
    let deadline = *clock
        .quit_at
        .get_or_insert_with(|| Instant::now() + STOP_GRACE);
    let worker_done = workers.main.events.is_none() || app.run.state == RunState::Stopped;
    worker_done || Instant::now() >= deadline
}

/// How often the dashboard looks whether the run has started.
const START_POLL: Duration = Duration::from_millis(20);

/// What [`run`] is given to start the run with.
type Started = (WorkerHandle, Box<SpawnBranch>);

/// Starts the run on a thread of its own (decoding the embedded data takes ~0.3 s)
/// while the dashboard stays up: resizes redraw, a quit key quits (`None`), other keys
/// wait to be applied once the run is there.
fn wait_for_start(
    start: impl FnOnce() -> anyhow::Result<Started> + Send + 'static,
    input: &Receiver<TermEvent>,
    app: &mut App,
    term: &mut TerminalGuard,
) -> anyhow::Result<Option<(Started, Vec<Msg>)>> {
    let starting = std::thread::Builder::new()
        .name("start".into())
        .spawn(start)?;
    let mut early = Vec::new();
    while !starting.is_finished() {
        let Ok(event) = input.recv_timeout(START_POLL) else {
            continue;
        };
        match event {
            TermEvent::Key(k) if is_quit(&k) => return Ok(None),
            TermEvent::Key(k) => early.push(Msg::Key(k)),
            TermEvent::Resize(w, h) => {
                update(app, Msg::Resize(w, h));
                term.0.draw(|f| mnist_tui::ui::draw(f, app))?;
            }
            _ => {}
        }
    }
    let started = starting
        .join()
        .map_err(|_| anyhow::anyhow!("starting the run panicked"))??;
    Ok(Some((started, early)))
}

/// `q`, `Esc` or Ctrl-C.
fn is_quit(k: &crossterm::event::KeyEvent) -> bool {
    use crossterm::event::{KeyCode, KeyModifiers};
    match k.code {
        KeyCode::Char('q') | KeyCode::Esc => true,
        KeyCode::Char('c') => k.modifiers.contains(KeyModifiers::CONTROL),
        _ => false,
    }
}

/// Opens the dashboard, draws it, starts the run on a thread of its own (the embedded data
/// decodes while the dashboard is up) and runs until the user quits. A run that cannot
/// start restores the terminal and returns the error. Returns a worker panic message, if
/// any.
pub fn run(
    // The run's worker and how to branch it, started once the dashboard is drawn.
    start: impl FnOnce() -> anyhow::Result<Started> + Send + 'static,
    graphics: Graphics,
) -> anyhow::Result<Option<String>> {
    let mut term = TerminalGuard::enter()?;
    let size = term.0.size()?;
    let mut app = App::new(Instant::now(), (size.width, size.height));
    app.screen.colors = ColorMode::detect();
    // Before the input thread starts: the query reads the terminal's answer from stdin.
    if let Some(picker) = graphics_protocol(graphics) {
        update(&mut app, Msg::GraphicsFound(picker));
    }
    term.0.draw(|f| mnist_tui::ui::draw(f, &app))?;
    let input = input();
    let Some((started, early_keys)) = wait_for_start(start, &input, &mut app, &mut term)? else {
        return Ok(None);
    };
    let (worker, spawn_branch) = started;
    let spawn_branch = spawn_branch.as_ref();
    let (main, thread) = WorkerLink::new(worker);
    let mut workers = Workers {
        main,
        branch: None,
        compared: None,
    };
    let mut clock = FrameClock::new(Instant::now());
    dispatch(&mut app, early_keys, &mut workers, &mut clock, spawn_branch);
    while !quit_done(&app, &workers, &mut clock) {
        // A frame is drawn only on a pass that first took the workers' waiting events.
        let frame_due = Instant::now() >= clock.next_frame;
        let msgs = collect_inputs(&mut workers, &input, &app, &clock);
        dispatch(&mut app, msgs, &mut workers, &mut clock, spawn_branch);
        draw_if_due(
            &mut term,
            &mut app,
            &mut workers,
            &mut clock,
            spawn_branch,
            frame_due,
        )?;
    }
    drop(term);
    workers.stop_all();
    drop(workers);
    if thread.is_finished() {
        let _ = thread.join();
    }
    Ok(WORKER_PANIC.get().and_then(|m| m.lock().ok()?.take()))
}
