//! Styles, with and without colour (`NO_COLOR`), and the one way text from logs reaches the
//! screen: escaped.

use ratatui::style::{Color, Modifier, Style};

use crate::text::escape_unsafe;

/// Attacker-controlled text made safe to draw: control characters and bidi overrides escaped.
pub fn safe(text: &str) -> String {
    escape_unsafe(text)
}

pub fn title(color: bool) -> Style {
    let s = Style::default().add_modifier(Modifier::BOLD);
    if color {
        s.fg(Color::Cyan)
    } else {
        s
    }
}

pub fn selected(color: bool, focused: bool) -> Style {
    let s = Style::default().add_modifier(Modifier::REVERSED);
    if color && focused {
        s.fg(Color::Yellow)
    } else if focused {
        s.add_modifier(Modifier::BOLD)
    } else {
        s
    }
}

pub fn border(color: bool, focused: bool) -> Style {
    match (color, focused) {
        (true, true) => Style::default().fg(Color::Yellow),
        (false, true) => Style::default().add_modifier(Modifier::BOLD),
        _ => Style::default(),
    }
}

pub fn dim(color: bool) -> Style {
    if color {
        Style::default().fg(Color::DarkGray)
    } else {
        Style::default()
    }
}

pub fn key(color: bool) -> Style {
    let s = Style::default().add_modifier(Modifier::BOLD);
    if color {
        s.fg(Color::Green)
    } else {
        s
    }
}
