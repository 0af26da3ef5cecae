//! Row structs ⇄ polars frames, with one declared schema per table.
//!
//! Each report table is a plain Rust struct (serde, testable, no polars in sight), declared
//! with [`table!`]; the macro derives its polars conversion both ways and its schema (column
//! names and types, in order) so that the README, the writer and the reader cannot drift apart.
//! Only five cell types are used — text, integer, float, boolean, and optional forms of
//! them — so the files read the same in polars, pandas, DuckDB, Excel and R.

use polars::prelude::*;

/// A value that can live in one report column.
pub trait Cell: Sized {
    /// The column type as the README documents it.
    const TYPE: &'static str;
    /// Builds a named column from one value per row.
    fn column(name: &str, values: Vec<Self>) -> Column;
    /// Reads a column back, one value per row.
    fn read(col: &Column) -> PolarsResult<Vec<Self>>;
}

fn null_in(col: &Column) -> PolarsError {
    PolarsError::ComputeError(format!("column `{}` holds a null where a value is required", col.name()).into())
}

impl Cell for String {
    const TYPE: &'static str = "string";
    fn column(name: &str, values: Vec<Self>) -> Column {
        Column::new(name.into(), values)
    }
    fn read(col: &Column) -> PolarsResult<Vec<Self>> {
        col.str()?.iter().map(|v| v.map(str::to_owned).ok_or_else(|| null_in(col))).collect()
    }
}

impl Cell for Option<String> {
    const TYPE: &'static str = "string, nullable";
    fn column(name: &str, values: Vec<Self>) -> Column {
        Column::new(name.into(), values)
    }
    fn read(col: &Column) -> PolarsResult<Vec<Self>> {
        Ok(col.str()?.iter().map(|v| v.map(str::to_owned)).collect())
    }
}

macro_rules! numeric_cell {
    ($t:ty, $name:literal, $get:ident) => {
        impl Cell for $t {
            const TYPE: &'static str = $name;
            fn column(name: &str, values: Vec<Self>) -> Column {
                Column::new(name.into(), values)
            }
            fn read(col: &Column) -> PolarsResult<Vec<Self>> {
                col.$get()?.iter().map(|v| v.ok_or_else(|| null_in(col))).collect()
            }
        }

        impl Cell for Option<$t> {
            const TYPE: &'static str = concat!($name, ", nullable");
            fn column(name: &str, values: Vec<Self>) -> Column {
                Column::new(name.into(), values)
            }
            fn read(col: &Column) -> PolarsResult<Vec<Self>> {
                Ok(col.$get()?.iter().collect())
            }
        }
    };
}

numeric_cell!(i64, "int64", i64);
numeric_cell!(f64, "float64", f64);
numeric_cell!(bool, "bool", bool);

/// A report table: its row type, name and schema.
pub trait Table: Sized {
    /// The file stem: `calls` gives `calls.parquet` and `calls.csv`.
    const NAME: &'static str;
    /// Column names and types, in file order.
    const COLUMNS: &'static [(&'static str, &'static str)];
    /// The rows as a frame with exactly [`Table::COLUMNS`].
    fn to_frame(rows: &[Self]) -> PolarsResult<DataFrame>;
    /// Rows back from a frame; fails naming the column that is missing or of the wrong type.
    fn from_frame(df: &DataFrame) -> PolarsResult<Vec<Self>>;
}

/// Declares a report row struct and implements [`Table`] for it.
macro_rules! table {
    (
        $(#[$meta:meta])*
        pub struct $name:ident as $file:literal {
            $( $(#[$fmeta:meta])* pub $field:ident : $ty:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty ),*
        }

        impl $crate::report::table::Table for $name {
            const NAME: &'static str = $file;
            const COLUMNS: &'static [(&'static str, &'static str)] =
                &[$( (stringify!($field), <$ty as $crate::report::table::Cell>::TYPE) ),*];

            fn to_frame(rows: &[Self]) -> polars::prelude::PolarsResult<polars::prelude::DataFrame> {
                let columns = vec![$(
                    <$ty as $crate::report::table::Cell>::column(
                        stringify!($field),
                        rows.iter().map(|r| r.$field.clone()).collect(),
                    )
                ),*];
                polars::prelude::DataFrame::new(rows.len(), columns)
            }

            fn from_frame(df: &polars::prelude::DataFrame) -> polars::prelude::PolarsResult<Vec<Self>> {
                $(
                    let mut $field = <$ty as $crate::report::table::Cell>::read(df.column(stringify!($field))?)?.into_iter();
                )*
                let mut rows = Vec::with_capacity(df.height());
                for _ in 0..df.height() {
                    rows.push($name { $( $field: $field.next().expect("a column holds one value per row") ),* });
                }
                Ok(rows)
            }
        }
    };
}

pub(crate) use table;

#[cfg(test)]
mod tests {
    use super::*;

    table! {
        /// A table exercising every cell type.
        pub struct Sample as "sample" {
            pub text: String,
            pub maybe_text: Option<String>,
            pub n: i64,
            pub maybe_n: Option<i64>,
            pub x: f64,
            pub maybe_x: Option<f64>,
            pub flag: bool,
            pub maybe_flag: Option<bool>,
        }
    }

    fn rows() -> Vec<Sample> {
        vec![
            Sample {
                text: "您好".into(),
                maybe_text: None,
                n: -3,
                maybe_n: Some(7),
                x: 0.5,
                maybe_x: None,
                flag: true,
                maybe_flag: Some(false),
            },
            Sample {
                text: "".into(),
                maybe_text: Some("再见".into()),
                n: i64::MAX,
                maybe_n: None,
                x: -1e9,
                maybe_x: Some(2.25),
                flag: false,
                maybe_flag: None,
            },
        ]
    }

    #[test]
    fn rows_round_trip_through_a_frame_with_the_declared_schema() {
        let df = Sample::to_frame(&rows()).unwrap();
        let names: Vec<&str> = df.get_column_names().iter().map(|n| n.as_str()).collect();
        let declared: Vec<&str> = Sample::COLUMNS.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, declared);
        assert_eq!(Sample::COLUMNS[1], ("maybe_text", "string, nullable"));
        assert_eq!(Sample::from_frame(&df).unwrap(), rows());
    }

    #[test]
    fn an_empty_table_still_has_its_columns() {
        let df = Sample::to_frame(&[]).unwrap();
        assert_eq!(df.width(), Sample::COLUMNS.len());
        assert_eq!(df.height(), 0);
        assert!(Sample::from_frame(&df).unwrap().is_empty());
    }

    #[test]
    fn a_missing_or_mistyped_column_is_named() {
        let df = Sample::to_frame(&rows()).unwrap().drop("maybe_n").unwrap();
        let err = Sample::from_frame(&df).unwrap_err().to_string();
        assert!(err.contains("maybe_n"), "{err}");
    }
}
