//! The Chains view: findings of different detection types joined by user, device, address and
//! time; users with anonymised sign-ins ranked, the stolen-token story first.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::findings::short_time;
use super::theme::{dim, draw_overlay, fit, row_style, safe, title, window};
use crate::tui::state::{ChainsView, State};

pub fn draw(frame: &mut Frame, area: Rect, state: &State, view: &ChainsView) {
    let c = state.color;
    let rect = super::overlay::centered(area, 96, 90);
    let width = usize::from(rect.width.saturating_sub(2));
    let height = usize::from(rect.height.saturating_sub(2));
    let mut lines: Vec<Line> = Vec::new();
    let (place, header, rows): (String, String, Vec<String>) = match view.open {
        None => {
            let header = format!(
                "{:>4} {:<22} {:<16} {:>5} Summary",
                "Rank", "Verdict", "User", "Finds"
            );
            let rows = state
                .chains
                .iter()
                .map(|ch| {
                    format!(
                        "{:>4} {:<22} {:<16} {:>5} {}",
                        ch.rank.map_or("-".to_string(), |r| r.to_string()),
                        fit(ch.kind.verdict(), 22),
                        fit(&safe(&ch.user), 16),
                        ch.findings.len(),
                        // The day the sentence starts with is in its times already.
                        safe(
                            ch.summary
                                .split_once(" (UTC): ")
                                .map_or(&ch.summary, |(_, s)| s)
                        )
                    )
                })
                .collect();
            (String::new(), header, rows)
        }
        Some(i) => {
            let Some(ch) = state.chains.get(i) else {
                return;
            };
            // The chain's sentence, wrapped over at most three lines above its findings.
            // The sentence whole where the screen allows (a third of it), its verdict last.
            for text in super::detail::wrap_text(&safe(&ch.summary), width)
                .into_iter()
                .take((height / 3).max(3))
            {
                lines.push(Line::from(Span::styled(text, dim(c))));
            }
            let header = format!(
                "{:<14} {:<20} {:<16} {:<24} Finding",
                "Time", "DetectionType", "User", "Device / IP"
            );
            let rows = ch
                .findings
                .iter()
                .filter_map(|&r| state.rows.get(r))
                .map(|row| {
                    format!(
                        "{:<14} {:<20} {:<16} {:<24} {}",
                        short_time(row.time),
                        row.kind.name(),
                        fit(&safe(&row.user), 16),
                        // A sign-in has no device: its address stands there.
                        fit(
                            &safe(if row.device.is_empty() {
                                &row.ip
                            } else {
                                &row.device
                            }),
                            24
                        ),
                        safe(&row.summary)
                    )
                })
                .collect();
            (
                format!(
                    " > {} ({}) {}",
                    ch.kind.name(),
                    ch.kind.verdict(),
                    safe(&ch.user)
                ),
                header,
                rows,
            )
        }
    };
    let room = height.saturating_sub(lines.len() + 1).max(1);
    let shown = window(view.selected, rows.len(), room);
    lines.push(Line::from(Span::styled(fit(&header, width), title(c))));
    for (row, i) in rows[shown.clone()].iter().zip(shown) {
        let style = row_style(c, i == view.selected);
        lines.push(Line::from(Span::styled(fit(row, width), style)));
    }
    if rows.is_empty() {
        lines.push(Line::from(
            "none: no findings of two detection types meet by user, device or address",
        ));
    }
    let title_text = format!(
        " Chains{place}: {} (Enter opens, Esc goes back) ",
        state.chains.len()
    );
    draw_overlay(frame, rect, c, &title_text, Paragraph::new(lines));
}
