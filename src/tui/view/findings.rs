//! The findings table: time, type, user, where (device or IP), and a one-line summary.

use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Cell, Row};
use ratatui::Frame;

use super::theme::{dim, draw_table, fit, safe, shown_rows};
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
    let widths = column_widths(area, wide, state.widen);
    let shown = shown_rows(area, state.selected, state.visible.len());
    let first = shown.start;
    let rows = state.visible[shown].iter().map(|&i| {
        let r = &state.rows[i];
        let mut text = vec![
            short_time(r.time),
            short_type(r.kind).to_string(),
            safe(&r.user),
        ];
        if wide {
            text.push(safe(&r.device));
            text.push(safe(&r.ip));
        } else {
            let place = if r.device.is_empty() {
                &r.ip
            } else {
                &r.device
            };
            text.push(safe(place));
        }
        // A suppressed finding (shown with `v`) says which filters hide it.
        let by = state.suppressing(i);
        if by.is_empty() {
            text.push(safe(&r.summary));
        } else {
            text.push(format!(
                "[suppressed: {}] {}",
                safe(&by.join(",")),
                safe(&r.summary)
            ));
        }
        let row = Row::new(
            text.iter()
                .zip(&widths)
                .map(|(t, &w)| Cell::from(fit(t, w)))
                .collect::<Vec<_>>(),
        );
        if by.is_empty() {
            row
        } else {
            row.style(dim(c))
        }
    });
    let title_text = format!(" Findings {}/{} ", state.visible.len(), state.rows.len());
    let selection = (!state.visible.is_empty()).then(|| state.selected - first);
    draw_table(
        frame,
        area,
        c,
        focused,
        title_text,
        Row::new(header),
        rows,
        widths
            .iter()
            .map(|&w| Constraint::Length(w as u16))
            .collect(),
        selection,
    );
}

/// Each column's width in `area`: time and type as they are, the text columns widened by
/// `widen` (as far as the summary keeps 10 columns), and the summary the rest.
fn column_widths(area: Rect, wide: bool, widen: u16) -> Vec<usize> {
    let (fixed, text): (&[usize], &[usize]) = if wide {
        (&[14, 10], &[10, 22, 15])
    } else {
        (&[14, 10], &[8, 15])
    };
    let inner = usize::from(area.width.saturating_sub(2));
    let columns = fixed.len() + text.len() + 1;
    let base: usize = fixed.iter().chain(text).sum::<usize>() + (columns - 1);
    let room = inner.saturating_sub(base + SUMMARY_MIN) / text.len();
    let extra = usize::from(widen).min(room);
    let mut widths: Vec<usize> = fixed.to_vec();
    widths.extend(text.iter().map(|w| w + extra));
    let used = base + extra * text.len();
    widths.push(inner.saturating_sub(used).max(SUMMARY_MIN));
    widths
}

/// The summary column never narrows below this.
const SUMMARY_MIN: usize = 10;
