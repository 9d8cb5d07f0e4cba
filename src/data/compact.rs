//! Frames holding a few rows of a much larger read, made to hold only what those rows need.
//!
//! Polars' string columns point into shared buffers: filtering a slice's strings keeps the whole
//! slice's buffers alive for the few rows kept, and every string column built holds a first
//! buffer of at least 8 KB however little it stores. A read that keeps a few rows of each of
//! thousands of blocks or slices would hold those buffers, not its rows (measured: 874 MB
//! against 265 MB for a Parquet read five times the size). Copying the kept strings into buffers
//! of their size lets the rest go.
//!
//! Frames are stacked by [`stack`], which keeps a column left out of a load as one value.

use polars::prelude::*;

/// `frame` with every string column copied into buffers of its own size.
pub fn compact_strings(frame: DataFrame) -> DataFrame {
    let height = frame.height();
    let columns: Vec<Column> = frame
        .columns()
        .iter()
        .map(|c| {
            // One value for every row (a column left out) stays so: read as text, it would be
            // filled in, a value per row.
            if c.as_scalar_column().is_some() {
                return c.clone();
            }
            match c.str() {
                Ok(ca) => ca
                    .iter()
                    .collect::<StringChunked>()
                    .with_name(c.name().clone())
                    .into_column(),
                Err(_) => c.rechunk(),
            }
        })
        .collect();
    DataFrame::new(height, columns).unwrap_or(frame)
}

/// Frames of one schema as one, rows in order; with the reason each frame of another schema
/// was left out. A column every frame holds as the same single value (one a load leaves out)
/// stays that one value: stacked as Polars stacks it, it would become a value per row (16
/// bytes a row for text: 76 MB a column at 5M rows).
pub fn stack(frames: Vec<DataFrame>) -> (Option<DataFrame>, Vec<String>) {
    let mut iter = frames.into_iter();
    let Some(first) = iter.next() else {
        return (None, Vec::new());
    };
    let schema = first.schema().clone();
    let mut errors = Vec::new();
    let mut same = vec![first];
    for frame in iter {
        match schema_difference(&schema, frame.schema()) {
            None => same.push(frame),
            Some(why) => errors.push(why),
        }
    }
    let height: usize = same.iter().map(DataFrame::height).sum();
    let columns: PolarsResult<Vec<Column>> = (0..schema.len())
        .map(|i| {
            let first = &same[0].columns()[i];
            if let Some(one) = first.as_scalar_column() {
                let all_same = same[1..].iter().all(|f| {
                    f.columns()[i]
                        .as_scalar_column()
                        .is_some_and(|c| c.scalar() == one.scalar())
                });
                if all_same {
                    return Ok(Column::new_scalar(
                        first.name().clone(),
                        one.scalar().clone(),
                        height,
                    ));
                }
            }
            let mut stacked = first.clone();
            for frame in &same[1..] {
                stacked.append(&frame.columns()[i])?;
            }
            Ok(stacked)
        })
        .collect();
    match columns.and_then(|c| DataFrame::new(height, c)) {
        Ok(frame) => (Some(frame), errors),
        Err(e) => {
            errors.push(e.to_string());
            (same.into_iter().next(), errors)
        }
    }
}

/// The frames as one, or `None` when there are none or one has another schema.
pub fn stack_all(frames: Vec<DataFrame>) -> Option<DataFrame> {
    match stack(frames) {
        (Some(frame), errors) if errors.is_empty() => Some(frame),
        _ => None,
    }
}

/// How `other` differs from `schema` (`None`: the same names and types in the same order).
fn schema_difference(schema: &Schema, other: &Schema) -> Option<String> {
    if schema == other {
        return None;
    }
    let names = |s: &Schema| s.iter_names().map(|n| n.to_string()).collect::<Vec<_>>();
    if names(schema) != names(other) {
        return Some(format!(
            "columns {} against {}",
            names(other).join(", "),
            names(schema).join(", ")
        ));
    }
    let (name, theirs) = other
        .iter()
        .zip(schema.iter())
        .find(|((_, a), (_, b))| a != b)
        .map(|((n, a), (_, b))| (n.to_string(), format!("{a} against {b}")))?;
    Some(format!("column {name}: {theirs}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn piece(height: usize, left_out: &str) -> DataFrame {
        DataFrame::new(
            height,
            vec![
                Column::new("n".into(), vec![1i64; height]),
                Column::new_scalar(
                    "left_out".into(),
                    Scalar::new(DataType::String, AnyValue::StringOwned(left_out.into())),
                    height,
                ),
            ],
        )
        .unwrap()
    }

    #[test]
    fn stacking_keeps_a_left_out_column_one_value() {
        let (stacked, errors) = stack(vec![piece(2, ""), piece(3, "")]);
        let stacked = stacked.unwrap();
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(stacked.height(), 5);
        assert_eq!(stacked.column("n").unwrap().len(), 5);
        let left_out = stacked.column("left_out").unwrap();
        assert!(left_out.as_scalar_column().is_some());
        assert_eq!(left_out.len(), 5);
        // Different values stay each piece's own.
        let (stacked, _) = stack(vec![piece(1, "a"), piece(2, "b")]);
        let values: Vec<Option<String>> = stacked
            .unwrap()
            .column("left_out")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(|v| v.map(str::to_string))
            .collect();
        assert_eq!(values, ["a", "b", "b"].map(|v| Some(v.to_string())));
    }

    #[test]
    fn compacting_keeps_a_left_out_column_one_value() {
        let compacted = compact_strings(piece(4, ""));
        let left_out = compacted.column("left_out").unwrap();
        let scalar = left_out.as_scalar_column().expect("still one value");
        assert!(scalar.lazy_as_materialized_series().is_none());
        assert_eq!(left_out.len(), 4);
    }

    #[test]
    fn a_frame_of_another_schema_is_named_and_left_out() {
        let other = df!("n" => ["x"], "left_out" => ["y"]).unwrap();
        let (stacked, errors) = stack(vec![piece(2, ""), other, piece(1, "")]);
        assert_eq!(stacked.unwrap().height(), 3);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].starts_with("column n: str against i64"),
            "{errors:?}"
        );
        let renamed = df!("m" => [1i64], "left_out" => [""]).unwrap();
        let (_, errors) = stack(vec![piece(1, ""), renamed]);
        assert_eq!(errors, ["columns m, left_out against n, left_out"]);
    }
}
