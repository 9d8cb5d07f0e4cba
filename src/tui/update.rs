//! The one place that changes [`State`]: apply an [`Action`], and say what slow work (context
//! query, export) the runner should hand to the worker.

use std::path::PathBuf;

use ratatui::layout::Rect;

use super::action::Action;
use super::state::{
    ContextView, ExclusionField, Focus, IncidentLevel, IncidentsView, Overlay, Phase, Prompt,
    PromptKind, ProposalView, ReplayState, SavedExclusion, State,
};
use super::view::{detail, findings, help, panes};
use super::{chains, incidents};
use crate::explore::{DrillDown, Entity, PivotKey, SortColumn};
use crate::kql::time::{Nanos, DAY, HOUR, MINUTE};
use crate::tuning::proposal::{candidates, filter_block, preview, proposed_filter};
use crate::tuning::Filter;

/// Work the runner starts off the UI thread.
#[derive(Debug, Clone)]
pub enum Effect {
    Context {
        entity: Entity,
        center: Nanos,
        half_window: Nanos,
    },
    /// Export the visible findings, in view order.
    Export { path: PathBuf, force: bool },
    /// Export go hunt's events.
    ExportEvents {
        path: PathBuf,
        force: bool,
        events: Vec<crate::explore::ContextEvent>,
    },
    /// Replay rule 000 over the load the findings came from, untuned and with the tuning as it
    /// stands.
    Replay,
    /// Append a new exclusion to the tuning file.
    SaveFilter {
        path: PathBuf,
        block: String,
        filter: Box<Filter>,
    },
    /// Remove the last saved exclusion's block from the end of the tuning file.
    UndoSave(SavedExclusion),
    /// Put text on the terminal's clipboard.
    Copy(String),
}

const PAGE: usize = 10;
pub const DEFAULT_EXPORT: &str = "proxyhunt-view.csv";
pub const DEFAULT_EVENTS_EXPORT: &str = "proxyhunt-gohunt.csv";

fn step(value: usize, len: usize, delta: isize) -> usize {
    if len == 0 {
        return 0;
    }
    (value as isize + delta).clamp(0, len as isize - 1) as usize
}

/// The value of the current pivot key to act on: the pivot row under the cursor, or the
/// selected finding's own value.
fn target_value(state: &State) -> Option<String> {
    match state.focus {
        Focus::Pivot => state.selected_pivot().map(|e| e.value.clone()),
        _ => state
            .selected_row()
            .map(|r| state.pivot_key.value(r).to_string())
            .filter(|v| !v.is_empty()),
    }
}

fn drill(state: &mut State, exclude: bool) {
    let Some(value) = target_value(state) else {
        state.message = Some(format!(
            "no {} value to drill into here",
            state.pivot_key.label()
        ));
        return;
    };
    state.drills.push(DrillDown {
        key: state.pivot_key,
        value,
        exclude,
    });
    state.selected = 0;
    state.pivot_selected = 0;
    state.refresh();
}

/// The entity to follow: the pivot key's if it is one, else the finding's user (or device, IP).
fn entity_and_time(state: &State) -> Option<(Entity, Nanos)> {
    let make = |key: PivotKey, v: String| match key {
        PivotKey::User => Some(Entity::User(v)),
        PivotKey::Ip => Some(Entity::Ip(v)),
        PivotKey::Device => Some(Entity::Device(v)),
        _ => None,
    };
    if state.focus == Focus::Pivot {
        // An empty value names no one: there is nothing to follow.
        let e = state.selected_pivot().filter(|e| !e.value.is_empty())?;
        return make(state.pivot_key, e.value.clone()).map(|ent| (ent, e.last));
    }
    let row = state.selected_row()?;
    let own = make(state.pivot_key, state.pivot_key.value(row).to_string()).filter(
        |e| !matches!(e, Entity::User(v) | Entity::Ip(v) | Entity::Device(v) if v.is_empty()),
    );
    let fallback = || {
        [
            (PivotKey::User, &row.user),
            (PivotKey::Device, &row.device),
            (PivotKey::Ip, &row.ip),
        ]
        .into_iter()
        .find(|(_, v)| !v.is_empty())
        .and_then(|(k, v)| make(k, v.clone()))
    };
    own.or_else(fallback).map(|e| (e, row.time))
}

/// The first row shown of a pane `height` rows high over `rows` rows after a move (`delta` rows,
/// a page of `page` rows for ±[`PAGE`], or an end): never past the last screenful, however
/// long the text (the detail pane, the record, the help).
fn scrolled(
    first: usize,
    rows: usize,
    height: usize,
    delta: isize,
    to_end: Option<bool>,
    page: usize,
) -> usize {
    let last = rows.saturating_sub(height);
    match to_end {
        Some(true) => last,
        Some(false) => 0,
        None => {
            let delta = if delta.unsigned_abs() == PAGE {
                delta.signum() * page as isize
            } else {
                delta
            };
            first.min(last).saturating_add_signed(delta).min(last)
        }
    }
}

fn move_cursor(state: &mut State, delta: isize, to_end: Option<bool>) {
    let jump = |len: usize, cur: usize| match to_end {
        Some(true) => len.saturating_sub(1),
        Some(false) => 0,
        None => step(cur, len, delta),
    };
    let screen = Rect::new(0, 0, state.screen.0, state.screen.1);
    if state.overlay == Overlay::Help {
        let rows = help::help_lines(state, screen).len();
        let height = usize::from(screen.height.saturating_sub(2));
        state.help_scroll = scrolled(state.help_scroll, rows, height, delta, to_end, PAGE);
        return;
    }
    if let Overlay::Incidents(view) = &state.overlay {
        let selected = jump(incidents::open_rows(state), view.selected);
        if let Overlay::Incidents(view) = &mut state.overlay {
            view.selected = selected;
        }
        return;
    }
    if let Overlay::Chains(view) = &state.overlay {
        let selected = jump(chains::open_rows(state), view.selected);
        if let Overlay::Chains(view) = &mut state.overlay {
            view.selected = selected;
        }
        return;
    }
    if let Overlay::Record { scroll } = state.overlay {
        // A page is the screen's height here, not the tables' ten rows.
        let height = usize::from(screen.height.saturating_sub(2));
        let rows = detail::detail_rows(state, screen);
        let scroll = scrolled(scroll, rows, height, delta, to_end, height.max(1));
        state.overlay = Overlay::Record { scroll };
        return;
    }
    match &mut state.overlay {
        Overlay::Context(view) => {
            let len = view.events.as_ref().map_or(0, Vec::len);
            view.scroll = jump(len, view.scroll);
            return;
        }
        Overlay::Tuning { selected } => {
            *selected = jump(state.tuning.filters.len(), *selected);
            return;
        }
        _ => {}
    }
    match state.focus {
        Focus::Findings => state.selected = jump(state.visible.len(), state.selected),
        Focus::Pivot => state.pivot_selected = jump(state.pivot.len(), state.pivot_selected),
        Focus::Detail => {
            let pane = panes(screen).detail;
            let height = usize::from(pane.height.saturating_sub(2));
            let rows = detail::detail_rows(state, pane);
            state.detail_scroll = scrolled(state.detail_scroll, rows, height, delta, to_end, PAGE);
        }
    }
    if state.focus == Focus::Findings {
        state.detail_scroll = 0;
    }
}

fn update_prompt(state: &mut State, action: Action) -> Option<Effect> {
    let prompt = state.prompt.as_mut()?;
    match action {
        Action::Input(c) if !c.is_control() => {
            if std::mem::take(&mut prompt.fresh) {
                prompt.input.clear();
            }
            prompt.input.push(c);
        }
        Action::DeleteChar => {
            prompt.fresh = false;
            prompt.input.pop();
        }
        Action::Back => {
            if prompt.kind == PromptKind::Find {
                state.find.clear();
                state.refresh();
            }
            state.prompt = None;
            return None;
        }
        Action::Submit => {
            let prompt = state.prompt.take()?;
            if let PromptKind::Exclusion(field) = prompt.kind {
                if let Overlay::Proposal(view) = &mut state.overlay {
                    let text = prompt.input.trim().to_string();
                    match field {
                        ExclusionField::Id => view.id = text,
                        ExclusionField::Reason => view.reason = text,
                        ExclusionField::Owner => view.owner = text,
                    }
                    view.confirming = false;
                }
                return None;
            }
            if prompt.kind == PromptKind::Export {
                let text = prompt.input.trim();
                let (text, force) = match text.strip_suffix('!') {
                    Some(t) => (t.trim_end(), true),
                    None => (text, false),
                };
                if text.is_empty() {
                    state.message = Some("export cancelled: no path".into());
                    return None;
                }
                if let Overlay::Context(view) = &state.overlay {
                    return Some(Effect::ExportEvents {
                        path: PathBuf::from(text),
                        force,
                        events: view.events.clone().unwrap_or_default(),
                    });
                }
                return Some(Effect::Export {
                    path: PathBuf::from(text),
                    force,
                });
            }
            return None;
        }
        Action::Quit => state.quit = true,
        _ => {}
    }
    // Find filters as you type.
    if let Some(p) = &state.prompt {
        if p.kind == PromptKind::Find && p.input != state.find {
            state.find = p.input.clone();
            state.selected = 0;
            state.refresh();
        }
    }
    None
}

/// Applies an action; returns slow work for the runner, if any.
pub fn update(state: &mut State, action: Action) -> Option<Effect> {
    if let Action::Resize(w, h) = action {
        state.screen = (w, h);
        return None;
    }
    if state.prompt.is_some() {
        return update_prompt(state, action);
    }
    state.message = None;
    let ready = state.phase == Phase::Ready;
    match action {
        Action::Resize(..) => {}
        Action::Quit => state.quit = true,
        // Help opens over any view and gives it back when it closes.
        Action::ToggleHelp => {
            if state.overlay == Overlay::Help {
                state.overlay = state.under_help.take().map_or(Overlay::None, |o| *o);
            } else {
                let under = std::mem::replace(&mut state.overlay, Overlay::Help);
                state.under_help = Some(Box::new(under));
                state.help_scroll = 0;
            }
        }
        Action::Back if state.overlay == Overlay::Help => {
            state.overlay = state.under_help.take().map_or(Overlay::None, |o| *o);
        }
        Action::Back if matches!(&state.overlay, Overlay::Context(v) if v.open) => {
            if let Overlay::Context(view) = &mut state.overlay {
                view.open = false;
            }
        }
        // Back along the trail of go hunts followed from events.
        Action::Back if matches!(state.overlay, Overlay::Context(_)) => {
            state.overlay = state
                .hunt_trail
                .pop()
                .map_or(Overlay::None, Overlay::Context);
        }
        Action::GoHunt if matches!(state.overlay, Overlay::Context(_)) => {
            return follow_event(state);
        }
        Action::Back => {
            if let Overlay::Incidents(_) = state.overlay {
                incidents::back(state);
            } else if let Overlay::Chains(_) = state.overlay {
                chains::back(state);
            } else if state.overlay != Overlay::None {
                state.overlay = Overlay::None;
            } else if state.focus == Focus::Detail {
                state.focus = Focus::Findings;
            } else if state.drills.pop().is_some() {
                state.refresh();
            } else if !state.find.is_empty() {
                state.find.clear();
                state.refresh();
            }
        }
        _ if !ready => state.message = Some("still loading: q quits, ? shows help".into()),
        Action::FocusNext | Action::FocusPrev => {
            let order = [Focus::Findings, Focus::Pivot, Focus::Detail];
            let i = order.iter().position(|f| *f == state.focus).unwrap_or(0);
            let next = if action == Action::FocusNext {
                i + 1
            } else {
                i + order.len() - 1
            };
            state.focus = order[next % order.len()];
        }
        Action::Up => move_cursor(state, -1, None),
        Action::Down => move_cursor(state, 1, None),
        Action::PageUp => move_cursor(state, -(PAGE as isize), None),
        Action::PageDown => move_cursor(state, PAGE as isize, None),
        Action::Top => move_cursor(state, 0, Some(false)),
        Action::Bottom => move_cursor(state, 0, Some(true)),
        Action::NextMatch => state.selected = step(state.selected, state.visible.len(), 1),
        Action::PrevMatch => state.selected = step(state.selected, state.visible.len(), -1),
        Action::PivotNext | Action::PivotPrev => {
            let mut key = state.pivot_key.next();
            if action == Action::PivotPrev {
                for _ in 0..PivotKey::ALL.len() - 2 {
                    key = key.next();
                }
            }
            state.pivot_key = key;
            state.pivot_selected = 0;
            state.refresh();
        }
        Action::OpenIncidents if matches!(state.overlay, Overlay::Incidents(_)) => {}
        Action::OpenIncidents => {
            // Back where the analyst left it for a finding, else at the top.
            let view = state.incidents_left.take().unwrap_or(IncidentsView {
                level: IncidentLevel::Incidents,
                selected: 0,
                above: Vec::new(),
            });
            state.overlay = Overlay::Incidents(view);
            if matches!(
                state.replay,
                ReplayState::Idle | ReplayState::Unavailable(_)
            ) {
                return Some(Effect::Replay);
            }
        }
        Action::Select if matches!(state.overlay, Overlay::Incidents(_)) => {
            incidents::select(state)
        }
        Action::OpenChains if matches!(state.overlay, Overlay::Chains(_)) => {}
        Action::OpenChains => chains::open(state),
        Action::Select if matches!(state.overlay, Overlay::Chains(_)) => chains::select(state),
        Action::Select if matches!(state.overlay, Overlay::Context(_)) => {
            if let Overlay::Context(view) = &mut state.overlay {
                view.open = view.events.as_ref().is_some_and(|e| !e.is_empty()) && !view.open;
            }
        }
        Action::OpenRecord => {
            if state.selected_row().is_some() {
                state.overlay = Overlay::Record { scroll: 0 };
            }
        }
        Action::Select => match state.focus {
            Focus::Pivot => drill(state, false),
            Focus::Findings => state.focus = Focus::Detail,
            Focus::Detail => {}
        },
        Action::DrillDown => drill(state, false),
        Action::Exclude => drill(state, true),
        Action::GoHunt => match entity_and_time(state) {
            Some((entity, center)) => {
                state.hunt_trail.clear();
                // Every go hunt starts at ±1 h: a window narrowed for one entity does not
                // stick to the next.
                let half_window = HOUR;
                state.overlay = Overlay::Context(ContextView {
                    entity: entity.clone(),
                    center,
                    half_window,
                    events: None,
                    scroll: 0,
                    open: false,
                });
                return Some(Effect::Context {
                    entity,
                    center,
                    half_window,
                });
            }
            None => {
                state.message =
                    Some("select a finding or a User / IP / Device pivot value first".into())
            }
        },
        Action::WidenContext | Action::NarrowContext => {
            if let Overlay::Context(view) = &mut state.overlay {
                let w = if action == Action::WidenContext {
                    view.half_window * 2
                } else {
                    view.half_window / 2
                };
                view.half_window = w.clamp(MINUTE, 30 * DAY);
                view.events = None;
                view.scroll = 0;
                view.open = false;
                return Some(Effect::Context {
                    entity: view.entity.clone(),
                    center: view.center,
                    half_window: view.half_window,
                });
            }
        }
        Action::StartFind => state.prompt = Some(Prompt::new(PromptKind::Find, state.find.clone())),
        Action::SortNext => {
            state.sort = state.sort.next();
            state.sort_desc = state.sort == SortColumn::Time;
            state.refresh();
        }
        Action::SortReverse => {
            state.sort_desc = !state.sort_desc;
            state.refresh();
        }

        Action::WidenColumns | Action::NarrowColumns => {
            // As far as this screen has room: past it, `<` would first undo nothing.
            let (w, h) = state.screen;
            let pane = panes(Rect::new(0, 0, w, h)).findings;
            let room = findings::widen_room(pane, findings::is_wide(pane));
            let now = state.widen.min(room);
            state.widen = if action == Action::WidenColumns {
                (now + WIDEN_STEP).min(room)
            } else {
                now.saturating_sub(WIDEN_STEP)
            };
            if action == Action::WidenColumns && now == room {
                state.message = Some("the columns are as wide as this screen allows".into());
            } else if action == Action::NarrowColumns && now == 0 {
                state.message = Some("the columns are at their narrowest".into());
            }
        }
        Action::StartExport => {
            let input = if matches!(state.overlay, Overlay::Context(_)) {
                DEFAULT_EVENTS_EXPORT
            } else {
                DEFAULT_EXPORT
            };
            state.prompt = Some(Prompt::new(PromptKind::Export, input.into()))
        }
        Action::OpenTuning => {
            state.overlay = Overlay::Tuning { selected: 0 };
            // The panel says what the tuning does to the rule's incidents: start the replay.
            if matches!(state.replay, ReplayState::Idle) {
                return Some(Effect::Replay);
            }
        }
        Action::ToggleFilter => {
            if let Overlay::Tuning { selected } = state.overlay {
                if let Some(f) = state.tuning.filters.get_mut(selected) {
                    f.enabled = !f.enabled;
                    let (id, on) = (f.id.clone(), f.enabled);
                    let expired = f.expires.clone().filter(|_| f.expired(&state.tuning.today));
                    let replay = state.tuning_changed();
                    let hidden = state.filter_impact.get(selected).map_or(0, |i| i.matched);
                    // An expired filter suppresses nothing whichever way it is switched.
                    state.message = Some(match expired {
                        Some(day) => format!(
                            "{id} {}, but it expired {day}: it suppresses nothing (matches {hidden} finding(s))",
                            if on { "on" } else { "off" }
                        ),
                        None => format!(
                            "{id} {}: matches {hidden} finding(s)",
                            if on { "on" } else { "off" }
                        ),
                    });
                    // The incidents follow the switch as the findings do.
                    return replay.then_some(Effect::Replay);
                }
            }
        }
        Action::ToggleShowSuppressed => {
            state.show_suppressed = !state.show_suppressed;
            state.refresh();
        }
        Action::ProposeExclusion => propose(state),
        Action::ToggleCandidate(n) => {
            if let Overlay::Proposal(view) = &mut state.overlay {
                if let Some(c) = view.candidates.get_mut(usize::from(n).saturating_sub(1)) {
                    c.chosen = !c.chosen;
                }
                let (_, filter) = view.filter(&state.rows, &state.tuning.today);
                view.preview = preview(&state.rows, &filter);
                view.confirming = false;
            }
        }
        Action::SaveExclusion => return save_exclusion(state),
        Action::EditExclusion(field) => {
            if let Overlay::Proposal(view) = &state.overlay {
                let input = match field {
                    ExclusionField::Id => view.id.clone(),
                    ExclusionField::Reason => view.reason.clone(),
                    ExclusionField::Owner => view.owner.clone(),
                };
                state.prompt = Some(Prompt::new(PromptKind::Exclusion(field), input));
            }
        }
        Action::CopyValue => {
            let value = match state.focus {
                Focus::Pivot => state.selected_pivot().map(|p| p.value.clone()),
                _ => state
                    .selected_row()
                    .map(|r| state.pivot_key.value(r).to_string()),
            };
            match value {
                Some(v) => return Some(Effect::Copy(v)),
                None => state.message = Some("nothing selected to copy".into()),
            }
        }
        Action::CopyRecord => match state.selected_row() {
            Some(r) => {
                let record: serde_json::Map<String, serde_json::Value> = r
                    .fields
                    .iter()
                    .map(|(k, v)| (k.to_string(), serde_json::Value::String(v.clone())))
                    .collect();
                return Some(Effect::Copy(serde_json::Value::Object(record).to_string()));
            }
            None => state.message = Some("nothing selected to copy".into()),
        },
        Action::UndoExclusion => match state.last_saved.clone() {
            Some(saved) => return Some(Effect::UndoSave(saved)),
            None => state.message = Some("no exclusion saved in this session to undo".into()),
        },
        Action::Input(_) | Action::DeleteChar | Action::Submit => {}
    }
    None
}

/// `c` on a go-hunt event: a go hunt of the first user, address or device it names that is not
/// the one hunted, around its time; the current one is kept for `Esc`.
fn follow_event(state: &mut State) -> Option<Effect> {
    let Overlay::Context(view) = &state.overlay else {
        return None;
    };
    let event = view.events.as_ref()?.get(view.scroll)?;
    let Some(next) = event.entities.iter().find(|e| **e != view.entity).cloned() else {
        state.message = Some("this event names no other user, address or device".into());
        return None;
    };
    let center = event.time.unwrap_or(view.center);
    let Overlay::Context(current) = std::mem::replace(
        &mut state.overlay,
        Overlay::Context(ContextView {
            entity: next.clone(),
            center,
            half_window: HOUR,
            events: None,
            scroll: 0,
            open: false,
        }),
    ) else {
        return None;
    };
    state.hunt_trail.push(current);
    Some(Effect::Context {
        entity: next,
        center,
        half_window: HOUR,
    })
}

/// Saves the proposed exclusion when it is complete: conditions, an id no filter has, a
/// reason; over a warning, only at the second Enter.
fn save_exclusion(state: &mut State) -> Option<Effect> {
    let Overlay::Proposal(view) = &mut state.overlay else {
        return None;
    };
    let (chosen, filter) = view.filter(&state.rows, &state.tuning.today);
    let refusal = if chosen.is_empty() {
        Some("pick at least one condition (1-9) first".to_string())
    } else if filter.id.is_empty() {
        Some("give it an id first: n".to_string())
    } else if state.tuning.filters.iter().any(|f| f.id == filter.id) {
        Some(format!(
            "a filter is already called {}: n renames it",
            filter.id
        ))
    } else if filter.reason.is_empty() {
        Some(
            "say why these findings are safe to hide first: r (it goes into the file for review)"
                .to_string(),
        )
    } else {
        None
    };
    if let Some(refusal) = refusal {
        state.message = Some(refusal);
        return None;
    }
    let warnings = view.preview.warnings();
    if !warnings.is_empty() && !view.confirming {
        view.confirming = true;
        state.message = Some(format!(
            "it {}: Enter again saves it anyway, Esc cancels",
            warnings.join("; ")
        ));
        return None;
    }
    let block = filter_block(&filter, &chosen);
    Some(Effect::SaveFilter {
        path: state.tuning_path.clone(),
        block,
        filter: Box::new(filter),
    })
}

/// Opens an exclusion proposal for the selected finding, with its default conditions and preview.
fn propose(state: &mut State) {
    let Some(&row) = state.visible.get(state.selected) else {
        state.message = Some("select a finding first".into());
        return;
    };
    if state.tuning.today.is_empty() {
        state.tuning.today = crate::tuning::today();
    }
    let mut n = state.tuning.filters.len() + 1;
    while state
        .tuning
        .filters
        .iter()
        .any(|f| f.id == format!("exclusion-{n}"))
    {
        n += 1;
    }
    let id = format!("exclusion-{n}");
    let candidates = candidates(&state.rows[row]);
    let chosen: Vec<_> = candidates.iter().filter(|c| c.chosen).cloned().collect();
    let preview = preview(
        &state.rows,
        &proposed_filter(&state.rows[row], &chosen, &id, &state.tuning.today),
    );
    state.overlay = Overlay::Proposal(ProposalView {
        row,
        id,
        reason: String::new(),
        owner: String::new(),
        candidates,
        preview,
        confirming: false,
    });
}

/// Columns `>` adds to each text column of the findings table.
const WIDEN_STEP: u16 = 4;
