//! The help overlay, generated from the key table: grouped by where the keys act, so it
//! cannot disagree with what the keys do.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::theme::{draw_overlay, fit, key, title};
use crate::tui::keys::{Scope, BINDINGS};
use crate::tui::state::State;

/// The help's lines for a screen of `area`: in two columns when one does not fit and the
/// screen is wide enough, else one (and scrolled).
pub fn help_lines(state: &State, area: Rect) -> Vec<Line<'static>> {
    let c = state.color;
    // Grouped by where the keys act, each group under its heading (an empty key).
    let groups: [(Scope, &str); 7] = [
        (Scope::Any, "Everywhere"),
        (Scope::Main, "Findings, pivot and detail"),
        (Scope::Context, "Go hunt (c)"),
        (Scope::Incidents, "Incidents (i)"),
        (Scope::Chains, "Chains (C)"),
        (Scope::Tuning, "Tuning panel (t)"),
        (Scope::Proposal, "Exclusion (a)"),
    ];
    let mut entries: Vec<(String, String)> = Vec::new();
    for (scope, heading) in groups {
        entries.push((String::new(), heading.to_string()));
        entries.extend(
            BINDINGS
                .iter()
                .filter(|b| b.scope == scope && !b.help.is_empty())
                .map(|b| (b.label.to_string(), b.help.to_string())),
        );
    }
    let inner_height = area.height.saturating_sub(3) as usize;
    // Two columns only where each keeps room for its text; else one, scrolled.
    let columns = if entries.len() > inner_height && area.width >= 80 {
        2
    } else {
        1
    };
    let per_column = entries.len().div_ceil(columns);
    let col_width = (area.width.saturating_sub(2) as usize) / columns;
    let mut lines: Vec<Line> = Vec::new();
    for row in 0..per_column {
        let mut spans = Vec::new();
        for col in 0..columns {
            if let Some((k, h)) = entries.get(col * per_column + row) {
                // One column between the text and the next column's key.
                if k.is_empty() {
                    let width = col_width.saturating_sub(1);
                    let text = fit(h, width);
                    spans.push(Span::styled(format!("{text:<width$} "), title(c)));
                    continue;
                }
                let width = col_width.saturating_sub(9);
                let text = fit(h, width);
                spans.push(Span::styled(format!("{k:<7} "), key(c)));
                spans.push(Span::raw(format!("{text:<width$} ")));
            }
        }
        lines.push(Line::from(spans));
    }
    lines.push(Line::from(fit(
        "Prompts: type, Backspace deletes, Enter accepts, Esc cancels. Ctrl+C quits.",
        usize::from(area.width.saturating_sub(2)),
    )));
    lines
}

/// Help from the key table, over the whole screen; a screen too small for all of it scrolls
/// (↑↓), and the title says what is below.
pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let lines = help_lines(state, area);
    let height = usize::from(area.height.saturating_sub(2));
    let first = state.help_scroll.min(lines.len().saturating_sub(height));
    let below = lines.len().saturating_sub(first + height);
    let title = if below > 0 || first > 0 {
        format!(" Help: ? or Esc closes; ↑↓ scroll, {below} more below ")
    } else {
        " Help: ? or Esc closes ".to_string()
    };
    let shown: Vec<Line> = lines.into_iter().skip(first).take(height).collect();
    draw_overlay(frame, area, state.color, &title, Paragraph::new(shown));
}
