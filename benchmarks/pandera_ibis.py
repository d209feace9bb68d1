"""Evaluation: pandera's Ibis backend (validating inside DuckDB) as the engine of the row rules.

    .venv/bin/pip install 'ibis-framework[duckdb]==12.0.0'   # not a dependency of the project
    .venv/bin/python benchmarks/pandera_ibis.py [--patients 20000] [--dir DIR]

Today (validation/run.py) one DuckDB query per raw table evaluates every rule and returns only the rows that
break one; pandera (pandas backend) validates those rows' rule results and its failure cases become issues.
The candidate hands pandera.ibis an Ibis table of every row's rule results (the same SQL predicates, from
`schemas.row_rules`), ordered by source line, so that pandera's checks run as SQL in DuckDB; its failure cases
carry a row position, mapped back to the source line. Both runs must find the same issues (object, rule,
source line); the script prints both times and their ratio (the issue's bar: adopt within 1.2×).

Finding (2026-12-07): not adopted. ibis-framework 12.0.0, the newest on the index, calls
`DuckDBPyConnection.fetch_arrow_table`, which DuckDB 2.x no longer has, so it cannot run on the project's
DuckDB 2.0.1; in a separate environment with DuckDB 1.5.6 it finds the same issues and is far slower (one query
per check and per failure-case collection): 2,000 patients 28.4 s against 0.6 s (ratio 45.9), 20,000 patients
51.8 s against 3.0 s (ratio 17.6), the same 43 and 436 issues. Run it in such an environment:

    python3.11 -m venv /tmp/ibisvenv && /tmp/ibisvenv/bin/pip install 'duckdb<2' 'ibis-framework[duckdb]==12.0.0' \
        pandas==3.1.1 pandera==0.35.0 pyarrow==26.0.1 filelock pyyaml pycountry openpyxl phonenumbers httpx tenacity \
        && /tmp/ibisvenv/bin/pip install --no-deps -e .
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=20_000)
    parser.add_argument("--dir", type=Path, default=None, help="keep the generated export here")
    args = parser.parse_args()
    try:
        import ibis
        import pandera.ibis as pai
    except ImportError:
        raise SystemExit("install the candidate first: pip install 'ibis-framework[duckdb]==12.0.0'") from None

    from core_practice_twenty.source.export_spec import EXPORT_SPEC
    from core_practice_twenty.source.generator import generate_export
    from core_practice_twenty.source.values import Region, country_alpha2
    from core_practice_twenty.store.raw import land_object, raw_table
    from core_practice_twenty.store.rule_reads import load_country_codes, rule_results_sql
    from core_practice_twenty.store.warehouse import Warehouse
    from core_practice_twenty.validation.context import ValidationContext
    from core_practice_twenty.validation.run import predicates, row_issues_of
    from core_practice_twenty.validation.schemas import country_column, derived_columns, row_rules

    with tempfile.TemporaryDirectory() as scratch:
        root = args.dir or Path(scratch)
        export = root / f"export-{args.patients}"
        if not (export / "_generator_manifest.jsonl").exists():
            generate_export(export, practices=max(2, args.patients // 5000), patients=args.patients, seed=42)
        warehouse = Warehouse(Path(scratch) / "warehouse.duckdb")
        for spec in EXPORT_SPEC.values():
            land_object(warehouse, spec, export, wave="bench", snapshot_id="bench")
        ctx = ValidationContext.for_export(export, Region.AU, date(2026, 11, 24))

        def today() -> set[tuple[str, str, int]]:
            found = set()
            with warehouse.connect() as conn:
                for spec in EXPORT_SPEC.values():
                    found |= {(i.object, i.rule, i.source_line) for i in row_issues_of(conn, spec, "bench", ctx)
                              if i.rule != "duplicate_key"}
            return found

        def candidate() -> set[tuple[str, str, int]]:
            found = set()
            with warehouse.connect() as conn:
                backend = ibis.duckdb.from_connection(conn)
                for spec in EXPORT_SPEC.values():
                    rules = row_rules(spec, ctx)
                    if not rules:
                        continue
                    country = country_column(spec)
                    if country is not None:
                        load_country_codes(conn, spec, country, "bench", country_alpha2)
                    sql = rule_results_sql(spec, predicates(rules), derived_columns(spec, ctx), country,
                                           only_failing=False).replace("$1", "'bench'")
                    table = backend.sql(sql)
                    schema = pai.DataFrameSchema({
                        r.name: pai.Column(bool, pai.Check(lambda d: d.table[d.key], name=r.name)) for r in rules
                    })
                    try:
                        schema.validate(table, lazy=True)
                    except pai.errors.SchemaErrors as errors:
                        cases = errors.failure_cases
                        lines = [line for (line,) in conn.execute(
                            f"select source_line from {raw_table(spec)} where wave = 'bench' order by source_line"
                        ).fetchall()]
                        for rule, position in zip(cases["check"], cases["index"], strict=True):
                            found.add((spec.name, rule, lines[int(position)]))
            return found

        started = time.perf_counter()
        expected = today()
        today_s = time.perf_counter() - started
        started = time.perf_counter()
        got = candidate()
        candidate_s = time.perf_counter() - started
    print(f"{args.patients:,} patients: row rules today (DuckDB + pandera over failing rows) {today_s:.1f}s; "
          f"pandera.ibis in DuckDB {candidate_s:.1f}s; ratio {candidate_s / today_s:.2f} (adopt within 1.20)")
    print(f"issues: today {len(expected):,}, candidate {len(got):,}, same: {expected == got}"
          + ("" if expected == got else f" (only today {len(expected - got)}, only candidate {len(got - expected)})"))


if __name__ == "__main__":
    main()
