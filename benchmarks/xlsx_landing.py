"""XLSX landing against CSV landing of the same export, and calamine against openpyxl on the largest workbook.

    .venv/bin/python benchmarks/xlsx_landing.py --patients 20000

Generates one export twice (CSV, XLSX: same seed, same rows), lands every file of each in its own process (so
the peak memory is that landing's), and prints the times, the ratio XLSX / CSV (goal ≤ 3) and each peak (goal:
under the CSV path's 2 GB bound). Then reads the largest workbook's rows with both engines, reader only.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def land_all(export: Path, database: Path) -> dict:
    from core_practice_twenty.source.export_spec import EXPORT_SPEC
    from core_practice_twenty.store.raw import land_object
    from core_practice_twenty.store.warehouse import Warehouse

    warehouse = Warehouse(database)
    started = time.perf_counter()
    rows = sum(land_object(warehouse, spec, export, wave="b", snapshot_id="b").rows_read
               for spec in EXPORT_SPEC.values())
    return {"seconds": time.perf_counter() - started, "rows": rows,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def read_rows(path: Path, engine: str) -> float:
    started = time.perf_counter()
    if engine == "calamine":
        from python_calamine import CalamineWorkbook

        count = sum(1 for _ in CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).iter_rows())
    else:
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        count = sum(1 for _ in book.worksheets[0].iter_rows(values_only=True))
        book.close()
    assert count > 0
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=20_000)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "cpt-xlsx-bench")
    parser.add_argument("--child", nargs=2, metavar=("EXPORT", "DATABASE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(land_all(Path(args.child[0]), Path(args.child[1]))))
        return
    from core_practice_twenty.source.generator import generate_export

    results = {}
    for fmt in ("csv", "xlsx"):
        export = args.dir / f"{fmt}-{args.patients}"
        if not (export / "_generator_manifest.jsonl").exists():
            generate_export(export, practices=max(2, args.patients // 5000), patients=args.patients, seed=42,
                            format=fmt, dirt="none")
        database = args.dir / f"{fmt}.duckdb"
        for stale in args.dir.glob(f"{fmt}.duckdb*"):
            stale.unlink()
        out = subprocess.run([sys.executable, __file__, "--child", str(export), str(database)], check=True,
                             capture_output=True, text=True)
        results[fmt] = json.loads(out.stdout.strip().splitlines()[-1])
    csv_, xlsx = results["csv"], results["xlsx"]
    print(f"export: {args.patients:,} patients, {csv_['rows']:,} rows (CSV) / {xlsx['rows']:,} rows (XLSX)")
    print(f"landing CSV {csv_['seconds']:.1f}s, peak {csv_['peak_mb']:,.0f} MB; XLSX {xlsx['seconds']:.1f}s, "
          f"peak {xlsx['peak_mb']:,.0f} MB")
    print(f"ratio XLSX / CSV landing: {xlsx['seconds'] / csv_['seconds']:.2f} (goal ≤ 3); "
          f"XLSX peak {xlsx['peak_mb']:,.0f} MB (goal < 2,048 MB)")
    largest = max((args.dir / f"xlsx-{args.patients}").glob("*.xlsx"), key=lambda p: p.stat().st_size)
    fast, slow = read_rows(largest, "calamine"), read_rows(largest, "openpyxl")
    print(f"reading {largest.name} ({largest.stat().st_size / 1e6:.1f} MB): calamine {fast:.1f}s, openpyxl read-only "
          f"{slow:.1f}s, ratio {slow / fast:.1f}x")


if __name__ == "__main__":
    main()
