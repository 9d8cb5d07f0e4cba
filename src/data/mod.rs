//! Finding, reading and normalising exported tables. UI-free: everything here reports through
//! [`issues::IssueLog`] and returns plain data.

pub mod blocks;
pub mod cache;
pub mod columns;
pub mod cores;
pub mod csv;
pub mod datetime_locale;
pub mod delta;
pub mod issues;
pub mod json;
pub mod keep;
pub mod lines;
pub mod load;
pub mod normalize;
pub mod parquet;
pub mod raw;
pub mod read;
pub mod recognise;
pub mod sample;
pub mod schema;
pub mod values;
pub mod xlsx;
