"""Configuration of the local Twenty sandbox.

The knobs are the ones that differ between real Twenty versions and deployments (batch cap, page size,
profile, rate limits, upload size), plus the test-only ones (seeded faults, control endpoints), so that
rehearsals can play the version and the conditions the practice actually has (twenty-api.md §5, §6, §16).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from core_practice_twenty.sandbox.versions import LIMITERS, NEWEST, PROFILE_ALIASES, TwentyVersion, version

PROFILES = tuple(PROFILE_ALIASES)

FAULT_ACTIONS = ("ok", "500", "502", "503", "reset", "lost_response", "429")


@dataclass
class RateLimitConfig:
    """Twenty's API throttle: one workspace-wide pair of token buckets, one token per request.

    Defaults are the self-hosted defaults of ``API_RATE_LIMITING_SHORT_LIMIT`` /
    ``API_RATE_LIMITING_SHORT_TTL_IN_MS`` / ``API_RATE_LIMITING_LONG_LIMIT`` /
    ``API_RATE_LIMITING_LONG_TTL_IN_MS`` (packages/twenty-server/src/engine/core-modules/twenty-config/
    config-variables.ts): 100 per 1,000 ms and 100 per 60,000 ms. ``enabled=False`` turns it off for
    tests that are not about throttling.
    """

    enabled: bool = True
    short_limit: int = 100
    short_window_ms: int = 1000
    long_limit: int = 100
    long_window_ms: int = 60_000

    def __post_init__(self) -> None:
        for name in ("short_limit", "short_window_ms", "long_limit", "long_window_ms"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"rate limit {name} must be at least 1")

    @classmethod
    def disabled(cls) -> RateLimitConfig:
        """No throttling at all (the project's own test fixtures use this)."""
        return cls(enabled=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RateLimitConfig:
        """Build from JSON (``/_sandbox/rate-limit`` body); unknown keys are an error, not ignored."""
        return _from_dict(cls, data)


@dataclass
class FaultConfig:
    """Seeded fault injection: what a flaky network, proxy or overloaded Twenty does to a client.

    Each API request draws once from a ``random.Random(seed)``; with the same seed and the same order of
    requests the same requests fail. ``script`` is consumed first, one action per request, for tests that
    need an exact sequence (``"ok"``, ``"500"``, ``"502"``, ``"503"``, ``"reset"``, ``"lost_response"``,
    ``"429"``). Then, in order: ``reset_rate`` (connection reset before the request is applied),
    ``lost_response_rate`` (request applied, connection reset instead of the response), ``error_rate``
    (one of ``error_statuses``, not applied), ``burst_429_rate`` (starts a run of ``burst_429_length``
    429 answers with ``Retry-After: burst_429_retry_after_s``). ``latency_ms`` (+ uniform
    ``latency_jitter_ms``) is added to every request. ``path_prefixes`` limits all of it to matching
    paths (e.g. ``["/rest/batch/"]``).
    """

    seed: int = 0
    error_rate: float = 0.0
    error_statuses: list[int] = field(default_factory=lambda: [500, 502, 503])
    latency_ms: float = 0.0
    latency_jitter_ms: float = 0.0
    reset_rate: float = 0.0
    lost_response_rate: float = 0.0
    burst_429_rate: float = 0.0
    burst_429_length: int = 5
    burst_429_retry_after_s: int = 1
    path_prefixes: list[str] | None = None
    script: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        for name in ("error_rate", "reset_rate", "lost_response_rate", "burst_429_rate"):
            value = float(getattr(self, name))
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"fault {name} must be between 0 and 1")
        if any(int(s) not in (500, 502, 503, 504) for s in self.error_statuses) or not self.error_statuses:
            raise ValueError("fault error_statuses must be a non-empty list of 500, 502, 503, 504")
        if self.latency_ms < 0 or self.latency_jitter_ms < 0:
            raise ValueError("fault latency must not be negative")
        if self.burst_429_length < 1 or self.burst_429_retry_after_s < 0:
            raise ValueError("fault burst_429_length must be ≥ 1 and burst_429_retry_after_s ≥ 0")
        unknown = [a for a in self.script if a not in FAULT_ACTIONS]
        if unknown:
            raise ValueError(f"unknown fault script action {unknown[0]!r}; expected one of {FAULT_ACTIONS}")

    @property
    def active(self) -> bool:
        """True when any fault can happen (lets the server skip the fault path entirely)."""
        return bool(
            self.script
            or self.error_rate
            or self.latency_ms
            or self.latency_jitter_ms
            or self.reset_rate
            or self.lost_response_rate
            or self.burst_429_rate
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FaultConfig:
        """Build from JSON (``/_sandbox/faults`` body); unknown keys are an error, not ignored."""
        return _from_dict(cls, data)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _from_dict(cls: type, data: dict[str, Any]) -> Any:
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"unknown setting {unknown[0]!r}; expected some of {sorted(known)}")
    return cls(**data)


def load_members(path: Path) -> list[dict[str, Any]]:
    """Workspace members from a JSON file: ``[{"email", "firstName", "lastName"}, …]`` (``cpt sandbox --members``)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a JSON array of members")
    return data


@dataclass
class SandboxConfig:
    """How one sandbox instance is started.

    ``db_path`` is the SQLite file that holds the whole workspace (metadata, records, uploaded files), so
    stopping and starting on the same file keeps state. ``twenty_version`` picks the Twenty version it
    plays (a row of ``sandbox/versions.py``: names, upload flows, batch cap, type names, standard fields;
    default the newest); ``rate_limiter`` (``legacy`` | ``usage-engine``) is independent of it (default
    ``legacy``, Twenty's self-hosted default). ``profile`` is the older name for a pair of them
    (``current`` = 2.38 + usage-engine, ``legacy`` = 1.16 + legacy). The version is fixed when a file is
    first seeded; an existing file keeps its own.

    ``batch_cap`` plays ``QUERY_MAX_RECORDS`` (create-many limit, maximum page size, bulk limit);
    ``None`` takes the version's value. ``workspace_members`` are seeded on start (Twenty members are
    invited in its UI, so the API refuses to write them): ``[{"email", "firstName", "lastName"}]``.
    ``control`` enables the sandbox-only ``/_sandbox/*`` endpoints (faults, rate limit, reset).
    """

    db_path: Path
    api_key: str
    host: str = "127.0.0.1"
    port: int = 0
    batch_cap: int | None = None
    profile: str | None = None
    twenty_version: str | None = None
    rate_limiter: str | None = None
    default_page_size: int = 60
    rate_limit: RateLimitConfig = field(default_factory=RateLimitConfig)
    faults: FaultConfig = field(default_factory=FaultConfig)
    workspace_members: list[dict[str, Any]] = field(default_factory=list)
    max_upload_bytes: int | None = None
    control: bool = True

    def __post_init__(self) -> None:
        self.db_path = Path(self.db_path)
        if self.profile is not None and self.profile not in PROFILES:
            raise ValueError(f"unknown sandbox profile {self.profile!r}; expected one of {PROFILES}")
        alias_version, alias_limiter = PROFILE_ALIASES.get(self.profile or "", (NEWEST, "legacy"))
        self.twenty_version = version(self.twenty_version or alias_version).version
        self.rate_limiter = self.rate_limiter or alias_limiter
        if self.rate_limiter not in LIMITERS:
            raise ValueError(f"unknown rate limiter {self.rate_limiter!r}; expected one of {LIMITERS}")
        if self.batch_cap is not None and self.batch_cap < 1:
            raise ValueError("batch_cap must be at least 1")
        if not self.api_key:
            raise ValueError("api_key must not be empty")
        if self.rate_limit is None:
            self.rate_limit = RateLimitConfig.disabled()
        elif isinstance(self.rate_limit, dict):
            self.rate_limit = RateLimitConfig.from_dict(self.rate_limit)
        if self.faults is None:
            self.faults = FaultConfig()
        elif isinstance(self.faults, dict):
            self.faults = FaultConfig.from_dict(self.faults)
        if self.max_upload_bytes is not None and self.max_upload_bytes < 1:
            raise ValueError("max_upload_bytes must be at least 1")
        for member in self.workspace_members:
            if not isinstance(member, dict) or not isinstance(member.get("email"), str) or "@" not in member["email"]:
                raise ValueError("each workspace member needs an 'email'")

    def cap_for(self, played: TwentyVersion) -> int:
        """The effective batch cap for the version the workspace plays."""
        return self.batch_cap if self.batch_cap is not None else played.batch_cap

    def upload_limit_for(self, played: TwentyVersion) -> int:
        """The effective upload size limit for the version the workspace plays."""
        return self.max_upload_bytes if self.max_upload_bytes is not None else played.max_upload_bytes
