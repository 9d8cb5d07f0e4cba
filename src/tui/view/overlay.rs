//! Overlays drawn over the main screen: help (from the key table) and the entity context.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use super::findings::short_time;
use super::theme::{border, dim, key, safe};
use crate::data::schema::TableKind;
use crate::tui::keys::{Scope, BINDINGS};
use crate::tui::state::{ContextView, State};

fn centered(area: Rect, width_pct: u16, height_pct: u16) -> Rect {
    let w = (area.width * width_pct / 100).max(20).min(area.width);
    let h = (area.height * height_pct / 100).max(5).min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// Help from the key table, in two columns when one does not fit.
pub fn draw_help(frame: &mut Frame, area: Rect, state: &State) {
    let c = state.color;
    let entries: Vec<(String, String)> = BINDINGS
        .iter()
        .map(|b| {
            let scope = if b.scope == Scope::Context {
                " (hunt view)"
            } else {
                ""
            };
            (b.label.to_string(), format!("{}{scope}", b.help))
        })
        .collect();
    let inner_height = area.height.saturating_sub(4) as usize;
    let columns = if entries.len() > inner_height && area.width >= 60 {
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
                let text: String = h.chars().take(col_width.saturating_sub(8)).collect();
                spans.push(Span::styled(format!("{k:<7} "), key(c)));
                spans.push(Span::raw(format!(
                    "{text:<width$}",
                    width = col_width.saturating_sub(8)
                )));
            }
        }
        lines.push(Line::from(spans));
    }
    lines.push(Line::from(
        "Prompts: type, Backspace deletes, Enter accepts, Esc cancels. Ctrl+C quits.",
    ));
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .title(" Help: ? or Esc closes "),
        ),
        area,
    );
}

fn table_label(t: TableKind) -> &'static str {
    match t {
        TableKind::SignIn => "signin",
        TableKind::ThreatIntel => "ti",
        TableKind::DeviceProcess => "process",
        TableKind::DeviceNetwork => "network",
    }
}

pub fn draw_context(frame: &mut Frame, area: Rect, state: &State, view: &ContextView) {
    let c = state.color;
    let rect = centered(area, 96, 80);
    let minutes = view.half_window / 60_000_000_000;
    let title = format!(
        " Go hunt: {} within ±{minutes} min of {} ",
        safe(&view.entity.label()),
        short_time(view.center)
    );
    let lines: Vec<Line> = match &view.events {
        None => vec![Line::from("querying all loaded tables...")],
        Some(events) if events.is_empty() => {
            vec![Line::from("no events of this entity in the window")]
        }
        Some(events) => events
            .iter()
            .skip(view.scroll)
            .map(|e| {
                let t = e.time.map_or("(indicator)   ".to_string(), short_time);
                Line::from(vec![
                    Span::raw(format!("{t} {:<7} ", table_label(e.table))),
                    Span::raw(safe(&e.summary)),
                    Span::styled(format!("  {}", safe(&e.source)), dim(c)),
                ])
            })
            .collect(),
    };
    let count = view
        .events
        .as_ref()
        .map_or(String::new(), |e| format!(" {} event(s) ", e.len()));
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(border(c, true))
                .title(title)
                .title_bottom(count),
        ),
        rect,
    );
}
