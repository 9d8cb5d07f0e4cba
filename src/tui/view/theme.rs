//! Styles, with and without colour (`NO_COLOR`), and the one way text from logs reaches the
//! screen: escaped.

use ratatui::style::{Color, Modifier, Style};

use crate::text::escape_unsafe;

/// Attacker-controlled text made safe to draw: control characters and bidi overrides escaped.
pub fn safe(text: &str) -> String {
    escape_unsafe(text)
}

pub fn title(color: bool) -> Style {
    let s = Style::default().add_modifier(Modifier::BOLD);
    if color {
        s.fg(Color::Cyan)
    } else {
        s
    }
}

pub fn selected(color: bool, focused: bool) -> Style {
    let s = Style::default().add_modifier(Modifier::REVERSED);
    if color && focused {
        s.fg(Color::Yellow)
    } else if focused {
        s.add_modifier(Modifier::BOLD)
    } else {
        s
    }
}

pub fn border(color: bool, focused: bool) -> Style {
    match (color, focused) {
        (true, true) => Style::default().fg(Color::Yellow),
        (false, true) => Style::default().add_modifier(Modifier::BOLD),
        _ => Style::default(),
    }
}

pub fn dim(color: bool) -> Style {
    if color {
        Style::default().fg(Color::DarkGray)
    } else {
        Style::default()
    }
}

pub fn key(color: bool) -> Style {
    let s = Style::default().add_modifier(Modifier::BOLD);
    if color {
        s.fg(Color::Green)
    } else {
        s
    }
}

/// A bordered table with a title and a header row, its selected row highlighted when the pane
/// has focus: the shape both the findings and the pivot panes draw.
#[allow(clippy::too_many_arguments)]
pub fn draw_table<'a>(
    frame: &mut ratatui::Frame,
    area: ratatui::layout::Rect,
    color: bool,
    focused: bool,
    title_text: String,
    header: ratatui::widgets::Row<'a>,
    rows: impl IntoIterator<Item = ratatui::widgets::Row<'a>>,
    widths: Vec<ratatui::layout::Constraint>,
    selection: Option<usize>,
) {
    use ratatui::widgets::{Block, Borders, Table, TableState};
    let table = Table::new(rows, widths)
        .header(header.style(title(color)))
        .block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(border(color, focused))
                .title(title_text),
        )
        .row_highlight_style(selected(color, focused))
        .column_spacing(1);
    let mut state = TableState::default();
    state.select(selection);
    frame.render_stateful_widget(table, area, &mut state);
}
