//! Overlays drawn over the main screen: the entity context (go hunt), the tuning panel and the
//! exclusion proposal.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use super::findings::short_time;
use super::theme::{border, dim, draw_overlay, fit, key, row_style, safe, window};
use crate::data::schema::TableKind;
use crate::data::values::format_datetime;
use crate::tui::state::{ContextView, ProposalView, ReplayState, State};

pub(super) fn centered(area: Rect, width_pct: u16, height_pct: u16) -> Rect {
    let w = (area.width * width_pct / 100).max(20).min(area.width);
    let h = (area.height * height_pct / 100).max(5).min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

fn table_label(t: TableKind) -> &'static str {
    match t {
        TableKind::SignIn => "signin",
        TableKind::ThreatIntel => "ti",
        TableKind::DeviceProcess => "process",
        TableKind::DeviceNetwork => "network",
        TableKind::LegacyThreatIntel => "legacy-ti",
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
    let width = usize::from(rect.width.saturating_sub(2));
    let height = usize::from(rect.height.saturating_sub(2));
    let mut wrap = false;
    let lines: Vec<Line> = match &view.events {
        None if state.events_loading.is_some() => vec![Line::from(
            "waiting for every event to load; this fills in by itself",
        )],
        None => vec![Line::from("querying all loaded tables...")],
        Some(events) if events.is_empty() => {
            vec![Line::from("no events of this entity in the window")]
        }
        // The selected event in full.
        Some(events) if view.open => {
            wrap = true;
            let e = &events[view.scroll.min(events.len() - 1)];
            let t = e.time.map_or("(indicator)".to_string(), format_datetime);
            vec![
                Line::from(format!("{} {t}", table_label(e.table))),
                Line::from(Span::styled(
                    format!(
                        "{}{}",
                        safe(&e.source),
                        if e.repeats > 1 {
                            format!(" and {} more row(s) saying the same", e.repeats - 1)
                        } else {
                            String::new()
                        }
                    ),
                    dim(c),
                )),
                Line::from(""),
                Line::from(safe(&e.summary)),
                Line::from(""),
                Line::from(Span::styled("Esc: back to the events", dim(c))),
            ]
        }
        // A table: the rows that fit, the selected one highlighted and always shown.
        Some(events) => {
            let shown = window(view.scroll, events.len(), height);
            events[shown.clone()]
                .iter()
                .zip(shown)
                .map(|(e, i)| {
                    let t = e.time.map_or("(indicator)   ".to_string(), short_time);
                    let repeats = if e.repeats > 1 {
                        format!("×{} ", e.repeats)
                    } else {
                        String::new()
                    };
                    // `◆` marks an event that is itself a finding.
                    let mark = if state.finding_at.contains_key(&e.source) {
                        '◆'
                    } else {
                        ' '
                    };
                    let text = format!(
                        "{mark}{t} {:<7} {repeats}{}  {}",
                        table_label(e.table),
                        safe(&e.summary),
                        safe(&e.source)
                    );
                    Line::from(Span::styled(
                        fit(&text, width),
                        row_style(c, i == view.scroll),
                    ))
                })
                .collect()
        }
    };
    let count = view
        .events
        .as_ref()
        .map_or(String::new(), |e| format!(" {} event(s) ", e.len()));
    draw_overlay(
        frame,
        rect,
        c,
        &format!("{}{count}", title.trim_end()),
        if wrap {
            Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: false })
        } else {
            Paragraph::new(lines)
        },
    );
}

/// The tuning panel: every filter, on or off, with what it matches and what only it hides.
pub fn draw_tuning(frame: &mut Frame, area: Rect, state: &State, selected: usize) {
    let c = state.color;
    let rect = centered(area, 96, 90);
    let mut list: Vec<Line> = Vec::new();
    for (i, f) in state.tuning.filters.iter().enumerate() {
        let (matched, only) = state
            .filter_impact
            .get(i)
            .map_or((0, 0), |i| (i.matched, i.only_this));
        // On or off as switched; an expired filter says so beside it (it suppresses nothing
        // either way).
        let mark = if f.enabled { "[x]" } else { "[ ]" };
        let site = if f.needs_site_values.is_some() {
            " (needs site values)"
        } else {
            ""
        };
        // The expiry before the free-text title, so that a narrow panel cuts the title.
        let expiry = match &f.expires {
            Some(day) if f.expired(&state.tuning.today) => format!("expired {} ", safe(day)),
            Some(day) => format!("until {} ", safe(day)),
            None => String::new(),
        };
        // The counts first: a narrow panel cuts the free text, never a number.
        let text = format!(
            "{mark} {matched:>5} {only:>5}  {:<20} {expiry}{}{site}",
            safe(&f.id),
            safe(&f.title)
        );
        let style = row_style(c, i == selected);
        let text = fit(&text, usize::from(rect.width.saturating_sub(2)));
        list.push(Line::from(Span::styled(text, style)));
    }
    if state.tuning.filters.is_empty() {
        list.push(Line::from(
            "no filters: open with --tuning FILE or --tuning builtin, or press `a` on a finding",
        ));
    } else {
        list.insert(
            0,
            Line::from(Span::styled(
                "on  match  only  filter (match: findings it matches; only: hidden by it alone)",
                dim(c),
            )),
        );
    }
    let mut detail: Vec<Line> = Vec::new();
    // What the tuning does to the rule's alerts and incidents comes first: the detail below
    // runs long and a small panel cuts its end.
    if let ReplayState::Done(replays) = &state.replay {
        detail.push(Line::from(Span::styled(
            format!(
                "Rule 000 replayed (i): {}",
                super::incidents::replay_counts(replays)
            ),
            key(c),
        )));
    } else if matches!(state.replay, ReplayState::Running) {
        detail.push(Line::from("Rule 000 replayed (i): replaying..."));
    } else {
        detail.push(Line::from(Span::styled(
            "i: the alerts and incidents rule 000 would raise, and what this tuning removes",
            dim(c),
        )));
    }
    if let Some(f) = state.tuning.filters.get(selected) {
        detail.push(Line::from(vec![
            Span::styled("Why: ", key(c)),
            Span::raw(safe(&f.reason)),
        ]));
        let expiry = match &f.expires {
            Some(day) if f.expired(&state.tuning.today) => {
                format!("; expired {}: it suppresses nothing", safe(day))
            }
            Some(day) => format!("; expires {}", safe(day)),
            None => "; never expires".to_string(),
        };
        detail.push(Line::from(Span::styled(
            format!("Defined at {}{expiry}", safe(&f.origin)),
            dim(c),
        )));
    }
    detail.push(Line::from(Span::styled(
        format!(
            "New exclusions are saved to {}",
            safe(&state.tuning_path.display().to_string())
        ),
        dim(c),
    )));
    let title = format!(
        " Tuning: {} suppressed ({}) ",
        state.suppressed_count(),
        if state.show_suppressed {
            "shown"
        } else {
            "hidden"
        }
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(border(c, true))
        .title(title);
    let inner = block.inner(rect);
    frame.render_widget(Clear, rect);
    frame.render_widget(block, rect);
    let list_height = (list.len() as u16 + 1).min(inner.height.saturating_sub(2));
    let [top, bottom] = ratatui::layout::Layout::vertical([
        ratatui::layout::Constraint::Length(list_height),
        ratatui::layout::Constraint::Min(1),
    ])
    .areas(inner);
    frame.render_widget(Paragraph::new(list), top);
    frame.render_widget(
        Paragraph::new(detail).wrap(ratatui::widgets::Wrap { trim: false }),
        bottom,
    );
}

/// The exclusion proposal: candidate conditions, and what the filter would hide before saving.
pub fn draw_proposal(frame: &mut Frame, area: Rect, state: &State, view: &ProposalView) {
    let c = state.color;
    let rect = centered(area, 96, 90);
    let (_, filter) = view.filter(&state.rows, &state.tuning.today);
    let field = |label: &str, value: &str, hint: &str| {
        Line::from(vec![
            Span::styled(format!("{label:<8}"), key(c)),
            if value.is_empty() {
                Span::styled(hint.to_string(), dim(c))
            } else {
                Span::raw(safe(value))
            },
        ])
    };
    let mut lines: Vec<Line> = vec![
        field("Id", &view.id, "(n: give it an id)"),
        field(
            "Reason",
            &view.reason,
            "(r: say why these findings are safe to hide; required)",
        ),
        field("Owner", &view.owner, "(w: who answers for it)"),
        field(
            "Expires",
            filter.expires.as_deref().unwrap_or(""),
            "(never)",
        ),
    ];
    // What it would hide and the warnings come before the conditions: a small screen cuts the
    // end of the box, and the warnings must be read before Enter.
    let p = &view.preview;
    let by_type: Vec<String> = p.by_type.iter().map(|(k, n)| format!("{k} {n}")).collect();
    lines.push(Line::from(format!(
        "Would hide {} finding(s) across all loaded data: {}",
        p.total,
        by_type.join(", ")
    )));
    let users: Vec<String> = p.users.iter().take(8).map(|u| safe(u)).collect();
    let more = if p.users.len() > 8 {
        format!(" and {} more", p.users.len() - 8)
    } else {
        String::new()
    };
    lines.push(Line::from(format!("Users: {}{more}", users.join(", "))));
    for w in p.warnings() {
        lines.push(Line::from(Span::styled(
            format!("WARNING: {}", safe(&w)),
            key(c),
        )));
    }
    lines.push(Line::from(Span::styled(
        if view.confirming {
            format!(
                "Enter again saves it to {} despite the warnings; Esc cancels.",
                safe(&state.tuning_path.display().to_string())
            )
        } else {
            format!(
                "Enter saves to {} (appended; comments kept; u undoes). Esc cancels.",
                safe(&state.tuning_path.display().to_string())
            )
        },
        dim(c),
    )));
    lines.push(Line::from(format!(
        "For {} findings; conditions (all must hold; 1-9 picks):",
        state.rows[view.row].kind.name()
    )));
    for (i, cand) in view.candidates.iter().enumerate() {
        let mark = if cand.chosen { "[x]" } else { "[ ]" };
        lines.push(Line::from(vec![
            Span::styled(format!(" {} ", i + 1), key(c)),
            Span::raw(format!("{mark} {}", safe(&cand.label))),
        ]));
    }
    let text = Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: false });
    draw_overlay(frame, rect, c, " Propose an exclusion ", text);
}
