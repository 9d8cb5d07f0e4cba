//! Text columns held as dictionaries (Polars categoricals): each distinct value stored once, and
//! a 4-byte code per row in place of a 16-byte view and the text itself.
//!
//! The console's every-event load keeps go hunt's columns for nearly every row of a large export
//! (15M rows: 3.2 GB as text). Users, addresses, devices, apps and locations repeat across
//! millions of rows, so as dictionaries they cost a fraction of that.
//!
//! A dictionary column is not text to Polars: `cast(Int64)` gives its codes, a join with a text
//! column fails, and `str()` errors. Whatever tests or joins rows reads the frames through
//! [`as_text`] or [`decoded`] first; both leave frames without dictionary columns as they are.

use std::sync::Arc;

use polars::prelude::*;

use super::table::schema::TableKind;

/// The dictionary of `table`'s `column`: one per column name, shared by every piece and file
/// of a load (pieces stack only when their dictionaries are the same object), and dropped
/// with the last frame that uses it.
fn categories(table: TableKind, column: &str) -> Arc<Categories> {
    Categories::new(
        format!("{}.{column}", table.name()).into(),
        "proxyhunt".into(),
        CategoricalPhysical::U32,
    )
}

/// `column` held as a dictionary, when it is text (other columns come back as they are).
pub fn encode(table: TableKind, column: Column) -> Column {
    if column.dtype() != &DataType::String {
        return column;
    }
    let dtype = DataType::from_categories(categories(table, column.name()));
    match column.cast(&dtype) {
        Ok(encoded) => encoded,
        // More than 4 billion distinct values cannot happen in a frame Polars can hold; were
        // it to, the column stays text (larger, not wrong).
        Err(_) => column,
    }
}

/// `frame` with `columns` held as dictionaries.
pub fn encode_frame(table: TableKind, frame: DataFrame, columns: &[&str]) -> DataFrame {
    let height = frame.height();
    let encoded: Vec<Column> = frame
        .columns()
        .iter()
        .map(|c| {
            if columns.contains(&c.name().as_str()) {
                encode(table, c.clone())
            } else {
                c.clone()
            }
        })
        .collect();
    DataFrame::new(height, encoded).unwrap_or(frame)
}

fn is_dictionary(dtype: &DataType) -> bool {
    matches!(dtype, DataType::Categorical(..))
}

/// `frame`'s rows with every dictionary column as text again, lazily: what the detections'
/// plans expect. A frame without dictionary columns is planned as it is.
pub fn as_text(frame: &DataFrame) -> LazyFrame {
    let casts: Vec<Expr> = frame
        .columns()
        .iter()
        .filter(|c| is_dictionary(c.dtype()))
        .map(|c| col(c.name().clone()).cast(DataType::String))
        .collect();
    let lf = frame.clone().lazy();
    if casts.is_empty() {
        lf
    } else {
        lf.with_columns(casts)
    }
}

/// `frame` with every dictionary column as text again.
pub fn decoded(frame: DataFrame) -> PolarsResult<DataFrame> {
    if !frame.columns().iter().any(|c| is_dictionary(c.dtype())) {
        return Ok(frame);
    }
    let height = frame.height();
    let columns = frame
        .columns()
        .iter()
        .map(|c| {
            if is_dictionary(c.dtype()) {
                c.cast(&DataType::String)
            } else {
                Ok(c.clone())
            }
        })
        .collect::<PolarsResult<Vec<Column>>>()?;
    DataFrame::new(height, columns)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn users() -> DataFrame {
        df!(
            "UserPrincipalName" => ["a@x", "b@x", "a@x", ""],
            "ResultType" => ["0", "50126", "0", "0"],
            "n" => [1i64, 2, 3, 4],
        )
        .unwrap()
    }

    #[test]
    fn encoded_columns_decode_to_the_same_text() {
        let plain = users();
        let encoded = encode_frame(
            TableKind::SignIn,
            plain.clone(),
            &["UserPrincipalName", "ResultType", "n"],
        );
        assert!(is_dictionary(
            encoded.column("UserPrincipalName").unwrap().dtype()
        ));
        assert_eq!(encoded.column("n").unwrap().dtype(), &DataType::Int64);
        assert_eq!(decoded(encoded.clone()).unwrap(), plain);
        assert_eq!(as_text(&encoded).collect().unwrap(), plain);
    }

    #[test]
    fn pieces_encoded_apart_stack() {
        let plain = users();
        let mut a = encode_frame(TableKind::SignIn, plain.slice(0, 2), &["UserPrincipalName"]);
        let b = encode_frame(TableKind::SignIn, plain.slice(2, 2), &["UserPrincipalName"]);
        a.vstack_mut(&b).unwrap();
        assert_eq!(decoded(a).unwrap(), plain);
    }

    #[test]
    fn a_dictionary_column_read_as_text_compares_as_text() {
        // Cast to an integer, a dictionary column gives its codes: read as text first, "0"
        // is 0 and "50126" is 50126.
        let encoded = encode_frame(TableKind::SignIn, users(), &["ResultType"]);
        let ints = as_text(&encoded)
            .select([col("ResultType").cast(DataType::Int64)])
            .collect()
            .unwrap();
        let ints: Vec<Option<i64>> = ints
            .column("ResultType")
            .unwrap()
            .i64()
            .unwrap()
            .iter()
            .collect();
        assert_eq!(ints, vec![Some(0), Some(50126), Some(0), Some(0)]);
    }
}
