//! The console. The only module that imports ratatui or crossterm: keys become [`Action`]s,
//! [`update::update`] applies them to [`state::State`], [`view::draw`] renders it, and the
//! [`worker`] does loading, detection, context queries and exports off the UI thread.

pub mod action;
pub mod chains;
pub mod incidents;
pub mod keys;
pub mod state;
pub mod update;
pub mod view;
pub mod worker;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::mpsc::Sender;
use std::time::Duration;

use anyhow::{Context as _, Result};
use crossterm::event::{self, Event, KeyEventKind};

pub use action::Action;
use state::{Overlay, Phase, ReplayState, SavedExclusion, State};
use update::{update, Effect};
use worker::{Reply, Request};

use crate::data::load::LoadOptions;
use crate::detect::HuntOptions;
use crate::tuning::TuningSource;

/// What the console opens on.
pub struct ConsoleArgs {
    pub paths: Vec<PathBuf>,
    pub load: LoadOptions,
    pub hunt: HuntOptions,
    /// The event window, described for the header.
    pub window: String,
    pub tuning: TuningSource,
}

/// Applies a worker reply to the state; returns work it unblocked (a go hunt that waited for
/// every event).
pub fn apply_reply(state: &mut State, reply: Reply) -> Option<Effect> {
    match reply {
        Reply::Progress(step) => {
            // Once the findings are shown, the header gives only the time every event takes.
            if let Phase::Loading { step: s, .. } = &mut state.phase {
                *s = step;
            }
        }
        Reply::Loaded(loaded) => state.set_loaded(*loaded),
        Reply::EventsLoaded(dataset) => {
            let (entity, center, half_window) = state.set_all_events(dataset)?;
            return Some(Effect::Context {
                entity,
                center,
                half_window,
            });
        }
        Reply::Replayed { generation, result } => {
            // Only the latest request's answer counts (a switch may have asked again).
            if generation == state.replay_generation {
                state.replay = match result {
                    Ok(Some(r)) => ReplayState::Done(r),
                    Ok(None) => ReplayState::Unavailable(
                        "nothing to replay: rule 000 needs sign-ins (with times) and threat intel"
                            .into(),
                    ),
                    Err(e) => ReplayState::Unavailable(format!("the replay failed: {e}")),
                };
            }
        }
        Reply::LoadFailed(e) => state.phase = Phase::Failed(e),
        Reply::Context {
            entity,
            half_window,
            events,
        } => {
            if let Overlay::Context(view) = &mut state.overlay {
                // Latest request wins: drop replies for another entity or window.
                if view.entity == entity && view.half_window == half_window {
                    match events {
                        Ok(e) => {
                            // The event nearest the finding's time is selected.
                            view.scroll = e
                                .iter()
                                .enumerate()
                                .filter_map(|(i, ev)| ev.time.map(|t| (i, t.abs_diff(view.center))))
                                .min_by_key(|(_, d)| *d)
                                .map_or(0, |(i, _)| i);
                            view.events = Some(e);
                        }
                        Err(e) => {
                            view.events = Some(Vec::new());
                            state.message = Some(format!("context query failed: {e}"));
                        }
                    }
                }
            }
        }
        Reply::Saved {
            path,
            block,
            filter,
            result,
        } => match result {
            Ok(()) => {
                let id = filter.id.clone();
                state.last_saved = Some(SavedExclusion {
                    path: path.clone(),
                    block,
                    id: id.clone(),
                });
                state.tuning.filters.push(*filter);
                state.overlay = Overlay::None;
                let replay = state.tuning_changed();
                let hidden = state.filter_impact.last().map_or(0, |i| i.matched);
                state.message = Some(format!(
                    "saved exclusion {id} to {}: hides {hidden} finding(s)",
                    path.display()
                ));
                return replay.then_some(Effect::Replay);
            }
            Err(e) => state.message = Some(format!("not saved: {e}")),
        },
        Reply::Undone { saved, result } => match result {
            Ok(()) => {
                state.last_saved = None;
                state.remove_filter(&saved.id);
                let replay = state.tuning_changed();
                state.message = Some(format!(
                    "undone: exclusion {} removed from {}",
                    saved.id,
                    saved.path.display()
                ));
                return replay.then_some(Effect::Replay);
            }
            Err(e) => state.message = Some(format!("not undone: {e}")),
        },
        Reply::Exported { path, rows, result } => {
            state.message = Some(match result {
                Ok(()) => format!("exported {rows} row(s) to {}", path.display()),
                Err(e) => format!("export failed: {e}"),
            });
        }
    }
    None
}

/// Hands an effect to the worker.
fn start(effect: Effect, state: &mut State, tx: &Sender<Request>) {
    match effect {
        Effect::Context {
            entity,
            center,
            half_window,
        } => {
            // Until every event is in, the overlay says so; the request goes when they are.
            if state.events_loading.is_some() {
                return;
            }
            if let Some(dataset) = &state.dataset {
                let _ = tx.send(Request::Context {
                    dataset: dataset.clone(),
                    entity,
                    center,
                    half_window,
                });
            }
        }
        // Runs read the rule's sign-ins at each run's time, from the load the findings came
        // from (every column): asked for at once, answered by the worker in turn.
        Effect::Replay => {
            if let Some((dataset, tuning, generation)) = state.begin_replay() {
                let _ = tx.send(Request::Replay {
                    dataset,
                    tuning: Box::new(tuning),
                    generation,
                });
            }
        }
        Effect::ExportEvents {
            path,
            force,
            events,
        } => {
            let _ = tx.send(Request::ExportEvents {
                events,
                path,
                force,
            });
        }
        Effect::Copy(text) => {
            // OSC 52: the terminal (local, or at the other end of SSH) sets its clipboard. The
            // text travels base64-encoded, so nothing in it can act on the terminal.
            use base64::Engine as _;
            use std::io::Write as _;
            let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
            let mut out = std::io::stdout();
            let written = write!(out, "\x1b]52;c;{encoded}\x07").and_then(|()| out.flush());
            state.message = Some(match written {
                Ok(()) => format!(
                    "copied {} ({} character(s)) to the clipboard (OSC 52; tmux needs set-clipboard on)",
                    crate::text::quote_value(&text, 40),
                    text.chars().count()
                ),
                Err(e) => format!("not copied: {e}"),
            });
        }
        Effect::UndoSave(saved) => {
            let _ = tx.send(Request::UndoSave(saved));
        }
        Effect::SaveFilter {
            path,
            block,
            filter,
        } => {
            let _ = tx.send(Request::SaveFilter {
                path,
                block,
                filter,
            });
        }
        Effect::Export { path, force } => match state.view_frame() {
            Some(Ok(view)) => {
                let _ = tx.send(Request::Export {
                    findings: view,
                    path,
                    force,
                });
            }
            Some(Err(e)) => state.message = Some(format!("export failed: {e}")),
            None => state.message = Some("nothing to export yet".into()),
        },
    }
}

/// Runs the console until the analyst quits. The terminal is restored on return, on error and
/// on panic (ratatui's hook).
pub fn run(args: ConsoleArgs) -> Result<()> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        anyhow::bail!(
            "the console needs a terminal. To write findings to a file or pipe, use `proxyhunt hunt [PATH]... --out FILE`"
        );
    }
    let color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let mut state = State::new(args.paths.is_empty(), args.window.clone(), color);
    let (tx, rx) = worker::spawn();
    tx.send(Request::Load {
        paths: args.paths,
        load: Box::new(args.load),
        hunt: args.hunt,
        window: args.window,
        tuning: args.tuning,
    })
    .context("starting the worker")?;
    let mut terminal = ratatui::try_init().context("opening the terminal")?;
    let result = (|| -> Result<()> {
        // A frame is drawn when something changed: a key, a resize, a worker reply, or the
        // spinner's next step while something loads. An idle console draws nothing.
        let size = terminal.size()?;
        update(&mut state, Action::Resize(size.width, size.height));
        let mut dirty = true;
        let mut shown_tick = state.animation_tick();
        while !state.quit {
            while let Ok(reply) = rx.try_recv() {
                dirty = true;
                if let Some(effect) = apply_reply(&mut state, reply) {
                    start(effect, &mut state, &tx);
                }
            }
            let tick = state.animation_tick();
            if tick != shown_tick {
                (dirty, shown_tick) = (true, tick);
            }
            if dirty {
                terminal.draw(|f| view::draw(f, &state))?;
                dirty = false;
            }
            if !event::poll(Duration::from_millis(50))? {
                continue;
            }
            let k = match event::read()? {
                Event::Key(k) if k.kind == KeyEventKind::Press => k,
                Event::Resize(w, h) => {
                    update(&mut state, Action::Resize(w, h));
                    dirty = true;
                    continue;
                }
                _ => continue,
            };
            dirty = true;
            let action = if state.prompt.is_some() {
                keys::prompt_action(k)
            } else {
                keys::action_for(k, state.overlay.scope())
            };
            if let Some(effect) = action.and_then(|a| update(&mut state, a)) {
                start(effect, &mut state, &tx);
            }
        }
        Ok(())
    })();
    ratatui::restore();
    result
}
