"""Helpers shared by test files: a running local Twenty, and a field map confirmed as a person would."""

from __future__ import annotations

from pathlib import Path

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
    from core_practice_twenty.mapping.field_map import confirm, field_map_path, save_map
    from core_practice_twenty.mapping.proposer import propose

    path = field_map_path()
    save_map(confirm(propose(export), export, "test engineer", map_path=path), path)
    return path
