//! The pivot panel: a frequency table of the visible findings by the current key.

use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Block, Borders, Row, Table, TableState};
use ratatui::Frame;

use super::findings::short_time;
use super::theme::{border, safe, selected, title};
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
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(title(c)))
        .block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(border(c, focused))
                .title(title_text),
        )
        .row_highlight_style(selected(c, focused))
        .column_spacing(1);
    let mut ts = TableState::default();
    if !state.pivot.is_empty() {
        ts.select(Some(state.pivot_selected));
    }
    frame.render_stateful_widget(table, area, &mut ts);
}
