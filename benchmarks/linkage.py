"""Benchmark: likely duplicate patients by record linkage: precision, recall, time and peak memory.

    .venv/bin/python benchmarks/linkage.py [--export DIR] [--patients 20000] [--region AU] [--seed 11]

Without --export, generates an export with that many patients. The generator plants duplicates (a second
registration of the same person, recorded in its manifest with the first one's id); most are exact copies of the
name and birth date, which equal strings would find too. So the benchmark retypes each planted duplicate the
way a front desk does (`VARIANTS`: macrons and accents dropped, first and last name swapped, the birth date typed
in ISO, day and month swapped, a letter left out of the surname, a nickname's initial kept), one variant each in
turn, and measures against those pairs. Everything else the export holds (families sharing a surname, an email,
an address and sometimes a birthday: twins) is what precision is measured on.

Prints: patients, true pairs, pairs flagged, precision, recall (goals >= 0.95 and >= 0.9), the linkage's seconds
(goal at 250,000 patients: <= 120 s) and the process's peak RSS (goal <= 1.5 GB).
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb


def _swap(row: dict) -> None:
    row["first_name"], row["last_name"] = row["last_name"], row["first_name"]


def _iso(row: dict, born: date) -> None:
    row["date_of_birth"] = born.isoformat()


def _day_month(row: dict, born: date, day_first: bool) -> None:
    if born.day <= 12:  # typed in the other order than the region's
        first, second = (born.month, born.day) if day_first else (born.day, born.month)
        row["date_of_birth"] = f"{first:02d}/{second:02d}/{born.year}"


def _typo(row: dict) -> None:
    last = row["last_name"]
    if len(last) > 4:
        row["last_name"] = last[:2] + last[3:]


def _ascii(row: dict) -> None:
    import unicodedata

    for column in ("first_name", "last_name"):
        folded = unicodedata.normalize("NFKD", row[column])
        row[column] = "".join(c for c in folded if not unicodedata.combining(c)).upper()


VARIANTS = ("swap", "iso", "day_month", "typo", "ascii")


def retype(row: dict, variant: str, *, day_first: bool) -> None:
    """One front-desk retyping of a planted duplicate's row (in place)."""
    a, b, year = (int(x) for x in row["date_of_birth"].split("/"))
    born = date(year, b, a) if day_first else date(year, a, b)
    {"swap": lambda: _swap(row), "iso": lambda: _iso(row, born),
     "day_month": lambda: _day_month(row, born, day_first),
     "typo": lambda: _typo(row), "ascii": lambda: _ascii(row)}[variant]()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--export", type=Path)
    parser.add_argument("--patients", type=int, default=20000)
    parser.add_argument("--region", default="AU")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()

    from core_practice_twenty.source.values import DATE_ORDER, DateOrder, Region
    from core_practice_twenty.validation.linkage import compared_columns_sql, likely_duplicates

    with tempfile.TemporaryDirectory() as tmp:
        export = args.export
        if export is None:
            from core_practice_twenty.source.generator import generate_export

            export = generate_export(Path(tmp) / "export", region=args.region, practices=max(4, args.patients // 5000),
                                     patients=args.patients, seed=args.seed)
        header = json.loads((export / "_generator_manifest.jsonl").open(encoding="utf-8").readline())
        region = Region(header["region"])
        order = DATE_ORDER[region]
        planted = []
        with (export / "_generator_manifest.jsonl").open(encoding="utf-8") as manifest:
            for line in manifest:
                if '"duplicate_patient"' in line:
                    fault = json.loads(line)
                    planted.append((fault["source_key"], fault["other"]))
        conn = duckdb.connect(config={"temp_directory": str(Path(tmp) / "spill")})  # never a .tmp in the checkout
        conn.execute(f"create table r as select * from read_csv('{export / 'patients.csv'}', all_varchar = true, "
                     f"skip = 1, header = true)")
        cells = {key: (first, last, born) for key, first, last, born in conn.execute(
            "select patient_id, first_name, last_name, date_of_birth from r where patient_id in "
            "(select unnest(?::varchar[]))", [[duplicate for duplicate, _ in planted]]).fetchall()}
        retyped = []
        for n, (duplicate, _first) in enumerate(planted):
            first, last, born = cells[duplicate]
            row = {"first_name": first, "last_name": last, "date_of_birth": born}
            retype(row, VARIANTS[n % len(VARIANTS)], day_first=order is DateOrder.DMY)
            retyped.append((duplicate, row["first_name"], row["last_name"], row["date_of_birth"]))
        conn.execute("create table retyped (patient_id varchar, first_name varchar, last_name varchar, "
                     "date_of_birth varchar)")
        conn.executemany("insert into retyped values (?, ?, ?, ?)", retyped)
        conn.execute("update r set first_name = t.first_name, last_name = t.last_name, date_of_birth = "
                     "t.date_of_birth from retyped t where r.patient_id = t.patient_id")
        truth = {frozenset(pair) for pair in planted}
        started = time.monotonic()
        table = conn.sql(f"select {compared_columns_sql(order)} from r r").to_arrow_table()
        pairs = likely_duplicates(table)
        seconds = time.monotonic() - started
        found = {frozenset((p.patient_id, p.other_id)) for p in pairs}
        true_positive = len(found & truth)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{table.num_rows:,} patients ({region.value}), {len(truth):,} planted pairs retyped "
              f"({', '.join(VARIANTS)} in turn), {len(found):,} pairs flagged")
        print(f"precision {true_positive / max(1, len(found)):.3f} (goal >= 0.95), recall "
              f"{true_positive / max(1, len(truth)):.3f} (goal >= 0.9)")
        print(f"linkage {seconds:.1f} s (goal at 250,000 patients <= 120 s), peak RSS {peak:,.0f} MB "
              f"(goal <= 1,536 MB)")
        missed = truth - found
        for variant in VARIANTS:
            of_variant = {frozenset(pair) for n, pair in enumerate(planted) if VARIANTS[n % len(VARIANTS)] == variant}
            print(f"  {variant:<10} found {len(of_variant & found)}/{len(of_variant)}")
        if missed:
            print(f"  first missed pairs (ids): {sorted(sorted(p) for p in missed)[:5]}")


if __name__ == "__main__":
    main()
