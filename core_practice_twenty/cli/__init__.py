"""`cpt`: the command line of core_practice_twenty (sandbox, generate, wave, migrate, map, demo, ui).

One module per command family; `main` turns whatever a user can cause into a message, never a traceback."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from core_practice_twenty.cli.demo import DEMO_EXPORT, cmd_demo, cmd_ui
from core_practice_twenty.cli.duplicates import add_duplicates_parser
from core_practice_twenty.cli.exports import cmd_generate, export_options
from core_practice_twenty.cli.mapping import cmd_map_confirm, cmd_map_propose
from core_practice_twenty.cli.sandbox import SANDBOX_DB, cmd_sandbox
from core_practice_twenty.cli.waves import (
    cmd_issues,
    cmd_migrate,
    cmd_rollback,
    cmd_sample_accept,
    cmd_status,
    cmd_wave_add,
    cmd_wave_approve_changes,
    migrate,
)
from core_practice_twenty.model.regions import DEFAULT_REGION, REGION_CODES
from core_practice_twenty.sandbox.versions import LIMITERS, NEWEST, VERSIONS
from core_practice_twenty.settings import Settings, SettingsError

__all__ = ["build_parser", "main", "migrate"]

EXAMPLES = {
    "sandbox": "cpt sandbox --port 8021 --api-key \"$TWENTY_API_KEY\"",
    "generate": "cpt generate --out data/exports/rehearsal --region NZ --patients 500",
    "wave add": "cpt wave add --export /srv/exports/2026-12-07 --wave full",
    "wave approve-changes": "cpt wave approve-changes --wave delta-2026-11-26 --by 'Dr Lee'",
    "migrate": "cpt migrate --export /srv/exports/2026-12-07 --wave full",
    "issues": "cpt issues --wave full --object patients",
    "duplicates list": "cpt duplicates list --wave sample",
    "duplicates decide": "cpt duplicates decide --keep PT0000123 --merge PT0000456 --by 'Dr Lee'   (or: --distinct "
                         "PT0000123 PT0000456 --by 'Dr Lee')",
    "status": "cpt status   (or: cpt status --json, for scripts)",
    "demo": "cpt demo",
    "sample accept": "cpt sample accept --by 'Dr Lee'",
    "rollback": "cpt rollback --wave delta-2026-12-07 --preview",
    "ui": "cpt ui --port 3000",
    "map propose": "cpt map propose --export /srv/exports/2026-12-07",
    "map confirm": "cpt map confirm --map data/mapping/field-map.yaml --export /srv/exports/2026-12-07 "
                   "--by 'Dr Lee'",
}
"""One example per command, shown at the end of its --help (a test keeps every command in this table)."""


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("core_practice_twenty")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def commands(parser: argparse.ArgumentParser, prefix: str = "") -> dict[str, tuple[argparse.ArgumentParser, str]]:
    """Every runnable command of `parser` by its words ("wave add"), with its one-line help."""
    found: dict[str, tuple[argparse.ArgumentParser, str]] = {}
    for action in parser._actions:  # argparse keeps sub-parsers only here
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
            for name, child in action.choices.items():
                words = f"{prefix} {name}".strip()
                below = commands(child, words)
                found.update(below or {words: (child, helps.get(name, ""))})
    return found


def _describe(parser: argparse.ArgumentParser) -> None:
    """Each command's --help says what it does (its description, else its one-line help) and shows its example."""
    for words, (command, summary) in commands(parser).items():
        if not command.description and summary:
            command.description = summary[0].upper() + summary[1:] + "."
        command.epilog = f"Example: {EXAMPLES[words]}" if words in EXAMPLES else None
        command.formatter_class = argparse.RawDescriptionHelpFormatter


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cpt", description="Core Practice → Twenty migration")
    parser.add_argument("--version", action="version", version=f"cpt {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("sandbox", help="run the local Twenty (REST + metadata API) on loopback",
                       description="Local Twenty for tests, rehearsals and the demo (docs/sandbox.md).")
    p.add_argument("--port", type=int, default=8021)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--db", default=str(SANDBOX_DB), help="SQLite file holding the workspace")
    p.add_argument("--api-key", help="bearer token the sandbox accepts (default: $TWENTY_API_KEY)")
    p.add_argument("--twenty-version", choices=list(VERSIONS), default=None,
                   help=f"Twenty version to play (names, upload flows, batch cap, types, standard fields; default "
                        f"{NEWEST}); fixed when the file is created (docs/sandbox.md)")
    p.add_argument("--rate-limiter", choices=list(LIMITERS), default=None,
                   help="Twenty's throttle: legacy (self-hosted default, 429 without headers) or usage-engine "
                        "(IS_API_RATE_LIMIT_V2_ENABLED: Retry-After, X-RateLimit-*)")
    p.add_argument("--profile", choices=["current", "legacy"], default=None,
                   help="older name for a version and limiter: current = 2.38 + usage-engine, legacy = 1.16 + legacy")
    p.add_argument("--batch-cap", type=int, default=None,
                   help="QUERY_MAX_RECORDS (default: the version's, 200)")
    p.add_argument("--page-size", type=int, default=60, help="default page size of find-many")
    p.add_argument("--members", help="JSON file of workspace members to seed: [{email, firstName, lastName}]")
    p.add_argument("--max-upload-mb", type=float, default=None,
                   help="file upload limit in MB (default: the version's, 100; 10 before Files v2)")
    p.add_argument("--rate-limit-short", default="100/1000", metavar="N/MS",
                   help="short window: requests per milliseconds (Twenty default 100/1000)")
    p.add_argument("--rate-limit-long", default="100/60000", metavar="N/MS",
                   help="long window: requests per milliseconds (Twenty default 100/60000)")
    p.add_argument("--no-rate-limit", action="store_true", help="do not throttle at all")
    p.add_argument("--fault-seed", type=int, default=0, help="seed of the fault generator")
    p.add_argument("--fault-error-rate", type=float, default=0.0, help="fraction of requests answered 5xx")
    p.add_argument("--fault-statuses", default="500,502,503", help="5xx statuses to draw from")
    p.add_argument("--fault-latency-ms", type=float, default=0.0, help="latency added to every request")
    p.add_argument("--fault-latency-jitter-ms", type=float, default=0.0, help="extra uniform random latency")
    p.add_argument("--fault-reset-rate", type=float, default=0.0,
                   help="fraction of connections reset before the request is applied")
    p.add_argument("--fault-lost-response-rate", type=float, default=0.0,
                   help="fraction of requests applied whose response is lost (connection reset)")
    p.add_argument("--fault-429-burst-rate", type=float, default=0.0, help="chance a request starts a 429 burst")
    p.add_argument("--fault-429-burst-length", type=int, default=5, help="requests answered 429 per burst")
    p.add_argument("--fault-429-retry-after", type=int, default=1, help="Retry-After seconds of burst 429s")
    p.add_argument("--no-control", action="store_true",
                   help="disable the sandbox-only /_sandbox/* endpoints (faults, rate limit, reset)")
    p.set_defaults(func=cmd_sandbox)

    p = sub.add_parser("generate", help="write a synthetic Core Practice export")
    p.add_argument("--out", required=True)
    p.add_argument("--region", default=DEFAULT_REGION.value, choices=REGION_CODES)
    p.add_argument("--practices", type=int, default=8)
    p.add_argument("--patients", type=int, default=200)
    p.add_argument("--seed", type=int, default=20261124)
    p.add_argument("--format", default="csv", choices=["csv", "xlsx"])
    p.add_argument("--dirt", default="realistic", choices=["none", "realistic", "heavy"],
                   help="none: spotless; realistic: every dirt kind at field rates; heavy: about 4x as much")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("wave", help="manage migration waves")
    wave_sub = p.add_subparsers(dest="wave_command", required=True)
    w = wave_sub.add_parser("add", help="register an export folder as a wave partition (for the UI)")
    w.add_argument("--export", required=True)
    w.add_argument("--wave", required=True)
    export_options(w)
    w.add_argument("--replace", action="store_true",
                   help="re-point a wave registered with another export folder (recorded in the audit log)")
    w.set_defaults(func=cmd_wave_add)
    w = wave_sub.add_parser(
        "approve-changes", help="approve the changes a wave makes to records already in Twenty",
        description="After reading changes-<wave>.md (reports folder), approve exactly those changes to names, "
                    "birth dates, emails and phones of records already in Twenty. Example: cpt wave "
                    "approve-changes --wave delta-2026-11-26 --by 'Dr Lee'")
    w.add_argument("--wave", required=True)
    w.add_argument("--by", required=True, help="name of the person approving")
    w.set_defaults(func=cmd_wave_approve_changes)

    p = sub.add_parser("migrate", help="run a wave through Dagster, headless, and reconcile")
    p.add_argument("--export", required=True, help="export snapshot folder")
    p.add_argument("--wave", default="full", help="wave partition name (sample, full, delta-…)")
    export_options(p)
    p.add_argument("--replace", action="store_true",
                   help="re-point a wave registered with another export folder (recorded in the audit log)")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser(
        "status", help="where the migration stands: waves, what waits for a person, last runs, the next command",
        description="Where the migration stands, on one screen: each wave's export, the map and sample gates, the "
                    "last run and the step it stopped at, rows read / rejected / held back, records per object, "
                    "what waits for a person, and the next command. Reads the warehouse, the map and Dagster's "
                    "runs only: it answers with Twenty unreachable.")
    p.add_argument("--json", action="store_true", help="the same facts as JSON, for scripts")
    p.set_defaults(func=cmd_status)

    add_duplicates_parser(sub)

    p = sub.add_parser("issues", help="list a wave's validation issues (rule, outcome, count, source lines)")
    p.add_argument("--wave", default="full")
    p.add_argument("--object", help="one export object, e.g. patients")
    p.set_defaults(func=cmd_issues)

    p = sub.add_parser("demo", help="generate a sample export and migrate it into a local Twenty")
    p.add_argument("--export", default=str(DEMO_EXPORT))
    p.add_argument("--sandbox-db", default=str(SANDBOX_DB))
    p.add_argument("--wave", default="full")
    p.add_argument("--practices", type=int, default=8)
    p.add_argument("--seed", type=int, default=20261124)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("sample", help="the sample wave's acceptance")
    sample_sub = p.add_subparsers(dest="sample_command", required=True)
    m = sample_sub.add_parser("accept", help="accept the sample after reading data/reports/diff-sample.md")
    m.add_argument("--by", required=True, help="name of the person accepting")
    m.set_defaults(func=cmd_sample_accept)

    p = sub.add_parser("rollback", help="undo waves in Twenty from the audit log and prove the baseline")
    p.add_argument("--wave", action="append", help="a wave to undo (repeatable); newer waves first")
    p.add_argument("--all", action="store_true", help="undo every wave")
    p.add_argument("--remove-schema", action="store_true", help="also delete the custom objects/fields created")
    p.add_argument("--preview", action="store_true", help="only show what would be undone")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(func=cmd_rollback)

    p = sub.add_parser("ui", help="start the local Twenty and the Dagster UI on the same state")
    p.add_argument("--port", type=int, default=3000)
    p.add_argument("--sandbox-port", type=int, default=8021)
    p.add_argument("--sandbox-db", default=str(SANDBOX_DB))
    p.set_defaults(func=cmd_ui)

    p = sub.add_parser("map", help="propose and confirm the field map (docs/field-map.md)")
    map_sub = p.add_subparsers(dest="map_command", required=True)
    m = map_sub.add_parser("propose", help="write a proposed field map and review sheet for an export")
    m.add_argument("--export", required=True, help="export snapshot folder")
    m.add_argument("--out", help="map file to write (default: CPT_FIELD_MAP, data/mapping/field-map.yaml)")
    m.add_argument("--reports", help="folder of field-map-review.csv/.md (default: CPT_REPORTS, data/reports)")
    m.add_argument("--region", choices=REGION_CODES, help="default: from the practices' countries")
    m.add_argument("--fresh", action="store_true",
                   help="propose every column afresh (default: keep what the confirmed map at --out decided for "
                        "columns found again: a re-export or a cutover delta is not asked twice)")
    m.set_defaults(func=cmd_map_propose)
    m = map_sub.add_parser("confirm", help="confirm a reviewed map: records who, when and the fingerprint")
    m.add_argument("--map", required=True, help="map file (data/mapping/field-map.yaml)")
    m.add_argument("--export", required=True, help="the export snapshot folder the map is for")
    m.add_argument("--by", required=True, help="name of the person confirming")
    m.add_argument("--accept-all", action="store_true",
                   help="accept every entry still marked needs_decision as proposed (recorded in the map)")
    m.set_defaults(func=cmd_map_confirm)
    _describe(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command. Whatever a user can cause ends in a message that says what to do, never a traceback;
    an unexpected error prints one line and the path of a log file holding the details."""
    args = build_parser().parse_args(argv)
    try:
        Settings.from_env()  # a setting that cannot be used stops every command before it starts
        return args.func(args)
    except SettingsError as exc:
        print(f"cpt {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\ncpt {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the last line of defence: a summary and a log file
        log = _write_error_log(args.command, exc)
        print(f"cpt {args.command}: unexpected error ({type(exc).__name__}); the details are in {log}. Nothing "
              f"that was written is lost: the same command can be run again.", file=sys.stderr)
        return 1


def _write_error_log(command: str, exc: BaseException) -> Path:
    """The traceback in a local file a person opens (CPT_LOGS, default data/logs); the terminal gets its path."""
    import traceback
    from datetime import datetime

    try:
        folder = Settings.from_env().logs
    except SettingsError:
        folder = Settings().logs
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"cpt-{command}-{datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}.log"
    path.write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
    return path.resolve()
