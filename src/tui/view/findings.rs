//! The findings table: time, type, user, where (device or IP), and a one-line summary.

use ratatui::layout::Rect;
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
    let wide = is_wide(area);
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
        &widths,
        selection,
    );
}

/// Each column's width in `area`, adding up to the pane (so that ratatui never squeezes a
/// column and cuts its text without a `…`): time and type as they are, the text columns
/// widened by `widen` (as far as [`widen_room`] allows), and the summary the rest. On a pane
/// too narrow for all of it, the summary, then the text columns, then the type give way.
fn column_widths(area: Rect, wide: bool, widen: u16) -> Vec<usize> {
    let (fixed, text) = base_widths(wide);
    let inner = usize::from(area.width.saturating_sub(2));
    let extra = usize::from(widen.min(widen_room(area, wide)));
    let mut widths: Vec<usize> = fixed.to_vec();
    widths.extend(text.iter().map(|w| w + extra));
    let spacing = widths.len();
    let used: usize = widths.iter().sum::<usize>() + spacing;
    widths.push(inner.saturating_sub(used).max(SUMMARY_MIN));
    // Too narrow: take from the summary (down to 4), then the text columns (down to 6 each),
    // then the type (down to 4), one column at a time.
    let total = |w: &[usize]| w.iter().sum::<usize>() + w.len() - 1;
    let last = widths.len() - 1;
    let order: Vec<(usize, usize)> = std::iter::once((last, 4))
        .chain((2..last).rev().map(|i| (i, 6)))
        .chain(std::iter::once((1, 4)))
        .collect();
    for (i, floor) in order {
        let over = total(&widths).saturating_sub(inner);
        if over == 0 {
            break;
        }
        let give = over.min(widths[i].saturating_sub(floor));
        widths[i] -= give;
    }
    widths
}

/// Time and type, then the text columns (user, device and IP; or user and where).
fn base_widths(wide: bool) -> (&'static [usize], &'static [usize]) {
    if wide {
        (&[14, 10], &[10, 22, 15])
    } else {
        (&[14, 10], &[8, 15])
    }
}

/// The most `>` can add to each text column of a findings pane of `area`: what keeps the
/// summary at its minimum.
pub fn widen_room(area: Rect, wide: bool) -> u16 {
    let (fixed, text) = base_widths(wide);
    let inner = usize::from(area.width.saturating_sub(2));
    let base: usize = fixed.iter().chain(text).sum::<usize>() + fixed.len() + text.len();
    let room = inner.saturating_sub(base + SUMMARY_MIN) / text.len();
    u16::try_from(room).unwrap_or(u16::MAX)
}

/// Whether a findings pane of `area` shows device and IP apart.
pub fn is_wide(area: Rect) -> bool {
    area.width >= 110
}

/// The summary column never narrows below this.
const SUMMARY_MIN: usize = 10;
