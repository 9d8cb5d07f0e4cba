//! The pivot panel: a frequency table of the visible findings by the current key.

use ratatui::layout::Rect;
use ratatui::widgets::Row;
use ratatui::Frame;

use super::findings::short_time;
use super::theme::{count_width, draw_table, fit, safe, shown_rows};
use crate::tui::state::{Focus, State};

pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let c = state.color;
    let focused = state.focus == Focus::Pivot;
    let other = format!("{}s", state.pivot_key.counterpart().label());
    let show_times = area.width >= 60;
    let mut header = vec!["Value".to_string(), "#".to_string(), other.clone()];
    if show_times {
        header.push("First".into());
        header.push("Last".into());
    }
    // Counts are never cut: their columns are as wide as the largest.
    let count = count_width(state.pivot.iter().map(|e| e.count).max().unwrap_or(0), "#");
    let distinct = count_width(
        state.pivot.iter().map(|e| e.distinct).max().unwrap_or(0),
        &other,
    );
    let mut widths = vec![count, distinct];
    if show_times {
        widths.extend([14, 14]);
    }
    let inner = usize::from(area.width.saturating_sub(2));
    let value = inner
        .saturating_sub(widths.iter().sum::<usize>() + widths.len())
        .max(4);
    widths.insert(0, value);
    let shown = shown_rows(area, state.pivot_selected, state.pivot.len());
    let first = shown.start;
    let rows = state.pivot[shown].iter().map(|e| {
        let mut cells = vec![
            fit(&safe(&e.value), value),
            e.count.to_string(),
            e.distinct.to_string(),
        ];
        if show_times {
            cells.push(short_time(e.first));
            cells.push(short_time(e.last));
        }
        Row::new(cells)
    });
    let title_text = format!(
        " Pivot by {} ({}) ",
        state.pivot_key.label(),
        state.pivot.len()
    );
    let selection = (!state.pivot.is_empty()).then(|| state.pivot_selected - first);
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
