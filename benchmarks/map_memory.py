"""Benchmark: memory and time of the mapping stage (accepted rows → staging tables) as patients grow.

    .venv/bin/python benchmarks/map_memory.py [--patients 20000 50000] [--counts-out counts.json]
    .venv/bin/python benchmarks/map_memory.py --patients 250000 500000      # the issue's goal sizes (long)

Why: DESIGN.md asks every local stage to stream or partition. `mapping.wave.stage_wave` maps the core
objects (practices, providers, patients) whole and the per-patient objects in chunks of
`PATIENTS_PER_CHUNK` patients, committing each chunk, so its memory should follow the chunk plus the core,
not the export. This measures each size in a fresh process (generate, land, validate, propose + confirm
the map, then map) and prints peak RSS, MB and seconds per 1,000 patients between the sizes, and the
extrapolation to 250,000 and 500,000 patients. Compare sizes that are both several chunks (≥ 20,000): a
single-chunk size has not paid for its first chunk yet. Before chunking: ~147 MB per 1,000 patients.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(patients: int) -> dict:
    """One size, in this process: peak RSS before and after mapping, mapping seconds, records staged."""
    from core_practice_twenty.mapping.field_map import confirm
    from core_practice_twenty.mapping.proposer import propose
    from core_practice_twenty.mapping.wave import stage_wave
    from core_practice_twenty.source.export_spec import EXPORT_SPEC
    from core_practice_twenty.source.generator import generate_export
    from core_practice_twenty.source.values import Region
    from core_practice_twenty.store.issues import replace_issues
    from core_practice_twenty.store.raw import land_object
    from core_practice_twenty.store.warehouse import Warehouse
    from core_practice_twenty.validation.context import ValidationContext
    from core_practice_twenty.validation.cross_table import cross_table_issues
    from core_practice_twenty.validation.run import validate_rows

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        export = generate_export(root / "export", practices=max(2, patients // 5000), patients=patients, seed=3)
        warehouse = Warehouse(root / "warehouse.duckdb")
        landed = time.perf_counter()
        for spec in EXPORT_SPEC.values():
            land_object(warehouse, spec, export, wave="full", snapshot_id="bench")
        ctx = ValidationContext.for_export(export, Region.AU, date(2026, 11, 24))
        with warehouse.connect() as conn:
            for spec in EXPORT_SPEC.values():
                validate_rows(conn, spec, "full", ctx)
            replace_issues(conn, "full", "cross", cross_table_issues(conn, "full", ctx), EXPORT_SPEC)
        land_validate = time.perf_counter() - landed
        field_map = confirm(propose(export), export, "benchmark", accept_all=True, map_path=root / "map.yaml")
        before = _rss_mb()
        started = time.perf_counter()
        summary = stage_wave(warehouse, "full", field_map, reports_dir=root / "reports")
        seconds = time.perf_counter() - started
        with warehouse.connect() as conn:  # documents whose file goes up (the rest are referenced only)
            uploads = conn.execute("select count(*) from stg_twenty_attachments where wave = 'full' and "
                                   "json_extract(payload, '$.\"$file\".upload')::boolean").fetchall()[0][0]
    return {"patients": patients, "before_mb": before, "peak_mb": _rss_mb(), "seconds": seconds,
            "land_validate": land_validate,
            "staged": sum(summary.staged.values()), "counts": dict(summary.staged), "uploads": uploads}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, nargs="+", default=[20_000, 50_000])
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--counts-out", type=Path, help="write the largest size's staging counts (per object, and "
                                                         "documents uploaded) as JSON, for load_throughput.py "
                                                         "--group-counts")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child)))
        return
    results = []
    for patients in sorted(args.patients):
        out = subprocess.run([sys.executable, __file__, "--child", str(patients)], capture_output=True, text=True)
        if out.returncode != 0:
            sys.exit(f"{patients:,} patients: the measuring process failed (exit {out.returncode}):\n"
                     f"{out.stderr[-4000:]}")
        result = json.loads(out.stdout.strip().splitlines()[-1])
        results.append(result)
        print(f"{patients:,} patients: mapping {result['seconds']:.1f}s, {result['staged']:,} records staged, "
              f"peak RSS {result['before_mb']:,.0f} MB before mapping → {result['peak_mb']:,.0f} MB; land + validate "
              f"{result['land_validate']:.1f}s, ratio mapping / (land + validate) "
              f"{result['seconds'] / result['land_validate']:.2f} (goal ≤ 5; mapping ≤ 180 s and ≤ 1.5 GB at "
              f"250,000)", flush=True)
    if args.counts_out:
        largest = results[-1]
        args.counts_out.write_text(json.dumps({k: largest[k] for k in ("patients", "counts", "uploads")}, indent=1))
        print(f"staging counts of {largest['patients']:,} patients written to {args.counts_out}")
    if len(results) < 2:
        return
    small, large = results[0], results[-1]
    extra = large["patients"] - small["patients"]
    mb_per_patient = (large["peak_mb"] - small["peak_mb"]) / extra
    ms_per_patient = 1000 * (large["seconds"] - small["seconds"]) / extra
    print(f"growth: {mb_per_patient * 1000:,.0f} MB and {ms_per_patient:.1f} s per 1,000 patients "
          f"(goal: ~0 MB, memory flat)")
    print("(a straight line through two sizes is an upper bound: DuckDB's share grows only until CPT_DUCKDB_MEMORY, "
          "then spills; run --patients 250000 500000 for the goal's figures)")
    for target in (250_000, 500_000):
        peak = large["peak_mb"] + mb_per_patient * (target - large["patients"])
        print(f"extrapolated to {target:,} patients: peak at most ~{peak / 1024:,.1f} GB, mapping ~"
              f"{(large['seconds'] + ms_per_patient / 1000 * (target - large['patients'])) / 60:,.0f} min")


if __name__ == "__main__":
    main()
