//! The dashboard's terminal loop: sets the terminal up and always restores it (on quit, on
//! error, on panic), turns keys, resizes and worker events into messages for
//! [`crate::app::update`], and redraws at most ~30 times a second.

use std::io::{stdout, Stdout};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use crossbeam_channel::{select, unbounded, Receiver, TrySendError};
use crossterm::event::{
    self, DisableMouseCapture, EnableMouseCapture, Event as TermEvent, MouseEventKind,
};
use crossterm::execute;
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;

use crate::app::{update, App, ColorMode, Effect, Msg};
use crate::train::{Checkpoint, Command, Event, WorkerHandle};

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

fn restore_terminal() {
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
fn install_panic_hook() {
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

struct TerminalGuard(Terminal<CrosstermBackend<Stdout>>);

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

/// Terminal events, read on their own thread so the UI can wait on all its inputs at once.
fn spawn_input() -> Receiver<TermEvent> {
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
}

/// Takes every event waiting on `rx`, noting when its worker has gone.
fn drain(rx: &mut Option<Receiver<Event>>, wrap: fn(Event) -> Msg, gone: Msg, msgs: &mut Vec<Msg>) {
    let Some(r) = rx else { return };
    loop {
        match r.try_recv() {
            Ok(e) => msgs.push(wrap(e)),
            Err(crossbeam_channel::TryRecvError::Empty) => return,
            Err(crossbeam_channel::TryRecvError::Disconnected) => {
                *rx = None;
                msgs.push(gone);
                return;
            }
        }
    }
}

/// Hands a command to the worker without ever waiting on it: a full queue (64 unanswered
/// commands) means it is busy, and the user is told the request was dropped.
fn send(commands: &crossbeam_channel::Sender<Command>, cmd: Command, app: &mut App) {
    if let Err(TrySendError::Full(_)) = commands.try_send(cmd) {
        app.notice = Some("the trainer is busy; try again".into());
    }
}

/// Starts a second worker from a run's state at a learning rate (the `b` branch).
pub type SpawnBranch = dyn Fn(Box<Checkpoint>, f64) -> anyhow::Result<WorkerHandle>;

/// The branch's worker, while there is one.
struct BranchWorker {
    events: Option<Receiver<Event>>,
    commands: crossbeam_channel::Sender<Command>,
}

/// Carries out what an update asked of the terminal loop.
fn apply_effects(
    app: &mut App,
    spawn_branch: &SpawnBranch,
    main: &mut (Option<Receiver<Event>>, crossbeam_channel::Sender<Command>),
    branch: &mut Option<BranchWorker>,
) {
    for effect in std::mem::take(&mut app.effects) {
        match effect {
            Effect::SpawnBranch {
                from,
                learning_rate,
            } => match spawn_branch(from, learning_rate) {
                Ok(w) => {
                    *branch = Some(BranchWorker {
                        events: Some(w.events),
                        commands: w.commands,
                    })
                }
                Err(e) => {
                    app.branch = None;
                    app.notice = Some(format!("cannot start the branch: {e:#}"));
                }
            },
            Effect::ToBranch(cmd) => {
                if let Some(b) = branch {
                    let stop = cmd == Command::Stop;
                    let _ = b.commands.try_send(cmd);
                    if stop {
                        *branch = None;
                    }
                }
            }
            Effect::PromoteBranch => {
                if let Some(b) = branch.take() {
                    let _ = main.1.try_send(Command::Stop);
                    *main = (b.events, b.commands);
                }
            }
        }
    }
}

/// Runs the dashboard until the user quits. Returns a worker panic message, if any.
pub fn run(worker: WorkerHandle, spawn_branch: &SpawnBranch) -> anyhow::Result<Option<String>> {
    install_panic_hook();
    enable_raw_mode()?;
    execute!(stdout(), EnterAlternateScreen, EnableMouseCapture)?;
    let mut term = TerminalGuard(Terminal::new(CrosstermBackend::new(stdout()))?);
    term.0.clear()?;
    let size = term.0.size()?;
    let mut app = App::new(Instant::now(), (size.width, size.height));
    app.colors = ColorMode::detect();
    let input = spawn_input();
    let WorkerHandle {
        events,
        commands,
        thread,
    } = worker;
    // The main worker's ends; replaced by the branch's when the user keeps the branch.
    let mut main = (Some(events), commands);
    let mut branch: Option<BranchWorker> = None;
    let mut next_frame = Instant::now();
    let mut last_frame = Instant::now();
    let mut dirty = true;
    let mut quit_at: Option<Instant> = None;
    // Until then the loop wakes for every worker event (a reply to a command is due);
    // otherwise it collects them once a frame, so the UI thread does not wake ~25 times a
    // second and preempt a kernel thread that the other one then waits for.
    let mut attentive_until = Instant::now();
    let never = crossbeam_channel::never();
    loop {
        let now = Instant::now();
        let mut msgs = Vec::new();
        // A frame is drawn only on a pass that first took the workers' waiting events.
        let frame_due = now >= next_frame;
        if frame_due {
            // What the workers sent since the last frame.
            drain(&mut main.0, Msg::Worker, Msg::WorkerGone, &mut msgs);
            if let Some(b) = &mut branch {
                drain(&mut b.events, Msg::Branch, Msg::BranchGone, &mut msgs);
            }
        } else {
            let listen = now < attentive_until
                || app.state != crate::app::RunState::Running
                || app.pad.waiting
                || app.fork_requested;
            let events_rx = main
                .0
                .clone()
                .filter(|_| listen)
                .unwrap_or_else(|| never.clone());
            let branch_rx = branch
                .as_ref()
                .and_then(|b| b.events.clone())
                .filter(|_| listen)
                .unwrap_or_else(|| never.clone());
            select! {
                recv(events_rx) -> e => match e {
                    Ok(e) => {
                        msgs.push(Msg::Worker(e));
                        // Coalesce a burst: take what is already waiting.
                        msgs.extend(events_rx.try_iter().take(256).map(Msg::Worker));
                    }
                    Err(_) => {
                        main.0 = None;
                        msgs.push(Msg::WorkerGone);
                    }
                },
                recv(branch_rx) -> e => match e {
                    Ok(e) => {
                        msgs.push(Msg::Branch(e));
                        msgs.extend(branch_rx.try_iter().take(256).map(Msg::Branch));
                    }
                    Err(_) => {
                        if let Some(b) = &mut branch {
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
                    Err(_) => msgs.push(Msg::Key(crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Char('q')))),
                },
                default(next_frame.saturating_duration_since(now)) => {}
            }
        }
        for msg in msgs {
            // Keys, and the worker's answers to them, draw at once (within the ~30 fps cap),
            // not after the progress interval.
            let urgent = match &msg {
                Msg::Worker(e) | Msg::Branch(e) => {
                    !matches!(e, Event::Batches(_) | Event::Filters(_))
                }
                _ => true,
            };
            if urgent {
                next_frame = next_frame.min(last_frame + KEY_FRAME);
            }
            let cmds = update(&mut app, msg);
            if !cmds.is_empty() || !app.effects.is_empty() {
                attentive_until = Instant::now() + ATTENTIVE;
            }
            for cmd in cmds {
                send(&main.1, cmd, &mut app);
            }
            apply_effects(&mut app, spawn_branch, &mut main, &mut branch);
            dirty = true;
        }
        let now = Instant::now();
        if frame_due && now >= next_frame {
            // While training runs, the clock and the progress change every frame.
            if dirty || app.state == crate::app::RunState::Running {
                for cmd in update(&mut app, Msg::Tick(now)) {
                    send(&main.1, cmd, &mut app);
                }
                apply_effects(&mut app, spawn_branch, &mut main, &mut branch);
                term.0.draw(|f| crate::ui::draw(f, &app))?;
                dirty = false;
                last_frame = now;
                if app.batches_done >= 3 && crate::fault::injected("panic-ui") {
                    panic!("injected fault: the UI panicked");
                }
            }
            next_frame = now + FRAME;
        }
        if app.quit {
            let deadline = *quit_at.get_or_insert_with(|| Instant::now() + STOP_GRACE);
            let worker_done =
                main.0.is_none() || matches!(app.state, crate::app::RunState::Stopped);
            if worker_done || Instant::now() >= deadline {
                break;
            }
        }
    }
    drop(term);
    let _ = main.1.send(Command::Stop);
    if let Some(b) = branch {
        let _ = b.commands.try_send(Command::Stop);
    }
    drop(main);
    if thread.is_finished() {
        let _ = thread.join();
    }
    Ok(WORKER_PANIC.get().and_then(|m| m.lock().ok()?.take()))
}
