"""Reads every table of a callqa report set the way a site's tools would, and checks the types.

Usage: check_reports.py REPORTS_DIR SCHEMA_JSON [--pyarrow-major N] [--readers pyarrow,pandas,duckdb,polars]

SCHEMA_JSON is written by tests/report_compat.rs from callqa's own table declarations:
{"timezone": "Asia/Shanghai", "tables": {"calls": [["run_id", "string"], ...], ...}}, with the
column types as the README documents them. Every Parquet file is read with each reader asked for
(pyarrow always), its columns' types checked against the declaration, and its CSV read too
(it starts with a UTF-8 byte-order mark, which must not end up in the first column's name).
Prints one line per check that failed and exits 1 if any did; 0 and a summary otherwise.
"""

import argparse
import datetime
import json
import pathlib
import sys

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

failures = []


def fail(msg):
    failures.append(msg)


def base_type(declared):
    """"string, nullable" -> "string"; "timestamp (µs, site time zone)" -> "timestamp"."""
    return declared.split(",")[0].split("(")[0].strip()


def check_arrow_type(where, name, declared, t, tz):
    kind = base_type(declared)
    if kind == "string":
        ok = t in (pa.string(), pa.large_string())
    elif kind == "int64":
        ok = t == pa.int64()
    elif kind == "float64":
        ok = t == pa.float64()
    elif kind == "bool":
        ok = t == pa.bool_()
    elif kind == "timestamp":
        ok = pa.types.is_timestamp(t) and t.unit in ("ms", "us") and t.tz == tz
    elif kind == "date":
        ok = t == pa.date32()
    else:
        fail(f"{where}: column {name}: declared type {declared!r} is unknown to this script")
        return
    if not ok:
        zone = f" in {tz}" if kind == "timestamp" else ""
        fail(f"{where}: column {name}: arrow type {t}, declared {declared!r}{zone}")


def read_with_pyarrow(reports, table, columns, rows, tz):
    path = reports / f"{table}.parquet"
    where = f"pyarrow {pa.__version__}: {path.name}"
    try:
        t = pq.read_table(path)
    except Exception as e:  # the point of the check: old readers fail on newer Arrow types
        fail(f"{where}: cannot read: {type(e).__name__}: {e}")
        return None
    names = [c for c, _ in columns]
    if t.column_names != names:
        fail(f"{where}: columns {t.column_names}, declared {names}")
        return None
    if t.num_rows != rows:
        fail(f"{where}: {t.num_rows} rows, report.json says {rows}")
    for name, declared in columns:
        check_arrow_type(where, name, declared, t.schema.field(name).type, tz)
    # Decode every value, not just the schema (timestamps as integers: turning them into Python
    # datetimes would test the time zone database rather than the file).
    for name, declared in columns:
        col = t.column(name)
        try:
            if pa.types.is_timestamp(col.type):
                col = col.cast(pa.int64())
            col.to_pylist()
        except Exception as e:
            fail(f"{where}: column {name}: cannot decode: {type(e).__name__}: {e}")

    csv_path = reports / f"{table}.csv"
    where = f"pyarrow {pa.__version__}: {csv_path.name}"
    raw = csv_path.read_bytes()
    if not raw.startswith(b"\xef\xbb\xbf"):
        fail(f"{where}: does not start with a UTF-8 byte-order mark")
    try:
        c = pacsv.read_csv(csv_path)
    except Exception as e:
        fail(f"{where}: cannot read: {type(e).__name__}: {e}")
        return t
    if c.column_names != names:
        fail(f"{where}: header {c.column_names}, declared {names}")
    if c.num_rows != rows:
        fail(f"{where}: {c.num_rows} rows, report.json says {rows}")
    return t


def read_with_pandas(reports, table, columns, rows, tz):
    import pandas as pd

    path = reports / f"{table}.parquet"
    where = f"pandas {pd.__version__}: {path.name}"
    try:
        df = pd.read_parquet(path)
    except Exception as e:
        fail(f"{where}: cannot read: {type(e).__name__}: {e}")
        return
    if len(df) != rows:
        fail(f"{where}: {len(df)} rows, report.json says {rows}")
    typed = True
    for name, declared in columns:
        kind = base_type(declared)
        dtype = df[name].dtype
        if kind == "timestamp":
            if not (isinstance(dtype, pd.DatetimeTZDtype) and str(dtype.tz) == tz):
                fail(f"{where}: column {name}: dtype {dtype}, expected datetime64 with time zone {tz}")
                typed = False
        elif kind == "date":
            bad = [v for v in df[name] if not isinstance(v, datetime.date)]
            if bad:
                fail(f"{where}: column {name}: values {bad[:3]} are not dates (dtype {dtype})")
                typed = False

    csv_path = reports / f"{table}.csv"
    where = f"pandas {pd.__version__}: {csv_path.name}"
    try:
        c = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    except Exception as e:
        fail(f"{where}: cannot read: {type(e).__name__}: {e}")
        return
    names = [n for n, _ in columns]
    if list(c.columns) != names:
        fail(f"{where}: header {list(c.columns)}, declared {names}")
        return
    if len(c) != rows:
        fail(f"{where}: {len(c)} rows, report.json says {rows}")
        return
    if not typed:
        return
    # CSV's local times and ISO days are the same instants and days as Parquet's.
    for name, declared in columns:
        kind = base_type(declared)
        if kind == "timestamp":
            got = pd.to_datetime(c[name], format="ISO8601", utc=True)
            want = df[name].dt.tz_convert("UTC")
            if list(got) != list(want):
                fail(f"{where}: column {name}: {list(c[name])[:3]} are not the Parquet file's {list(df[name])[:3]}")
        elif kind == "date":
            got = [datetime.date.fromisoformat(v) for v in c[name]]
            if got != list(df[name]):
                fail(f"{where}: column {name}: {got[:3]} are not the Parquet file's {list(df[name])[:3]}")


DUCKDB_TYPES = {
    "string": "VARCHAR",
    "int64": "BIGINT",
    "float64": "DOUBLE",
    "bool": "BOOLEAN",
    "timestamp": "TIMESTAMP WITH TIME ZONE",
    "date": "DATE",
}


def read_with_duckdb(reports, table, columns, rows, tz):
    import duckdb

    path = reports / f"{table}.parquet"
    where = f"duckdb {duckdb.__version__}: {path.name}"
    con = duckdb.connect()
    try:
        described = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
        (n,) = con.execute("SELECT count(*) FROM read_parquet(?)", [str(path)]).fetchone()
        con.execute("SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
    except Exception as e:
        fail(f"{where}: cannot read: {type(e).__name__}: {e}")
        return
    if n != rows:
        fail(f"{where}: {n} rows, report.json says {rows}")
    got = {r[0]: r[1] for r in described}
    for name, declared in columns:
        want = DUCKDB_TYPES.get(base_type(declared))
        if got.get(name) != want:
            fail(f"{where}: column {name}: type {got.get(name)}, expected {want}")

    csv_path = reports / f"{table}.csv"
    where = f"duckdb {duckdb.__version__}: {csv_path.name}"
    try:
        rel = con.execute("SELECT * FROM read_csv(?, header = true, all_varchar = true)", [str(csv_path)])
        names = [d[0] for d in rel.description]
        n = len(rel.fetchall())
    except Exception as e:
        fail(f"{where}: cannot read: {type(e).__name__}: {e}")
        return
    if names != [c for c, _ in columns]:
        fail(f"{where}: header {names}, declared {[c for c, _ in columns]}")
    if n != rows:
        fail(f"{where}: {n} rows, report.json says {rows}")


def read_with_polars(reports, table, columns, rows, tz):
    import polars as pl

    path = reports / f"{table}.parquet"
    where = f"polars {pl.__version__}: {path.name}"
    try:
        df = pl.read_parquet(path)
    except Exception as e:
        fail(f"{where}: cannot read: {type(e).__name__}: {e}")
        return
    if df.height != rows:
        fail(f"{where}: {df.height} rows, report.json says {rows}")
    for name, declared in columns:
        kind = base_type(declared)
        dtype = df.schema.get(name)
        if kind == "timestamp":
            ok = isinstance(dtype, pl.Datetime) and dtype.time_unit in ("ms", "us") and dtype.time_zone == tz
        else:
            want = {"string": pl.String, "int64": pl.Int64, "float64": pl.Float64, "bool": pl.Boolean, "date": pl.Date}[kind]
            ok = dtype == want
        if not ok:
            fail(f"{where}: column {name}: dtype {dtype}, declared {declared!r}")

    csv_path = reports / f"{table}.csv"
    where = f"polars {pl.__version__}: {csv_path.name}"
    try:
        c = pl.read_csv(csv_path, infer_schema=False)
    except Exception as e:
        fail(f"{where}: cannot read: {type(e).__name__}: {e}")
        return
    if c.columns != [n for n, _ in columns]:
        fail(f"{where}: header {c.columns}, declared {[n for n, _ in columns]}")
    if c.height != rows:
        fail(f"{where}: {c.height} rows, report.json says {rows}")


READERS = {
    "pyarrow": read_with_pyarrow,
    "pandas": read_with_pandas,
    "duckdb": read_with_duckdb,
    "polars": read_with_polars,
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("reports", type=pathlib.Path)
    ap.add_argument("schema", type=pathlib.Path)
    ap.add_argument("--pyarrow-major", type=int, help="fail unless this is the pyarrow version in use")
    ap.add_argument("--readers", default="pyarrow")
    args = ap.parse_args()

    if args.pyarrow_major is not None and int(pa.__version__.split(".")[0]) != args.pyarrow_major:
        print(f"check_reports.py: pyarrow {pa.__version__} in use, expected {args.pyarrow_major}.x", file=sys.stderr)
        return 2
    readers = [r for r in args.readers.split(",") if r]
    unknown = [r for r in readers if r not in READERS]
    if unknown:
        print(f"check_reports.py: unknown readers {unknown}; known: {list(READERS)}", file=sys.stderr)
        return 2

    spec = json.loads(args.schema.read_text())
    meta = json.loads((args.reports / "report.json").read_text())
    rows = {f["name"]: f["rows"] for f in meta["files"]}
    tz = spec["timezone"]
    for table, columns in spec["tables"].items():
        n = rows.get(f"{table}.parquet")
        if n is None:
            fail(f"report.json does not list {table}.parquet")
            continue
        for r in readers:
            try:
                READERS[r](args.reports, table, columns, n, tz)
            except Exception as e:  # whatever else a reader trips on is a failure of this table
                fail(f"{r}: {table}: {type(e).__name__}: {e}")

    for f in failures:
        print(f"FAIL {f}")
    if failures:
        return 1
    print(f"ok: {', '.join(readers)} (pyarrow {pa.__version__}) read {len(spec['tables'])} tables of {args.reports} with the declared types")
    return 0


if __name__ == "__main__":
    sys.exit(main())
