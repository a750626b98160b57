//! Runs a sweep's trials: starts their workers (at most `parallel` training at once,
//! the cores shared among them), reads their events, cuts the worse half at each rung
//! when halving, and reports each trial's progress and end as [`SweepEvent`]s. A stop
//! request stops every trial at a batch boundary; each stays recorded.

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TryRecvError};

use crate::data::Dataset;
use crate::train::checkpoint::Checkpoint;
use crate::train::events::{Command, Event};
use crate::train::options::WorkerOptions;
use crate::train::runs::{ListState, Parent, RecordTo, RunFolder, SweepTag};
use crate::train::worker::{spawn, WorkerHandle};

use super::grid::Trial;
use super::halving::{rungs, survivors};
use super::resume::{mark_pruned, Recorded};

/// How long the controller sleeps when no worker has said anything.
const IDLE: Duration = Duration::from_millis(20);

/// How a sweep runs.
#[derive(Debug, Clone)]
pub struct SweepOptions {
    /// Shared by the trials' summaries (`SweepTag::name`).
    pub name: String,
    pub runs_dir: PathBuf,
    /// Epochs of a trial that is not pruned.
    pub epochs: usize,
    /// Trials training at once; each gets `threads / parallel` kernel threads.
    pub parallel: usize,
    /// Successive halving: the worse half stops at each rung.
    pub halving: bool,
}

/// How a trial ended.
#[derive(Debug, Clone, PartialEq)]
pub enum TrialOutcome {
    Finished {
        accuracy: f64,
    },
    /// Cut at a rung, after `epochs` epochs.
    Pruned {
        epochs: usize,
        accuracy: f64,
    },
    Diverged,
    /// The sweep was stopped while it trained.
    Stopped,
    /// Its worker could not start (its folder, its data).
    Failed(String),
}

/// What the sweep tells its consumer.
#[derive(Debug, Clone, PartialEq)]
pub enum SweepEvent {
    Started {
        trial: usize,
        folder: PathBuf,
    },
    /// A trial reached a rung (halving): its accuracy there.
    Rung {
        trial: usize,
        epochs: usize,
        accuracy: f64,
    },
    Ended {
        trial: usize,
        outcome: TrialOutcome,
        seconds: f64,
    },
    Done {
        seconds: f64,
    },
}

/// A trial's worker.
struct Live {
    handle: WorkerHandle,
    started: Instant,
    /// Training now (not waiting at a rung for the others).
    active: bool,
    ended: bool,
}

/// Runs every trial to its end (or to `stop`), sending what happens to `events`.
/// `records` holds what each trial had done before (a resumed sweep; `None` for a trial
/// never started): a trial is scored at a rung from its record when it reached it, and
/// continues from its checkpoint when it did not.
pub fn run(
    data: Arc<Dataset>,
    base: &WorkerOptions,
    trials: &[Trial],
    records: &[Option<Recorded>],
    opts: &SweepOptions,
    events: &Sender<SweepEvent>,
    stop: &Receiver<()>,
) {
    let started = Instant::now();
    let budgets = if opts.halving {
        rungs(opts.epochs)
    } else {
        vec![opts.epochs]
    };
    let threads = (base.settings.threads / opts.parallel.max(1)).max(1);
    let mut rung = 0;
    let mut live: BTreeMap<usize, Live> = BTreeMap::new();
    let mut scores: Vec<(usize, f64)> = Vec::new();
    let send = |e: SweepEvent| {
        let _ = events.send(e);
    };
    let record = |t: usize| records.get(t).and_then(Option::as_ref);
    let mut queue = VecDeque::new();
    for t in 0..trials.len() {
        match record(t) {
            // A diverged trial would diverge again: it stays as it ended.
            Some(r) if r.state == ListState::Diverged => {
                send(SweepEvent::Started {
                    trial: t,
                    folder: r.folder.clone(),
                });
                send(SweepEvent::Ended {
                    trial: t,
                    outcome: TrialOutcome::Diverged,
                    seconds: 0.0,
                });
            }
            _ => queue.push_back(t),
        }
    }
    loop {
        if !matches!(stop.try_recv(), Err(TryRecvError::Empty)) {
            stop_all(&mut live, &send);
            break;
        }
        // Start, or wake at the next rung, up to `parallel` trials.
        while live.values().filter(|l| l.active).count() < opts.parallel.max(1) {
            let Some(t) = queue.pop_front() else { break };
            let last = rung + 1 == budgets.len();
            let budget = budgets[rung];
            if !live.contains_key(&t) {
                if let Some((r, accuracy)) =
                    record(t).and_then(|r| r.accuracy_at.get(&budget).map(|&a| (r, a)))
                {
                    // Trained to this rung before the sweep was stopped: scored as it was.
                    send(SweepEvent::Started {
                        trial: t,
                        folder: r.folder.clone(),
                    });
                    if last || !opts.halving {
                        let outcome = TrialOutcome::Finished { accuracy };
                        send(SweepEvent::Ended {
                            trial: t,
                            outcome,
                            seconds: 0.0,
                        });
                    } else {
                        send(SweepEvent::Rung {
                            trial: t,
                            epochs: budget,
                            accuracy,
                        });
                        scores.push((t, accuracy));
                    }
                    continue;
                }
            }
            match live.get_mut(&t) {
                Some(l) => {
                    let _ = l.handle.commands.send(Command::SetEpochs(budget));
                    l.active = true;
                }
                None => match start(
                    &data,
                    base,
                    &trials[t],
                    record(t),
                    opts,
                    threads,
                    budget,
                    !last,
                ) {
                    Ok((handle, folder)) => {
                        send(SweepEvent::Started { trial: t, folder });
                        let started = Instant::now();
                        live.insert(
                            t,
                            Live {
                                handle,
                                started,
                                active: true,
                                ended: false,
                            },
                        );
                    }
                    Err(e) => send(SweepEvent::Ended {
                        trial: t,
                        outcome: TrialOutcome::Failed(e),
                        seconds: 0.0,
                    }),
                },
            }
        }
        let mut heard = false;
        let mut gone = Vec::new();
        for (&t, l) in live.iter_mut() {
            loop {
                match l.handle.events.try_recv() {
                    Ok(Event::Finished { accuracy }) => {
                        heard = true;
                        let last = rung + 1 == budgets.len();
                        if last || !opts.halving {
                            end(l, t, TrialOutcome::Finished { accuracy }, &send);
                            let _ = l.handle.commands.send(Command::Stop);
                        } else {
                            send(SweepEvent::Rung {
                                trial: t,
                                epochs: budgets[rung],
                                accuracy,
                            });
                            scores.push((t, accuracy));
                            l.active = false;
                        }
                    }
                    Ok(Event::Diverged(_)) => {
                        heard = true;
                        end(l, t, TrialOutcome::Diverged, &send);
                        let _ = l.handle.commands.send(Command::Stop);
                    }
                    Ok(_) => heard = true,
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => {
                        end(l, t, TrialOutcome::Stopped, &send);
                        gone.push(t);
                        break;
                    }
                }
            }
        }
        for t in gone {
            if let Some(l) = live.remove(&t) {
                let _ = l.handle.thread.join();
            }
        }
        // A rung is complete when no trial of it trains or waits to start.
        let training = live.values().any(|l| l.active && !l.ended);
        if opts.halving && queue.is_empty() && !training && !scores.is_empty() {
            let kept = survivors(&scores);
            for &(t, accuracy) in &scores {
                if kept.contains(&t) {
                    continue;
                }
                let epochs = budgets[rung];
                let outcome = TrialOutcome::Pruned { epochs, accuracy };
                if let Some(l) = live.get_mut(&t) {
                    let _ = l.handle.commands.send(Command::Prune);
                    end(l, t, outcome, &send);
                } else {
                    // Scored from its record: no worker is left to record the cut.
                    let outcome = match record(t) {
                        Some(r) if r.state != ListState::Pruned => match mark_pruned(&r.folder) {
                            Ok(()) => outcome,
                            Err(e) => TrialOutcome::Failed(e.to_string()),
                        },
                        _ => outcome,
                    };
                    send(SweepEvent::Ended {
                        trial: t,
                        outcome,
                        seconds: 0.0,
                    });
                }
            }
            scores.clear();
            rung += 1;
            queue.extend(kept);
        }
        if queue.is_empty() && live.is_empty() {
            break;
        }
        if !heard {
            std::thread::sleep(IDLE);
        }
    }
    send(SweepEvent::Done {
        seconds: started.elapsed().as_secs_f64(),
    });
}

/// Says once how a trial ended.
fn end(l: &mut Live, trial: usize, outcome: TrialOutcome, send: &impl Fn(SweepEvent)) {
    if l.ended {
        return;
    }
    l.ended = true;
    l.active = false;
    let seconds = l.started.elapsed().as_secs_f64();
    send(SweepEvent::Ended {
        trial,
        outcome,
        seconds,
    });
}

/// Stops every trial at a batch boundary and waits for each to have written its files.
fn stop_all(live: &mut BTreeMap<usize, Live>, send: &impl Fn(SweepEvent)) {
    for l in live.values() {
        let _ = l.handle.commands.send(Command::Stop);
    }
    for (t, mut l) in std::mem::take(live) {
        end(&mut l, t, TrialOutcome::Stopped, send);
        // Draining lets a worker whose channel is full reach its end.
        for _ in l.handle.events.iter() {}
        let _ = l.handle.thread.join();
    }
}

/// Starts one trial's worker, recorded in a new folder tagged with the sweep (continuing
/// `from`'s checkpoint when it has one short of `epochs`); `wait`: it stays after its
/// epochs for the next rung.
#[allow(clippy::too_many_arguments)]
fn start(
    data: &Arc<Dataset>,
    base: &WorkerOptions,
    trial: &Trial,
    from: Option<&Recorded>,
    opts: &SweepOptions,
    threads: usize,
    epochs: usize,
    wait: bool,
) -> Result<(WorkerHandle, PathBuf), String> {
    let mut o = base.clone();
    let s = &mut o.settings;
    (s.learning_rate, s.model, s.schedule) = (trial.learning_rate, trial.model, trial.schedule);
    (s.batch_size, s.seed, s.epochs, s.threads) = (trial.batch_size, trial.seed, epochs, threads);
    if trial.batch_size > data.train.len() {
        return Err(format!(
            "batch {} is larger than the training set",
            trial.batch_size
        ));
    }
    o.stay_after_finish = wait;
    let mut parent = None;
    if let Some(path) = from
        .filter(|r| r.epochs_done < epochs)
        .and_then(|r| r.checkpoint.as_ref())
    {
        let checkpoint = Checkpoint::read(path).map_err(|e| e.to_string())?;
        parent = Some(Parent::continuing(&checkpoint, path));
        o.resume = Some((Arc::new(checkpoint), path.clone()));
    }
    let folder = RunFolder::create_tagged(
        &opts.runs_dir,
        std::time::SystemTime::now(),
        trial.model,
        trial.learning_rate,
        trial.tag.as_deref(),
    )
    .map_err(|e| e.to_string())?;
    let path = folder.path.clone();
    o.record = Some(RecordTo {
        folder,
        parent,
        sweep: Some(SweepTag {
            name: opts.name.clone(),
            trial: trial.label.clone(),
        }),
    });
    let handle = spawn(data.clone(), o).map_err(|e| e.to_string())?;
    Ok((handle, path))
}
