//! Row structs ⇄ polars frames, with one declared schema per table.
//!
//! Each report table is a plain Rust struct (serde, testable, no polars in sight), declared
//! with [`table!`]; the macro derives its polars conversion both ways and its schema (column
//! names and types, in order) so that the README, the writer and the reader cannot drift apart.
//! Only a few cell types are used — text, integer, float, boolean, instant, date, and optional
//! forms of the first four — each written as the plainest Parquet type that pyarrow, pandas,
//! DuckDB, polars, Excel and R all read (see [`super::write`] for the Arrow level).

use polars::prelude::*;

/// Where a frame is going, which decides how instants and dates are encoded.
#[derive(Clone, Debug)]
pub struct Target {
    /// The report set's time zone (`report.json`'s `timezone`): timestamp columns carry it
    /// (even an empty table's), and CSV shows local time in it.
    pub tz: jiff::tz::TimeZone,
    /// For CSV, which has no types: instants and dates as text a spreadsheet shows as written
    /// (`2026-11-02 09:30:15+08:00`, `2026-11-01`). Otherwise typed columns, for Parquet.
    pub csv: bool,
}

impl Target {
    pub fn parquet(tz: &jiff::tz::TimeZone) -> Target {
        Target { tz: tz.clone(), csv: false }
    }

    pub fn csv(tz: &jiff::tz::TimeZone) -> Target {
        Target { tz: tz.clone(), csv: true }
    }

    /// The time zone as Arrow names it in a timestamp type: its IANA name.
    fn arrow_tz(&self) -> PolarsResult<Option<TimeZone>> {
        let name = self.tz.iana_name().ok_or_else(|| {
            PolarsError::ComputeError("the report's time zone has no IANA name (e.g. Asia/Shanghai), which timestamp columns need".into())
        })?;
        TimeZone::opt_try_new(Some(name))
    }
}

/// A value that can live in one report column.
pub trait Cell: Sized {
    /// The column type as the README documents it.
    const TYPE: &'static str;
    /// Whether CSV gets this type as text of its own (instants, days) rather than as Parquet's
    /// column would print.
    const CSV_TEXT: bool = false;
    /// Builds a named column from one value per row.
    fn column(name: &str, values: Vec<Self>, to: &Target) -> PolarsResult<Column>;
    /// Reads a (Parquet) column back, one value per row.
    fn read(col: &Column) -> PolarsResult<Vec<Self>>;
}

fn null_in(col: &Column) -> PolarsError {
    PolarsError::ComputeError(format!("column `{}` holds a null where a value is required", col.name()).into())
}

impl Cell for String {
    const TYPE: &'static str = "string";
    fn column(name: &str, values: Vec<Self>, _: &Target) -> PolarsResult<Column> {
        Ok(Column::new(name.into(), values))
    }
    fn read(col: &Column) -> PolarsResult<Vec<Self>> {
        col.str()?.iter().map(|v| v.map(str::to_owned).ok_or_else(|| null_in(col))).collect()
    }
}

impl Cell for Option<String> {
    const TYPE: &'static str = "string, nullable";
    fn column(name: &str, values: Vec<Self>, _: &Target) -> PolarsResult<Column> {
        Ok(Column::new(name.into(), values))
    }
    fn read(col: &Column) -> PolarsResult<Vec<Self>> {
        Ok(col.str()?.iter().map(|v| v.map(str::to_owned)).collect())
    }
}

macro_rules! numeric_cell {
    ($t:ty, $name:literal, $get:ident) => {
        impl Cell for $t {
            const TYPE: &'static str = $name;
            fn column(name: &str, values: Vec<Self>, _: &Target) -> PolarsResult<Column> {
                Ok(Column::new(name.into(), values))
            }
            fn read(col: &Column) -> PolarsResult<Vec<Self>> {
                col.$get()?.iter().map(|v| v.ok_or_else(|| null_in(col))).collect()
            }
        }

        impl Cell for Option<$t> {
            const TYPE: &'static str = concat!($name, ", nullable");
            fn column(name: &str, values: Vec<Self>, _: &Target) -> PolarsResult<Column> {
                Ok(Column::new(name.into(), values))
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

/// How CSV shows an instant: local time in the report's zone, with its offset (so an hour
/// repeated when clocks go back stays two instants); fractional seconds only when there are any.
const CSV_INSTANT: &str = "%Y-%m-%d %H:%M:%S%.f%:z";

/// An instant: an Arrow `timestamp[us, tz=<the report's zone>]` (Parquet `TIMESTAMP(MICROS)`,
/// adjusted to UTC), so every tool shows local time and compares instants correctly. Read
/// back in the zone the file names (UTC when it names none).
impl Cell for jiff::Zoned {
    const TYPE: &'static str = "timestamp (µs, site time zone)";
    const CSV_TEXT: bool = true;
    fn column(name: &str, values: Vec<Self>, to: &Target) -> PolarsResult<Column> {
        if to.csv {
            let text: Vec<String> = values.iter().map(|z| z.with_time_zone(to.tz.clone()).strftime(CSV_INSTANT).to_string()).collect();
            return Ok(Column::new(name.into(), text));
        }
        let micros: Vec<i64> = values.iter().map(|z| z.timestamp().as_microsecond()).collect();
        Ok(Int64Chunked::from_vec(name.into(), micros).into_datetime(TimeUnit::Microseconds, to.arrow_tz()?).into_column())
    }
    fn read(col: &Column) -> PolarsResult<Vec<Self>> {
        let ca = col.datetime()?;
        let tz = match ca.time_zone() {
            Some(name) => jiff::tz::TimeZone::get(name.as_str())
                .map_err(|e| PolarsError::ComputeError(format!("column `{}`: time zone {name:?}: {e}", col.name()).into()))?,
            None => jiff::tz::TimeZone::UTC,
        };
        let unit = ca.time_unit();
        ca.physical()
            .iter()
            .map(|v| {
                let v = v.ok_or_else(|| null_in(col))?;
                let t = match unit {
                    TimeUnit::Milliseconds => jiff::Timestamp::from_millisecond(v),
                    TimeUnit::Microseconds => jiff::Timestamp::from_microsecond(v),
                    TimeUnit::Nanoseconds => jiff::Timestamp::from_nanosecond(i128::from(v)),
                };
                let t = t.map_err(|e| PolarsError::ComputeError(format!("column `{}`: {v} {unit:?}: {e}", col.name()).into()))?;
                Ok(t.to_zoned(tz.clone()))
            })
            .collect()
    }
}

/// Day 0 of Arrow's `date32`.
const UNIX_EPOCH_DAY: jiff::civil::Date = jiff::civil::date(1970, 1, 1);

/// A calendar day: an Arrow `date32` (Parquet `DATE`); CSV `2026-11-01`.
impl Cell for jiff::civil::Date {
    const TYPE: &'static str = "date";
    const CSV_TEXT: bool = true;
    fn column(name: &str, values: Vec<Self>, to: &Target) -> PolarsResult<Column> {
        if to.csv {
            return Ok(Column::new(name.into(), values.iter().map(|d| d.to_string()).collect::<Vec<String>>()));
        }
        // jiff's dates (years −9999…9999) are all within ±4 million days of 1970.
        let days: Vec<i32> = values.iter().map(|d| (d.duration_since(UNIX_EPOCH_DAY).as_secs() / 86_400) as i32).collect();
        Ok(Int32Chunked::from_vec(name.into(), days).into_date().into_column())
    }
    fn read(col: &Column) -> PolarsResult<Vec<Self>> {
        col.date()?
            .physical()
            .iter()
            .map(|v| {
                let v = v.ok_or_else(|| null_in(col))?;
                UNIX_EPOCH_DAY
                    .checked_add(jiff::SignedDuration::from_hours(i64::from(v) * 24))
                    .map_err(|e| PolarsError::ComputeError(format!("column `{}`: day {v}: {e}", col.name()).into()))
            })
            .collect()
    }
}

/// A report table: its row type, name and schema.
pub trait Table: Sized {
    /// The file stem: `calls` gives `calls.parquet` and `calls.csv`.
    const NAME: &'static str;
    /// Column names and types, in file order.
    const COLUMNS: &'static [(&'static str, &'static str)];
    /// Whether some column is encoded for CSV differently from Parquet, so that CSV needs a
    /// frame of its own (otherwise the Parquet frame is written as CSV too).
    const CSV_TEXT: bool;
    /// The rows as a frame with exactly [`Table::COLUMNS`], encoded for `to`.
    fn to_frame(rows: &[Self], to: &Target) -> PolarsResult<DataFrame>;
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
            const CSV_TEXT: bool = false $(|| <$ty as $crate::report::table::Cell>::CSV_TEXT)*;

            fn to_frame(rows: &[Self], to: &$crate::report::table::Target) -> polars::prelude::PolarsResult<polars::prelude::DataFrame> {
                let columns = vec![$(
                    <$ty as $crate::report::table::Cell>::column(
                        stringify!($field),
                        rows.iter().map(|r| r.$field.clone()).collect(),
                        to,
                    )?
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
            pub at: jiff::Zoned,
            pub day: jiff::civil::Date,
        }
    }

    fn shanghai() -> jiff::tz::TimeZone {
        jiff::tz::TimeZone::get("Asia/Shanghai").unwrap()
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
                at: "2026-11-02T09:30:15+08:00[Asia/Shanghai]".parse().unwrap(),
                day: jiff::civil::date(2026, 11, 1),
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
                at: "1969-12-31T23:59:59.25Z".parse::<jiff::Timestamp>().unwrap().to_zoned(shanghai()),
                day: jiff::civil::date(1969, 12, 31),
            },
        ]
    }

    #[test]
    fn rows_round_trip_through_a_frame_with_the_declared_schema() {
        let df = Sample::to_frame(&rows(), &Target::parquet(&shanghai())).unwrap();
        let names: Vec<&str> = df.get_column_names().iter().map(|n| n.as_str()).collect();
        let declared: Vec<&str> = Sample::COLUMNS.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, declared);
        assert_eq!(Sample::COLUMNS[1], ("maybe_text", "string, nullable"));
        assert_eq!(df.column("at").unwrap().dtype(), &DataType::Datetime(TimeUnit::Microseconds, TimeZone::opt_try_new(Some("Asia/Shanghai")).unwrap()));
        assert_eq!(df.column("day").unwrap().dtype(), &DataType::Date);
        let back = Sample::from_frame(&df).unwrap();
        assert_eq!(back, rows());
        // Zoned's equality is the instant's; the zone must come back too.
        assert_eq!(back[0].at.time_zone().iana_name(), Some("Asia/Shanghai"));
        assert_eq!(back[0].at.to_string(), "2026-11-02T09:30:15+08:00[Asia/Shanghai]");
    }

    #[test]
    fn csv_shows_instants_as_local_time_and_dates_as_iso_days() {
        let df = Sample::to_frame(&rows(), &Target::csv(&shanghai())).unwrap();
        let at: Vec<Option<&str>> = df.column("at").unwrap().str().unwrap().iter().collect();
        assert_eq!(at, [Some("2026-11-02 09:30:15+08:00"), Some("1970-01-01 07:59:59.25+08:00")]);
        let day: Vec<Option<&str>> = df.column("day").unwrap().str().unwrap().iter().collect();
        assert_eq!(day, [Some("2026-11-01"), Some("1969-12-31")]);
        // Shown in the report's zone, whatever zone a row carries.
        let utc = Sample { at: rows()[0].at.with_time_zone(jiff::tz::TimeZone::UTC), ..rows()[0].clone() };
        let df = Sample::to_frame(&[utc], &Target::csv(&shanghai())).unwrap();
        assert_eq!(df.column("at").unwrap().str().unwrap().get(0), Some("2026-11-02 09:30:15+08:00"));
    }

    table! {
        /// A table without instants or days.
        pub struct Plain as "plain" {
            pub text: String,
            pub n: Option<i64>,
        }
    }

    #[test]
    fn only_tables_with_instants_or_days_need_a_csv_frame_of_their_own() {
        assert!(Sample::CSV_TEXT);
        assert!(!Plain::CSV_TEXT);
    }

    #[test]
    fn an_empty_table_still_has_its_columns() {
        let df = Sample::to_frame(&[], &Target::parquet(&shanghai())).unwrap();
        assert_eq!(df.width(), Sample::COLUMNS.len());
        assert_eq!(df.height(), 0);
        assert!(matches!(df.column("at").unwrap().dtype(), DataType::Datetime(TimeUnit::Microseconds, Some(tz)) if tz.as_str() == "Asia/Shanghai"));
        assert!(Sample::from_frame(&df).unwrap().is_empty());
    }

    #[test]
    fn a_missing_or_mistyped_column_is_named() {
        let df = Sample::to_frame(&rows(), &Target::parquet(&shanghai())).unwrap().drop("maybe_n").unwrap();
        let err = Sample::from_frame(&df).unwrap_err().to_string();
        assert!(err.contains("maybe_n"), "{err}");
        // An instant written as text (report format 1) is refused, naming the column.
        let mut df = Sample::to_frame(&rows(), &Target::parquet(&shanghai())).unwrap();
        df.with_column(Column::new("at".into(), ["2026-11-02T09:30:15+08:00", "x"])).unwrap();
        let err = Sample::from_frame(&df).unwrap_err().to_string();
        assert!(err.contains("`at`"), "{err}");
    }

    #[test]
    fn a_time_zone_without_an_iana_name_is_refused() {
        let fixed = jiff::tz::TimeZone::fixed(jiff::tz::offset(8));
        let err = Sample::to_frame(&rows(), &Target::parquet(&fixed)).unwrap_err().to_string();
        assert!(err.contains("IANA"), "{err}");
    }
}
