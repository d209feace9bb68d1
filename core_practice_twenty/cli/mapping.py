"""`cpt map propose` and `cpt map confirm`: the field map a person confirms before any record moves."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core_practice_twenty.cli.exports import folder_refused
from core_practice_twenty.settings import Settings


def cmd_map_propose(args: argparse.Namespace) -> int:
    """Write a proposed field map and its review sheet; nothing loads until a person confirms it."""
    from core_practice_twenty.mapping.field_map import load_map, save_map
    from core_practice_twenty.mapping.proposer import propose, remember
    from core_practice_twenty.mapping.review import write_review
    from core_practice_twenty.source.readers import ExportStructureError

    settings = Settings.from_env()
    export, out = Path(args.export), Path(args.out) if args.out else settings.field_map
    if folder_refused("map propose", export):
        return 2
    try:
        field_map = propose(export, region=args.region)
    except ExportStructureError as exc:
        print(f"cpt map propose: {exc}", file=sys.stderr)
        return 2
    previous = None
    if out.is_file():
        try:
            previous = load_map(out)
        except Exception:  # an unreadable old map is simply replaced
            previous = None
    replaced_confirmed = previous is not None and previous.status == "confirmed"
    if replaced_confirmed and not args.fresh:
        field_map = remember(field_map, previous)
        if args.region:
            field_map.options.region = args.region
    save_map(field_map, out)
    csv_path, md_path = write_review(field_map, Path(args.reports) if args.reports else settings.reports,
                                     map_path=out)
    undecided = len(field_map.undecided())
    print(f"proposed field map: {out} ({len(field_map.entries())} entries, {undecided} need a decision)")
    print(f"review sheet: {md_path} and {csv_path}")
    if field_map.remembered:
        kept = field_map.remembered
        print(f"kept what {kept['by']} confirmed on {str(kept['at'])[:10]} for {kept['entries']} entries found again "
              f"(same header, same file) and the options; {kept['new']} columns are new to this export "
              f"(--fresh asks about every column again)")
    if replaced_confirmed:
        print("note: this replaced a confirmed map; it must be confirmed again before anything loads")
    print(f"next: review, resolve the needs_decision entries in {out}, then "
          f"`cpt map confirm --map {out} --export {export} --by \"Your Name\"`")
    return 0


def cmd_map_confirm(args: argparse.Namespace) -> int:
    """Record who confirmed the map and when, locked to the map and the export's columns."""
    from core_practice_twenty.mapping.field_map import (
        ConfirmRefused,
        FieldMapError,
        confirm,
        header_overrides,
        load_map,
        save_map,
    )

    map_path, export = Path(args.map), Path(args.export)
    if folder_refused("map confirm", export):
        return 2
    try:
        field_map = load_map(map_path)
    except FieldMapError as exc:
        print(f"cpt map confirm: {exc}", file=sys.stderr)
        return 2
    # a map is never confirmed for an export that landing would refuse: open every header as landing will
    if folder_refused("map confirm", export, check_headers=True, overrides=header_overrides(field_map)):
        print("cpt map confirm: not confirmed: landing would refuse this export as it is. Fix the files named "
              "above (or the map's headers), then confirm again.", file=sys.stderr)
        return 2
    try:
        confirmed = confirm(field_map, export, args.by, accept_all=args.accept_all, map_path=map_path)
    except ConfirmRefused as exc:
        print(f"cpt map confirm: not confirmed, {len(exc.problems)} problem(s):", file=sys.stderr)
        for problem in exc.problems:
            print(f"- {problem}", file=sys.stderr)
        return 3
    save_map(confirmed, map_path)
    conf = confirmed.confirmation
    accepted = " (every open decision accepted as proposed: --accept-all)" if conf.accepted_all else ""
    print(f"field map confirmed by {conf.confirmed_by} at {conf.confirmed_at}{accepted}; "
          f"fingerprint {conf.fingerprint[:12]}… locks it to this map and {export}'s columns")
    return 0

