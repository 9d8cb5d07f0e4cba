//! Late materialisation: once the row filter has chosen a slice's rows from the filter's own
//! columns, the other columns are decoded for those rows only. Polars' decoders take a row mask
//! and skip the other values without copying them, so a slice where the filter keeps a few rows
//! of a hundred thousand costs little more than reading its pages, where decoding every row and
//! then filtering cost the same again in fresh memory (and the kernel's time zeroing it).

use std::ops::Range;

use polars::io::parquet::read::_internal::to_deserializer;
use polars::prelude::*;
use polars_arrow::array::Array;
use polars_arrow::bitmap::Bitmap;
use polars_buffer::Buffer;
use polars_parquet::read::{ColumnChunkMetadata, Filter};

use super::Input;

/// What the other columns are read with: the file's metadata and Arrow schema, read once.
pub struct FileLayout {
    pub metadata: Arc<polars_parquet::read::FileMetadata>,
    pub schema: Arc<ArrowSchema>,
}

impl FileLayout {
    pub fn of(input: Input) -> PolarsResult<FileLayout> {
        let mut reader = input.reader()?;
        let metadata = reader.get_metadata()?.clone();
        let schema = reader.schema()?;
        Ok(FileLayout { metadata, schema })
    }

    /// The rows of each row group.
    pub fn group_rows(&self) -> Vec<usize> {
        self.metadata
            .row_groups
            .iter()
            .map(|g| g.num_rows())
            .collect()
    }
}

/// `columns` of row groups `groups` (whose first row is the slice's first) of `file`, for the
/// rows `keep` (one flag per row of the slice) holds, in the slice's order.
pub fn read_kept_rows(
    file: &Buffer<u8>,
    layout: &FileLayout,
    columns: &[String],
    groups: Range<usize>,
    keep: &BooleanChunked,
) -> PolarsResult<DataFrame> {
    let keep = keep.rechunk();
    let mask: Bitmap = match keep.downcast_iter().next() {
        Some(array) if array.null_count() == 0 => array.values().clone(),
        // Nulls never come from the row filter; read as "not kept".
        Some(array) => array.iter().map(|v| v == Some(true)).collect::<Bitmap>(),
        None => Bitmap::new_zeroed(0),
    };
    let kept = mask.set_bits();
    // Column chunks are slices of the file's buffer: nothing is copied.
    let chunk = |meta: &ColumnChunkMetadata| -> PolarsResult<Buffer<u8>> {
        let range = meta.byte_range();
        let (start, end) = (range.start as usize, range.end as usize);
        if end > file.len() || start > end {
            polars_bail!(ComputeError: "a column chunk lies outside the file");
        }
        Ok(file.clone().sliced(start..end))
    };
    let mut out = Vec::with_capacity(columns.len());
    for name in columns {
        let field = layout
            .schema
            .get(name.as_str())
            .ok_or_else(|| polars_err!(ColumnNotFound: "{name}"))?;
        let mut arrays = Vec::new();
        let mut first = 0;
        for g in groups.clone() {
            let group = &layout.metadata.row_groups[g];
            let rows = group.num_rows();
            let group_mask = mask.clone().sliced(first, rows.min(mask.len() - first));
            first += rows;
            let wanted = group_mask.set_bits();
            if wanted == 0 {
                continue;
            }
            match group.columns_under_root_iter(name) {
                Some(metas) => {
                    let pairs = metas
                        .map(|m| Ok((m, chunk(m)?)))
                        .collect::<PolarsResult<Vec<_>>>()?;
                    let (mut decoded, _) = to_deserializer(
                        pairs,
                        field.clone(),
                        Some(Filter::new_masked(group_mask)),
                    )?;
                    arrays.append(&mut decoded);
                }
                None => {
                    let dtype = DataType::from_arrow_field(field);
                    let nulls = Series::full_null(name.as_str().into(), wanted, &dtype);
                    arrays.extend(nulls.chunks().iter().cloned());
                }
            }
        }
        let series = if arrays.is_empty() {
            Series::new_empty(name.as_str().into(), &DataType::from_arrow_field(field))
        } else {
            Series::try_from((field, arrays))?
        };
        out.push(series.into_column());
    }
    DataFrame::new(kept, out)
}
