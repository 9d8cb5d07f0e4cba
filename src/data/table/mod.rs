//! The four tables: their columns ([`schema`]), finding those columns among an export's headers
//! ([`columns`]), and deciding which table a file holds ([`recognise`]).

pub mod columns;
pub mod recognise;
pub mod schema;
