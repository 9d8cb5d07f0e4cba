//! The header: what is loaded, `now`, the window, drill-downs, find, sort, and the timeline.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::theme::{dim, safe, title};
use crate::data::schema::TableKind;
use crate::data::values::format_datetime;
use crate::explore::timeline::histogram;
use crate::tui::state::{Phase, State};

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

fn short_table(t: TableKind) -> &'static str {
    match t {
        TableKind::SignIn => "SignIns",
        TableKind::ThreatIntel => "TI",
        TableKind::DeviceProcess => "Proc",
        TableKind::DeviceNetwork => "Net",
        TableKind::LegacyThreatIntel => "LegacyTI",
    }
}

/// A row count that fits the header at 80 columns: exact below 100k, then `512k`, `5.0M`.
fn compact_count(n: usize) -> String {
    match n {
        0..100_000 => n.to_string(),
        100_000..1_000_000 => format!("{}k", n / 1000),
        _ => format!("{:.1}M", n as f64 / 1e6),
    }
}

/// The timeline line: one glyph per bucket, blank for none.
pub fn timeline_text(state: &State, width: usize) -> String {
    let (counts, span) = histogram(&state.visible_times, width.saturating_sub(2).max(1));
    let Some(_) = span else { return String::new() };
    let max = counts.iter().copied().max().unwrap_or(1).max(1);
    counts
        .iter()
        .map(|&c| {
            if c == 0 {
                ' '
            } else {
                BARS[((c * 7).div_ceil(max)) as usize % 8]
            }
        })
        .collect()
}

pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let c = state.color;
    let source = if state.is_sample {
        " [sample data]"
    } else {
        ""
    };
    let tables: Vec<String> = state
        .tables
        .iter()
        // The legacy threat-intel table is named only when a file held it.
        .filter(|(t, n)| *t != TableKind::LegacyThreatIntel || *n > 0)
        .map(|(t, n)| format!("{} {}", short_table(*t), compact_count(*n)))
        .collect();
    let now = state.now.map_or("-".into(), format_datetime);
    let rest = format!(" | now {now} | {}", state.window);
    let room = usize::from(area.width).saturating_sub("proxyhunt".len() + source.len());
    let line1 = Line::from(vec![
        Span::styled("proxyhunt", title(c)),
        Span::styled(source, title(c)),
        Span::raw(super::theme::fit(&rest, room)),
    ]);
    let on = state
        .tuning
        .filters
        .iter()
        .filter(|f| state.tuning.active(f))
        .count();
    let tuning = if state.tuning.filters.is_empty() {
        "tuning: none".to_string()
    } else {
        format!(
            "tuning: {on} on, {} suppressed{}",
            state.suppressed_count(),
            if state.show_suppressed {
                " (shown)"
            } else {
                ""
            }
        )
    };
    // What changes what the analyst sees comes first, so that 80 columns show it: the tuning,
    // a load still running, problems, detections that did not run; then the tables.
    let mut line2 = tuning;
    if let Some(started) = &state.events_loading {
        line2.push_str(&format!(
            " | loading all events ({:.0}s)",
            started.elapsed().as_secs_f64()
        ));
    }
    if state.problems > 0 {
        line2.push_str(&format!(
            " | {} input problem(s): run check",
            state.problems
        ));
    }
    for nr in &state.not_run {
        line2.push_str(&format!(" | {} not run", nr.kind.name()));
    }
    line2.push_str(&format!(" | {}", tables.join(" ")));
    let line2 = super::theme::fit(&line2, usize::from(area.width));
    let mut crumbs = format!("Findings {}/{}", state.visible.len(), state.rows.len());
    for d in &state.drills {
        crumbs.push_str(" > ");
        crumbs.push_str(&safe(&d.label()));
    }
    if !state.find.is_empty() {
        let find = crate::explore::find::Find::parse(&state.find);
        crumbs.push_str(&format!(" | find {}", safe(&find.label())));
    }
    crumbs.push_str(&format!(
        " | sort {}{}",
        state.sort.label(),
        if state.sort_desc { "↓" } else { "↑" }
    ));
    let line3 = match &state.phase {
        Phase::Loading { step, started } => {
            let spin = ['|', '/', '-', '\\'][(started.elapsed().as_millis() / 250 % 4) as usize];
            Line::from(format!(
                "{spin} loading ({:.0}s): {}",
                started.elapsed().as_secs_f64(),
                safe(step)
            ))
        }
        Phase::Failed(e) => Line::from(format!("load failed: {}", safe(e))),
        Phase::Ready => {
            let span = state.visible_times.first().zip(state.visible_times.last());
            let label = span.map_or(String::new(), |(lo, hi)| {
                format!(
                    " {} .. {}",
                    &format_datetime(*lo)[5..16],
                    &format_datetime(*hi)[5..16]
                )
            });
            let width = (area.width as usize).saturating_sub(label.chars().count() + 1);
            Line::from(vec![
                Span::raw(format!("[{}]", timeline_text(state, width))),
                Span::styled(label, dim(c)),
            ])
        }
    };
    let crumbs = super::theme::fit(&crumbs, usize::from(area.width));
    let text = vec![line1, Line::from(line2), Line::from(crumbs), line3];
    frame.render_widget(Paragraph::new(text), area);
}
