//! Everything the console shows, as plain data. Only [`super::update::update`] and the worker's
//! results change it; drawing borrows it immutably.

use crate::chains::Chain;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use polars::prelude::DataFrame;

use crate::data::load::Dataset;
use crate::data::schema::TableKind;
use crate::detect::NotRun;
use crate::explore::{
    pivot, sort_rows, visible_rows, ContextEvent, DrillDown, Entity, FindingRow, PivotEntry,
    PivotKey, RowIndex, SortColumn,
};
use crate::kql::time::Nanos;
use crate::replay::both::Replays;
use crate::tuning::proposal::{Candidate, Preview};
use crate::tuning::{FilterImpact, Tuning};

use super::keys::Scope;

/// Where exclusions go when the console was opened without `--tuning FILE`.
pub const DEFAULT_TUNING_FILE: &str = "proxyhunt-tuning.toml";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Findings,
    Pivot,
    Detail,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    Find,
    Export,
    /// Editing a field of the exclusion being proposed.
    Exclusion(ExclusionField),
}

/// What the analyst writes into an exclusion before it is saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExclusionField {
    Id,
    Reason,
    Owner,
}

/// The last exclusion saved from the console, which `u` takes back.
#[derive(Debug, Clone)]
pub struct SavedExclusion {
    pub path: PathBuf,
    pub block: String,
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub kind: PromptKind,
    pub input: String,
    /// The input is the value the prompt opened with: the first character typed replaces it
    /// (Backspace edits it instead).
    pub fresh: bool,
}

impl Prompt {
    pub fn new(kind: PromptKind, input: String) -> Prompt {
        Prompt {
            kind,
            fresh: !input.is_empty(),
            input,
        }
    }
}

/// The entity-context overlay ("go hunt").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextView {
    pub entity: Entity,
    pub center: Nanos,
    pub half_window: Nanos,
    /// `None` while the worker computes it.
    pub events: Option<Vec<ContextEvent>>,
    /// The selected event.
    pub scroll: usize,
    /// The selected event shown in full instead of the table.
    pub open: bool,
}

/// An exclusion being proposed from a finding.
#[derive(Debug, Clone)]
pub struct ProposalView {
    /// The finding it started from (index into `rows`).
    pub row: usize,
    pub id: String,
    /// Why it is safe to hide these findings: required, and written into the file for review.
    pub reason: String,
    pub owner: String,
    pub candidates: Vec<Candidate>,
    pub preview: Preview,
    /// Enter was pressed once over a warning: the next Enter saves.
    pub confirming: bool,
}

impl ProposalView {
    /// The chosen candidates and the filter they make.
    pub fn filter(
        &self,
        rows: &[FindingRow],
        today: &str,
    ) -> (Vec<Candidate>, crate::tuning::Filter) {
        let chosen: Vec<Candidate> = self
            .candidates
            .iter()
            .filter(|c| c.chosen)
            .cloned()
            .collect();
        let mut filter =
            crate::tuning::proposal::proposed_filter(&rows[self.row], &chosen, &self.id, today);
        filter.reason = self.reason.trim().to_string();
        filter.owner = Some(self.owner.trim().to_string()).filter(|o| !o.is_empty());
        (chosen, filter)
    }
}

impl PartialEq for ProposalView {
    fn eq(&self, other: &Self) -> bool {
        self.row == other.row
            && self.id == other.id
            && self.reason == other.reason
            && self.owner == other.owner
            && self.confirming == other.confirming
            && self.preview == other.preview
    }
}

/// Where the Incidents view stands: the incidents, one incident's alerts, or one alert's
/// events (its findings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncidentLevel {
    Incidents,
    Alerts { incident: usize },
    Events { incident: usize, alert: usize },
}

/// The Incidents view: what rule 000 would have raised over the data, as Sentinel runs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentsView {
    pub level: IncidentLevel,
    pub selected: usize,
    /// The selection of each level above, restored on the way back.
    pub above: Vec<usize>,
}

/// The Chains view: the chains, or one chain's findings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainsView {
    /// The chain whose findings are listed; `None` lists the chains.
    pub open: Option<usize>,
    pub selected: usize,
    /// The chain list's selection, restored on the way back.
    pub above: usize,
}

/// The console's replay of rule 000 (see [`crate::replay::both`]).
pub enum ReplayState {
    /// Not asked for yet.
    Idle,
    Running,
    Done(Box<Replays>),
    /// Nothing to replay (no sign-ins or threat intel), or the replay failed: why.
    Unavailable(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Overlay {
    None,
    Help,
    /// The selected finding's whole record, full screen, scrolled by this many rows.
    Record {
        scroll: usize,
    },
    Context(ContextView),
    Incidents(IncidentsView),
    Chains(ChainsView),
    Tuning {
        selected: usize,
    },
    Proposal(ProposalView),
}

impl Overlay {
    /// Which key bindings apply.
    pub fn scope(&self) -> Scope {
        match self {
            Overlay::Context(_) => Scope::Context,
            Overlay::Incidents(_) => Scope::Incidents,
            Overlay::Chains(_) => Scope::Chains,
            Overlay::Tuning { .. } => Scope::Tuning,
            Overlay::Proposal(_) => Scope::Proposal,
            Overlay::Help => Scope::Help,
            Overlay::Record { .. } => Scope::Record,
            Overlay::None => Scope::Main,
        }
    }
}

/// Where loading stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    Loading { step: String, started: Instant },
    Ready,
    Failed(String),
}

/// What a finished load and hunt hands the console.
pub struct Loaded {
    pub dataset: Arc<Dataset>,
    pub findings: DataFrame,
    pub rows: Vec<FindingRow>,
    pub now: Nanos,
    pub window: String,
    pub not_run: Vec<NotRun>,
    /// Live threat-intel indicators per address, for the detail pane's "why" (each line once,
    /// `×N` when N rows said it).
    pub indicators: HashMap<String, Vec<String>>,
    /// The findings' chains (rows of `findings`), users ranked first.
    pub chains: Vec<Chain>,
    pub tuning: Tuning,
    /// Where new exclusions are saved: the `--tuning` file, else `proxyhunt-tuning.toml`.
    pub tuning_path: PathBuf,
    /// Problems found in the tuning file, for the status line.
    pub tuning_issues: Vec<String>,
    /// Integer keys of `rows` for pivots and sorts.
    pub index: RowIndex,
    /// Whether `dataset` holds every event; else only the rows that match, and every event
    /// follows (see [`super::worker::Reply::EventsLoaded`]).
    pub complete: bool,
}

pub struct State {
    pub phase: Phase,
    /// While the findings are shown: loading every event for go hunt (`None` once in).
    pub events_loading: Option<Instant>,
    pub is_sample: bool,
    pub window: String,
    pub now: Option<Nanos>,
    pub tables: Vec<(TableKind, usize)>,
    pub problems: usize,
    pub not_run: Vec<NotRun>,
    /// Every event, for go hunt (`None` while they load).
    pub dataset: Option<Arc<Dataset>>,
    /// The load the findings came from: the rule's sign-ins with every column, and threat intel
    /// whole, as `proxyhunt replay` loads them. The replay of rule 000 runs on it.
    pub hunted: Option<Arc<Dataset>>,
    pub findings: Option<DataFrame>,
    pub rows: Vec<FindingRow>,
    pub indicators: HashMap<String, Vec<String>>,
    pub tuning: Tuning,
    pub tuning_path: PathBuf,
    /// Per row, the active filters that suppress it (derived; see [`State::retune`]).
    pub suppressed_by: Vec<Vec<String>>,
    /// Show suppressed findings too (marked) instead of hiding them.
    pub show_suppressed: bool,
    /// Per filter: findings it matches (whether on or not), and findings only it suppresses.
    pub filter_impact: Vec<FilterImpact>,
    /// Per filter, which rows it matches (switching a filter leaves this as it is).
    pub filter_matches: Vec<Vec<bool>>,
    /// Integer keys of `rows` for pivots and sorts.
    pub index: RowIndex,
    pub drills: Vec<DrillDown>,
    pub find: String,
    pub sort: SortColumn,
    pub sort_desc: bool,
    /// Indices into `rows` after drill-downs, find and sort (derived; see [`State::refresh`]).
    pub visible: Vec<usize>,
    /// The visible findings' times, ascending (derived): the timeline is drawn from them
    /// without visiting every finding each frame.
    pub visible_times: Vec<Nanos>,
    pub selected: usize,
    pub pivot_key: PivotKey,
    /// The pivot of the visible rows (derived).
    pub pivot: Vec<PivotEntry>,
    pub pivot_selected: usize,
    pub focus: Focus,
    pub overlay: Overlay,
    pub prompt: Option<Prompt>,
    pub detail_scroll: usize,
    /// Columns added to each text column of the findings table (`>` widens, `<` narrows),
    /// taken from the summary.
    pub widen: u16,
    pub message: Option<String>,
    pub quit: bool,
    pub color: bool,
    /// The terminal's size (columns, rows), for scroll limits that depend on it.
    pub screen: (u16, u16),
    pub replay: ReplayState,
    /// The last exclusion saved, until `u` takes it back.
    pub last_saved: Option<SavedExclusion>,
    /// Where the Incidents view was when the analyst left it for a finding.
    pub incidents_left: Option<IncidentsView>,
    /// The findings' chains (indices into `rows`), users ranked first.
    pub chains: Vec<Chain>,
    /// Where the Chains view was when the analyst left it for a finding.
    pub chains_left: Option<ChainsView>,
    /// The view the help was opened over, given back when it closes.
    pub under_help: Option<Box<Overlay>>,
    /// The go hunts this one was followed from (`c` on an event); `Esc` goes back to them.
    pub hunt_trail: Vec<ContextView>,
    /// The first finding (index into `rows`) of each event, by `SourceFile:SourceLine`: go hunt
    /// marks the events that are findings, the Incidents view finds an alert's finding.
    pub finding_at: HashMap<String, usize>,
    /// Rows of the help scrolled past (a small screen does not hold it all).
    pub help_scroll: usize,
    /// Counts replay requests: a reply to an older one is dropped (latest wins).
    pub replay_generation: u64,
}

impl State {
    pub fn new(is_sample: bool, window: String, color: bool) -> Self {
        Self {
            phase: Phase::Loading {
                step: "starting".into(),
                started: Instant::now(),
            },
            events_loading: None,
            is_sample,
            window,
            now: None,
            tables: Vec::new(),
            problems: 0,
            not_run: Vec::new(),
            dataset: None,
            hunted: None,
            findings: None,
            rows: Vec::new(),
            indicators: HashMap::new(),
            tuning: Tuning::default(),
            tuning_path: PathBuf::from(DEFAULT_TUNING_FILE),
            suppressed_by: Vec::new(),
            show_suppressed: false,
            filter_impact: Vec::new(),
            filter_matches: Vec::new(),
            index: RowIndex::default(),
            drills: Vec::new(),
            find: String::new(),
            sort: SortColumn::Time,
            sort_desc: true,
            visible: Vec::new(),
            visible_times: Vec::new(),
            selected: 0,
            pivot_key: PivotKey::User,
            pivot: Vec::new(),
            pivot_selected: 0,
            focus: Focus::Findings,
            overlay: Overlay::None,
            prompt: None,
            detail_scroll: 0,
            widen: 0,
            message: None,
            quit: false,
            color,
            screen: (80, 24),
            replay: ReplayState::Idle,
            incidents_left: None,
            chains: Vec::new(),
            chains_left: None,
            last_saved: None,
            under_help: None,
            help_scroll: 0,
            finding_at: HashMap::new(),
            hunt_trail: Vec::new(),
            replay_generation: 0,
        }
    }

    /// Takes a finished load: tables, findings, and the derived views.
    pub fn set_loaded(&mut self, loaded: Loaded) {
        self.tables = TableKind::ALL
            .iter()
            .map(|t| (*t, loaded.dataset.rows_read(*t)))
            .collect();
        self.problems = loaded.dataset.issues.total();
        self.now = Some(loaded.now);
        self.window = loaded.window;
        self.not_run = loaded.not_run;
        self.rows = loaded.rows;
        self.finding_at = HashMap::new();
        for (i, row) in self.rows.iter().enumerate() {
            self.finding_at.entry(row.source()).or_insert(i);
        }
        self.index = loaded.index;
        self.filter_matches.clear();
        self.findings = Some(loaded.findings);
        self.indicators = loaded.indicators;
        self.chains = loaded.chains;
        self.chains_left = None;
        // Only a complete dataset serves go hunt (every event follows otherwise); the rows that
        // can match stay for the replay.
        self.dataset = loaded.complete.then(|| loaded.dataset.clone());
        self.hunted = Some(loaded.dataset);
        self.tuning = loaded.tuning;
        self.tuning_path = loaded.tuning_path;
        if !loaded.tuning_issues.is_empty() {
            self.message = Some(format!("tuning: {}", loaded.tuning_issues.join("; ")));
        }
        self.phase = Phase::Ready;
        self.events_loading = (!loaded.complete).then(Instant::now);
        self.retune();
    }

    /// Selects finding `row` (an index into `rows`) in the findings table, so that every console
    /// move applies to it; or says why it is not shown.
    pub fn select_finding(&mut self, row: usize) -> Result<(), String> {
        match self.visible.iter().position(|&i| i == row) {
            Some(at) => {
                self.selected = at;
                self.focus = Focus::Findings;
                self.detail_scroll = 0;
                Ok(())
            }
            None => {
                let by = self.suppressing(row);
                Err(if by.is_empty() {
                    "that finding is hidden by the drill-downs or find: Esc them to see it"
                        .to_string()
                } else {
                    format!(
                        "that finding is suppressed by {}: t then v shows it",
                        by.join(", ")
                    )
                })
            }
        }
    }

    /// Takes every event once the findings are shown; returns the go hunt request that was
    /// waiting for them, if any.
    pub fn set_all_events(&mut self, dataset: Arc<Dataset>) -> Option<(Entity, Nanos, Nanos)> {
        self.problems = dataset.issues.total();
        self.dataset = Some(dataset);
        self.events_loading = None;
        match &self.overlay {
            Overlay::Context(view) if view.events.is_none() => {
                Some((view.entity.clone(), view.center, view.half_window))
            }
            _ => None,
        }
    }

    /// Re-evaluates the filters (after a toggle or a new exclusion), then the views.
    pub fn retune(&mut self) {
        let known = self.filter_matches.len().min(self.tuning.filters.len());
        self.filter_matches.truncate(known);
        let new = self.tuning.match_rows(&self.rows, known);
        self.filter_matches.extend(new);
        (self.suppressed_by, self.filter_impact) = self
            .tuning
            .assess_matched(&self.filter_matches, self.rows.len());
        self.refresh();
    }

    /// What moves on screen while nothing else changes: the spinner's step (a quarter second)
    /// while loading, the seconds while every event loads; `None` when nothing moves, so an
    /// idle console does not redraw.
    pub fn animation_tick(&self) -> Option<u128> {
        match (&self.phase, &self.events_loading) {
            (Phase::Loading { started, .. }, _) => Some(started.elapsed().as_millis() / 250),
            (_, Some(started)) => Some(started.elapsed().as_millis() / 1000),
            _ => None,
        }
    }

    /// Starts a replay of rule 000: what the worker needs (the load the findings came from,
    /// the tuning as it stands, the request's generation); `None` before the findings are in.
    pub fn begin_replay(&mut self) -> Option<(Arc<Dataset>, Tuning, u64)> {
        let dataset = self.hunted.clone()?;
        self.replay_generation += 1;
        self.replay = ReplayState::Running;
        Some((dataset, self.tuning.clone(), self.replay_generation))
    }

    /// After the tuning changed (a switch, a saved exclusion, an undone one): the findings
    /// re-filtered, and whether the rule's replay must run again (once asked for, its counts
    /// follow the tuning as the findings do).
    pub fn tuning_changed(&mut self) -> bool {
        self.retune();
        !matches!(self.replay, ReplayState::Idle)
    }

    /// Takes filter `id` out (the last of that name), with its matches.
    pub fn remove_filter(&mut self, id: &str) {
        if let Some(at) = self.tuning.filters.iter().rposition(|f| f.id == id) {
            self.tuning.filters.remove(at);
            // Per-filter matches are kept by position: the removed one's go with it.
            if at < self.filter_matches.len() {
                self.filter_matches.remove(at);
            }
        }
    }

    /// Findings suppressed by the active filters.
    pub fn suppressed_count(&self) -> usize {
        self.suppressed_by.iter().filter(|s| !s.is_empty()).count()
    }

    /// Recomputes the derived views after drill-downs, find, sort or pivot key changed.
    pub fn refresh(&mut self) {
        let mut visible = visible_rows(&self.rows, &self.drills, &self.find);
        if !self.show_suppressed {
            visible.retain(|&i| self.suppressed_by.get(i).is_none_or(Vec::is_empty));
        }
        if !(self.sort == SortColumn::Time && self.sort_desc) {
            sort_rows(&self.index, &mut visible, self.sort, self.sort_desc);
        }
        let mut times: Vec<Nanos> = visible.iter().map(|&i| self.rows[i].time).collect();
        times.sort_unstable();
        self.visible_times = times;
        self.visible = visible;
        self.pivot = pivot(&self.rows, &self.index, &self.visible, self.pivot_key);
        self.selected = self.selected.min(self.visible.len().saturating_sub(1));
        self.pivot_selected = self.pivot_selected.min(self.pivot.len().saturating_sub(1));
        self.detail_scroll = 0;
    }

    /// The findings of the current view (drill-downs, find and sort applied), in view order:
    /// what `e` exports.
    pub fn view_frame(&self) -> Option<polars::prelude::PolarsResult<DataFrame>> {
        use polars::prelude::{IdxCa, IdxSize};
        let findings = self.findings.as_ref()?;
        let idx: Vec<IdxSize> = self.visible.iter().map(|&i| i as IdxSize).collect();
        let view = findings.take(&IdxCa::from_vec("idx".into(), idx));
        // With suppressed findings shown (`v`), the view is exported with the filters that hide
        // each, as `hunt --show-suppressed` writes it (the column whatever the drill-downs).
        let by = |i: usize| self.suppressed_by.get(i).filter(|by| !by.is_empty());
        if !self.show_suppressed {
            return Some(view);
        }
        let column: Vec<String> = self
            .visible
            .iter()
            .map(|&i| by(i).map_or(String::new(), |by| by.join(",")))
            .collect();
        Some(view.and_then(|mut view| {
            view.with_column(polars::prelude::Column::new(
                crate::tuning::SUPPRESSED_BY.into(),
                column,
            ))?;
            Ok(view)
        }))
    }

    /// The active filters that suppress row `i` of `rows` (empty when none does).
    pub fn suppressing(&self, i: usize) -> &[String] {
        self.suppressed_by.get(i).map_or(&[], Vec::as_slice)
    }

    pub fn selected_row(&self) -> Option<&FindingRow> {
        self.visible.get(self.selected).map(|&i| &self.rows[i])
    }

    pub fn selected_pivot(&self) -> Option<&PivotEntry> {
        self.pivot.get(self.pivot_selected)
    }
}
