"""`cpt sandbox`: the local Twenty in its own process, and the helpers that start and wait for it."""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

from core_practice_twenty.settings import Settings

SANDBOX_DB = Path("data/sandbox/twenty.sqlite")


def free_port() -> int:
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
def sandbox_process(db: Path, port: int | None = None, options: Sequence[str] = ()) -> Iterator[tuple[str, str]]:
    """Start `cpt sandbox` in its own process with a fresh random API key; yield (url, key).

    Its own process, as Twenty is its own server: in a thread of the caller it would share the caller's GIL,
    and its work would be counted as the pipeline's. `options` are more `cpt sandbox` flags."""
    port = port or free_port()
    api_key = secrets.token_urlsafe(24)
    db.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "TWENTY_API_KEY": api_key}
    proc = subprocess.Popen(
        [sys.executable, "-m", "core_practice_twenty.cli", "sandbox", "--port", str(port), "--db", str(db), *options],
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
            short_limit, short_ms = limit_pair(args.rate_limit_short)
            long_limit, long_ms = limit_pair(args.rate_limit_long)
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


def limit_pair(text: str) -> tuple[int, int]:
    """`100/1000` → (100 requests, 1000 ms)."""
    count, _, window = text.partition("/")
    try:
        return int(count), int(window)
    except ValueError:
        raise ValueError(f"rate limit {text!r}: expected REQUESTS/WINDOW_MS, e.g. 100/60000") from None

