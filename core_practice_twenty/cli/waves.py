"""The commands of a migration: `cpt wave`, `cpt migrate`, `cpt issues`, `cpt sample accept`, `cpt rollback`."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from core_practice_twenty.cli.exports import folder_refused
from core_practice_twenty.settings import Settings
from core_practice_twenty.stopping import STOP_SIGNALS, StopSignals, exit_code


def cmd_wave_add(args: argparse.Namespace) -> int:
    import dagster as dg

    from core_practice_twenty.launcher import ensure_dagster_home, register_wave
    from core_practice_twenty.store.warehouse import Warehouse, WaveFolderChanged

    if folder_refused("wave add", Path(args.export)):
        return 2
    ensure_dagster_home()
    with dg.DagsterInstance.get() as instance:
        try:
            region = register_wave(instance, Warehouse.from_settings(Settings.from_env()), args.wave, Path(args.export),
                                   region=args.region, export_date=args.export_date, replace=args.replace)
        except WaveFolderChanged as exc:
            print(f"cpt wave add: {exc}", file=sys.stderr)
            return 2
    print(f"wave {args.wave!r} → {Path(args.export).resolve()} (region {region}); materialize it from the UI "
          f"or `cpt migrate`")
    return 0


def cmd_wave_approve_changes(args: argparse.Namespace) -> int:
    """Approve the changes a wave would make to records already in Twenty, after reading their preview."""
    from core_practice_twenty.lifecycle.changes import approve_changes, plan_changes, write_change_report
    from core_practice_twenty.settings import reports_dir
    from core_practice_twenty.store.warehouse import Warehouse

    warehouse = Warehouse.from_settings(Settings.from_env())
    plan = plan_changes(warehouse, args.wave)
    if not plan.changes:
        print(f"cpt wave approve-changes: wave {args.wave!r} changes no name, birth date, email or phone of a "
              f"record already in Twenty (map the wave first: `cpt migrate`); nothing to approve", file=sys.stderr)
        return 3
    _, report = write_change_report(plan, reports_dir())
    plan = approve_changes(warehouse, args.wave, args.by)
    changed = ", ".join(f"{n} {obj}" for obj, n in plan.changed.items())
    print(f"approved by {args.by}: wave {args.wave!r} may change {changed} already in Twenty "
          f"({plan.garbled} looked garbled); exactly the changes listed in {report}. Run the wave again.")
    return 0


def migrate(export_dir: Path, wave: str, *, region: str | None = None, export_date: date | None = None,
            replace: bool = False) -> int:
    """`cpt migrate`: the export folder checked as landing will read it, then the launcher's `migrate`."""
    from core_practice_twenty import launcher

    if folder_refused("migrate", export_dir, check_headers=True):
        return 2
    return launcher.migrate(export_dir, wave, region=region, export_date=export_date, replace=replace)


def cmd_migrate(args: argparse.Namespace) -> int:
    return migrate(Path(args.export), args.wave, region=args.region, export_date=args.export_date,
                   replace=args.replace)


def cmd_issues(args: argparse.Namespace) -> int:
    """Validation issues of a wave: rule, outcome, count and the first source lines (never values)."""
    from core_practice_twenty.store.issues import issue_summary
    from core_practice_twenty.store.warehouse import Warehouse

    rows = issue_summary(Warehouse.from_settings(Settings.from_env()), args.wave, args.object)
    if not rows:
        print(f"no validation issues recorded for wave {args.wave!r}")
        return 0
    print(f"{'object':<18} {'rule':<42} {'outcome':<7} {'rows':>6}  file: first lines")
    for obj, rule, severity, count, files, lines in rows:
        shown = ", ".join(str(n) for n in lines) + (" …" if count > len(lines) else "")
        print(f"{obj:<18} {rule:<42} {severity:<7} {count:>6}  {files}: {shown}")
    return 0


def cmd_sample_accept(args: argparse.Namespace) -> int:
    """Record that a person read the sample's diff and accepts it: the other waves may then load."""
    from core_practice_twenty.lifecycle.acceptance import AcceptRefused, accept_sample
    from core_practice_twenty.store.warehouse import Warehouse

    try:
        accepted = accept_sample(Warehouse.from_settings(Settings.from_env()), args.by)
    except AcceptRefused as exc:
        print(f"cpt sample accept: {exc}", file=sys.stderr)
        return 3
    print(f"sample accepted by {accepted.accepted_by} at {accepted.accepted_at:%Y-%m-%d %H:%M} UTC "
          f"(diff run {accepted.diff_run_id}); the full wave may load now")
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    """Preview, confirm, then undo waves through the Dagster job and print the proof against the baseline."""
    import dagster as dg

    from core_practice_twenty.launcher import ensure_dagster_home, run_rollback
    from core_practice_twenty.lifecycle.rollback import plan_rollback
    from core_practice_twenty.store.warehouse import Warehouse

    if not args.all and not args.wave:
        print("cpt rollback: name the waves (--wave W, repeatable) or pass --all", file=sys.stderr)
        return 2
    if not args.preview:  # a preview reads only the audit log; undoing needs Twenty
        from core_practice_twenty.twenty.preflight import PreflightError, check_twenty

        try:
            settings = Settings.from_env()
            check_twenty(settings.twenty_api_url, settings.twenty_api_key, settings=settings)
        except PreflightError as exc:
            print(f"cpt rollback: {exc}", file=sys.stderr)
            return 2
    waves = [] if args.all else args.wave
    plan = plan_rollback(Warehouse.from_settings(Settings.from_env()), waves or None)
    print(plan.preview())
    if plan.conflicts:
        return 3
    if plan.empty and not args.remove_schema:
        return 0
    if args.preview:
        return 0
    if not args.yes:
        answer = input("Undo these writes in Twenty? Type 'rollback' to go on: ")
        if answer.strip() != "rollback":
            print("nothing done")
            return 1
    ensure_dagster_home()
    undoing = ", ".join(repr(w) for w in waves)

    def stopped(signum: int) -> str:
        return (f"cpt rollback: {STOP_SIGNALS[signum]}: the rollback of {undoing} stopped before it finished; what "
                f"was undone is in the audit log: run the same command to resume.")

    with dg.DagsterInstance.get() as instance:
        with StopSignals(stopped) as stop:
            result = run_rollback(instance, waves, remove_schema=args.remove_schema)
        if stop.signum is not None:
            run = instance.get_run_by_id(result.run_id)
            if run is not None and run.status != dg.DagsterRunStatus.CANCELED:
                instance.report_run_canceled(run, f"stopped by {STOP_SIGNALS[stop.signum]}")
            print(stopped(stop.signum), file=sys.stderr)
            return exit_code(stop.signum)
    summary = result.summary
    print(f"rollback run {result.run_id}: destroyed {summary.get('destroyed', {})}, "
          f"restored {summary.get('restored', {})}, schema removed {len(summary.get('schema_removed') or [])}")
    if not result.success:
        print(f"cpt rollback: {result.failure or 'failed'}; run the same command again to resume", file=sys.stderr)
        return 1
    print("Twenty is back to the baseline taken before the first wave." if summary.get("back_to_baseline")
          else "Twenty differs from the baseline: see the run's metadata (proof per object).")
    return 0 if summary.get("back_to_baseline") else 4



def cmd_status(args: argparse.Namespace) -> int:
    """Where the migration stands (status.py): from the warehouse, the map and Dagster's runs, not from Twenty."""
    import dagster as dg

    from core_practice_twenty.launcher import ensure_dagster_home, last_runs, report_gates
    from core_practice_twenty.status import migration_status
    from core_practice_twenty.store.warehouse import Warehouse

    settings = Settings.from_env()
    warehouse = Warehouse.from_settings(settings)
    ensure_dagster_home()
    with dg.DagsterInstance.get() as instance:
        runs = last_runs(instance, [w.wave for w in warehouse.waves()])
        status = migration_status(warehouse, settings.field_map, runs, max_change_rate=settings.max_change_rate,
                                  sample_gate_on=settings.sample_gate)
        report_gates(instance, [(w.wave, w.gates) for w in status.waves], "cpt status")  # the UI shows the same
    print(status.to_json() if args.json else status.render())
    return 0
