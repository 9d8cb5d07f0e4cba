//! Parquet sources: only the requested columns are read; columns Polars already holds in the
//! wanted type are handed over as they are, the rest go through text. With a row filter, the
//! filter's columns are tested first and only the rows it keeps are converted.

mod kept;
mod mask;
mod pushdown;

use std::borrow::Cow;
use std::ops::Range;

use polars::io::mmap::MmapBytesReader;
use polars::prelude::*;
use polars_buffer::Buffer;
use polars_utils::mmap::MMapSemaphore;

use crate::data::issues::{Issue, IssueLog, Severity};
use crate::data::pool;
use crate::data::row_filter::{RowFilter, Skipped};
use crate::data::source::{Addressing, ExtractFilter, Extracted, Request, Source, SourceMeta};
use crate::data::table::schema::{ColType, TableKind};
use crate::data::values::{format_datetime, is_missing};
use kept::{read_kept_rows, FileLayout};
use mask::filter_mask;

/// Where a Parquet source's data is: in memory (a decompressed or piped file), or on disk,
/// where Polars maps it.
enum Data {
    Bytes(Buffer<u8>),
    File(std::path::PathBuf),
}

/// A Parquet file: only the requested columns are read; columns already of the wanted type are
/// handed over typed.
pub struct ParquetSource {
    meta: SourceMeta,
    data: Data,
    /// Columns not in the file, with one value for every row: a Delta table's partition
    /// values. Their names follow the file's in the headers.
    constants: Vec<(String, Option<String>)>,
}

fn source(
    name: &str,
    path: &str,
    headers: PolarsResult<Vec<String>>,
    data: Data,
    log: &mut IssueLog,
) -> Option<ParquetSource> {
    let headers = match headers {
        Ok(s) => s,
        Err(e) => {
            log.push(
                "unreadable",
                Issue::file_error(name, format!("not a readable Parquet file: {e}")),
            );
            return None;
        }
    };
    let mut meta = SourceMeta::new(name, path, "parquet", Addressing::Rows);
    meta.headers = headers;
    Some(ParquetSource {
        meta,
        data,
        constants: Vec::new(),
    })
}

impl ParquetSource {
    /// How many rows the file holds (0 if its footer cannot be read; reading it then says why).
    pub fn rows(&self) -> usize {
        let input = match &self.data {
            Data::Bytes(b) => Input::Bytes(b),
            Data::File(p) => Input::File(p),
        };
        input.reader().and_then(|mut r| r.num_rows()).unwrap_or(0)
    }

    /// Adds columns the file does not hold, with one value for every row.
    pub fn with_constants(mut self, constants: Vec<(String, Option<String>)>) -> Self {
        for (name, _) in &constants {
            self.meta.headers.push(name.clone());
        }
        self.constants = constants;
        self
    }

    /// The constant columns, as Polars columns of `height` rows.
    fn constant_columns(&self, height: usize) -> Vec<Column> {
        self.constants
            .iter()
            .map(|(name, value)| {
                let ca: StringChunked = std::iter::repeat_n(value.as_deref(), height).collect();
                ca.with_name(name.as_str().into()).into_column()
            })
            .collect()
    }

    /// The frame with the constant columns added.
    fn with_constant_columns(&self, mut df: DataFrame) -> PolarsResult<DataFrame> {
        for c in self.constant_columns(df.height()) {
            df.with_column(c)?;
        }
        Ok(df)
    }
}

/// A Parquet file held in memory.
pub fn open_bytes(
    name: &str,
    path: &str,
    bytes: Vec<u8>,
    log: &mut IssueLog,
) -> Option<ParquetSource> {
    let headers = parquet_headers(&mut ParquetReader::new(std::io::Cursor::new(
        bytes.as_slice(),
    )));
    source(name, path, headers, Data::Bytes(Buffer::from(bytes)), log)
}

/// A Parquet file on disk, left there for Polars to map.
pub fn open_file(name: &str, path: &std::path::Path, log: &mut IssueLog) -> Option<ParquetSource> {
    let headers = std::fs::File::open(path)
        .map_err(PolarsError::from)
        .and_then(|f| parquet_headers(&mut ParquetReader::new(f)));
    let data = Data::File(path.to_path_buf());
    source(name, &path.display().to_string(), headers, data, log)
}

impl Source for ParquetSource {
    fn meta(&self) -> &SourceMeta {
        &self.meta
    }

    fn extract(&self, request: &Request, log: &mut IssueLog) -> Extracted<'_> {
        let input = match &self.data {
            Data::Bytes(b) => Input::Bytes(b),
            Data::File(p) => Input::File(p),
        };
        self.extract_parquet(input, request, log)
    }
}

impl ParquetSource {
    /// Reads only the requested Parquet columns, then renders them as text for the shared
    /// normalisation.
    fn extract_parquet(
        &self,
        input: Input,
        request: &Request,
        log: &mut IssueLog,
    ) -> Extracted<'static> {
        let (requests, filter, table) = (request.columns, request.filter, request.table);
        let in_file = self.meta.headers.len() - self.constants.len();
        let mut wanted: Vec<String> = requests
            .iter()
            .flatten()
            .filter(|&&i| i < in_file)
            .map(|&i| self.meta.headers[i].clone())
            .collect();
        wanted.sort();
        wanted.dedup();
        let add = |df: DataFrame| self.with_constant_columns(df);
        let read = match filter {
            None => input
                .reader()
                .and_then(|r| r.with_columns(Some(wanted)).finish())
                .and_then(add)
                .map(|df| {
                    let positions = (1..=df.height() as u64).collect();
                    (df, positions, Skipped::default())
                }),
            Some(f) => {
                let pushed = match (&self.data, self.constants.is_empty()) {
                    (Data::File(path), true) => {
                        let types = filter_types(table, f);
                        pushdown::read(path, &self.meta.headers, &wanted, requests, f, &types)
                    }
                    _ => None,
                };
                match pushed {
                    Some(read) => read,
                    None => read_filtered(input, &self.meta.headers, wanted, requests, f, &add),
                }
            }
        };
        match read {
            Ok((df, positions, skipped)) => {
                let mut out = extract_frame(&df, self, requests, positions, table, log);
                out.skipped = skipped;
                out
            }
            Err(e) => {
                let msg = format!("cannot read Parquet data: {e}");
                log.push(
                    "unreadable",
                    self.meta.issue(table, None, None, Severity::Error, msg),
                );
                Extracted::empty(requests.len())
            }
        }
    }
}

/// The canonical type of each column a filter reads (`table` is the table's name).
fn filter_types(table: &str, f: &ExtractFilter) -> Vec<ColType> {
    let specs = TableKind::from_name(table).map_or(&[][..], |t| t.columns());
    f.names
        .iter()
        .map(|n| {
            specs
                .iter()
                .find(|s| s.name == *n)
                .map_or(ColType::Str, |s| s.ty)
        })
        .collect()
}

/// The rows the filter keeps, with their row numbers, and what it turned away. Read a slice
/// of whole row groups at a time, so that memory holds a slice, not the file, and reuses it
/// (decoding a whole file into fresh memory cost more in page faults than in decoding).
fn read_filtered(
    input: Input,
    headers: &[String],
    wanted: Vec<String>,
    requests: &[Vec<usize>],
    filter: &ExtractFilter,
    add: &(dyn Fn(DataFrame) -> PolarsResult<DataFrame> + Sync),
) -> PolarsResult<Kept> {
    // The footer is parsed once, not once per slice and read.
    let layout = FileLayout::of(input)?;
    // Slices of whole row groups: their first row, rows, and groups.
    let mut slices: Vec<(usize, usize, Range<usize>)> = Vec::new();
    let (mut start, mut len, mut first_group) = (0, 0, 0);
    for (g, n) in layout.group_rows().into_iter().enumerate() {
        len += n;
        if len >= SLICE_ROWS {
            slices.push((start, len, first_group..g + 1));
            (start, len, first_group) = (start + len, 0, g + 1);
        }
    }
    let groups = layout.metadata.row_groups.len();
    if len > 0 || slices.is_empty() {
        slices.push((start, len, first_group..groups));
    }
    // The filter's columns are read first; the others only for a slice where it keeps rows,
    // and only those rows are kept of them.
    let needed: Vec<&String> = filter
        .needed()
        .flat_map(|r| requests[r].iter().map(|&i| &headers[i]))
        .collect();
    let (first, rest): (Vec<String>, Vec<String>) =
        wanted.into_iter().partition(|w| needed.contains(&w));
    // Slices are independent: read and test them on every core, then join them in order.
    let read_slice =
        |(offset, len, groups): (usize, usize, Range<usize>)| -> PolarsResult<(DataFrame, Vec<u64>, Skipped)> {
            // One mapping for both reads of the slice. Not one for the whole file: the pages of
            // a mapping count as resident for as long as it lasts.
            let file = input.mapped()?;
            let input = Input::Bytes(&file);
            let read = |columns: &[String], len: usize| {
                let mut reader = input.reader()?;
                reader.set_metadata(layout.metadata.clone());
                reader
                    .with_columns(Some(columns.to_vec()))
                    .with_slice(Some((offset, len)))
                    .finish()
            };
            let df = add(read(&first, len)?)?;
            let (mask, skipped) = match filter_mask(&df, headers, requests, filter) {
                Ok(found) => found,
                // The filter only saves work: rows it cannot test are all kept.
                Err(_) => (
                    BooleanChunked::full("keep".into(), true, df.height()),
                    Skipped::default(),
                ),
            };
            let kept = mask.sum().unwrap_or(0) as usize;
            let rows = mask
                .iter()
                .enumerate()
                .filter(|(_, k)| *k == Some(true))
                .map(|(i, _)| (offset + i) as u64 + 1)
                .collect();
            // The kept rows' strings, not the slice's buffers they point into (when they are
            // a small part of it; otherwise the buffers are mostly theirs).
            let mut df = df.filter(&mask)?;
            if kept * 4 < len {
                df = crate::data::compact::compact_strings(df);
            }
            if !rest.is_empty() {
                let others = if kept == 0 {
                    read(&rest, 0)?
                } else {
                    read_kept_rows(&file, &layout, &rest, groups, &mask)?
                };
                df.hstack_mut(others.columns())?;
            }
            Ok((df, rows, skipped))
        };
    let parts = pool::map(&slices, |slice| read_slice(slice.clone()));
    let mut kept: Option<DataFrame> = None;
    let mut positions: Vec<u64> = Vec::new();
    let mut skipped = Skipped::default();
    for part in parts {
        let (part, rows, s) = part?;
        positions.extend(rows);
        skipped.merge(s);
        match kept.as_mut() {
            Some(k) => {
                k.vstack_mut(&part)?;
            }
            None => kept = Some(part),
        }
    }
    let kept = kept.expect("at least one slice");
    Ok((kept, positions, skipped))
}

/// Where Parquet comes from: bytes in memory, or a file that Polars maps (no copy, no fresh
/// pages: reading a cache entry into memory first cost more in page faults than decoding it).
#[derive(Clone, Copy)]
pub enum Input<'a> {
    Bytes(&'a Buffer<u8>),
    File(&'a std::path::Path),
}

impl Input<'_> {
    /// The whole file as one buffer: the bytes held, or the file mapped (nothing copied).
    fn mapped(&self) -> PolarsResult<Buffer<u8>> {
        match self {
            Input::Bytes(b) => Ok((*b).clone()),
            Input::File(p) => Ok(Buffer::from_owner(MMapSemaphore::new_from_file(
                &std::fs::File::open(p)?,
            )?)),
        }
    }

    fn reader(&self) -> PolarsResult<ParquetReader<Box<dyn MmapBytesReader + '_>>> {
        let source: Box<dyn MmapBytesReader + '_> = match self {
            Input::Bytes(b) => Box::new(std::io::Cursor::new(&b[..])),
            Input::File(p) => Box::new(std::fs::File::open(p)?),
        };
        Ok(ParquetReader::new(source))
    }
}

/// Rows a filter kept, with their row numbers (1-based), and what it turned away.
type Kept = (DataFrame, Vec<u64>, Skipped);

/// Rows read at once from a filtered Parquet file: whole row groups, up to about this many.
const SLICE_ROWS: usize = 131_072;

/// Whether a Parquet column's type can be used without going through text.
fn natively_typed(dtype: &DataType) -> bool {
    matches!(
        dtype,
        DataType::String | DataType::Boolean | DataType::Datetime(_, _)
    ) || dtype.is_integer()
}

/// A datetime column of any unit, with or without a zone, as UTC nanoseconds (Polars stores
/// zoned datetimes as UTC); `None` for other types.
pub fn datetime_nanos(col: &Column) -> Option<PolarsResult<Vec<Option<i64>>>> {
    let DataType::Datetime(unit, _) = col.dtype() else {
        return None;
    };
    let per_unit: i64 = match unit {
        TimeUnit::Nanoseconds => 1,
        TimeUnit::Microseconds => 1_000,
        TimeUnit::Milliseconds => 1_000_000,
    };
    let physical = col.to_physical_repr();
    Some(physical.i64().map(|values| {
        values
            .iter()
            .map(|v| v.map(|t| t.saturating_mul(per_unit)))
            .collect()
    }))
}

/// A Parquet column as text. Datetimes become RFC 3339 UTC so that the shared parser reads
/// them back exactly; everything else is cast to string.
pub fn column_text(col: &Column) -> PolarsResult<Vec<Option<String>>> {
    if let Some(nanos) = datetime_nanos(col) {
        return Ok(nanos?.into_iter().map(|v| v.map(format_datetime)).collect());
    }
    let text = col.cast(&DataType::String)?;
    Ok(text
        .str()?
        .iter()
        .map(|v| v.filter(|s| !is_missing(s)).map(str::to_string))
        .collect())
}

/// `positions` are the source row numbers of `df`'s rows.
fn extract_frame(
    df: &DataFrame,
    source: &ParquetSource,
    requests: &[Vec<usize>],
    positions: Vec<u64>,
    table: &str,
    log: &mut IssueLog,
) -> Extracted<'static> {
    let height = df.height();
    let mut columns = Vec::with_capacity(requests.len());
    let mut typed = Vec::with_capacity(requests.len());
    for req in requests {
        // One source column of a type Polars already holds: hand it over as it is.
        if let [i] = req.as_slice() {
            if let Ok(col) = df.column(&source.meta.headers[*i]) {
                if natively_typed(col.dtype()) {
                    typed.push(Some(col.clone()));
                    columns.push(Vec::new());
                    continue;
                }
            }
        }
        typed.push(None);
        let mut out: Vec<Option<String>> = vec![None; height];
        for &i in req {
            let name = &source.meta.headers[i];
            let values = df.column(name).and_then(column_text);
            let values = match values {
                Ok(v) => v,
                Err(e) => {
                    let msg = format!("cannot read this column: {e}; read as empty");
                    log.push(
                        "unreadable-column",
                        source
                            .meta
                            .issue(table, None, Some(name), Severity::Warning, msg),
                    );
                    continue;
                }
            };
            for (slot, v) in out.iter_mut().zip(values) {
                if slot.is_none() {
                    *slot = v;
                }
            }
        }
        columns.push(out.into_iter().map(|v| v.map(Cow::Owned)).collect());
    }
    Extracted {
        columns,
        typed,
        positions,
        rejected: 0,
        skipped: Skipped::default(),
    }
}

/// A Parquet file's column names.
pub fn parquet_headers<R: MmapBytesReader>(
    reader: &mut ParquetReader<R>,
) -> PolarsResult<Vec<String>> {
    Ok(reader
        .schema()?
        .iter_names()
        .map(|n| n.to_string())
        .collect())
}

/// A frame this program wrote (a cache entry: the table's columns, typed, plus the source
/// columns), read back whole, or only the rows `filter` keeps with what it turned away.
pub fn read_frame(
    path: &std::path::Path,
    table: TableKind,
    filter: Option<&RowFilter>,
) -> PolarsResult<(DataFrame, Skipped)> {
    let input = Input::File(path);
    let mut reader = input.reader()?;
    let headers = parquet_headers(&mut reader)?;
    let position = |name: &str| headers.iter().position(|h| h == name);
    let resolved = filter.and_then(|f| {
        Some(ExtractFilter {
            time: position(table.time_column())?,
            columns: f
                .columns
                .iter()
                .map(|c| position(c))
                .collect::<Option<_>>()?,
            keep: &*f.keep,
            // Every column is already of its type: nothing can be unreadable.
            checked: Vec::new(),
            datetimes: Default::default(),
            expr: f.expr.as_ref(),
            names: f.columns.clone(),
        })
    });
    let Some(f) = resolved else {
        return Ok((reader.finish()?, Skipped::default()));
    };
    let requests: Vec<Vec<usize>> = (0..headers.len()).map(|i| vec![i]).collect();
    let types = filter_types(table.name(), &f);
    let (df, _, skipped) = match pushdown::read(path, &headers, &headers, &requests, &f, &types) {
        Some(read) => read?,
        None => read_filtered(input, &headers, headers.clone(), &requests, &f, &Ok)?,
    };
    Ok((df.select(headers)?, skipped))
}
