"""Benchmark: land and validate a dental group's export; compare with DuckDB alone reading the same files.

    .venv/bin/python benchmarks/land_validate.py [--patients 250000] [--practices 50] [--dir DIR]

Generates the export once (cached in DIR), then in a fresh process lands all 13 files, runs the row
rules and the cross-table rules, and prints wall time, peak memory (max RSS of that process), rows per
second and two ratios. Goals (issue 4): peak memory under 2 GB whatever the export's size, ratio under 3.

Two DuckDB-alone baselines, both printed:
- ingest (the goal's denominator): DuckDB reading every file of the export the way this job must read
  it: each CSV into a table of a DuckDB database file (landing persists; the same memory limit as the
  warehouse) and every document's bytes (validation checks their checksums). No trimming, null
  spellings, line numbers, row hash or rules: the engine's floor for the same files and the same I/O.
- parse: DuckDB parsing the CSVs into an in-memory table and nothing else (no documents, no disk
  writes). A lower bound, shown so that nobody mistakes the first ratio for this one.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path


def generate(export: Path, patients: int, practices: int) -> None:
    from core_practice_twenty.source.generator import generate_export

    if (export / "_generator_manifest.jsonl").exists():
        return
    started = time.perf_counter()
    generate_export(export, practices=practices, patients=patients, seed=42, dirt="realistic")
    print(f"generated {patients:,} patients in {time.perf_counter() - started:.1f}s → {export}", flush=True)


def pipeline(export: Path, warehouse_path: Path) -> dict:
    """Land + validate, as the Dagster assets do, in this process."""
    from core_practice_twenty.source.export_spec import EXPORT_SPEC
    from core_practice_twenty.source.values import Region
    from core_practice_twenty.store.issues import object_counts, replace_issues
    from core_practice_twenty.store.raw import land_object
    from core_practice_twenty.store.warehouse import Warehouse
    from core_practice_twenty.validation.context import ValidationContext
    from core_practice_twenty.validation.cross_table import cross_table_issues
    from core_practice_twenty.validation.run import validate_rows

    cpu_at_start = _cpu_seconds()  # after the imports: the baselines do not count importing duckdb either
    warehouse = Warehouse(warehouse_path)
    ctx = ValidationContext.for_export(export, Region.AU, date(2026, 11, 24))
    timings: dict[str, float] = {}
    started = time.perf_counter()
    paths = {}
    per_object: dict[str, dict[str, float]] = {name: {} for name in EXPORT_SPEC}
    for spec in EXPORT_SPEC.values():
        begun = time.perf_counter()
        paths[spec.name] = land_object(warehouse, spec, export, wave="bench", snapshot_id="bench").path
        per_object[spec.name]["land"] = time.perf_counter() - begun
    timings["land"] = time.perf_counter() - started
    step = time.perf_counter()
    with warehouse.connect() as conn:
        for spec in EXPORT_SPEC.values():
            begun = time.perf_counter()
            validate_rows(conn, spec, "bench", ctx)  # writes the row issues
            per_object[spec.name]["row_rules"] = time.perf_counter() - begun
        timings["row_rules"] = time.perf_counter() - step
        step = time.perf_counter()
        replace_issues(conn, "bench", "cross", cross_table_issues(conn, "bench", ctx), EXPORT_SPEC)
        timings["cross_table_rules"] = time.perf_counter() - step
        counts = {name: object_counts(conn, spec, "bench") for name, spec in EXPORT_SPEC.items()}
    timings["total"] = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak_mb = usage.ru_maxrss / 1024
    return {"timings": timings, "peak_mb": peak_mb, "cpu_s": _cpu_seconds() - cpu_at_start, "counts": counts,
            "reader": paths, "per_object": per_object}


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _create_table_sql(path: Path, table: str, *, lenient: bool = False) -> str:
    relaxed = ", strict_mode=false, null_padding=true, parallel=false" if lenient else ""
    return (f"create or replace table {table} as select * from read_csv('{path}', all_varchar=true, skip=1, "
            f"header=true{relaxed})")


def _read_csvs(conn, export: Path) -> None:
    import duckdb

    for path in sorted(export.glob("*.csv")):
        if path.name.startswith("_"):
            continue
        table = f"t_{path.stem}"
        try:  # DuckDB's default (parallel) reader; its single-threaded mode only where it insists
            conn.execute(_create_table_sql(path, table))
        except duckdb.Error:
            conn.execute(_create_table_sql(path, table, lenient=True))


def duckdb_parse(export: Path) -> tuple[float, float]:
    """DuckDB parsing every CSV into an in-memory table (all columns, all varchar), nothing else.

    A table, not count(*): DuckDB would otherwise skip parsing the columns nobody reads. Returns wall and
    CPU seconds: on a shared machine the CPU ratio moves less with other people's load than the wall ratio.
    """
    import duckdb

    conn = duckdb.connect()
    cpu = _cpu_seconds()
    started = time.perf_counter()
    _read_csvs(conn, export)
    return time.perf_counter() - started, _cpu_seconds() - cpu


def duckdb_ingest(export: Path, database: Path) -> tuple[float, float]:
    """DuckDB reading the export's files as the job must: CSVs into a database file, documents' bytes."""
    import duckdb

    for stale in database.parent.glob(f"{database.name}*"):
        stale.unlink()
    conn = duckdb.connect(str(database), config={"memory_limit": os.environ.get("CPT_DUCKDB_MEMORY", "1GB")})
    conn.execute("set enable_progress_bar = false")
    cpu = _cpu_seconds()
    started = time.perf_counter()
    _read_csvs(conn, export)
    conn.execute("checkpoint")
    conn.execute(f"select count(*), sum(octet_length(content)) from read_blob('{export / 'documents'}/**')").fetchall()
    elapsed, used = time.perf_counter() - started, _cpu_seconds() - cpu
    conn.close()
    for stale in database.parent.glob(f"{database.name}*"):
        stale.unlink()
    return elapsed, used


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=250_000)
    parser.add_argument("--practices", type=int, default=50)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "cpt-bench")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    export = args.dir / f"group-{args.practices}-{args.patients}"
    if args.child:
        print(json.dumps(pipeline(export, args.dir / f"bench-{args.patients}.duckdb")))
        return
    generate(export, args.patients, args.practices)
    for stale in args.dir.glob(f"bench-{args.patients}.duckdb*"):
        stale.unlink()
    out = subprocess.run([sys.executable, __file__, "--child", "--patients", str(args.patients), "--practices",
                          str(args.practices), "--dir", str(args.dir)], check=True, capture_output=True, text=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    parse, parse_cpu = duckdb_parse(export)
    ingest, ingest_cpu = duckdb_ingest(export, args.dir / "baseline-ingest.duckdb")
    rows = sum(c["read"] for c in result["counts"].values())
    size_mb = sum(p.stat().st_size for p in export.glob("*.csv")) / 1e6
    documents = sum(1 for p in (export / "documents").rglob("*") if p.is_file())
    t = result["timings"]
    print(f"export: {args.practices} practices, {args.patients:,} patients, {rows:,} rows, {size_mb:,.0f} MB of CSV, "
          f"{documents:,} documents")
    print(f"land {t['land']:.1f}s + row rules {t['row_rules']:.1f}s + cross-table {t['cross_table_rules']:.1f}s "
          f"= {t['total']:.1f}s ({rows / t['total']:,.0f} rows/s)")
    print(f"DuckDB alone ingesting the same files (CSV → database file, documents read): {ingest:.1f}s")
    print(f"ratio land+validate / DuckDB ingest: {t['total'] / ingest:.2f} (goal < 3); "
          f"CPU {result['cpu_s']:.1f}s / {ingest_cpu:.1f}s = {result['cpu_s'] / ingest_cpu:.2f}")
    print(f"DuckDB alone parsing the CSVs in memory (lower bound, no documents, no disk): {parse:.1f}s; "
          f"ratio {t['total'] / parse:.2f}, landing only {t['land'] / parse:.2f}; "
          f"CPU {result['cpu_s']:.1f}s / {parse_cpu:.1f}s = {result['cpu_s'] / parse_cpu:.2f}")
    print(f"peak memory (max RSS): {result['peak_mb']:,.0f} MB (goal < 2,048 MB); DuckDB memory limit "
          f"{os.environ.get('CPT_DUCKDB_MEMORY', '1GB')} (CPT_DUCKDB_MEMORY), which bounds it whatever the size")
    print("reader per file: " + ", ".join(f"{k}={v}" for k, v in result["reader"].items()))
    slowest = sorted(result["per_object"].items(), key=lambda item: -sum(item[1].values()))[:5]
    print("slowest objects: " + ", ".join(
        f"{name} (land {t['land']:.1f}s, rules {t['row_rules']:.1f}s)" for name, t in slowest))
    rejected = sum(c["rejected"] for c in result["counts"].values())
    print(f"rows rejected: {rejected:,}; counts balance: "
          f"{all(c['read'] == c['accepted'] + c['rejected'] for c in result['counts'].values())}")


if __name__ == "__main__":
    main()
