"""Staged records: one row per Twenty record to send, with the hash that makes reloads idempotent.

References between records (`$ref`)
-----------------------------------
Mapping runs before anything exists in Twenty, so a payload cannot hold the Twenty id of the
company or person it points at. It holds a reference instead, which the loader replaces with the
id from the id map just before sending:

    {"companyId": {"$ref": ["companies", "PR0001"]}}

`["companies", "PR0001"]` is (Twenty object plural, source key of the staged record). A reference
may sit at any depth of the payload (`ref()` builds one, `payload_refs()` lists them,
`resolve_refs()` substitutes them). Every reference is also a dependency of the record:
`make_staged_record` adds `"<object>:<source key>"` (`dependency()`) to `depends_on`, so the loader
can order loads (parents before children) and hold back a record whose dependency failed.

Loader directives (`$`-keys)
----------------------------
A top-level payload key starting with `$` is an instruction to the loader, never a Twenty field:
`$file` on attachments (`{"path": "documents/…", "mimeType": …, "sizeBytes": …, "sha256": …,
"upload": bool, "reason": …}`) says which file to upload first (or not, when too large).
`twenty_fields()` strips them. Both are part of the hash: a changed file is a changed record.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

REF = "$ref"


def payload_hash(payload: dict) -> str:
    """Stable hash of a payload: equal hash ⇒ nothing to send again."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class StagedRecord:
    source_key: str
    payload: dict
    payload_hash: str
    source_line: int | None = None
    depends_on: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())


def ref(object_plural: str, source_key: str) -> dict:
    """A reference to the record staged in `object_plural` under `source_key` (see module docstring)."""
    return {REF: [object_plural, str(source_key)]}


def is_ref(value: Any) -> bool:
    return (isinstance(value, dict) and set(value) == {REF} and isinstance(value[REF], list | tuple)
            and len(value[REF]) == 2)


def dependency(object_plural: str, source_key: str) -> str:
    """The `depends_on` entry for a record: `"companies:PR0001"`."""
    return f"{object_plural}:{source_key}"


def split_dependency(entry: str) -> tuple[str, str]:
    """`"companies:PR0001"` → `("companies", "PR0001")` (source keys may contain `:`; objects do not)."""
    object_plural, _, key = entry.partition(":")
    return object_plural, key


def payload_refs(payload: Any, path: str = "") -> Iterator[tuple[str, str, str]]:
    """Every reference in a payload as (field path, object plural, source key), in payload order."""
    if is_ref(payload):
        object_plural, key = payload[REF]
        yield path, str(object_plural), str(key)
    elif isinstance(payload, dict):
        for name, value in payload.items():
            yield from payload_refs(value, f"{path}.{name}" if path else str(name))
    elif isinstance(payload, list):
        for index, value in enumerate(payload):
            yield from payload_refs(value, f"{path}[{index}]")


def resolve_refs(payload: Any, lookup: Callable[[str, str], str | None]) -> tuple[Any, list[tuple[str, str, str]]]:
    """Replace every reference by `lookup(object_plural, source_key)`; return the new payload and the misses.

    A miss (lookup returns None) is left as None in the payload and listed, so the loader can hold the
    record back instead of sending a relation to nothing.
    """
    missing: list[tuple[str, str, str]] = []

    def walk(value: Any, path: str) -> Any:
        if is_ref(value):
            object_plural, key = (str(v) for v in value[REF])
            resolved = lookup(object_plural, key)
            if resolved is None:
                missing.append((path, object_plural, key))
            return resolved
        if isinstance(value, dict):
            return {k: walk(v, f"{path}.{k}" if path else str(k)) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, f"{path}[{i}]") for i, v in enumerate(value)]
        return value

    return walk(payload, ""), missing


def twenty_fields(payload: dict) -> dict:
    """The payload without loader directives (`$file`…): what is sent to Twenty (after `resolve_refs`)."""
    return {k: v for k, v in payload.items() if not k.startswith("$")}


def make_staged_record(*, source_key: str, payload: dict, source_line: int | None = None,
                       depends_on: tuple[str, ...] = (), notes: list[str] | tuple[str, ...] = ()) -> StagedRecord:
    """A staged record; the payload's references are added to `depends_on` (explicit entries first)."""
    derived = [dependency(obj, key) for _, obj, key in payload_refs(payload)]
    deps = tuple(dict.fromkeys([*depends_on, *derived]))
    return StagedRecord(source_key, payload, payload_hash(payload), source_line, deps, tuple(notes))
