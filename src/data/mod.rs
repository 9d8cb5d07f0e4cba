//! Finding, reading and normalising exported tables. UI-free: everything here reports through
//! [`issues::IssueLog`] and returns plain data.
//!
//! - [`load`]: the entry point, from paths (or the embedded [`sample`]) to a [`Dataset`];
//!   [`discover`] lists the files, [`cache`] keeps parsed copies.
//! - [`formats`]: one module per format, each turning a file into [`source::Source`]s.
//! - [`table`]: the four tables, their columns, and recognising which one a file holds.
//! - [`normalize`]: typing a source's columns; [`values`]: parsing cell text.
//! - [`row_filter`]: leaving out, as they are read, rows that cannot become findings.
//! - [`pool`]: the one thread pool all of it runs on; [`compact`]: frames of a few kept rows made
//!   to hold only those rows; [`dictionary`]: text columns held as each distinct value once.

pub mod cache;
pub mod compact;
pub mod dataset;
pub mod dictionary;
pub mod discover;
pub mod file_name;
pub mod formats;
pub mod issues;
pub mod load;
pub mod normalize;
pub mod pool;
pub mod report;
pub mod row_filter;
pub mod sample;
pub mod source;
pub mod table;
pub mod values;

pub use dataset::Dataset;
pub use table::{columns, recognise, schema};
