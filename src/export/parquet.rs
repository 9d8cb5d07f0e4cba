//! Parquet findings that other tools open. Polars describes its strings to Arrow readers as
//! `string_view` (which pandas and older pyarrow cannot convert) and naive datetimes as not
//! adjusted to UTC. The findings' times are UTC, and the Arrow schema stored in the file says
//! `large_string` and `timestamp[ns, tz=UTC]`; the Parquet columns themselves are the same
//! byte arrays and INT64 timestamps either way.

use std::io::Write;

use polars::prelude::*;

use super::ExportError;

/// The findings with every naive datetime column marked as UTC (the values are UTC already).
fn with_utc_timestamps(findings: &DataFrame) -> PolarsResult<DataFrame> {
    let mut df = findings.clone();
    let naive: Vec<(String, TimeUnit)> = df
        .columns()
        .iter()
        .filter_map(|c| match c.dtype() {
            DataType::Datetime(unit, None) => Some((c.name().to_string(), *unit)),
            _ => None,
        })
        .collect();
    for (name, unit) in naive {
        let ticks = df.column(&name)?.cast(&DataType::Int64)?;
        let utc = ticks
            .i64()?
            .clone()
            .into_datetime(unit, Some(TimeZone::UTC))
            .into_series();
        df.with_column(utc.into_column())?;
    }
    Ok(df)
}

/// Writes the findings as Parquet (zstd pages, as Polars writes by default).
pub fn write_parquet(findings: &DataFrame, out: &mut dyn Write) -> Result<(), ExportError> {
    let mut df = with_utc_timestamps(findings)?;
    // The Arrow schema at the oldest compatibility level: large strings and large lists.
    let arrow = df.schema().to_arrow(CompatLevel::oldest());
    let key = polars_parquet::write::schema_to_metadata_key(&arrow);
    let metadata = KeyValueMetadata::from_static(vec![(key.key, key.value.unwrap_or_default())]);
    ParquetWriter::new(out)
        .with_key_value_metadata(Some(metadata))
        .finish(&mut df)?;
    Ok(())
}
