//! UI-free exploration of findings: rows for display, pivots, drill-downs, find, sort, and the
//! raw events around an entity. The console drives these; tests call them directly.

pub mod context;
pub mod filter;
pub mod find;
pub mod index;
pub mod pivot;
pub mod rows;
pub mod sort;
pub mod timeline;

pub use context::{context_events, ContextEvent, Entity};
pub use filter::{visible_rows, DrillDown};
pub use index::RowIndex;
pub use pivot::{pivot, PivotEntry, PivotKey};
pub use rows::{finding_rows, FindingRow};
pub use sort::{sort_rows, SortColumn};
