//! Files read as a stream of blocks on the pool, in bounded memory: large CSV, and NDJSON (with
//! streaming-API records) of any size.

pub mod csv;
pub mod ndjson;
