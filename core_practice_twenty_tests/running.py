"""Helpers shared by test files: a running local Twenty (in-process, or `cpt sandbox`), and a field map
confirmed as a person would."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from core_practice_twenty.sandbox import SandboxServer
from core_practice_twenty.twenty.client import TwentyClient


class RunningSandbox:
    def __init__(self, server: SandboxServer, api_key: str) -> None:
        self.server = server
        self.url = server.url
        self.api_key = api_key

    def client(self, **kwargs) -> TwentyClient:
        kwargs.setdefault("requests_per_minute", 0)
        return TwentyClient(self.url, self.api_key, **kwargs)


def confirm_field_map(export: Path) -> Path:
    """Propose the map for `export` and confirm it, as a person would with `cpt map propose/confirm`."""
    from core_practice_twenty.mapping.field_map import confirm, save_map
    from core_practice_twenty.mapping.proposer import propose
    from core_practice_twenty.settings import field_map_path

    path = field_map_path()
    save_map(confirm(propose(export), export, "test engineer", map_path=path), path)
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def cpt_sandbox(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "core_practice_twenty.cli", "sandbox", "--port", str(port),
               "--db", str(tmp_path / "cli.sqlite"), *args]  # fmt: skip
    proc = subprocess.Popen(command, env={**os.environ, **(env or {})})
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, "cpt sandbox exited"
            assert time.monotonic() < deadline, "cpt sandbox did not come up"
            time.sleep(0.1)
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
