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
from contextlib import contextmanager
from pathlib import Path

import httpx

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
    from core_practice_twenty.sandbox import SandboxConfig, serve

    api_key = args.api_key or os.environ.get("TWENTY_API_KEY")
    if not api_key:
        print("cpt sandbox: give --api-key KEY (or set TWENTY_API_KEY)", file=sys.stderr)
        return 2
    config = SandboxConfig(db_path=Path(args.db), api_key=api_key, host=args.host, port=args.port,
                           batch_cap=args.batch_cap)
    serve(config)
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    from core_practice_twenty.source.generator import generate_export

    out = generate_export(Path(args.out), practices=args.practices, seed=args.seed, region=args.region)
    print(f"wrote sample export to {out}")
    return 0


def cmd_wave_add(args: argparse.Namespace) -> int:
    import dagster as dg

    from core_practice_twenty.launcher import ensure_dagster_home, register_wave
    from core_practice_twenty.store.warehouse import Warehouse, warehouse_path

    ensure_dagster_home()
    with dg.DagsterInstance.get() as instance:
        register_wave(instance, Warehouse(warehouse_path()), args.wave, Path(args.export))
    print(f"wave {args.wave!r} → {Path(args.export).resolve()}; materialize it from the UI or `cpt migrate`")
    return 0


def migrate(export_dir: Path, wave: str) -> int:
    """Register the wave, run it through Dagster, print the reconciliation; 0 only if all is well."""
    import dagster as dg

    from core_practice_twenty.launcher import ensure_dagster_home, register_wave, run_wave
    from core_practice_twenty.reconciliation import format_summary, reconcile
    from core_practice_twenty.store.warehouse import Warehouse, warehouse_path
    from core_practice_twenty.twenty.client import TwentyClient, TwentyConfigError

    ensure_dagster_home()
    warehouse = Warehouse(warehouse_path())
    try:
        client = TwentyClient.from_env()
    except TwentyConfigError as exc:
        print(f"cpt migrate: {exc}", file=sys.stderr)
        return 2
    with dg.DagsterInstance.get() as instance:
        try:
            register_wave(instance, warehouse, wave, export_dir)
        except FileNotFoundError as exc:
            print(f"cpt migrate: {exc}. Point --export at an export snapshot folder.", file=sys.stderr)
            return 2
        print(f"migrating {export_dir} as wave {wave!r} (Dagster home {os.environ['DAGSTER_HOME']})", flush=True)
        result = run_wave(instance, wave)
    with client:
        rows = reconcile(warehouse, wave, result.run_id, client)
    print(format_summary(wave, result.run_id, rows))
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
    return migrate(Path(args.export), args.wave)


def cmd_demo(args: argparse.Namespace) -> int:
    from core_practice_twenty.source.generator import generate_export

    started = time.monotonic()
    export = generate_export(Path(args.export), practices=args.practices, seed=args.seed)
    print(f"sample export: {export}")
    with sandbox_process(Path(args.sandbox_db)) as (url, api_key):
        os.environ["TWENTY_API_URL"] = url
        os.environ["TWENTY_API_KEY"] = api_key
        print(f"local Twenty: {url} (state in {args.sandbox_db})", flush=True)
        code = migrate(export, args.wave)
    print(f"\ndemo finished in {time.monotonic() - started:.1f}s; `make ui` shows the runs and checks.")
    return code


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def cmd_ui(args: argparse.Namespace) -> int:
    from core_practice_twenty.launcher import ensure_dagster_home

    ensure_dagster_home()
    signal.signal(signal.SIGTERM, _interrupt)  # stop the UI and the sandbox together
    with sandbox_process(Path(args.sandbox_db), args.sandbox_port) as (url, api_key):
        env = {**os.environ, "TWENTY_API_URL": url, "TWENTY_API_KEY": api_key}
        print(f"local Twenty: {url}; Dagster UI: http://127.0.0.1:{args.port}", flush=True)
        proc = subprocess.Popen(
            [str(Path(sys.executable).with_name("dagster")), "dev", "-w", "workspace.yaml",
             "-h", "127.0.0.1", "-p", str(args.port)],
            env=env,
        )
        try:
            return proc.wait()
        except KeyboardInterrupt:
            proc.send_signal(signal.SIGINT)
            return proc.wait(timeout=30)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cpt", description="Core Practice → Twenty migration")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("sandbox", help="run the local Twenty (REST + metadata API) on loopback")
    p.add_argument("--port", type=int, default=8021)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--db", default=str(SANDBOX_DB), help="SQLite file holding the workspace")
    p.add_argument("--api-key", help="bearer token the sandbox accepts (default: $TWENTY_API_KEY)")
    p.add_argument("--batch-cap", type=int, default=60)
    p.set_defaults(func=cmd_sandbox)

    p = sub.add_parser("generate", help="write a synthetic Core Practice export")
    p.add_argument("--out", required=True)
    p.add_argument("--region", default="AU", choices=["AU", "NZ", "US"])
    p.add_argument("--practices", type=int, default=8)
    p.add_argument("--seed", type=int, default=20261124)
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("wave", help="manage migration waves")
    wave_sub = p.add_subparsers(dest="wave_command", required=True)
    w = wave_sub.add_parser("add", help="register an export folder as a wave partition (for the UI)")
    w.add_argument("--export", required=True)
    w.add_argument("--wave", required=True)
    w.set_defaults(func=cmd_wave_add)

    p = sub.add_parser("migrate", help="run a wave through Dagster, headless, and reconcile")
    p.add_argument("--export", required=True, help="export snapshot folder")
    p.add_argument("--wave", default="full", help="wave partition name (sample, full, delta-…)")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("demo", help="generate a sample export and migrate it into a local Twenty")
    p.add_argument("--export", default=str(DEMO_EXPORT))
    p.add_argument("--sandbox-db", default=str(SANDBOX_DB))
    p.add_argument("--wave", default="full")
    p.add_argument("--practices", type=int, default=8)
    p.add_argument("--seed", type=int, default=20261124)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("ui", help="start the local Twenty and the Dagster UI on the same state")
    p.add_argument("--port", type=int, default=3000)
    p.add_argument("--sandbox-port", type=int, default=8021)
    p.add_argument("--sandbox-db", default=str(SANDBOX_DB))
    p.set_defaults(func=cmd_ui)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
