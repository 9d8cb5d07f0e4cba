//! Drawing: a pure function of [`State`]. At 80x24 the findings table sits above a pivot | detail
//! split; larger terminals give every pane more room.

mod chains;
pub mod detail;
pub mod findings;
mod footer;
mod header;
pub mod help;
mod incidents;
mod overlay;
pub mod theme;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::Frame;

use super::state::{Overlay, State};

/// Where each pane sits on a screen of `area`: drawing and the scroll limits in `update` use
/// the same layout.
pub struct Panes {
    pub head: Rect,
    pub body: Rect,
    pub findings: Rect,
    pub pivot: Rect,
    pub detail: Rect,
    pub foot: Rect,
}

pub fn panes(area: Rect) -> Panes {
    let [head, body, foot] = Layout::vertical([
        Constraint::Length(4),
        Constraint::Min(6),
        Constraint::Length(1),
    ])
    .areas(area);
    let lower = (body.height * 45 / 100).max(5);
    let [top, bottom] =
        Layout::vertical([Constraint::Min(4), Constraint::Length(lower)]).areas(body);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(bottom);
    Panes {
        head,
        body,
        findings: top,
        pivot: left,
        detail: right,
        foot,
    }
}

pub fn draw(frame: &mut Frame, state: &State) {
    let p = panes(frame.area());
    header::draw(frame, p.head, state);
    findings::draw(frame, p.findings, state);
    pivot::draw(frame, p.pivot, state);
    detail::draw(frame, p.detail, state);
    footer::draw(frame, p.foot, state);
    match &state.overlay {
        Overlay::None => {}
        Overlay::Help => help::draw(frame, frame.area(), state),
        Overlay::Record { scroll } => detail::draw_record(frame, frame.area(), state, *scroll),
        Overlay::Context(view) => overlay::draw_context(frame, p.body, state, view),
        Overlay::Incidents(view) => incidents::draw(frame, p.body, state, view),
        Overlay::Chains(view) => chains::draw(frame, p.body, state, view),
        Overlay::Tuning { selected } => overlay::draw_tuning(frame, p.body, state, *selected),
        Overlay::Proposal(view) => overlay::draw_proposal(frame, p.body, state, view),
    }
}

mod pivot;
