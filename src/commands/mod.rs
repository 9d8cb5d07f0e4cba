//! The headless commands, written against `Write` so that tests read exactly what users see.

pub mod check;
pub mod hunt;
pub mod inputs;
pub mod options;
pub mod replay;
pub mod summary;
