//! proxyhunt: load Sentinel / Defender exports into Polars frames and run two detections,
//! anonymized sign-ins (rule 000) and multi-hop proxy use (query 004), with exactly the results
//! Kusto would give. Everything here is UI-free.

pub mod allocator;
pub mod beyond;
pub mod chains;
pub mod commands;
pub mod data;
pub mod detect;
pub mod explore;
pub mod export;
pub mod generate;
pub mod kql;
pub mod replay;
pub mod text;
pub mod tui;
pub mod tuning;
