"""Configuration of the local Twenty sandbox.

The knobs are the ones that differ between real Twenty versions (batch cap, page size, profile), so
that rehearsals can play the version the practice actually runs (twenty-api.md §5, §16).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PROFILES = ("current", "legacy")


@dataclass
class SandboxConfig:
    """How one sandbox instance is started.

    ``db_path`` is the SQLite file that holds the whole workspace (metadata and records), so stopping
    and starting on the same file keeps state. ``batch_cap`` plays Twenty's ``QUERY_MAX_RECORDS``
    (60 historically, 200 later): the create-many limit and the maximum page size.
    ``profile`` picks the standard-object naming of a Twenty generation: ``current`` (task/note
    targets named ``targetPersonId`` …, 2026+) or ``legacy`` (``personId`` …). It only matters when a
    new database file is seeded; an existing file keeps the profile it was seeded with.
    """

    db_path: Path
    api_key: str
    host: str = "127.0.0.1"
    port: int = 0
    batch_cap: int = 60
    profile: str = "current"
    default_page_size: int = 60

    def __post_init__(self) -> None:
        self.db_path = Path(self.db_path)
        if self.profile not in PROFILES:
            raise ValueError(f"unknown sandbox profile {self.profile!r}; expected one of {PROFILES}")
        if self.batch_cap < 1:
            raise ValueError("batch_cap must be at least 1")
        if not self.api_key:
            raise ValueError("api_key must not be empty")
