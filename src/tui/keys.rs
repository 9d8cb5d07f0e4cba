//! The key table: the one place that says which key does what. Dispatch, the footer and the
//! help overlay are all generated from it, so they cannot disagree.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Action;
use super::state::ExclusionField;

/// When a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The main screen (findings, pivot, detail).
    Main,
    /// The entity-context overlay.
    Context,
    /// The tuning panel.
    Tuning,
    /// The exclusion proposal.
    Proposal,
    /// The help overlay: only the keys that close it (and quit) do anything.
    Help,
    /// The whole-record view: scrolling and closing.
    Record,
    /// The Incidents view (rule 000 replayed).
    Incidents,
    /// The Chains view (findings joined across detection types).
    Chains,
    /// Everywhere but a prompt.
    Any,
}

pub struct Binding {
    pub keys: &'static [KeyCode],
    /// How the footer and help name the keys.
    pub label: &'static str,
    /// Empty for the second half of a pair the help lists once (`n/N`, `s/S`, `>/<`).
    pub help: &'static str,
    /// The footer's word for it.
    pub short: &'static str,
    pub action: Action,
    pub scope: Scope,
    /// Shown in the footer (the help lists every binding).
    pub footer: bool,
}

const fn b(
    keys: &'static [KeyCode],
    label: &'static str,
    help: &'static str,
    action: Action,
    scope: Scope,
    footer: bool,
) -> Binding {
    Binding {
        keys,
        label,
        help,
        short: "",
        action,
        scope,
        footer,
    }
}

/// A binding shown in the footer under `short`.
const fn f(
    keys: &'static [KeyCode],
    label: &'static str,
    short: &'static str,
    help: &'static str,
    action: Action,
    scope: Scope,
) -> Binding {
    Binding {
        keys,
        label,
        help,
        short,
        action,
        scope,
        footer: true,
    }
}

use KeyCode::*;

pub const BINDINGS: &[Binding] = &[
    f(
        &[Char('q')],
        "q",
        "quit",
        "quit proxyhunt",
        Action::Quit,
        Scope::Any,
    ),
    f(
        &[Char('?')],
        "?",
        "help",
        "show or hide this help",
        Action::ToggleHelp,
        Scope::Any,
    ),
    f(
        &[Esc, Backspace],
        "Esc/⌫",
        "back",
        "back: close, undo drill, clear find",
        Action::Back,
        Scope::Any,
    ),
    f(
        &[Tab],
        "Tab",
        "pane",
        "next pane",
        Action::FocusNext,
        Scope::Main,
    ),
    b(
        &[BackTab],
        "S-Tab",
        "previous pane",
        Action::FocusPrev,
        Scope::Main,
        false,
    ),
    b(&[Up, Char('k')], "↑/k", "up", Action::Up, Scope::Any, false),
    b(
        &[Down, Char('j')],
        "↓/j",
        "down",
        Action::Down,
        Scope::Any,
        false,
    ),
    b(
        &[PageUp],
        "PgUp",
        "page up",
        Action::PageUp,
        Scope::Any,
        false,
    ),
    b(
        &[PageDown],
        "PgDn",
        "page down",
        Action::PageDown,
        Scope::Any,
        false,
    ),
    b(
        &[Home, Char('g')],
        "g",
        "top",
        Action::Top,
        Scope::Any,
        false,
    ),
    b(
        &[End, Char('G')],
        "G",
        "bottom",
        Action::Bottom,
        Scope::Any,
        false,
    ),
    f(
        &[Right, Char('l'), Char('p')],
        "→/l/p",
        "pivot",
        "pivot by the next key",
        Action::PivotNext,
        Scope::Main,
    ),
    b(
        &[Left, Char('h')],
        "←/h",
        "pivot by previous key",
        Action::PivotPrev,
        Scope::Main,
        false,
    ),
    f(
        &[Enter],
        "Enter",
        "drill",
        "drill into value / open detail",
        Action::Select,
        Scope::Main,
    ),
    b(
        &[Char('d')],
        "d",
        "drill into the selected value",
        Action::DrillDown,
        Scope::Main,
        false,
    ),
    f(
        &[Char('x')],
        "x",
        "exclude",
        "exclude the selected value",
        Action::Exclude,
        Scope::Main,
    ),
    f(
        &[Char('c')],
        "c",
        "hunt",
        "go hunt: entity events ±window",
        Action::GoHunt,
        Scope::Main,
    ),
    f(
        &[Char('+'), Char('=')],
        "+",
        "wider",
        "widen the window",
        Action::WidenContext,
        Scope::Context,
    ),
    f(
        &[Char('-')],
        "-",
        "narrower",
        "narrow the window",
        Action::NarrowContext,
        Scope::Context,
    ),
    f(
        &[Char('/')],
        "/",
        "find",
        "find text",
        Action::StartFind,
        Scope::Main,
    ),
    b(
        &[Char('n')],
        "n/N",
        "next / previous finding",
        Action::NextMatch,
        Scope::Main,
        false,
    ),
    b(&[Char('N')], "N", "", Action::PrevMatch, Scope::Main, false),
    f(
        &[Char('s')],
        "s/S",
        "sort",
        "sort by next column / reverse",
        Action::SortNext,
        Scope::Main,
    ),
    b(
        &[Char('S')],
        "S",
        "",
        Action::SortReverse,
        Scope::Main,
        false,
    ),
    b(
        &[Char('>')],
        ">/<",
        "widen / narrow the user, device and IP columns",
        Action::WidenColumns,
        Scope::Main,
        false,
    ),
    b(
        &[Char('<')],
        "<",
        "",
        Action::NarrowColumns,
        Scope::Main,
        false,
    ),
    f(
        &[Char('i')],
        "i",
        "incidents",
        "incidents rule 000 would have raised (replayed as Sentinel runs it)",
        Action::OpenIncidents,
        Scope::Any,
    ),
    f(
        &[Enter],
        "Enter",
        "open",
        "open the incident, the alert, or the finding",
        Action::Select,
        Scope::Incidents,
    ),
    b(
        &[Char('C')],
        "C",
        "chains: the selected finding's chain (users ranked, stolen token first)",
        Action::OpenChains,
        Scope::Any,
        false,
    ),
    f(
        &[Enter],
        "Enter",
        "open",
        "open the chain, or the finding",
        Action::Select,
        Scope::Chains,
    ),
    f(
        &[Enter],
        "Enter",
        "open",
        "open the selected event in full",
        Action::Select,
        Scope::Context,
    ),
    f(
        &[Char('e')],
        "e",
        "export",
        "export these events (.csv, .ndjson, .json)",
        Action::StartExport,
        Scope::Context,
    ),
    f(
        &[Char('c')],
        "c",
        "hunt it",
        "go hunt the selected event's other user, address or device (Esc comes back)",
        Action::GoHunt,
        Scope::Context,
    ),
    b(
        &[Char('o')],
        "o",
        "the selected finding's whole record, full screen",
        Action::OpenRecord,
        Scope::Main,
        false,
    ),
    f(
        &[Char('e')],
        "e",
        "export",
        "export this view",
        Action::StartExport,
        Scope::Main,
    ),
    f(
        &[Char('t')],
        "t",
        "tuning",
        "tuning panel: filters on/off, live counts",
        Action::OpenTuning,
        Scope::Main,
    ),
    f(
        &[Char('a')],
        "a",
        "exclude…",
        "propose an exclusion from this finding",
        Action::ProposeExclusion,
        Scope::Main,
    ),
    f(
        &[Char(' '), Enter],
        "Space",
        "on/off",
        "switch the selected filter on or off",
        Action::ToggleFilter,
        Scope::Tuning,
    ),
    f(
        &[Char('v')],
        "v",
        "show hidden",
        "show suppressed findings too / hide them",
        Action::ToggleShowSuppressed,
        Scope::Tuning,
    ),
    f(
        &[Char('1')],
        "1-9",
        "pick",
        "pick or drop condition 1-9",
        Action::ToggleCandidate(1),
        Scope::Proposal,
    ),
    f(
        &[Enter],
        "Enter",
        "save",
        "save the exclusion to the tuning file (over a warning: Enter twice)",
        Action::SaveExclusion,
        Scope::Proposal,
    ),
    f(
        &[Char('r')],
        "r",
        "reason",
        "write why these findings are safe to hide (required)",
        Action::EditExclusion(ExclusionField::Reason),
        Scope::Proposal,
    ),
    f(
        &[Char('n')],
        "n",
        "id",
        "rename the exclusion",
        Action::EditExclusion(ExclusionField::Id),
        Scope::Proposal,
    ),
    f(
        &[Char('w')],
        "w",
        "owner",
        "who owns the exclusion",
        Action::EditExclusion(ExclusionField::Owner),
        Scope::Proposal,
    ),
    b(
        &[Char('y')],
        "y/Y",
        "copy the selected value / the whole finding (OSC 52: works over SSH)",
        Action::CopyValue,
        Scope::Main,
        false,
    ),
    b(
        &[Char('Y')],
        "Y",
        "",
        Action::CopyRecord,
        Scope::Main,
        false,
    ),
    b(
        &[Char('u')],
        "u",
        "undo the last exclusion saved (removes it from the file)",
        Action::UndoExclusion,
        Scope::Any,
        false,
    ),
];

fn applies(binding: Scope, current: Scope) -> bool {
    binding == Scope::Any || binding == current
}

/// Actions that do something under the help overlay: closing it, quitting, scrolling it
/// (every other key is ignored there, so that keys pressed while reading it do not move what is
/// under it).
fn under_help(action: &Action) -> bool {
    matches!(
        action,
        Action::Quit
            | Action::ToggleHelp
            | Action::Back
            | Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::Top
            | Action::Bottom
    )
}

/// The action for a key in the current scope, outside prompts. Ctrl+C always quits.
pub fn action_for(key: KeyEvent, scope: Scope) -> Option<Action> {
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == Char('c') {
        return Some(Action::Quit);
    }
    if scope == Scope::Proposal {
        if let Char(c @ '1'..='9') = key.code {
            return Some(Action::ToggleCandidate(c as u8 - b'0'));
        }
    }
    BINDINGS
        .iter()
        .find(|bind| applies(bind.scope, scope) && bind.keys.contains(&key.code))
        .map(|bind| bind.action.clone())
        .filter(|a| scope != Scope::Help || under_help(a))
}

/// Keys while a prompt (find, export path) is open: text goes into it.
pub fn prompt_action(key: KeyEvent) -> Option<Action> {
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == Char('c') {
        return Some(Action::Quit);
    }
    match key.code {
        Enter => Some(Action::Submit),
        Esc => Some(Action::Back),
        Backspace => Some(Action::DeleteChar),
        Char(c) => Some(Action::Input(c)),
        _ => None,
    }
}

/// The footer's hints for the current scope.
pub fn footer_hints(scope: Scope) -> Vec<(&'static str, &'static str)> {
    BINDINGS
        .iter()
        .filter(|bind| bind.footer && applies(bind.scope, scope))
        .map(|bind| (bind.label, bind.short))
        .collect()
}
