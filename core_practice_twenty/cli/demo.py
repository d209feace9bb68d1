"""`cpt demo` (the whole flow on a generated export) and `cpt ui` (the Dagster UI on the same state)."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from contextlib import suppress
from pathlib import Path

from core_practice_twenty.cli.sandbox import sandbox_process
from core_practice_twenty.cli.waves import migrate
from core_practice_twenty.settings import Settings

DEMO_EXPORT = Path("data/exports/demo")


def demo_confirm_map(export: Path) -> int:
    """The demo's stand-in for a person: propose the map, write the review sheet, confirm it as 'cpt demo'."""
    from core_practice_twenty.mapping.field_map import check_gate, confirm, load_map, save_map
    from core_practice_twenty.mapping.proposer import propose
    from core_practice_twenty.mapping.review import write_review
    from core_practice_twenty.settings import field_map_path

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
    code = demo_confirm_map(export)
    if code:
        return code
    with sandbox_process(Path(args.sandbox_db)) as (url, api_key):
        os.environ["TWENTY_API_URL"] = url
        os.environ["TWENTY_API_KEY"] = api_key
        print(f"local Twenty: {url} (state in {args.sandbox_db})", flush=True)
        code = demo_sample(export) if args.wave != "sample" else 0
        if not code:
            code = migrate(export, args.wave)
    print(f"\ndemo finished in {time.monotonic() - started:.1f}s; `make ui` shows the runs and checks.")
    return code


def demo_sample(export: Path) -> int:
    """The sample wave first, accepted as `cpt demo` when its diff is clean (a person does this in real life)."""
    from core_practice_twenty.lifecycle.acceptance import AcceptRefused, accept_sample, current_acceptance
    from core_practice_twenty.store.warehouse import Warehouse

    warehouse = Warehouse.from_settings(Settings.from_env())
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


def interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


UI_STOP_GRACE_S = 6.0
"""How long `dagster dev` gets to stop on SIGTERM before its whole process group is killed (cpt ui must be
gone within 10 s of a signal, the sandbox included)."""


def stop_group(proc: subprocess.Popen, *, grace_s: float) -> int:
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
    signal.signal(signal.SIGTERM, interrupt)  # stop the UI and the sandbox together
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
            return stop_group(proc, grace_s=UI_STOP_GRACE_S)

