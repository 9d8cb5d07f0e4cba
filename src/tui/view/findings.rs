//! The findings table: time, type, user, where (device or IP), and a one-line summary.

use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Cell, Row};
use ratatui::Frame;

use super::theme::{draw_table, safe};
use crate::data::values::format_datetime;
use crate::detect::DetectionType;
use crate::tui::state::{Focus, State};

pub fn short_type(kind: DetectionType) -> &'static str {
    match kind {
        DetectionType::AnonymizedSignIn => "AnonSignIn",
        DetectionType::ProxyToolLaunch => "ProxyTool",
        DetectionType::TorPortConnection => "TorPort",
        DetectionType::SshMultiHopProxy => "SSHProxy",
    }
}

/// `MM-DD HH:MM:SS` of a finding.
pub fn short_time(t: i64) -> String {
    let full = format_datetime(t);
    format!("{} {}", &full[5..10], &full[11..19])
}

pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let c = state.color;
    let focused = state.focus == Focus::Findings;
    let wide = area.width >= 110;
    let header: Vec<&str> = if wide {
        vec!["Time", "Type", "User", "Device", "IP", "Summary"]
    } else {
        vec!["Time", "Type", "User", "Where", "Summary"]
    };
    let rows = state.visible.iter().map(|&i| {
        let r = &state.rows[i];
        let mut cells = vec![
            Cell::from(short_time(r.time)),
            Cell::from(short_type(r.kind)),
            Cell::from(safe(&r.user)),
        ];
        if wide {
            cells.push(Cell::from(safe(&r.device)));
            cells.push(Cell::from(safe(&r.ip)));
        } else {
            let place = if r.device.is_empty() {
                &r.ip
            } else {
                &r.device
            };
            cells.push(Cell::from(safe(place)));
        }
        cells.push(Cell::from(safe(&r.summary)));
        Row::new(cells)
    });
    let widths: Vec<Constraint> = if wide {
        vec![
            Constraint::Length(14),
            Constraint::Length(10),
            Constraint::Length(10),
            Constraint::Length(22),
            Constraint::Length(15),
            Constraint::Min(10),
        ]
    } else {
        vec![
            Constraint::Length(14),
            Constraint::Length(10),
            Constraint::Length(8),
            Constraint::Length(15),
            Constraint::Min(10),
        ]
    };
    let title_text = format!(" Findings {}/{} ", state.visible.len(), state.rows.len());
    let selection = (!state.visible.is_empty()).then_some(state.selected);
    draw_table(
        frame,
        area,
        c,
        focused,
        title_text,
        Row::new(header),
        rows,
        widths,
        selection,
    );
}
