//! The Incidents view: what rule 000 would have raised over the data as Sentinel runs it
//! (every 15 minutes over the last hour, alerts grouped into incidents), and what the tuning
//! as it stands removes.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::findings::short_time;
use super::theme::{dim, draw_overlay, fit, row_style, safe, title, window};
use crate::kql::time::format_duration;
use crate::replay::both::Replays;
use crate::tui::state::{IncidentLevel, IncidentsView, ReplayState, State};

/// The counts the tuning panel and this view's title give: `5 incident(s), 12 alert(s)`, and
/// with tuning on, what it leaves and removes.
pub fn replay_counts(replays: &Replays) -> String {
    let u = &replays.untuned;
    let mut text = format!(
        "{} incident(s), {} alert(s)",
        u.incidents.len(),
        u.alerts.len()
    );
    if let Some(t) = &replays.tuned {
        let removed = replays.incidents_with("removed");
        text.push_str(&format!(
            "; tuned {} incident(s), {} alert(s): tuning removes {removed} of {} incident(s)",
            t.incidents.len(),
            t.alerts.len(),
            u.incidents.len()
        ));
    }
    text
}

pub fn draw(frame: &mut Frame, area: Rect, state: &State, view: &IncidentsView) {
    let c = state.color;
    let rect = super::overlay::centered(area, 96, 90);
    let width = usize::from(rect.width.saturating_sub(2));
    let height = usize::from(rect.height.saturating_sub(2));
    let (heading, lines): (String, Vec<Line>) = match &state.replay {
        ReplayState::Idle | ReplayState::Running => (
            String::new(),
            vec![Line::from("replaying rule 000 over the sign-ins...")],
        ),
        ReplayState::Unavailable(why) => (String::new(), vec![Line::from(safe(why))]),
        ReplayState::Done(replays) => {
            let (header, rows) = level_rows(replays, view.level);
            // The rows that fit under the header and the summary, the selection among them.
            let shown = window(view.selected, rows.len(), height.saturating_sub(2).max(1));
            let mut lines = vec![
                Line::from(Span::styled(fit(&replay_counts(replays), width), dim(c))),
                Line::from(Span::styled(fit(&header, width), title(c))),
            ];
            for (row, i) in rows[shown.clone()].iter().zip(shown) {
                let style = row_style(c, i == view.selected);
                lines.push(Line::from(Span::styled(fit(row, width), style)));
            }
            if rows.is_empty() {
                lines.push(Line::from("none: no run of the rule returned rows"));
            }
            (place(replays, view.level), lines)
        }
    };
    let title_text = format!(" Incidents{heading} (Enter opens, Esc goes back) ");
    draw_overlay(frame, rect, c, &title_text, Paragraph::new(lines));
}

/// Where the view is, for its title.
fn place(replays: &Replays, level: IncidentLevel) -> String {
    let u = &replays.untuned;
    let rule = &replays.rule;
    match level {
        IncidentLevel::Incidents => format!(
            ": rule 000 every {} over the last {}",
            format_duration(rule.frequency),
            format_duration(rule.period)
        ),
        IncidentLevel::Alerts { incident } => format!(" > #{}", u.incidents[incident].number),
        IncidentLevel::Events { incident, alert } => format!(
            " > #{} > alert {}",
            u.incidents[incident].number,
            short_time(u.alerts[alert].created)
        ),
    }
}

/// The header and one line per row of `level`.
fn level_rows(replays: &Replays, level: IncidentLevel) -> (String, Vec<String>) {
    let u = &replays.untuned;
    match level {
        IncidentLevel::Incidents => {
            let header = format!(
                "{:>5} {:<14} {:<32} {:>6} {:<9} Title",
                "#", "Created", "Activity", "Alerts", "Tuning"
            );
            let rows = u
                .incidents
                .iter()
                .map(|inc| {
                    // The diff names incidents by number.
                    let tuning = replays
                        .diff
                        .iter()
                        .find(|d| d.incident == inc.number)
                        .map_or("-", |d| d.status);
                    format!(
                        "{:>5} {:<14} {} .. {} {:>6} {:<9} {}",
                        inc.number,
                        short_time(inc.created),
                        short_time(inc.first_activity),
                        short_time(inc.last_activity),
                        inc.alerts.len(),
                        tuning,
                        safe(&inc.title)
                    )
                })
                .collect();
            (header, rows)
        }
        IncidentLevel::Alerts { incident } => {
            let header = format!(
                "{:<14} {:<32} {:>6} {:>8} Alert",
                "Created", "Query window", "Events", "Entities"
            );
            let rows = u.incidents[incident]
                .alerts
                .iter()
                .map(|&a| {
                    let alert = &u.alerts[a];
                    let (start, end) = u.runs[u.alert_run[a]].run.window;
                    format!(
                        "{:<14} {} .. {} {:>6} {:>8} {}",
                        short_time(alert.created),
                        short_time(start),
                        short_time(end),
                        alert.events.len(),
                        alert.entities.len(),
                        safe(&alert.name)
                    )
                })
                .collect();
            (header, rows)
        }
        IncidentLevel::Events { alert, .. } => {
            let header = format!(
                "{:<14} {:<24} {:<15} Sign-in (Enter: its finding)",
                "Time", "User", "IP"
            );
            let run = &u.runs[u.alert_run[alert]].run;
            let rows = u.alerts[alert]
                .events
                .iter()
                .map(|&e| {
                    let r = &run.rows[e].row;
                    format!(
                        "{:<14} {:<24} {:<15} {}",
                        short_time(r.time),
                        fit(&safe(&r.user), 24),
                        fit(&safe(&r.ip), 15),
                        safe(&r.summary)
                    )
                })
                .collect();
            (header, rows)
        }
    }
}
