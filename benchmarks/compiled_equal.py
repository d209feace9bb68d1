"""Check: the compiled plans stage exactly what the Python mappers stage, on a generated export of any size.

    .venv/bin/python benchmarks/compiled_equal.py [--patients 20000] [--region AU]

Why: `core_practice_twenty_tests/mapping/test_compiled.py` proves the two equal record by record on small exports
and hand-made rows; a large export has combinations a small one lacks (shared inboxes across many practices, long
households, every dirt kind at its real rate). This lands the export twice (waves `python` and `sql`), maps one
with the Python mappers (`compiled=False`) and one with the compiled plans, and compares inside DuckDB every
staged record (source key, line, payload hash, dependencies, notes) of every Twenty object and every hold-back.
Prints the counts, the differences (none expected) and both mappings' seconds; exits 1 on a difference.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=20_000)
    parser.add_argument("--region", default="AU", choices=["AU", "NZ", "US"])
    args = parser.parse_args()

    from core_practice_twenty.mapping.field_map import confirm
    from core_practice_twenty.mapping.proposer import propose
    from core_practice_twenty.mapping.target_model import TARGET_OBJECTS
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

    region = Region(args.region)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        export = generate_export(root / "export", practices=max(2, args.patients // 5000), patients=args.patients,
                                 seed=3, region=args.region)
        warehouse = Warehouse(root / "warehouse.duckdb")
        for wave in ("python", "sql"):
            for spec in EXPORT_SPEC.values():
                land_object(warehouse, spec, export, wave=wave, snapshot_id=export.name)
            ctx = ValidationContext.for_export(export, region, date(2026, 11, 24))
            with warehouse.connect() as conn:
                for spec in EXPORT_SPEC.values():
                    validate_rows(conn, spec, wave, ctx)
                replace_issues(conn, wave, "cross", cross_table_issues(conn, wave, ctx), EXPORT_SPEC)
        field_map = confirm(propose(export), export, "benchmark", accept_all=True, map_path=root / "map.yaml")
        seconds = {}
        for wave, compiled in (("python", False), ("sql", True)):
            started = time.perf_counter()
            stage_wave(warehouse, wave, field_map, compiled=compiled)
            seconds[wave] = time.perf_counter() - started
        differences = 0
        with warehouse.connect() as conn:
            # JSON lists compared as values: Python writes them with spaces, DuckDB without
            columns = ("source_key, source_line, payload_hash, json(depends_on::varchar)::varchar, "
                       "json(notes::varchar)::varchar")
            for plural in TARGET_OBJECTS:
                table = f"stg_twenty_{plural}"
                staged = conn.execute(f"select count(*) from {table} where wave = 'sql'").fetchall()[0][0]
                apart = conn.execute(
                    f"select count(*) from ((select {columns} from {table} where wave = 'python' except all "
                    f"select {columns} from {table} where wave = 'sql') union all (select {columns} from {table} "
                    f"where wave = 'sql' except all select {columns} from {table} where wave = 'python'))"
                ).fetchall()[0][0]
                differences += apart
                print(f"{plural:<16} {staged:>9,} records staged, {apart} different")
            held = "source_object, source_key, source_line, reason"
            apart = conn.execute(
                f"select count(*) from ((select {held} from held_back where wave = 'python' and stage = 'mapping' "
                f"except all select {held} from held_back where wave = 'sql' and stage = 'mapping') union all "
                f"(select {held} from held_back where wave = 'sql' and stage = 'mapping' except all select {held} "
                f"from held_back where wave = 'python' and stage = 'mapping'))").fetchall()[0][0]
            total = conn.execute("select count(*) from held_back where wave = 'sql' and stage = 'mapping'"
                                 ).fetchall()[0][0]
            differences += apart
            print(f"{'held back':<16} {total:>9,} rows, {apart} different")
    print(f"{args.patients:,} patients ({args.region}): Python mappers {seconds['python']:.1f} s, compiled plans "
          f"{seconds['sql']:.1f} s (ratio {seconds['python'] / seconds['sql']:.1f}); "
          + ("staging identical" if not differences else f"{differences} DIFFERENCES"))
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
