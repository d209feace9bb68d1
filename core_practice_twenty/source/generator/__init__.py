"""Synthetic Core Practice exports: deterministic for a seed, shaped like the real reports, dirty on purpose.

Why it exists: no practice can hand its patients to a test suite, yet every rule of the pipeline must be
proven on data that looks like a real export (13 report files with a title row, BOM and CRLF, the
region's date order, real suburbs and postcodes, households sharing an email, recalls and restorative
work, ADA item numbers or CDT codes) and on every kind of dirt a real export carries. The generator
injects each kind in `dirt.DIRT_KINDS` at a realistic rate and writes a manifest that lists every
fault it injected, row by row: the ground truth the validation tests check against (each listed fault
is found, nothing else is). With `dirt="none"` the export is spotless, so any finding on it is a bug.

It streams: practices and providers are kept in memory (a group has tens), every patient's household,
visits, invoices, payments, claims, notes and documents are written as they are made, with the 13
files open at once, so a 250,000-patient group costs the same memory as a 200-patient practice.
Every value is invented (names from common-name lists, fictional phone ranges, reserved email domains)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from core_practice_twenty.source.dirt import DIRT_KINDS
from core_practice_twenty.source.generator.group import GroupSimulation
from core_practice_twenty.source.generator.vocabulary import (
    DEFAULT_EXPORT_DATE,
    DIRT_LEVELS,
    FORMATS,
    LARGE_FILE_BYTES,
    MANIFEST_NAME,
    REALISTIC_RATES,
)
from core_practice_twenty.source.regions import REGIONS

__all__ = ["DEFAULT_EXPORT_DATE", "DIRT_LEVELS", "FORMATS", "LARGE_FILE_BYTES", "MANIFEST_NAME", "REALISTIC_RATES",
           "generate_export"]


def generate_export(out_dir: Path, *, region: str = "AU", practices: int = 8, patients: int = 200,
                    seed: int = 20261124, format: str = "csv", dirt: str = "realistic",  # noqa: A002
                    export_date: date | None = None) -> Path:
    """Write a synthetic Core Practice export snapshot (13 files, documents/, manifest) and return `out_dir`.

    Same arguments, same bytes. `dirt="none"` gives an export on which validation must find nothing;
    `realistic` injects every kind of `DIRT_KINDS` (each at least once from about 200 patients); `heavy`
    injects each about four times as often. `_generator_manifest.jsonl` lists every fault injected.
    """
    if region not in REGIONS:
        raise ValueError(f"region {region!r} is not one of {sorted(REGIONS)}")
    if format not in FORMATS:
        raise ValueError(f"format {format!r} is not one of {FORMATS}")
    if dirt not in DIRT_LEVELS:
        raise ValueError(f"dirt {dirt!r} is not one of {DIRT_LEVELS}")
    if practices < 1 or patients < 0:
        raise ValueError("need at least one practice and a non-negative number of patients")
    missing = sorted(set(DIRT_KINDS) - set(REALISTIC_RATES))
    if missing and dirt != "none":
        raise ValueError(f"the generator cannot inject dirt kind(s) {missing} yet; add them to "
                         f"source/generator/group.py")
    GroupSimulation(Path(out_dir), region=region, practices=practices, patients=patients, seed=seed, fmt=format,
                    dirt=dirt, export_date=export_date or DEFAULT_EXPORT_DATE).run()
    return Path(out_dir)

