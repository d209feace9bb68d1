"""`cpt duplicates`: the likely duplicate patients linkage found, and a person's decision on each pair."""

from __future__ import annotations

import argparse
import sys

from core_practice_twenty.settings import Settings


def add_duplicates_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("duplicates", help="likely duplicate patients: list them, decide each pair")
    dup_sub = p.add_subparsers(dest="duplicates_command", required=True)
    d = dup_sub.add_parser(
        "list", help="write the review sheet of a wave's undecided pairs and print where it is",
        description="Writes likely-duplicates-WAVE.md in the reports folder (the pairs side by side, with the "
                    "commands that decide them) and prints how many pairs wait, by id only.")
    d.add_argument("--wave", default="full")
    d.set_defaults(func=cmd_duplicates_list)
    d = dup_sub.add_parser(
        "decide", help="one pair: the same person (--keep P1 --merge P2) or not (--distinct P1 P2)",
        description="A decision holds for every later export and delta wave, and is applied when the wave is "
                    "mapped next (cpt migrate): a merged patient is not created, and its appointments, notes, "
                    "plans, invoices and documents go to the kept one. A later decision on the same pair replaces "
                    "an earlier one.")
    d.add_argument("--keep", metavar="PATIENT_ID", help="the patient that stays")
    d.add_argument("--merge", metavar="PATIENT_ID", help="the patient merged into --keep")
    d.add_argument("--distinct", nargs=2, metavar="PATIENT_ID", help="two patients that are not the same person")
    d.add_argument("--by", required=True, metavar="NAME", help="who decides (kept with the decision)")
    d.set_defaults(func=cmd_duplicates_decide)


def cmd_duplicates_list(args: argparse.Namespace) -> int:
    from core_practice_twenty.store.warehouse import Warehouse
    from core_practice_twenty.validation.duplicate_review import write_duplicate_review

    settings = Settings.from_env()
    with Warehouse.from_settings(settings).connect() as conn:
        path, pending = write_duplicate_review(conn, args.wave, settings.reports)
    print(f"{pending} likely duplicate pair(s) of wave {args.wave} wait for a decision: {path}")
    return 0


def cmd_duplicates_decide(args: argparse.Namespace) -> int:
    from core_practice_twenty.store.duplicates import (
        DISTINCT,
        MERGE,
        already_in_twenty,
        landed_patients,
        record_decision,
    )
    from core_practice_twenty.store.warehouse import Warehouse

    if args.distinct and (args.keep or args.merge):
        print("cpt duplicates decide: give either --keep P1 --merge P2 or --distinct P1 P2, not both",
              file=sys.stderr)
        return 2
    if args.distinct:
        pair, decision = tuple(args.distinct), DISTINCT
    elif args.keep and args.merge:
        pair, decision = (args.merge, args.keep), MERGE
    else:
        print("cpt duplicates decide: give --keep P1 --merge P2 (the same person) or --distinct P1 P2 (not)",
              file=sys.stderr)
        return 2
    warehouse = Warehouse.from_settings(Settings.from_env())
    with warehouse.connect() as conn:
        known = landed_patients(conn, pair)
    unknown = [key for key in pair if key not in known]
    if unknown:
        print(f"cpt duplicates decide: no patient {', '.join(unknown)} in any landed export; check the ids in "
              f"likely-duplicates-WAVE.md (cpt duplicates list --wave WAVE)", file=sys.stderr)
        return 2
    try:
        decided = record_decision(warehouse, pair[0], pair[1], decision, args.by)
    except ValueError as exc:
        print(f"cpt duplicates decide: {exc}", file=sys.stderr)
        return 2
    print(f"decided: {decided.describe()}. Applied when the wave is mapped next (cpt migrate).")
    if decision == MERGE and pair[0] in already_in_twenty(warehouse, [pair[0]]):
        print(f"note: {pair[0]} is already in Twenty (an earlier wave created it). The next wave sends its "
              f"appointments, notes, plans, invoices and documents to {pair[1]}, but does not delete {pair[0]} "
              f"there: merge or delete it in Twenty, or roll the wave back (cpt rollback --preview) and run it "
              f"again.")
    return 0
