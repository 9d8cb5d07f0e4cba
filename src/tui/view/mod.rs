//! Drawing: a pure function of [`State`]. At 80x24 the findings table sits above a pivot | detail
//! split; larger terminals give every pane more room.

mod detail;
mod findings;
mod footer;
mod header;
mod overlay;
pub mod theme;

use ratatui::layout::{Constraint, Layout};
use ratatui::Frame;

use super::state::{Overlay, State};

pub fn draw(frame: &mut Frame, state: &State) {
    let [head, body, foot] = Layout::vertical([
        Constraint::Length(4),
        Constraint::Min(6),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    header::draw(frame, head, state);
    let lower = (body.height * 45 / 100).max(5);
    let [top, bottom] =
        Layout::vertical([Constraint::Min(4), Constraint::Length(lower)]).areas(body);
    findings::draw(frame, top, state);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(bottom);
    pivot::draw(frame, left, state);
    detail::draw(frame, right, state);
    footer::draw(frame, foot, state);
    match &state.overlay {
        Overlay::None => {}
        Overlay::Help => overlay::draw_help(frame, frame.area(), state),
        Overlay::Context(view) => overlay::draw_context(frame, body, state, view),
        Overlay::Tuning { selected } => overlay::draw_tuning(frame, body, state, *selected),
        Overlay::Proposal(view) => overlay::draw_proposal(frame, body, state, view),
    }
}

mod pivot;
