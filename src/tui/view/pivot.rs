//! The pivot panel: a frequency table of the visible findings by the current key.

use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::Row;
use ratatui::Frame;

use super::findings::short_time;
use super::theme::{draw_table, safe};
use crate::tui::state::{Focus, State};

pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let c = state.color;
    let focused = state.focus == Focus::Pivot;
    let other = state.pivot_key.counterpart().label();
    let show_times = area.width >= 60;
    let mut header = vec!["Value".to_string(), "#".to_string(), format!("{other}s")];
    if show_times {
        header.push("First".into());
        header.push("Last".into());
    }
    let rows = state.pivot.iter().map(|e| {
        let mut cells = vec![safe(&e.value), e.count.to_string(), e.distinct.to_string()];
        if show_times {
            cells.push(short_time(e.first));
            cells.push(short_time(e.last));
        }
        Row::new(cells)
    });
    let mut widths = vec![
        Constraint::Min(12),
        Constraint::Length(4),
        Constraint::Length(8),
    ];
    if show_times {
        widths.push(Constraint::Length(14));
        widths.push(Constraint::Length(14));
    }
    let title_text = format!(
        " Pivot by {} ({}) ",
        state.pivot_key.label(),
        state.pivot.len()
    );
    let selection = (!state.pivot.is_empty()).then_some(state.pivot_selected);
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
