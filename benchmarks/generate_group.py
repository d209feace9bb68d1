"""Generate a dental group's export (50 locations, 250,000 patients) and report time, rows and memory.

Why: the generator must stream (issue 4): millions of rows and a hundred thousand document files from one
process whose peak memory stays flat, far under the 2 GB the whole pipeline is allowed. This prints
wall time, rows per file, rows per second and peak RSS (resource.getrusage), so a regression that
starts holding a table in memory shows up as a number.

    .venv/bin/python benchmarks/generate_group.py [--out DIR] [--practices 50] [--patients 250000]
        [--region AU] [--format csv] [--dirt realistic] [--keep]

Without --out the export goes to a temporary folder that is deleted afterwards (unless --keep).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from core_practice_twenty.source.generator import MANIFEST_NAME, generate_export


def _folder_size(path: Path) -> tuple[int, int]:
    files = size = 0
    for item in path.rglob("*"):
        if item.is_file():
            files += 1
            size += item.stat().st_size
    return files, size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="export folder (default: a temporary folder)")
    parser.add_argument("--practices", type=int, default=50)
    parser.add_argument("--patients", type=int, default=250_000)
    parser.add_argument("--region", default="AU", choices=["AU", "NZ", "US"])
    parser.add_argument("--format", default="csv", choices=["csv", "xlsx"])
    parser.add_argument("--dirt", default="realistic", choices=["none", "realistic", "heavy"])
    parser.add_argument("--seed", type=int, default=20261124)
    parser.add_argument("--keep", action="store_true", help="keep the temporary export")
    args = parser.parse_args(argv)

    temporary = None if args.out else Path(tempfile.mkdtemp(prefix="cpt-group-"))
    out = Path(args.out) if args.out else temporary / "snapshot"
    started = time.perf_counter()
    generate_export(out, region=args.region, practices=args.practices, patients=args.patients, seed=args.seed,
                    format=args.format, dirt=args.dirt)
    wall = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB

    with (out / MANIFEST_NAME).open(encoding="utf-8") as handle:
        header = json.loads(handle.readline())
        faults = sum(1 for _ in handle)
    counts = header["counts"]
    total = sum(counts.values())
    files, size = _folder_size(out)
    print(f"group export: {args.practices} practices, {args.patients:,} patients, region {args.region}, "
          f"{args.format}, dirt {args.dirt} → {out}")
    for name, rows in counts.items():
        print(f"  {name:<18} {rows:>12,} rows")
    print(f"  {'total':<18} {total:>12,} rows; {faults:,} injected faults in the manifest")
    print(f"files on disk: {files:,} ({size / 1e9:.2f} GB)")
    print(f"wall time: {wall:.1f} s; {total / wall:,.0f} rows/s")
    print(f"peak RSS: {peak_mb:,.0f} MB")
    if temporary and not args.keep:
        shutil.rmtree(temporary, ignore_errors=True)
    return 0 if peak_mb < 2048 else 1


if __name__ == "__main__":
    sys.exit(main())
