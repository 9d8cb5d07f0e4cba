//! The detail pane: why the selected finding fired, every field, and the entity rule.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::Frame;

use super::theme::{border, key, safe};
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

pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let focused = state.focus == Focus::Detail;
    let position = if state.visible.is_empty() {
        0
    } else {
        state.selected + 1
    };
    let title_text = format!(" Detail {position}/{} ", state.visible.len());
    let para = Paragraph::new(detail_lines(state))
        .block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(border(state.color, focused))
                .title(title_text),
        )
        .wrap(Wrap { trim: false })
        .scroll((state.detail_scroll.min(u16::MAX as usize) as u16, 0));
    frame.render_widget(para, area);
}
