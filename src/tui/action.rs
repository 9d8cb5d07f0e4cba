//! What the analyst asked for, independent of the key that asked. Keys map to these in
//! [`super::keys`]; [`super::update::update`] applies them.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Quit,
    ToggleHelp,
    /// Close an overlay, else pop the last drill-down, else clear the find text.
    Back,
    FocusNext,
    FocusPrev,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    PivotNext,
    PivotPrev,
    /// Enter: drill into the pivot value, or open the detail of a finding.
    Select,
    /// Drill into the selected finding's (or pivot row's) value of the current pivot key.
    DrillDown,
    /// The negative drill-down: hide that value.
    Exclude,
    /// Open the raw events of the selected entity around the finding's time.
    GoHunt,
    WidenContext,
    NarrowContext,
    StartFind,
    NextMatch,
    PrevMatch,
    SortNext,
    SortReverse,
    StartExport,
    /// Open the Incidents view: rule 000 replayed over the data.
    OpenIncidents,
    /// Open the Chains view, at the selected finding's chain when it is in one.
    OpenChains,
    /// Show the selected finding's whole record over the whole screen.
    OpenRecord,
    /// The terminal's new size (columns, rows).
    Resize(u16, u16),
    /// Widen the findings table's text columns (user, device, IP), narrowing the summary.
    WidenColumns,
    NarrowColumns,
    /// Open the tuning panel (filters, on/off, live counts).
    OpenTuning,
    /// In the tuning panel: switch the selected filter on or off.
    ToggleFilter,
    /// In the tuning panel: show suppressed findings too (marked), or hide them.
    ToggleShowSuppressed,
    /// Propose an exclusion from the selected finding.
    ProposeExclusion,
    /// In a proposal: pick or drop candidate condition N (1-based).
    ToggleCandidate(u8),
    /// In a proposal: save the exclusion to the tuning file (over a warning, asks first).
    SaveExclusion,
    /// In a proposal: edit its id, reason or owner.
    EditExclusion(crate::tui::state::ExclusionField),
    /// Take back the last exclusion saved.
    UndoExclusion,
    /// Copy the selected value (the pivot row's, or the finding's value of the pivot key).
    CopyValue,
    /// Copy the selected finding's whole record (one JSON object).
    CopyRecord,
    /// Text typed into the open prompt.
    Input(char),
    DeleteChar,
    Submit,
}
