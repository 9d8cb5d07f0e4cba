//! The footer: a status message or an open prompt, else key hints from the key table.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::theme::{fit, key, safe, title};
use crate::tui::keys::footer_hints;
use crate::tui::state::{ExclusionField, Focus, Overlay, PromptKind, State};

pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let c = state.color;
    let line = if let Some(p) = &state.prompt {
        let label = match p.kind {
            PromptKind::Find => "find: ",
            PromptKind::Export => "export (.csv .json .ndjson .parquet; ! overwrites): ",
            PromptKind::Exclusion(ExclusionField::Id) => "exclusion id: ",
            PromptKind::Exclusion(ExclusionField::Reason) => "why is it safe to hide these: ",
            PromptKind::Exclusion(ExclusionField::Owner) => "owner: ",
        };
        // A long input shows its end, where the cursor is.
        let room = usize::from(area.width).saturating_sub(label.chars().count() + 1);
        let input = safe(&p.input);
        let count = input.chars().count();
        let shown = if count > room {
            let tail: String = input.chars().skip(count + 1 - room.max(1)).collect();
            format!("…{tail}")
        } else {
            input
        };
        // A value the prompt opened with is replaced by the first character typed.
        let style = if p.fresh {
            ratatui::style::Style::default().add_modifier(ratatui::style::Modifier::REVERSED)
        } else {
            ratatui::style::Style::default()
        };
        Line::from(vec![
            Span::styled(label, title(c)),
            Span::styled(shown, style),
            Span::raw("_"),
        ])
    } else if let Some(m) = &state.message {
        Line::from(Span::raw(fit(&safe(m), usize::from(area.width))))
    } else {
        let mut spans = Vec::new();
        // Which pane the keys act on, in words (colour may be off).
        if state.overlay == Overlay::None {
            let pane = match state.focus {
                Focus::Findings => "[findings] ",
                Focus::Pivot => "[pivot] ",
                Focus::Detail => "[detail] ",
            };
            spans.push(Span::styled(pane, title(c)));
        }
        // Whole hints only, as many as fit; `…` says there are more (`?` lists them all).
        let mut used: usize = spans.iter().map(|s| s.width()).sum();
        let room = usize::from(area.width);
        for (k, h) in footer_hints(state.overlay.scope()) {
            let hint = format!(" {h}  ");
            let width = k.chars().count() + hint.chars().count();
            if used + width > room.saturating_sub(1) {
                spans.push(Span::raw("…"));
                break;
            }
            used += width;
            spans.push(Span::styled(k, key(c)));
            spans.push(Span::raw(hint));
        }
        Line::from(spans)
    };
    frame.render_widget(Paragraph::new(line), area);
}
