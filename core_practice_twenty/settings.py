"""Every setting a person may change, in one table: its environment variable, default, meaning and bounds.

Why one table: a default stated in two modules drifts apart (the upload limit was 10 MB in validation and
100 MB in the client, so a 50 MB X-ray was flagged too large for a Twenty that accepts it). The entry points
(`cpt`, the Dagster resources) read the environment once with `Settings.from_env()` and hand values down;
README.md's settings table is checked against this one by a test (core_practice_twenty_tests/test_settings.py).
Environment values are configuration, never health data, so an error may quote them; the API key is never
shown (`repr` hides it).
"""

from __future__ import annotations

import os
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any

MIB = 1024 * 1024


class SettingsError(ValueError):
    """A variable in the environment that cannot be used: names it, what it holds and what it should hold."""


def _setting(env: str, default: Any, meaning: str, *, shown: str | None = None,
             check: Callable[[Any], bool] | None = None, expected: str = "", secret: bool = False) -> Any:
    return field(default=default, repr=not secret, metadata={
        "env": env, "meaning": meaning, "shown": shown, "check": check, "expected": expected,
    })


def _share(value: float) -> bool:
    return 0 <= value <= 1


def _at_least_one(value: float | None) -> bool:
    return value is None or value >= 1


def _not_negative(value: float) -> bool:
    return value >= 0


@dataclass(frozen=True)
class Settings:
    """What a run may be told from outside. Defaults are the values a practice runs with."""

    twenty_api_url: str = _setting("TWENTY_API_URL", "", "the Twenty workspace (e.g. https://crm.example.com)",
                                   shown="– (the demo sets its own)")
    twenty_api_key: str = _setting("TWENTY_API_KEY", "", "its API key (Settings → APIs & Webhooks in Twenty)",
                                   shown="– (the demo sets its own)", secret=True)
    requests_per_minute: float = _setting(
        "TWENTY_REQUESTS_PER_MINUTE", 100.0, "client-side pace (Twenty's self-hosted default); 0 = unpaced (tests)",
        check=_not_negative, expected="a number of requests per minute, 0 or more")
    retry_base_s: float = _setting(
        "TWENTY_RETRY_BASE_S", 1.0, "first wait between retries of a failed request, doubling to 60 s, 8 attempts "
        "(`twenty/retry.py`; `Retry-After` always wins; tests set 0)",
        check=_not_negative, expected="seconds, 0 or more")
    batch_cap: int | None = _setting(
        "TWENTY_BATCH_CAP", None, "records per batch request: unset, the client learns the server's cap at the start "
        "of a run (200 on current Twenty) without writing anything (`twenty/facts.py`); set, it is a ceiling that "
        "wins", shown="– (learned)", check=_at_least_one, expected="a whole number of records, 1 or more")
    max_upload_mb: float | None = _setting(
        "TWENTY_MAX_UPLOAD_MB", None, "the largest document sent to Twenty; larger ones are flagged "
        "(`document_too_large`), referenced, not uploaded. Unset: the limit of the Twenty the wave writes to, "
        "learned from its upload flow (100 MB with Files v2, 10 MB before), and a smaller one from its refusal",
        shown="– (learned)", check=lambda mb: mb is None or mb > 0, expected="megabytes, above 0")
    upload_concurrency: int = _setting(
        "CPT_UPLOAD_CONCURRENCY", 4, "documents uploaded side by side within a batch (Twenty does not charge "
        "uploads to the API throttle, so they do not slow the record batches)",
        check=_at_least_one, expected="a whole number, 1 or more")
    warehouse: Path = _setting("CPT_WAREHOUSE", Path("data/warehouse.duckdb"), "the DuckDB file")
    duckdb_memory: str = _setting("CPT_DUCKDB_MEMORY", "1GB", "DuckDB's memory limit (it spills to disk beyond)")
    max_change_rate: float = _setting(
        "CPT_MAX_CHANGE_RATE", 0.05, "share of a wave's records already in Twenty whose name, birth date, email or "
        "phone may change before the wave waits for `cpt wave approve-changes` (any garbled change always waits)",
        check=_share, expected="a share between 0 and 1")
    max_shrink: float = _setting(
        "CPT_MAX_SHRINK", 0.2, "share of the previous snapshot's rows a delta's file may lose before the wave stops "
        "(blocking check `no_file_shrunk`)", check=_share, expected="a share between 0 and 1")
    max_reject_rate: float = _setting(
        "CPT_MAX_REJECT_RATE", 0.10, "share of rejected rows in one export file above which the wave is blocked",
        check=_share, expected="a share between 0 and 1")
    dagster_home: Path = _setting("DAGSTER_HOME", Path(".dagster_home"),
                                  "Dagster instance (runs, check results, partitions)", shown="`./.dagster_home`")
    field_map: Path = _setting("CPT_FIELD_MAP", Path("data/mapping/field-map.yaml"), "the field map")
    reports: Path = _setting("CPT_REPORTS", Path("data/reports"),
                             "reports a person reads (review sheet, diffs, reconciliation, workflows)")
    logs: Path = _setting("CPT_LOGS", Path("data/logs"), "where `cpt` writes the details of an unexpected error "
                          "(the terminal shows one line and the file's path)")
    sample_gate: bool = _setting("CPT_SAMPLE_GATE", True, "`off` lets waves load without an accepted sample "
                                 "(development and tests only)", shown="on")
    sample_seed: int = _setting("CPT_SAMPLE_SEED", 0, "seed of the sample's choice of patients and of the records "
                                "a wave's diff reads (another seed, another sample of the same export)")
    diff_slice: int = _setting("CPT_DIFF_SLICE", 20, "records per object field-diffed after a full or delta wave "
                               "(the sample is diffed whole)", check=_not_negative, expected="a whole number")
    cutover_start: datetime | None = _setting(
        "CPT_CUTOVER_START", None, "start of the cutover window in which `delta_pickup` turns new snapshots into "
        "waves", expected="an ISO 8601 date-time with its time zone (e.g. 2025-03-01T18:00:00+11:00)",
        check=lambda start: start is None or start.tzinfo is not None)
    cutover_hours: float = _setting("CPT_CUTOVER_HOURS", 48.0, "length of the cutover window, in hours",
                                    check=lambda hours: hours > 0, expected="a number of hours above 0")
    drop_dir: Path = _setting("CPT_DROP_DIR", Path("data/exports/drop"),
                              "where delta export snapshots are dropped during cutover")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read and check every setting; an empty variable counts as unset. Raises SettingsError."""
        environ = os.environ if environ is None else environ
        for old, new in RETIRED.items():
            if (environ.get(old) or "").strip():
                raise SettingsError(f"{old} is no longer read: set {new} instead (see README.md, Settings).")
        hints = typing.get_type_hints(cls)
        values: dict[str, Any] = {}
        for spec in fields(cls):
            raw = (environ.get(spec.metadata["env"]) or "").strip()
            if raw:
                values[spec.name] = _parse(spec.metadata, hints[spec.name], raw)
        settings = cls(**values)
        for spec in fields(cls):
            check = spec.metadata["check"]
            if check is not None and not check(getattr(settings, spec.name)):
                shown = "(hidden)" if not spec.repr else repr(environ.get(spec.metadata["env"]))
                raise SettingsError(f"{spec.metadata['env']}={shown} cannot be used: expected "
                                    f"{spec.metadata['expected']}.")
        return settings

    @property
    def max_upload_bytes(self) -> int | None:
        """TWENTY_MAX_UPLOAD_MB in bytes, or None (the upload flow's own limit)."""
        return None if self.max_upload_mb is None else int(self.max_upload_mb * MIB)


RETIRED = {"CPT_MAX_UPLOAD_BYTES": "TWENTY_MAX_UPLOAD_MB (megabytes; one limit for validation and the client)"}
"""Variables earlier versions read: set, they stop a run instead of being ignored."""

_FALSE = {"off", "0", "false", "no"}
_TRUE = {"on", "1", "true", "yes"}


def _parse(meta: Mapping[str, Any], hint: Any, raw: str) -> Any:
    kind = next((t for t in typing.get_args(hint) if t is not type(None)), hint)
    env = meta["env"]
    try:
        if kind is bool:
            if raw.lower() not in _FALSE | _TRUE:
                raise ValueError(raw)
            return raw.lower() in _TRUE
        if kind is datetime:
            return datetime.fromisoformat(raw.replace("Z", "+00:00"))
        if kind is int:
            return int(raw)
        if kind is float:
            return float(raw)
        if kind is Path:
            return Path(raw).expanduser()
        return raw
    except ValueError as exc:
        expected = meta["expected"] or {bool: "on or off", int: "a whole number", float: "a number"}.get(kind, "")
        raise SettingsError(f"{env}={raw!r} cannot be read: expected {expected}.") from exc


def settings_table() -> list[tuple[str, str, str]]:
    """(variable, default as shown, meaning) per setting, in the table's order: what README.md lists."""
    rows = []
    for spec in fields(Settings):
        meta = spec.metadata
        shown = meta["shown"] or _shown(spec.default)
        rows.append((meta["env"], shown, meta["meaning"]))
    return rows


def _shown(default: Any) -> str:
    if default is None:
        return "–"
    if isinstance(default, Path):
        return f"`{default.as_posix()}`"
    if isinstance(default, float) and default.is_integer():
        return str(int(default))
    return str(default)


def reports_dir() -> Path:
    """Where the reports a person reads are written (CPT_REPORTS): for entry points (`cpt`, defs/)."""
    return Settings.from_env().reports


def field_map_path() -> Path:
    """The map the pipeline loads with (CPT_FIELD_MAP): for entry points (`cpt`, defs/)."""
    return Settings.from_env().field_map
