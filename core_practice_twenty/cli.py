"""`cpt`: the command line of core_practice_twenty (sandbox, generate, wave, migrate, demo, ui)."""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import date
from pathlib import Path

import httpx

from core_practice_twenty.model.regions import DEFAULT_REGION, REGION_CODES
from core_practice_twenty.sandbox.versions import LIMITERS, NEWEST, VERSIONS
from core_practice_twenty.settings import Settings, SettingsError

DEMO_EXPORT = Path("data/exports/demo")
SANDBOX_DB = Path("data/sandbox/twenty.sqlite")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, *, timeout_s: float = 30.0, path: str = "/healthz") -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}{path}", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url}{path} did not answer within {timeout_s:.0f}s")


@contextmanager
def sandbox_process(db: Path, port: int | None = None) -> Iterator[tuple[str, str]]:
    """Start `cpt sandbox` in its own process with a fresh random API key; yield (url, key)."""
    port = port or _free_port()
    api_key = secrets.token_urlsafe(24)
    db.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "TWENTY_API_KEY": api_key}
    proc = subprocess.Popen(
        [sys.executable, "-m", "core_practice_twenty.cli", "sandbox", "--port", str(port), "--db", str(db)],
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url)
        yield url, api_key
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


# -- commands ------------------------------------------------------------------------------------


def cmd_sandbox(args: argparse.Namespace) -> int:
    from core_practice_twenty.sandbox import FaultConfig, RateLimitConfig, SandboxConfig, serve
    from core_practice_twenty.sandbox.config import load_members

    api_key = args.api_key or Settings.from_env().twenty_api_key
    if not api_key:
        print("cpt sandbox: give --api-key KEY (or set TWENTY_API_KEY)", file=sys.stderr)
        return 2
    try:
        if args.no_rate_limit:
            rate_limit = RateLimitConfig.disabled()
        else:
            short_limit, short_ms = _limit_pair(args.rate_limit_short)
            long_limit, long_ms = _limit_pair(args.rate_limit_long)
            rate_limit = RateLimitConfig(short_limit=short_limit, short_window_ms=short_ms,
                                         long_limit=long_limit, long_window_ms=long_ms)
        faults = FaultConfig(
            seed=args.fault_seed, error_rate=args.fault_error_rate,
            error_statuses=[int(s) for s in args.fault_statuses.split(",") if s.strip()],
            latency_ms=args.fault_latency_ms, latency_jitter_ms=args.fault_latency_jitter_ms,
            reset_rate=args.fault_reset_rate, lost_response_rate=args.fault_lost_response_rate,
            burst_429_rate=args.fault_429_burst_rate, burst_429_length=args.fault_429_burst_length,
            burst_429_retry_after_s=args.fault_429_retry_after,
        )
        members = load_members(Path(args.members)) if args.members else []
        max_upload = int(args.max_upload_mb * 1024 * 1024) if args.max_upload_mb is not None else None
        config = SandboxConfig(db_path=Path(args.db), api_key=api_key, host=args.host, port=args.port,
                               batch_cap=args.batch_cap, profile=args.profile, twenty_version=args.twenty_version,
                               rate_limiter=args.rate_limiter, default_page_size=args.page_size,
                               rate_limit=rate_limit, faults=faults, workspace_members=members,
                               max_upload_bytes=max_upload, control=not args.no_control)
    except (ValueError, OSError) as exc:
        print(f"cpt sandbox: {exc}", file=sys.stderr)
        return 2
    serve(config)
    return 0


def _limit_pair(text: str) -> tuple[int, int]:
    """`100/1000` → (100 requests, 1000 ms)."""
    count, _, window = text.partition("/")
    try:
        return int(count), int(window)
    except ValueError:
        raise ValueError(f"rate limit {text!r}: expected REQUESTS/WINDOW_MS, e.g. 100/60000") from None


def cmd_generate(args: argparse.Namespace) -> int:
    from core_practice_twenty.source.generator import generate_export

    out = generate_export(Path(args.out), region=args.region, practices=args.practices, patients=args.patients,
                          seed=args.seed, format=args.format, dirt=args.dirt)
    print(f"wrote sample export to {out} (manifest of injected dirt: {out / '_generator_manifest.jsonl'})")
    return 0


def cmd_wave_add(args: argparse.Namespace) -> int:
    import dagster as dg

    from core_practice_twenty.launcher import ensure_dagster_home, register_wave
    from core_practice_twenty.store.warehouse import Warehouse, WaveFolderChanged, warehouse_path

    if _folder_refused("wave add", Path(args.export)):
        return 2
    ensure_dagster_home()
    with dg.DagsterInstance.get() as instance:
        try:
            region = register_wave(instance, Warehouse(warehouse_path()), args.wave, Path(args.export),
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
    from core_practice_twenty.mapping.field_map import reports_dir
    from core_practice_twenty.store.warehouse import Warehouse, warehouse_path

    warehouse = Warehouse(warehouse_path())
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


def _folder_refused(command: str, export_dir: Path, *, check_headers: bool = False) -> bool:
    """Print what is wrong with the export folder (the one folder check); True if there is anything.

    `check_headers` opens each file's header as landing will, with the field map's header overrides.
    """
    from core_practice_twenty.source.folder import export_folder_problems

    overrides = None
    if check_headers:
        from core_practice_twenty.mapping.field_map import map_header_overrides
        from core_practice_twenty.source.export_spec import EXPORT_SPEC

        overrides = {name: map_header_overrides(name) for name in EXPORT_SPEC}
    problems = export_folder_problems(export_dir, header_overrides=overrides, check_headers=check_headers)
    for problem in problems:
        print(f"cpt {command}: {problem}", file=sys.stderr)
    return bool(problems)


def migrate(export_dir: Path, wave: str, *, region: str | None = None, export_date: date | None = None,
            replace: bool = False) -> int:
    """Check the export folder and Twenty, register the wave, run it through Dagster, print the
    reconciliation; 0 only if all is well, 2 when something must be fixed before anything runs."""
    import dagster as dg

    from core_practice_twenty.launcher import ensure_dagster_home, register_wave, run_wave
    from core_practice_twenty.mapping.field_map import check_gate, field_map_path, reports_dir
    from core_practice_twenty.mapping.target_model import TARGET_OBJECTS
    from core_practice_twenty.reconciliation import (
        export_counts,
        format_export_counts,
        format_summary,
        reconcile,
        source_accounting,
    )
    from core_practice_twenty.store.warehouse import Warehouse, WaveFolderChanged, warehouse_path
    from core_practice_twenty.twenty.client import TwentyClient, TwentyConfigError
    from core_practice_twenty.twenty.preflight import PreflightError, check_twenty

    if _folder_refused("migrate", export_dir, check_headers=True):
        return 2
    try:
        settings = Settings.from_env()
        client = TwentyClient.from_settings(settings)
        facts = check_twenty(client.base_url, settings.twenty_api_key)
    except (TwentyConfigError, PreflightError) as exc:
        print(f"cpt migrate: {exc}", file=sys.stderr)
        return 2
    print(f"{client.base_url}: {facts.header()}", flush=True)
    gate = check_gate(field_map_path(), export_dir)
    if not gate.ok:  # the same gate the run's blocking check applies: say so now, not after landing
        print(f"cpt migrate: field map gate: {gate.message}\nNothing was launched: nothing loads before a person "
              f"confirms the map for this export.", file=sys.stderr)
        return 3
    ensure_dagster_home()
    warehouse = Warehouse(warehouse_path())
    with dg.DagsterInstance.get() as instance:
        try:
            region_used = register_wave(instance, warehouse, wave, export_dir, region=region, export_date=export_date,
                                        replace=replace)
        except WaveFolderChanged as exc:
            print(f"cpt migrate: {exc}", file=sys.stderr)
            return 2
        print(f"migrating {export_dir} as wave {wave!r}, region {region_used} "
              f"(Dagster home {os.environ['DAGSTER_HOME']})", flush=True)
        result = run_wave(instance, wave)
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


def cmd_migrate(args: argparse.Namespace) -> int:
    return migrate(Path(args.export), args.wave, region=args.region, export_date=args.export_date,
                   replace=args.replace)


def cmd_issues(args: argparse.Namespace) -> int:
    """Validation issues of a wave: rule, outcome, count and the first source lines (never values)."""
    from core_practice_twenty.store.issues import issue_summary
    from core_practice_twenty.store.warehouse import Warehouse, warehouse_path

    rows = issue_summary(Warehouse(warehouse_path()), args.wave, args.object)
    if not rows:
        print(f"no validation issues recorded for wave {args.wave!r}")
        return 0
    print(f"{'object':<18} {'rule':<42} {'outcome':<7} {'rows':>6}  file: first lines")
    for obj, rule, severity, count, files, lines in rows:
        shown = ", ".join(str(n) for n in lines) + (" …" if count > len(lines) else "")
        print(f"{obj:<18} {rule:<42} {severity:<7} {count:>6}  {files}: {shown}")
    return 0


def _demo_confirm_map(export: Path) -> int:
    """The demo's stand-in for a person: propose the map, write the review sheet, confirm it as 'cpt demo'."""
    from core_practice_twenty.mapping.field_map import check_gate, confirm, field_map_path, load_map, save_map
    from core_practice_twenty.mapping.proposer import propose
    from core_practice_twenty.mapping.review import write_review

    path = field_map_path()
    if path.is_file() and check_gate(path, export).ok:
        print(f"field map: {path} (confirmed by {load_map(path).confirmation.confirmed_by}, still matches)")
        return 0
    proposed = propose(export)
    save_map(proposed, path)
    _csv, sheet = write_review(proposed, Settings.from_env().reports, map_path=path)
    save_map(confirm(proposed, export, "cpt demo", accept_all=True, map_path=path), path)
    print(f"field map: proposed {path} (review sheet {sheet}), confirmed as 'cpt demo'")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from core_practice_twenty.source.generator import generate_export

    started = time.monotonic()
    export = generate_export(Path(args.export), practices=args.practices, seed=args.seed)
    print(f"sample export: {export}")
    code = _demo_confirm_map(export)
    if code:
        return code
    with sandbox_process(Path(args.sandbox_db)) as (url, api_key):
        os.environ["TWENTY_API_URL"] = url
        os.environ["TWENTY_API_KEY"] = api_key
        print(f"local Twenty: {url} (state in {args.sandbox_db})", flush=True)
        code = _demo_sample(export) if args.wave != "sample" else 0
        if not code:
            code = migrate(export, args.wave)
    print(f"\ndemo finished in {time.monotonic() - started:.1f}s; `make ui` shows the runs and checks.")
    return code


def cmd_sample_accept(args: argparse.Namespace) -> int:
    """Record that a person read the sample's diff and accepts it: the other waves may then load."""
    from core_practice_twenty.lifecycle.acceptance import AcceptRefused, accept_sample
    from core_practice_twenty.store.warehouse import Warehouse, warehouse_path

    try:
        accepted = accept_sample(Warehouse(warehouse_path()), args.by)
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
    from core_practice_twenty.store.warehouse import Warehouse, warehouse_path

    if not args.all and not args.wave:
        print("cpt rollback: name the waves (--wave W, repeatable) or pass --all", file=sys.stderr)
        return 2
    if not args.preview:  # a preview reads only the audit log; undoing needs Twenty
        from core_practice_twenty.twenty.preflight import PreflightError, check_twenty

        try:
            settings = Settings.from_env()
            check_twenty(settings.twenty_api_url, settings.twenty_api_key)
        except PreflightError as exc:
            print(f"cpt rollback: {exc}", file=sys.stderr)
            return 2
    waves = [] if args.all else args.wave
    plan = plan_rollback(Warehouse(warehouse_path()), waves or None)
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
    with dg.DagsterInstance.get() as instance:
        result = run_rollback(instance, waves, remove_schema=args.remove_schema)
    summary = result.summary
    print(f"rollback run {result.run_id}: destroyed {summary.get('destroyed', {})}, "
          f"restored {summary.get('restored', {})}, schema removed {len(summary.get('schema_removed') or [])}")
    if not result.success:
        print(f"cpt rollback: {result.failure or 'failed'}; run the same command again to resume", file=sys.stderr)
        return 1
    print("Twenty is back to the baseline taken before the first wave." if summary.get("back_to_baseline")
          else "Twenty differs from the baseline: see the run's metadata (proof per object).")
    return 0 if summary.get("back_to_baseline") else 4


def _demo_sample(export: Path) -> int:
    """The sample wave first, accepted as `cpt demo` when its diff is clean (a person does this in real life)."""
    from core_practice_twenty.lifecycle.acceptance import AcceptRefused, accept_sample, current_acceptance
    from core_practice_twenty.store.warehouse import Warehouse, warehouse_path

    warehouse = Warehouse(warehouse_path())
    if current_acceptance(warehouse) is not None:
        print("sample: already accepted", flush=True)
        return 0
    code = migrate(export, "sample")
    if code:
        return code
    try:
        accepted = accept_sample(warehouse, "cpt demo")
    except AcceptRefused as exc:
        print(f"cpt demo: {exc}", file=sys.stderr)
        return 3
    print(f"\nsample accepted by {accepted.accepted_by} (data/reports/diff-sample.md); now the full wave\n", flush=True)
    return 0


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


UI_STOP_GRACE_S = 6.0
"""How long `dagster dev` gets to stop on SIGTERM before its whole process group is killed (cpt ui must be
gone within 10 s of a signal, the sandbox included)."""


def _stop_group(proc: subprocess.Popen, *, grace_s: float) -> int:
    """SIGTERM the process group of `proc`, wait `grace_s`, then SIGKILL whatever is left of it."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return proc.wait()
    with suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=grace_s)
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # children that outlived their parent (code servers, daemon)
    proc.wait()
    return 130  # stopped by a signal, as a shell reports it


def cmd_ui(args: argparse.Namespace) -> int:
    from core_practice_twenty.launcher import ensure_dagster_home

    ensure_dagster_home()
    signal.signal(signal.SIGTERM, _interrupt)  # stop the UI and the sandbox together
    with sandbox_process(Path(args.sandbox_db), args.sandbox_port) as (url, api_key):
        env = {**os.environ, "TWENTY_API_URL": url, "TWENTY_API_KEY": api_key}
        print(f"local Twenty: {url}; Dagster UI: http://127.0.0.1:{args.port}", flush=True)
        # its own process group: `dagster dev` starts a webserver, a daemon and code servers, and all of
        # them must go when cpt ui is stopped (systemctl stop, docker stop, Ctrl-C), leaving no port held
        proc = subprocess.Popen(
            [str(Path(sys.executable).with_name("dagster")), "dev", "-w", "workspace.yaml",
             "-h", "127.0.0.1", "-p", str(args.port)],
            env=env, start_new_session=True,
        )
        try:
            return proc.wait()
        except KeyboardInterrupt:
            print("cpt ui: stopping the Dagster UI and the local Twenty", file=sys.stderr, flush=True)
            return _stop_group(proc, grace_s=UI_STOP_GRACE_S)


def cmd_map_propose(args: argparse.Namespace) -> int:
    """Write a proposed field map and its review sheet; nothing loads until a person confirms it."""
    from core_practice_twenty.mapping.field_map import load_map, save_map
    from core_practice_twenty.mapping.proposer import propose
    from core_practice_twenty.mapping.review import write_review
    from core_practice_twenty.source.readers import ExportStructureError

    settings = Settings.from_env()
    export, out = Path(args.export), Path(args.out) if args.out else settings.field_map
    if _folder_refused("map propose", export):
        return 2
    try:
        field_map = propose(export, region=args.region)
    except ExportStructureError as exc:
        print(f"cpt map propose: {exc}", file=sys.stderr)
        return 2
    replaced_confirmed = False
    if out.is_file():
        try:
            replaced_confirmed = load_map(out).status == "confirmed"
        except Exception:  # an unreadable old map is simply replaced
            replaced_confirmed = False
    save_map(field_map, out)
    csv_path, md_path = write_review(field_map, Path(args.reports) if args.reports else settings.reports,
                                     map_path=out)
    undecided = len(field_map.undecided())
    print(f"proposed field map: {out} ({len(field_map.entries())} entries, {undecided} need a decision)")
    print(f"review sheet: {md_path} and {csv_path}")
    if replaced_confirmed:
        print("note: this replaced a confirmed map; it must be confirmed again before anything loads")
    print(f"next: review, resolve the needs_decision entries in {out}, then "
          f"`cpt map confirm --map {out} --export {export} --by \"Your Name\"`")
    return 0


def cmd_map_confirm(args: argparse.Namespace) -> int:
    """Record who confirmed the map and when, locked to the map and the export's columns."""
    from core_practice_twenty.mapping.field_map import ConfirmRefused, FieldMapError, confirm, load_map, save_map

    map_path, export = Path(args.map), Path(args.export)
    if _folder_refused("map confirm", export):
        return 2
    try:
        field_map = load_map(map_path)
        confirmed = confirm(field_map, export, args.by, accept_all=args.accept_all, map_path=map_path)
    except FieldMapError as exc:
        print(f"cpt map confirm: {exc}", file=sys.stderr)
        return 2
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


def _export_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--region", choices=REGION_CODES,
                        help="how ambiguous dates, states and postcodes are read (default: from practices' country)")
    parser.add_argument("--export-date", type=date.fromisoformat,
                        help="day the export was taken, YYYY-MM-DD (default: today); later dates are flagged")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cpt", description="Core Practice → Twenty migration")
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
    _export_options(w)
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
    _export_options(p)
    p.add_argument("--replace", action="store_true",
                   help="re-point a wave registered with another export folder (recorded in the audit log)")
    p.set_defaults(func=cmd_migrate)

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
    m.set_defaults(func=cmd_map_propose)
    m = map_sub.add_parser("confirm", help="confirm a reviewed map: records who, when and the fingerprint")
    m.add_argument("--map", required=True, help="map file (data/mapping/field-map.yaml)")
    m.add_argument("--export", required=True, help="the export snapshot folder the map is for")
    m.add_argument("--by", required=True, help="name of the person confirming")
    m.add_argument("--accept-all", action="store_true",
                   help="accept every entry still marked needs_decision as proposed (recorded in the map)")
    m.set_defaults(func=cmd_map_confirm)
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


if __name__ == "__main__":
    sys.exit(main())
