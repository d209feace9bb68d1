"""`cpt generate` and the export-folder check every command that reads an export runs first."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from core_practice_twenty.model.regions import REGION_CODES
from core_practice_twenty.settings import Settings


def cmd_generate(args: argparse.Namespace) -> int:
    from core_practice_twenty.source.generator import generate_export

    out = generate_export(Path(args.out), region=args.region, practices=args.practices, patients=args.patients,
                          seed=args.seed, format=args.format, dirt=args.dirt)
    print(f"wrote sample export to {out} (manifest of injected dirt: {out / '_generator_manifest.jsonl'})")
    return 0


def folder_refused(command: str, export_dir: Path, *, check_headers: bool = False,
                   overrides: dict[str, dict[str, str]] | None = None) -> bool:
    """Print what is wrong with the export folder (the one folder check); True if there is anything.

    `check_headers` opens each file's header as landing will, with the header overrides of `overrides` (a map
    being confirmed), else of the field map at CPT_FIELD_MAP.
    """
    from core_practice_twenty.source.folder import export_folder_problems

    if check_headers and overrides is None:
        from core_practice_twenty.mapping.field_map import map_header_overrides
        from core_practice_twenty.source.export_spec import EXPORT_SPEC

        map_path = Settings.from_env().field_map
        overrides = {name: map_header_overrides(name, map_path) for name in EXPORT_SPEC}
    problems = export_folder_problems(export_dir, header_overrides=overrides, check_headers=check_headers)
    for problem in problems:
        print(f"cpt {command}: {problem}", file=sys.stderr)
    return bool(problems)


def export_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--region", choices=REGION_CODES,
                        help="how ambiguous dates, states and postcodes are read (default: from practices' country)")
    parser.add_argument("--export-date", type=date.fromisoformat,
                        help="day the export was taken, YYYY-MM-DD (default: today); later dates are flagged")

