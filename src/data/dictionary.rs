//! Text columns held as dictionaries (Polars categoricals): each distinct value stored once, and
//! a 4-byte code per row in place of a 16-byte view and the text itself.
//!
//! The console's every-event load keeps go hunt's columns for nearly every row of a large export
//! (15M rows: 3.2 GB as text). Users, addresses, devices, apps and locations repeat across
//! millions of rows, so as dictionaries they cost a fraction of that.
//!
//! A dictionary column is not text to Polars: `cast(Int64)` gives its codes, a join with a text
//! column fails, and `str()` errors. Whatever tests or joins rows reads the frames through
//! [`as_text`] or [`decoded`] first (both leave frames without dictionary columns as they are),
//! or casts the column to text itself (go hunt, after its window).

use std::sync::Arc;

use polars::prelude::*;

use super::table::schema::{ColumnsOf, TableKind};

/// The dictionaries of one load, one per table column held so. Made when the load starts and
/// handed to every piece and file it reads: pieces stack only when their dictionaries are the
/// same object, and no other load's values are added to them. Each is dropped with the last
/// frame that uses it.
pub struct Dictionaries {
    /// A dozen or so: found by a look along the list.
    by_column: Vec<(TableKind, &'static str, Arc<Categories>)>,
}

impl Dictionaries {
    /// A dictionary for each of `columns(table)`, for every table.
    pub fn new(columns: ColumnsOf) -> Self {
        let by_column = TableKind::ALL
            .iter()
            .flat_map(|&t| columns(t).into_iter().map(move |c| (t, c)))
            .map(|(t, c)| {
                // A name of its own: Polars keeps named dictionaries in one registry for
                // the whole process.
                let cats = Categories::random("proxyhunt".into(), CategoricalPhysical::U32);
                (t, c, cats)
            })
            .collect();
        Dictionaries { by_column }
    }

    /// The dictionary of `table`'s `column`, if it is held as one.
    pub fn of(&self, table: TableKind, column: &str) -> Option<&Arc<Categories>> {
        self.by_column
            .iter()
            .find(|(t, c, _)| *t == table && *c == column)
            .map(|(_, _, cats)| cats)
    }

    /// `frame` with the columns of `table` held as dictionaries so.
    pub fn encode_frame(&self, table: TableKind, frame: DataFrame) -> DataFrame {
        let height = frame.height();
        let encoded: Vec<Column> = frame
            .columns()
            .iter()
            .map(|c| match self.of(table, c.name()) {
                Some(cats) => encode(c.clone(), cats),
                None => c.clone(),
            })
            .collect();
        DataFrame::new(height, encoded).unwrap_or(frame)
    }
}

/// `column` held in dictionary `cats`, when it is text with a value per row (a column left
/// out, one value for every row, and other types come back as they are).
pub fn encode(column: Column, cats: &Arc<Categories>) -> Column {
    if column.dtype() != &DataType::String || column.as_scalar_column().is_some() {
        return column;
    }
    let dtype = DataType::from_categories(cats.clone());
    match column.cast(&dtype) {
        Ok(encoded) => encoded,
        // More than 4 billion distinct values cannot happen in a frame Polars can hold; were
        // it to, the column stays text (larger, not wrong).
        Err(_) => column,
    }
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

    fn held(_: TableKind) -> Vec<&'static str> {
        vec!["UserPrincipalName", "ResultType", "n"]
    }

    #[test]
    fn encoded_columns_decode_to_the_same_text() {
        let dictionaries = Dictionaries::new(held);
        let plain = users();
        let encoded = dictionaries.encode_frame(TableKind::SignIn, plain.clone());
        assert!(is_dictionary(
            encoded.column("UserPrincipalName").unwrap().dtype()
        ));
        assert_eq!(encoded.column("n").unwrap().dtype(), &DataType::Int64);
        assert_eq!(decoded(encoded.clone()).unwrap(), plain);
        assert_eq!(as_text(&encoded).collect().unwrap(), plain);
    }

    #[test]
    fn pieces_of_one_load_stack_and_another_load_has_its_own() {
        let plain = users();
        let load = Dictionaries::new(held);
        let mut a = load.encode_frame(TableKind::SignIn, plain.slice(0, 2));
        let b = load.encode_frame(TableKind::SignIn, plain.slice(2, 2));
        a.vstack_mut(&b).unwrap();
        assert_eq!(decoded(a.clone()).unwrap(), plain);
        let other = Dictionaries::new(held).encode_frame(TableKind::SignIn, plain.slice(2, 2));
        assert_ne!(
            a.column("UserPrincipalName").unwrap().dtype(),
            other.column("UserPrincipalName").unwrap().dtype()
        );
    }

    #[test]
    fn a_left_out_column_stays_one_value() {
        let one = Column::new_scalar(
            "UserPrincipalName".into(),
            Scalar::new(DataType::String, AnyValue::StringOwned("".into())),
            3,
        );
        let cats = Dictionaries::new(held);
        let cats = cats.of(TableKind::SignIn, "UserPrincipalName").unwrap();
        assert!(encode(one, cats).as_scalar_column().is_some());
    }

    #[test]
    fn a_dictionary_column_read_as_text_compares_as_text() {
        // Cast to an integer, a dictionary column gives its codes: read as text first, "0"
        // is 0 and "50126" is 50126.
        let encoded = Dictionaries::new(held).encode_frame(TableKind::SignIn, users());
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
