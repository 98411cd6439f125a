#!/usr/bin/env python3
"""Reads every table of a published chainstat run back with pyarrow, pandas and DuckDB,
through the `latest/` link and plain globs (as an analyst would), and compares rows and
exact amounts with what `chainstat sql --published` prints.

Usage: read_back.py CHAINSTAT_BIN OUTPUT_ROOT
Exit 0 when every reader gives chainstat's rows; 1 with the differences otherwise.
Run by tests/it/interop.rs with the interpreter scripts/test-env.sh installs.
"""

import datetime as dt
import decimal
import json
import pathlib
import subprocess
import sys

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

# Amounts have up to 38 digits; the default context (28) would round them.
decimal.getcontext().prec = 100


def canonical(value, typ):
    """One cell as text, the same whichever reader produced it; None is NULL."""
    if value is None:
        return "NULL"
    if isinstance(value, float) and value != value:  # pandas' NaN for a missing number
        return "NULL"
    if value is pd.NaT:
        return "NULL"
    if pa.types.is_decimal(typ):
        quantum = decimal.Decimal(1).scaleb(-typ.scale)
        return str(decimal.Decimal(str(value)).quantize(quantum))
    if pa.types.is_integer(typ):
        return str(int(value))
    if pa.types.is_floating(typ):
        return repr(float(value))
    if pa.types.is_boolean(typ):
        return "true" if value in (True, "true") else "false"
    if pa.types.is_date(typ):
        if isinstance(value, str):
            value = dt.date.fromisoformat(value)
        if isinstance(value, dt.datetime):
            value = value.date()
        return value.isoformat()
    if pa.types.is_timestamp(typ):
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        if isinstance(value, pd.Timestamp):
            value = value.to_pydatetime()
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc).isoformat(timespec="microseconds")
    if pa.types.is_string(typ) or pa.types.is_large_string(typ):
        return str(value)
    raise TypeError(f"no canonical text for {typ}")


def rows_of(records, schema):
    """Sorted canonical rows from an iterable of per-row value sequences."""
    types = [f.type for f in schema]
    return sorted("|".join(canonical(v, t) for v, t in zip(r, types)) for r in records)


def chainstat_rows(binary, root, table, schema):
    names = ", ".join(f'"{f.name}"' for f in schema)
    out = subprocess.run(
        [binary, "sql", "--published", str(root), "--format", "json",
         "-c", f"SELECT {names} FROM {table}"],
        check=True, capture_output=True, text=True, cwd=root,
    ).stdout
    records = []
    for line in out.splitlines():
        if line.strip():
            obj = json.loads(line, parse_float=decimal.Decimal)
            records.append([obj.get(f.name) for f in schema])
    return rows_of(records, schema)


def main():
    binary, root = sys.argv[1], pathlib.Path(sys.argv[2]).resolve()
    pointer = json.loads((root / "_published.json").read_text())
    manifest = json.loads((root / pointer["manifest"]).read_text())
    latest = root / "latest"
    problems = []
    con = duckdb.connect()
    # The helper docs/job.md gives for object stores, where there is no `latest` link.
    con.execute(
        f"SET VARIABLE chainstat_run = (SELECT '{root}/runs/' || run_id "
        f"FROM read_json('{root}/_published.json'))"
    )
    # The pandas helper docs/job.md gives for object stores.
    run = pd.read_json(root / "_published.json", typ="series")["run_id"]
    if run != pointer["run_id"] or (latest.resolve() != (root / "runs" / run).resolve()):
        problems.append(f"latest -> {latest.resolve()}, pointer names run {pointer['run_id']}")
    for table, record in sorted(manifest["tables"].items()):
        folder = latest / table
        names = [line.split(": ")[0] for line in record["schema"]]
        schema = pq.read_schema(next(folder.rglob("*.parquet")))
        if schema.names != names:
            problems.append(f"{table}: files hold {schema.names}, manifest says {names}")
            continue
        expected = chainstat_rows(binary, root, table, schema)
        if len(expected) != record["rows"]:
            problems.append(f"{table}: chainstat gives {len(expected)} rows, manifest {record['rows']}")

        read = {}
        t = pq.read_table(folder)
        if t.schema.names != names:
            problems.append(f"pyarrow {table}: columns {t.schema.names}")
        read["pyarrow"] = rows_of(zip(*[c.to_pylist() for c in t.columns]), schema)

        df = pd.read_parquet(folder)
        if list(df.columns) != names:
            problems.append(f"pandas {table}: columns {list(df.columns)}")
        read["pandas"] = rows_of(df.itertuples(index=False, name=None), schema)

        # `**`: the canonical layer has a folder per chain.
        glob = f"{folder}/**/*.parquet"
        described = con.execute(f"DESCRIBE SELECT * FROM read_parquet('{glob}')").fetchall()
        if [d[0] for d in described] != names:
            problems.append(f"duckdb {table}: columns {[d[0] for d in described]}")
        for (name, duck_type, *_), field in zip(described, schema):
            if pa.types.is_decimal(field.type) and not duck_type.startswith(
                f"DECIMAL({field.type.precision},{field.type.scale})"
            ):
                problems.append(f"duckdb {table}.{name}: {duck_type}, not {field.type}")
        read["duckdb"] = rows_of(con.execute(f"SELECT * FROM read_parquet('{glob}')").fetchall(), schema)
        helper = con.execute(
            f"SELECT * FROM read_parquet(getvariable('chainstat_run') || '/{table}/**/*.parquet')"
        ).fetchall()
        read["duckdb via the pointer"] = rows_of(helper, schema)

        for reader, got in read.items():
            if got != expected:
                missing = [r for r in expected if r not in got][:3]
                extra = [r for r in got if r not in expected][:3]
                problems.append(
                    f"{reader} {table}: {len(got)} rows vs chainstat's {len(expected)}; "
                    f"chainstat only: {missing}; {reader} only: {extra}"
                )
        print(f"{table}: {len(expected)} rows, {len(names)} columns: "
              f"{', '.join(read)} agree" if not any(table in p for p in problems) else f"{table}: DIFFERS")
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
