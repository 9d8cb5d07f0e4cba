//! The detail pane: why the selected finding fired, every field, and the entity rule.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use super::theme::{border, draw_overlay, key, safe};
use crate::detect::DetectionType;
use crate::tui::state::{Focus, State};

/// The lines of the detail pane for the selected finding.
pub fn detail_lines(state: &State) -> Vec<Line<'static>> {
    let c = state.color;
    let Some(row) = state.selected_row() else {
        return vec![Line::from("no finding selected")];
    };
    let mut lines = vec![Line::from(vec![
        Span::styled("Why: ", key(c)),
        Span::raw(safe(row.get("Reason"))),
    ])];
    let by = state
        .visible
        .get(state.selected)
        .map_or(&[][..], |&i| state.suppressing(i));
    if !by.is_empty() {
        lines.push(Line::from(vec![
            Span::styled("Suppressed by: ", key(c)),
            Span::raw(format!(
                "{} (shown because suppressed findings are shown: t, v)",
                safe(&by.join(", "))
            )),
        ]));
    }
    if row.kind == DetectionType::AnonymizedSignIn {
        if let Some(inds) = state.indicators.get(&row.ip) {
            for ind in inds {
                lines.push(Line::from(format!("  TI: {}", safe(ind))));
            }
        }
    }
    for (k, v) in &row.fields {
        if *k == "Reason" {
            continue;
        }
        lines.push(Line::from(vec![
            Span::styled(format!("{k}: "), key(c)),
            Span::raw(safe(v)),
        ]));
    }
    lines.push(Line::from(
        "User rule: account lower-cased, domain and UPN suffix dropped (alice@contoso.com = CONTOSO\\alice = alice)",
    ));
    lines
}

/// The detail lines cut into rows of at most `width` columns, at the last space that fits
/// (inside a word only when the word alone is wider): every character of the longest value (a
/// padded 50,000-character command line) is on some row, and the number of rows is exact, so
/// scrolling reaches the last field.
pub fn wrapped_lines(state: &State, width: usize) -> Vec<Line<'static>> {
    let width = width.max(1);
    let mut out = Vec::new();
    for line in detail_lines(state) {
        let cells: Vec<(char, Style)> = line
            .spans
            .iter()
            .flat_map(|s| s.content.chars().map(move |c| (c, s.style)))
            .collect();
        for row in wrap_cells(&cells, width) {
            out.push(styled_row(row));
        }
    }
    out
}

/// Rows of at most `width` columns: greedy, breaking after the last space of a row that
/// overflows, or where it overflows when it has none.
/// Plain text wrapped as the detail pane wraps: at spaces, inside a word only when it is
/// wider than the pane.
pub fn wrap_text(text: &str, width: usize) -> Vec<String> {
    let cells: Vec<(char, Style)> = text.chars().map(|c| (c, Style::default())).collect();
    wrap_cells(&cells, width.max(1))
        .into_iter()
        .map(|row| row.iter().map(|(c, _)| *c).collect())
        .collect()
}

fn wrap_cells(cells: &[(char, Style)], width: usize) -> Vec<&[(char, Style)]> {
    use unicode_width::UnicodeWidthChar;
    let mut rows = Vec::new();
    let (mut start, mut used, mut space) = (0, 0, None);
    let mut i = 0;
    while i < cells.len() {
        let w = cells[i].0.width().unwrap_or(0);
        if used + w > width && i > start {
            let end = match space {
                Some(s) if s > start => s + 1,
                _ => i,
            };
            rows.push(&cells[start..end]);
            (start, used, space, i) = (end, 0, None, end);
            continue;
        }
        if cells[i].0 == ' ' {
            space = Some(i);
        }
        used += w;
        i += 1;
    }
    rows.push(&cells[start..]);
    rows
}

/// One row's characters as spans of equal style.
fn styled_row(cells: &[(char, Style)]) -> Line<'static> {
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut text = String::new();
    let mut style = cells.first().map_or(Style::default(), |c| c.1);
    for &(c, s) in cells {
        if s != style {
            spans.push(Span::styled(std::mem::take(&mut text), style));
            style = s;
        }
        text.push(c);
    }
    spans.push(Span::styled(text, style));
    Line::from(spans)
}

/// The first row shown when `scroll` rows are asked to be skipped of `total` rows in a pane
/// `height` rows high: never past the last screenful.
pub fn clamp_scroll(scroll: usize, total: usize, height: usize) -> usize {
    scroll.min(total.saturating_sub(height))
}

/// Rows of the detail pane in `area` (inside its border) for the selected finding.
pub fn detail_rows(state: &State, area: Rect) -> usize {
    wrapped_lines(state, usize::from(area.width.saturating_sub(2))).len()
}

pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let focused = state.focus == Focus::Detail;
    let position = if state.visible.is_empty() {
        0
    } else {
        state.selected + 1
    };
    let lines = wrapped_lines(state, usize::from(area.width.saturating_sub(2)));
    let height = usize::from(area.height.saturating_sub(2));
    let first = clamp_scroll(state.detail_scroll, lines.len(), height);
    let more = if first + height < lines.len() {
        format!("↓{} more (o: whole record) ", lines.len() - first - height)
    } else {
        String::new()
    };
    let title_text = format!(" Detail {position}/{} {more}", state.visible.len());
    let shown: Vec<Line> = lines.into_iter().skip(first).take(height).collect();
    let para = Paragraph::new(shown).block(
        Block::default()
            .borders(Borders::ALL)
            .border_style(border(state.color, focused))
            .title(super::theme::fit(
                &title_text,
                usize::from(area.width.saturating_sub(2)),
            )),
    );
    frame.render_widget(para, area);
}

/// The selected finding's whole record over the whole screen.
pub fn draw_record(frame: &mut Frame, area: Rect, state: &State, scroll: usize) {
    let lines = wrapped_lines(state, usize::from(area.width.saturating_sub(2)));
    let height = usize::from(area.height.saturating_sub(2));
    let first = clamp_scroll(scroll, lines.len(), height);
    let last = (first + height).min(lines.len());
    let title_text = format!(
        " Record: rows {}-{last} of {} (↑↓ PgUp PgDn g G scroll, Esc closes) ",
        first + 1,
        lines.len()
    );
    let shown: Vec<Line> = lines.into_iter().skip(first).take(height).collect();
    draw_overlay(frame, area, state.color, &title_text, Paragraph::new(shown));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str, width: usize) -> Vec<String> {
        let cells: Vec<(char, Style)> = text.chars().map(|c| (c, Style::default())).collect();
        wrap_cells(&cells, width)
            .into_iter()
            .map(|r| r.iter().map(|c| c.0).collect())
            .collect()
    }

    #[test]
    fn wraps_at_spaces_and_inside_words_only_when_they_are_wider() {
        assert_eq!(rows("ab cd ef", 5), ["ab ", "cd ef"]);
        assert_eq!(rows("abcdefgh", 3), ["abc", "def", "gh"]);
        assert_eq!(rows("a bcdefgh", 3), ["a ", "bcd", "efg", "h"]);
        assert_eq!(rows("", 3), [""]);
        // Every character is kept, however long the value.
        let long = "x".repeat(50_000) + " tail";
        let joined: String = rows(&long, 40).concat();
        assert_eq!(joined, long);
        // Wide characters count two columns.
        assert_eq!(rows("日本語", 4), ["日本", "語"]);
    }
}
