"""Launch a wave's asset materializations on the persistent Dagster instance, headless.

`cpt migrate` and `cpt demo` use this: the same assets, checks and partition a person materializes
from the UI, executed through Dagster (the steps of a run in one process, recorded in DAGSTER_HOME), so
that the UI afterwards shows the runs, the check results and the lineage.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import dagster as dg

from core_practice_twenty.defs.partitions import waves
from core_practice_twenty.settings import Settings
from core_practice_twenty.source.readers import detect_region
from core_practice_twenty.status import RunInfo
from core_practice_twenty.stopping import STOP_SIGNALS, StopSignals, exit_code
from core_practice_twenty.store.staging import staging_table
from core_practice_twenty.store.warehouse import Warehouse
from core_practice_twenty.twenty.retry import RUN_RETRIES

INSTANCE_YAML = f"""\
# Written by cpt on first use. Pools serialize the Twenty loaders (one writer per workspace
# rate limit); run retries re-launch a run whose process crashed. API errors are retried by the
# Twenty client only (core_practice_twenty/twenty/retry.py).
concurrency:
  pools:
    default_limit: 1
run_retries:
  enabled: true
  max_retries: {RUN_RETRIES}
  retry_on_asset_or_op_failure: false
telemetry:
  enabled: false
"""


def ensure_dagster_home() -> Path:
    """The Dagster home the settings name (DAGSTER_HOME), creating its dagster.yaml on first use; exported, since
    Dagster reads the variable itself."""
    home = Settings.from_env().dagster_home.resolve()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(INSTANCE_YAML)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def migration_job() -> dg.JobDefinition:
    """The `migrate_wave` job (module-level so that a run's process can rebuild it: `reconstructable`)."""
    from core_practice_twenty.definitions import defs

    return defs().resolve_job_def("migrate_wave")


@dataclass
class WaveRunResult:
    wave: str
    run_id: str
    success: bool
    blocked_by: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    materialized: set[str] = field(default_factory=set)
    """Assets this run materialized: what a summary may report as this run's work."""

    def reason(self) -> str:
        parts = [f"blocking check {b}" for b in self.blocked_by] + self.failures
        return "; ".join(parts) or "unknown failure (see the run in the Dagster UI)"


def _failure_reason(event: dg.DagsterEvent) -> str:
    """The message a person can act on: a `dg.Failure` description, else the innermost error."""
    data = event.step_failure_data
    if data is None:
        return "unknown error"
    if data.user_failure_data and data.user_failure_data.description:
        return data.user_failure_data.description
    error = data.error
    while error is not None and error.cause is not None:
        error = error.cause
    if error is None:
        return "unknown error"
    first_line = (error.message.strip().splitlines() or [""])[0]
    return first_line if first_line.startswith(error.cls_name or "") else f"{error.cls_name}: {first_line}"


def register_wave(instance: dg.DagsterInstance, warehouse: Warehouse, wave: str, export_dir: Path, *,
                  region: str | None = None, export_date: date | None = None, replace: bool = False) -> str:
    """Make `wave` a partition and remember which export folder it migrates; returns the region used.

    Raises WaveFolderChanged when the wave already migrates another folder and `replace` is not set.
    """
    if not export_dir.is_dir():
        raise FileNotFoundError(f"{export_dir}: export folder not found")
    reason = "given"
    if region is None:
        region, reason = detect_region(export_dir)
    warehouse.register_wave(wave, export_dir, snapshot_id=export_dir.resolve().name, region=region,
                            export_date=export_date or date.today(), replace=replace)
    if not instance.has_dynamic_partition(waves.name, wave):
        instance.add_dynamic_partitions(waves.name, [wave])
    return f"{region} ({reason})"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def release_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Fail the runs a killed `cpt` process left "started", and free their `twenty_api` pool slots.

    A process killed with SIGKILL cannot report its own end: its run stays STARTED and keeps the pool's
    only slot, so the next run of the wave would wait forever. `cpt` tags its runs with host and pid;
    a run of this host whose process is gone is dead.
    """
    released = []
    active = dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING],
                           tags={"cpt/launched_by": "cpt migrate", "cpt/host": socket.gethostname()})
    for run in instance.get_runs(filters=active):
        pid = run.tags.get("cpt/pid")
        if pid and pid.isdigit() and not _alive(int(pid)):
            instance.report_run_failed(run, "the cpt process running it was killed; a new run resumes the wave")
            instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
            released.append(run.run_id)
    return released


def run_wave(instance: dg.DagsterInstance, wave: str, *, log_level: str = "INFO",
             asset_selection: list[dg.AssetKey] | None = None) -> WaveRunResult:
    """Materialize every asset (with its checks) for `wave`, or only `asset_selection`; never raises on a
    failed step."""
    release_dead_runs(instance)
    run_config = {"loggers": {"console": {"config": {"log_level": log_level}}}}
    with dg.execute_job(
        dg.reconstructable(migration_job),
        instance=instance,
        tags={"dagster/partition": wave, "cpt/launched_by": "cpt migrate", "cpt/host": socket.gethostname(),
              "cpt/pid": str(os.getpid())},
        run_config=run_config,
        raise_on_error=False,
        asset_selection=asset_selection,
    ) as result:
        evaluations = result.get_asset_check_evaluations()
        blocked = [
            f"{e.asset_key.to_user_string()}:{e.check_name}" + (f" ({e.description})" if e.description else "")
            for e in evaluations
            if not e.passed and e.blocking and e.severity == dg.AssetCheckSeverity.ERROR
        ]
        failed_checks = [
            f"check {e.asset_key.to_user_string()}:{e.check_name} failed"
            + (f" ({e.description})" if e.description else "")
            for e in evaluations
            if not e.passed and not e.blocking
        ]
        failures = [
            f"step {event.step_key} failed: {_failure_reason(event)}"
            for event in result.get_step_failure_events()
            if "DagsterAssetCheckFailedError" not in _failure_reason(event)  # already named in `blocked`
        ] + failed_checks
        materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
        return WaveRunResult(wave, result.run_id, result.success and not blocked and not failed_checks, blocked,
                             failures, materialized)


def last_runs(instance: dg.DagsterInstance, waves: list[str]) -> dict[str, RunInfo]:
    """Each wave's newest run (cpt's or the UI's): its state, and the step it stopped at when it did not finish."""
    found = {}
    for wave in waves:
        runs = instance.get_runs(filters=dg.RunsFilter(tags={"dagster/partition": wave}), limit=1)
        if not runs:
            continue
        run = runs[0]
        stopped_at = None
        if run.status != dg.DagsterRunStatus.SUCCESS:
            steps = instance.get_run_step_stats(run.run_id)
            unfinished = [s for s in steps if s.status is None or s.status.value != "SUCCESS"]
            stopped_at = unfinished[-1].step_key if unfinished else None
        found[wave] = RunInfo(run.run_id, run.status.value, stopped_at)
    return found


def rollback_job() -> dg.JobDefinition:
    """The `rollback_migration` job (module-level so that it can be reconstructed)."""
    from core_practice_twenty.definitions import defs

    return defs().resolve_job_def("rollback_migration")


@dataclass
class RollbackRunResult:
    run_id: str
    success: bool
    summary: dict
    failure: str = ""


def run_rollback(instance: dg.DagsterInstance, waves: list[str], *, remove_schema: bool = False) -> RollbackRunResult:
    """Run the rollback job on the persistent instance (so the UI shows it); never raises on failure."""
    release_dead_runs(instance)
    config = {"ops": {"rollback_waves": {"config": {"waves": waves, "remove_schema": remove_schema}}}}
    with dg.execute_job(dg.reconstructable(rollback_job), instance=instance, run_config=config,
                        tags={"cpt/launched_by": "cpt rollback", "cpt/host": socket.gethostname(),
                              "cpt/pid": str(os.getpid())},
                        raise_on_error=False) as result:
        summary: dict = {}
        for event in result.all_events:
            if event.is_step_success or event.event_type_value == "STEP_OUTPUT":
                data = getattr(event.event_specific_data, "metadata", None) or {}
                if "summary" in data:
                    summary = data["summary"].value
        failures = [_failure_reason(e) for e in result.get_step_failure_events()]
        return RollbackRunResult(result.run_id, result.success, summary, "; ".join(failures))


GATE_CHECKS = {"map": ("field_map", "confirmed_for_export"), "sample": ("sample_selection", "sample_accepted"),
               "changes": (staging_table("people"), "changes_approved")}
"""Each gate of `status.GATES` → the asset and blocking check that apply it when a wave runs."""


def report_gates(instance: dg.DagsterInstance, gated: Iterable[tuple[str, Mapping[str, str | None]]],
                 reported_by: str) -> int:
    """Record what the waves' gates say now as a result of each gate's blocking check: the UI then shows what waits
    for a person, with the command to run, on the gate's asset (its Checks tab), without a run having to reach it.

    One result per check for all waves (each wave that waits named with its command), not one per wave's partition:
    Dagster keeps one runless result per partition and refuses a second (`asset_check_executions` is unique on
    asset, check, run and partition), so a per-partition result could never be brought up to date. A run that
    reaches the check records its own result in the wave's partition as before. Returns how many were recorded."""
    known = set(instance.get_dynamic_partitions(waves.name))
    waiting: dict[str, list[str]] = {gate: [] for gate in GATE_CHECKS}
    seen: dict[str, list[str]] = {gate: [] for gate in GATE_CHECKS}
    for wave, gates in gated:
        if wave not in known:
            continue
        for gate, reason in gates.items():
            seen[gate].append(wave)
            if reason:
                waiting[gate].append(f"wave {wave!r}: waits for a person: {reason}")
    recorded = 0
    for gate, (asset, check) in GATE_CHECKS.items():
        if not seen[gate]:
            continue
        opened = [w for w in seen[gate] if not any(line.startswith(f"wave {w!r}:") for line in waiting[gate])]
        said = "\n\n".join(waiting[gate] + ([f"open for {', '.join(map(repr, opened))}"] if opened else []))
        instance.report_runless_asset_event(dg.AssetCheckEvaluation(
            asset_key=dg.AssetKey(asset), check_name=check, passed=not waiting[gate], blocking=True,
            description=said, metadata={"waves": ", ".join(seen[gate]), "waiting": len(waiting[gate]),
                                        "reported_by": reported_by}))
        recorded += 1
    return recorded


def _stopped_line(wave: str, signum: int, result: WaveRunResult | None, stopped_at: str | None = None) -> str:
    """The one line a person (or the next shift) reads after a stop: what was done, where it stopped, what next."""
    if result is None:
        done = "stopped before its run could finish the step in flight"
    else:
        done = (f"stopped {'in step ' + stopped_at if stopped_at else 'between steps'} after "
                f"{len(result.materialized)} step(s) had finished (run {result.run_id})")
    return (f"cpt migrate: {STOP_SIGNALS[signum]}: wave {wave!r} {done}; what was sent is in the audit log, and "
            f"nothing is sent twice: run the same command to resume.")


def migrate(export_dir: Path, wave: str, *, region: str | None = None, export_date: date | None = None,
            replace: bool = False) -> int:
    """Check Twenty and the map, register the wave, run it through Dagster, print the reconciliation (and keep it
    in the reports folder). Exit code: 0 only if all is well; 2 when something must be fixed before anything
    runs; 3 blocked by a check; 1 a failed step; 4 counts that do not reconcile. The caller checks the folder."""
    from core_practice_twenty.mapping.field_map import check_gate
    from core_practice_twenty.mapping.target_model import TARGET_OBJECTS
    from core_practice_twenty.reconciliation import (
        export_counts,
        format_export_counts,
        format_summary,
        reconcile,
        source_accounting,
    )
    from core_practice_twenty.settings import field_map_path, reports_dir
    from core_practice_twenty.store.warehouse import Warehouse, WaveFolderChanged
    from core_practice_twenty.twenty.client import TwentyClient, TwentyConfigError
    from core_practice_twenty.twenty.preflight import PreflightError, check_twenty

    try:
        settings = Settings.from_env()
        client = TwentyClient.from_settings(settings)
        facts = check_twenty(client.base_url, settings.twenty_api_key, settings=settings)
    except (TwentyConfigError, PreflightError) as exc:
        print(f"cpt migrate: {exc}", file=sys.stderr)
        return 2
    print(f"{client.base_url}: {facts.header()}", flush=True)
    gate = check_gate(field_map_path(), export_dir)
    home = ensure_dagster_home()
    warehouse = Warehouse.from_settings(Settings.from_env())
    with dg.DagsterInstance.get() as instance:
        if not gate.ok:  # the same gate the run's blocking check applies: say so now, not after landing
            report_gates(instance, [(wave, {"map": gate.message})], "cpt migrate")  # a wave run before: in the UI too
            print(f"cpt migrate: field map gate: {gate.message}\nNothing was launched: nothing loads before a person "
                  f"confirms the map for this export.", file=sys.stderr)
            return 3
        try:
            region_used = register_wave(instance, warehouse, wave, export_dir, region=region, export_date=export_date,
                                        replace=replace)
        except WaveFolderChanged as exc:
            print(f"cpt migrate: {exc}", file=sys.stderr)
            return 2
        print(f"migrating {export_dir} as wave {wave!r}, region {region_used} "
              f"(Dagster home {home})", flush=True)
        with StopSignals(lambda signum: _stopped_line(wave, signum, None)) as stop:
            result = run_wave(instance, wave)
        if stop.signum is not None:  # stopped by a signal: say where, mark the run canceled, keep its code
            run = instance.get_run_by_id(result.run_id)
            if run is not None and run.status != dg.DagsterRunStatus.CANCELED:
                instance.report_run_canceled(run, f"stopped by {STOP_SIGNALS[stop.signum]}")
            last = last_runs(instance, [wave]).get(wave)
            print(_stopped_line(wave, stop.signum, result, last.stopped_at if last else None), file=sys.stderr)
            return exit_code(stop.signum)
    # Only what this run did: after a blocked or failed run the warehouse still holds an earlier run's tables.
    parts = []
    if "validated_export" in result.materialized:
        parts.append(format_export_counts(export_counts(warehouse, wave)))
    loaded = {name.removeprefix("twenty_") for name in result.materialized} & set(TARGET_OBJECTS)
    rows = []
    if loaded:
        with client:
            rows = [r for r in reconcile(warehouse, wave, result.run_id, client) if r.twenty_object in loaded]
            facts = client.learn()
            facts.limiter = client.limiter.kind_seen  # what this run's 429s showed, if any
        accounting = source_accounting(warehouse, wave) if "stg_twenty_people" in result.materialized else None
        parts.append(format_summary(wave, result.run_id, rows, accounting, server=facts.header()))
    else:
        parts.append(f"Run {result.run_id} sent nothing to Twenty (it stopped before the load).")
    text = "\n\n".join(parts)
    print(text)
    report = reports_dir() / f"reconciliation-{wave}.md"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(f"# Reconciliation, wave {wave}\n\n```\n{text}\n```\n", encoding="utf-8")
    print(f"\n(also in {report}; field-level diff: {reports_dir() / f'diff-{wave}.md'})")
    if not result.success:
        print(f"\ncpt migrate: wave {wave!r} stopped: {result.reason()}.", file=sys.stderr)
        if result.blocked_by:
            print("Nothing downstream of a failed blocking check was loaded. Fix the export rows named "
                  "above (file and line) and run the same command again.", file=sys.stderr)
        else:
            print("See the run in the Dagster UI (`make ui`) for the full log; the wave can be run again "
                  "safely: only what is missing or changed is sent.", file=sys.stderr)
        return 3 if result.blocked_by else 1
    if not all(r.balanced for r in rows):
        print("\ncpt migrate: the counts do not reconcile (see MISMATCH above).", file=sys.stderr)
        return 4
    return 0
