"""The one check of an export folder, before any work: it exists, is not empty, holds every export file
once, and no file looks cut off.

Preflight (`cpt migrate`), `cpt map propose/confirm`, `cpt wave add` and landing all ask this one function,
so a wrong `--export` (an empty folder, the parent folder, a typo) is named once, with every missing file,
instead of as thirteen failing steps.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from core_practice_twenty.source.encodings import examine
from core_practice_twenty.source.export_spec import EXPORT_SPEC
from core_practice_twenty.source.readers import ExportStructureError, find_export_file, open_export_file


def export_folder_problems(export_dir: Path, *, header_overrides: Mapping[str, Mapping[str, str]] | None = None,
                           check_headers: bool = False) -> list[str]:
    """What is wrong with the folder as an export snapshot (empty list: nothing), each with what to do.

    `check_headers` also opens each file's header as landing will (with the confirmed map's
    `header_overrides` per object): a damaged workbook, a header row that cannot be found or two columns
    meaning the same thing are named here, before a run. `cpt map propose` leaves it off: unknown headers
    are what the proposer is for.
    """
    if not export_dir.exists():
        return [f"{export_dir}: no such folder. Point --export at the export snapshot folder (the one holding "
                f"patients.csv and the other Core Practice reports)."]
    if not export_dir.is_dir():
        return [f"{export_dir}: not a folder. Point --export at the export snapshot folder, not at one file."]
    if not any(p for p in export_dir.iterdir() if not p.name.startswith(".")):
        return [f"{export_dir}: the folder is empty. Copy the Core Practice export into it (13 report files and "
                f"documents/), or point --export at the folder that holds them."]
    missing, problems = [], []
    for spec in EXPORT_SPEC.values():
        try:
            path = find_export_file(export_dir, spec)
            evidence = examine(path)
            problem = evidence.damage_message(path.name) or evidence.cut_off_message(path.name)
            if problem:
                problems.append(problem)
            elif check_headers:
                open_export_file(path, spec, header_overrides=(header_overrides or {}).get(spec.name))
        except ExportStructureError as exc:
            if f"no {spec.name} file" in str(exc):
                missing.append(spec.name)
            else:  # two files for one report, an unreadable header
                problems.append(str(exc))
    if missing:
        subfolders = sorted(p.name for p in export_dir.iterdir() if p.is_dir() and p.name != "documents")
        hint = (f" It has sub-folders ({', '.join(subfolders[:5])}): is the export one level down?"
                if subfolders and len(missing) == len(EXPORT_SPEC) else "")
        problems.insert(0, f"{export_dir}: {len(missing)} of {len(EXPORT_SPEC)} export files missing: "
                           f"{', '.join(missing)} (.csv, .xlsx or .json).{hint} Export those reports from Core "
                           f"Practice into this folder and run again.")
    return problems
