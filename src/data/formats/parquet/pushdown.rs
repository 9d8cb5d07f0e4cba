//! Typed Parquet read through Polars' own scan, with the row filter pushed into it: Polars
//! decodes the filter's columns first, evaluates it, and decodes the other columns only for
//! the rows it keeps (its pre-filtered decode), instead of this reader decoding every column of
//! every row and testing the filter on text.
//!
//! It applies when the filter has a Polars form and every column it reads is stored under its
//! own name in its own type (a string column as strings, an integer column as integers) and
//! the event time as a datetime: nothing can then be unreadable, so the rows it turns away say
//! nothing. Otherwise the general path reads and tests the rows.

use std::path::Path;

use polars::prelude::*;

use super::datetime_nanos;
use crate::data::row_filter::Skipped;
use crate::data::source::ExtractFilter;
use crate::data::table::schema::ColType;

/// The row-number column added by the scan.
const ROW: &str = "__proxyhunt_row";

/// The rows the filter keeps (with their 1-based row numbers) and what it turned away, or
/// `None` when the file is not one the pushdown applies to. `types` gives each filter column's
/// canonical type; `time` is the event time's header.
pub fn read(
    path: &Path,
    headers: &[String],
    wanted: &[String],
    requests: &[Vec<usize>],
    filter: &ExtractFilter,
    types: &[ColType],
) -> Option<PolarsResult<(DataFrame, Vec<u64>, Skipped)>> {
    let expr = filter.expr?.clone();
    let schema = match scan(path).and_then(|mut lf| lf.collect_schema()) {
        Ok(s) => s,
        Err(e) => return Some(Err(e)),
    };
    let time = match requests[filter.time].as_slice() {
        [i] => headers[*i].as_str(),
        _ => return None,
    };
    if !matches!(schema.get(time), Some(DataType::Datetime(_, _))) {
        return None;
    }
    for ((&r, name), ty) in filter.columns.iter().zip(&filter.names).zip(types) {
        let [i] = requests[r].as_slice() else {
            return None;
        };
        let dtype = schema.get(headers[*i].as_str())?;
        let fits = match ty {
            ColType::Str => dtype == &DataType::String,
            ColType::Int => dtype.is_integer(),
            ColType::Bool => dtype == &DataType::Boolean,
            ColType::DateTime => matches!(dtype, DataType::Datetime(_, _)),
        };
        if headers[*i] != *name || !fits {
            return None;
        }
    }
    Some(read_kept(path, time, wanted, expr))
}

fn scan(path: &Path) -> PolarsResult<LazyFrame> {
    let args = ScanArgsParquet {
        row_index: Some(RowIndex {
            name: ROW.into(),
            offset: 1,
        }),
        // The path is a file's, as it is: no globbing, no `key=value` folders read as columns.
        glob: false,
        low_memory: true,
        hive_options: HiveOptions {
            enabled: Some(false),
            ..HiveOptions::default()
        },
        ..ScanArgsParquet::default()
    };
    LazyFrame::scan_parquet(PlRefPath::new(path.display().to_string()), args)
}

fn read_kept(
    path: &Path,
    time: &str,
    wanted: &[String],
    expr: Expr,
) -> PolarsResult<(DataFrame, Vec<u64>, Skipped)> {
    // A row without an event time is kept, so that it is reported as without a filter.
    let keep = col(time).is_null().or(expr);
    let mut select: Vec<Expr> = wanted.iter().map(|w| col(w.as_str())).collect();
    select.push(col(ROW));
    let mut df = scan(path)?
        .filter(keep)
        .select(select)
        .collect_with_engine(Engine::Streaming)?
        .unwrap_single();
    let rows: Vec<u64> = df
        .column(ROW)?
        .cast(&DataType::UInt64)?
        .u64()?
        .into_no_null_iter()
        .collect();
    df.drop_in_place(ROW)?;
    // Every row's event time counts towards `now()`: the turned-away rows' range is taken as
    // the file's (the kept rows lie inside it, so every range and `now()` come out the same).
    let stats = scan(path)?
        .select([
            len().alias("n"),
            col(time).min().alias("lo"),
            col(time).max().alias("hi"),
        ])
        .collect_with_engine(Engine::Streaming)?
        .unwrap_single();
    let total = stats
        .column("n")?
        .cast(&DataType::UInt64)?
        .u64()?
        .get(0)
        .unwrap_or(0) as usize;
    let floor = |c: &Column| -> PolarsResult<Option<i64>> {
        Ok(datetime_nanos(c)
            .transpose()?
            .and_then(|v| v.first().copied().flatten())
            .map(|n| n - n.rem_euclid(100)))
    };
    let (lo, hi) = (floor(stats.column("lo")?)?, floor(stats.column("hi")?)?);
    let skipped = Skipped {
        rows: total.saturating_sub(df.height()),
        times: lo.zip(hi).filter(|_| total > df.height()),
    };
    Ok((df, rows, skipped))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::row_filter::RowFilter;

    /// Rows 1..=6 with times, a port and a type; row 4 has no time.
    fn file(dir: &Path) -> std::path::PathBuf {
        let t = |m: i64| Some(1_700_000_000_000_000_000 + m * 60_000_000_000);
        let mut df = df!(
            "Timestamp" => [t(1), t(2), t(3), None, t(5), t(6)],
            "RemotePort" => [9001i64, 443, 9050, 22, 9030, 80],
            "RemoteIPType" => ["Public", "Public", "Private", "Public", "Public", "Public"],
            "DeviceName" => ["a", "b", "c", "d", "e", "f"],
        )
        .unwrap();
        let ts = df
            .column("Timestamp")
            .unwrap()
            .cast(&DataType::Datetime(TimeUnit::Nanoseconds, None))
            .unwrap();
        df.with_column(ts).unwrap();
        let path = dir.join("n.parquet");
        ParquetWriter::new(std::fs::File::create(&path).unwrap())
            .with_row_group_size(Some(2))
            .finish(&mut df)
            .unwrap();
        path
    }

    #[test]
    fn only_kept_rows_and_rows_without_a_time_come_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = file(dir.path());
        let headers: Vec<String> = ["Timestamp", "RemotePort", "RemoteIPType", "DeviceName"]
            .map(String::from)
            .to_vec();
        let filter = RowFilter::new("t", &["RemotePort", "RemoteIPType"], |_| false).with_expr(
            col("RemotePort")
                .eq(lit(9001i64))
                .or(col("RemotePort").eq(lit(9030i64)))
                .and(col("RemoteIPType").eq(lit("Public"))),
        );
        let requests: Vec<Vec<usize>> = (0..4).map(|i| vec![i]).collect();
        let f = ExtractFilter {
            time: 0,
            columns: vec![1, 2],
            keep: &*filter.keep,
            checked: Vec::new(),
            datetimes: Default::default(),
            expr: filter.expr.as_ref(),
            names: filter.columns.clone(),
        };
        let types = [ColType::Int, ColType::Str];
        let (df, rows, skipped) = read(&path, &headers, &headers, &requests, &f, &types)
            .expect("the pushdown applies")
            .unwrap();
        assert_eq!(rows, vec![1, 4, 5]);
        let names: Vec<Option<&str>> = df
            .column("DeviceName")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .collect();
        assert_eq!(names, vec![Some("a"), Some("d"), Some("e")]);
        assert_eq!(skipped.rows, 3);
        let minute = 60_000_000_000;
        let base = 1_700_000_000_000_000_000;
        assert_eq!(skipped.times, Some((base + minute, base + 6 * minute)));
        // A filter column stored in another type: not for the pushdown.
        let types = [ColType::Str, ColType::Str];
        assert!(read(&path, &headers, &headers, &requests, &f, &types).is_none());
    }
}
