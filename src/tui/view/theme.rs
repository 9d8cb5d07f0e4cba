//! Styles, with and without colour (`NO_COLOR`), and the one way text from logs reaches the
//! screen: escaped.

use std::ops::Range;

use ratatui::style::{Color, Modifier, Style};

use crate::text::escape_unsafe;

/// Attacker-controlled text made safe to draw: control characters and bidi overrides escaped.
pub fn safe(text: &str) -> String {
    escape_unsafe(text)
}

/// `text` in at most `width` terminal columns, cut with a visible `…` when it is longer: a cut
/// address (`185.220.101.`) must not pass for another one.
pub fn fit(text: &str, width: usize) -> String {
    use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};
    if text.width() <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > width - 1 {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

/// The rows of a table `rows` long that a bordered table with a header row in `area` shows
/// while `selected` must show: where ratatui would scroll to, computed so that a frame builds
/// the rows on screen and not every row of the view.
pub fn shown_rows(area: ratatui::layout::Rect, selected: usize, rows: usize) -> Range<usize> {
    window(selected, rows, usize::from(area.height.saturating_sub(3)))
}

/// The rows of a list `rows` long shown in `height` lines while `selected` must show (it is
/// the last line once the list scrolls): every scrolled list of the console draws these.
pub fn window(selected: usize, rows: usize, height: usize) -> Range<usize> {
    if height == 0 || rows == 0 {
        return 0..0;
    }
    let first = selected.min(rows - 1).saturating_sub(height - 1);
    first..(first + height).min(rows)
}

/// A list row's style: highlighted when it is the selected one.
pub fn row_style(color: bool, is_selected: bool) -> Style {
    if is_selected {
        selected(color, true)
    } else {
        Style::default()
    }
}

/// Columns a count needs: its digits, or the header's width if wider.
pub fn count_width(max: usize, header: &str) -> usize {
    max.to_string().len().max(header.chars().count())
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
        Style::default().add_modifier(Modifier::DIM)
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

/// An overlay: `paragraph` in a bordered, focused box titled `title` (cut with `…` to the
/// box) over whatever was drawn in `area`.
pub fn draw_overlay(
    frame: &mut ratatui::Frame,
    area: ratatui::layout::Rect,
    color: bool,
    title: &str,
    paragraph: ratatui::widgets::Paragraph<'_>,
) {
    use ratatui::widgets::{Block, Borders, Clear};
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(border(color, true))
        .title(fit(title, usize::from(area.width.saturating_sub(2))));
    frame.render_widget(Clear, area);
    frame.render_widget(paragraph.block(block), area);
}

/// A bordered table with a title and a header row, its selected row highlighted when the pane
/// has focus: the shape both the findings and the pivot panes draw. `rows` are the rows on
/// screen only (see [`shown_rows`]) and `selection` counts from the
/// first of them.
#[allow(clippy::too_many_arguments)]
pub fn draw_table<'a>(
    frame: &mut ratatui::Frame,
    area: ratatui::layout::Rect,
    color: bool,
    focused: bool,
    title_text: String,
    header: ratatui::widgets::Row<'a>,
    rows: impl IntoIterator<Item = ratatui::widgets::Row<'a>>,
    widths: &[usize],
    selection: Option<usize>,
) {
    use ratatui::layout::Constraint;
    use ratatui::widgets::{Block, Borders, Table, TableState};
    // Exact widths: the callers make them add up to the pane, so nothing is cut unmarked.
    let widths = widths
        .iter()
        .map(|&w| Constraint::Length(u16::try_from(w).unwrap_or(u16::MAX)));
    let table = Table::new(rows, widths)
        .header(header.style(title(color)))
        .block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(border(color, focused))
                .title(fit(&title_text, usize::from(area.width.saturating_sub(2)))),
        )
        .row_highlight_style(selected(color, focused))
        .column_spacing(1);
    let mut state = TableState::default();
    state.select(selection);
    frame.render_stateful_widget(table, area, &mut state);
}
