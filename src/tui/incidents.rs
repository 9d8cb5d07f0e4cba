//! The Incidents view's moves: open an incident to its alerts, an alert to its events, an
//! event to its finding in the table; back up a level at a time.

use super::state::{IncidentLevel, IncidentsView, Overlay, ReplayState, State};
use crate::detect::DetectionType;
use crate::replay::both::Replays;

/// The rows the view lists at `level`: incidents, an incident's alerts, or an alert's events.
pub fn rows_at(replays: &Replays, level: IncidentLevel) -> usize {
    let untuned = &replays.untuned;
    match level {
        IncidentLevel::Incidents => untuned.incidents.len(),
        IncidentLevel::Alerts { incident } => untuned
            .incidents
            .get(incident)
            .map_or(0, |i| i.alerts.len()),
        IncidentLevel::Events { alert, .. } => {
            untuned.alerts.get(alert).map_or(0, |a| a.events.len())
        }
    }
}

/// The number of rows of the open view's level (0 while the replay runs).
pub fn open_rows(state: &State) -> usize {
    match (&state.overlay, &state.replay) {
        (Overlay::Incidents(view), ReplayState::Done(r)) => rows_at(r, view.level),
        _ => 0,
    }
}

/// Enter: one level down, or from an event to its finding.
pub fn select(state: &mut State) {
    let (Overlay::Incidents(view), ReplayState::Done(replays)) = (&state.overlay, &state.replay)
    else {
        return;
    };
    let mut view: IncidentsView = view.clone();
    if rows_at(replays, view.level) == 0 {
        return;
    }
    let untuned = &replays.untuned;
    let next = match view.level {
        IncidentLevel::Incidents => IncidentLevel::Alerts {
            incident: view.selected,
        },
        IncidentLevel::Alerts { incident } => IncidentLevel::Events {
            incident,
            alert: untuned.incidents[incident].alerts[view.selected],
        },
        IncidentLevel::Events { alert, .. } => {
            let run = &untuned.runs[untuned.alert_run[alert]].run;
            let event = run.rows[untuned.alerts[alert].events[view.selected]]
                .event
                .clone();
            show_finding(state, &event);
            return;
        }
    };
    view.above.push(view.selected);
    view.level = next;
    view.selected = 0;
    state.overlay = Overlay::Incidents(view);
}

/// Esc: one level up; closes the view from the top.
pub fn back(state: &mut State) {
    let Overlay::Incidents(view) = &mut state.overlay else {
        return;
    };
    view.level = match view.level {
        IncidentLevel::Incidents => {
            state.overlay = Overlay::None;
            return;
        }
        IncidentLevel::Alerts { .. } => IncidentLevel::Incidents,
        IncidentLevel::Events { incident, .. } => IncidentLevel::Alerts { incident },
    };
    view.selected = view.above.pop().unwrap_or(0);
}

/// Selects the finding of sign-in `event` (`SourceFile:SourceLine`) in the findings table, so
/// that every console move applies to it; says why when it is not there.
fn show_finding(state: &mut State, event: &str) {
    let found = state.finding_at.get(event).copied();
    let Some(row) = found.filter(|&i| state.rows[i].kind == DetectionType::AnonymizedSignIn) else {
        state.message = Some(format!(
            "{event} is not among the findings at now(): its indicator was active at the run, not at now()"
        ));
        return;
    };
    match state.select_finding(row) {
        Ok(()) => {
            // `i` comes back to this alert's events.
            if let Overlay::Incidents(view) = std::mem::replace(&mut state.overlay, Overlay::None) {
                state.incidents_left = Some(view);
            }
        }
        Err(why) => state.message = Some(why),
    }
}
