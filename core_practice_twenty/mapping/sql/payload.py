"""Payloads as canonical JSON text built by DuckDB: the same bytes `model.staged.payload_hash` hashes in Python.

Python hashes `json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`. DuckDB's `to_json`
writes scalars the same way (UTF-8 kept, the same escapes), so an object is written here key by key in sorted order,
and its sha256 is the record's payload hash without the payload ever becoming a Python dict.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from core_practice_twenty.model.staged import REF
from core_practice_twenty.validation.sql_values import sql_string

NULL = "'null'"


def value(expression: str) -> str:
    """A SQL value as JSON text (`null` for NULL)."""
    return f"coalesce(to_json({expression})::varchar, {NULL})"


@dataclass(frozen=True)
class Member:
    """One key of a JSON object: `json` is SQL giving its JSON text; `present` (SQL boolean) leaves it out when
    false (`createdAt` only where the source has a usable time), None keeps it always."""

    name: str
    json: str
    present: str | None = None


def json_object(members: Iterable[Member]) -> str:
    """SQL for a JSON object with these members, keys sorted as `json.dumps(sort_keys=True)` sorts them."""
    parts = []
    for member in sorted(members, key=lambda m: m.name):
        key = sql_string('"' + member.name + '":')
        part = f"{key} || {member.json}"
        parts.append(part if member.present is None else f"case when {member.present} then {part} end")
    if not parts:
        return "'{}'"
    return "'{' || concat_ws(',', " + ", ".join(parts) + ") || '}'"


def json_list(items: Iterable[str]) -> str:
    """SQL for a JSON list of SQL strings, NULL items left out (a record's notes, its dependencies)."""
    parts = [f"to_json({item})::varchar" for item in items]
    if not parts:
        return "'[]'"
    return "'[' || concat_ws(',', " + ", ".join(parts) + ") || ']'"


def ref(object_plural: str, key: str) -> str:
    """SQL for `model.staged.ref(object_plural, key)` as JSON text (`key` a SQL expression)."""
    opening = sql_string('{"' + REF + '":["' + object_plural + '",')
    return f"{opening} || to_json({key})::varchar || ']}}'"


def dependency(object_plural: str, key: str) -> str:
    """SQL for `model.staged.dependency(object_plural, key)`: `people:P1`."""
    return f"{sql_string(object_plural + ':')} || {key}"


def json_text(data: object) -> str:
    """A Python reading's JSON value (a name, a phones field) as the payload writes it: keys sorted, no spaces,
    UTF-8 kept (`payload_hash`'s form), so DuckDB can splice it into a payload unchanged."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
