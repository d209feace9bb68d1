"""A person's re-pointing of a column, applied: the value the mapper wrote to the column's default field goes to the
field the confirmed map names instead.

The mappers (mapping/objects/) write each canonical column where the default map says; the confirmed map may send
a column elsewhere (`patients.date_of_birth` → `people.recallDueDate`, the practice's "Other Phone" into
`people.phones.primaryPhoneNumber`). Until the map's entries drive every payload (issue "the confirmed field map is
what runs"), the difference between the two is applied here as a move inside the staged payload, and what cannot be
applied as a move is refused when the map is confirmed (`repoint_problem`): an edit either changes what is sent or
is refused, never silently ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from core_practice_twenty.mapping.default_map import DEFAULT_MAP, DefaultEntry
from core_practice_twenty.mapping.field_map.model import ColumnEntry, FieldMap
from core_practice_twenty.mapping.objects.common import MappingResult
from core_practice_twenty.model.staged import StagedRecord, payload_hash

MOVABLE = frozenset({"rename", "date", "datetime", "phone_e164", "money_micros", "status_map", "country_alpha2"})
"""Transforms whose value is one field's value, made from one column: moved whole to another field. Policies that
span columns or records (names split, addresses composed, the family email policy, relations, summaries) are not."""


@dataclass(frozen=True)
class Move:
    source_object: str
    column: str
    target_object: str
    from_path: tuple[str, ...]
    to_path: tuple[str, ...]


def _default(source_object: str, entry: ColumnEntry) -> DefaultEntry | None:
    if len(entry.column) != 1:
        return None
    return DEFAULT_MAP.get((source_object, entry.column[0]))


def repoint_problem(source_object: str, entry: ColumnEntry) -> str | None:
    """Why the entry's departure from its column's default cannot be applied (None: it is the default, or a move)."""
    if not entry.column or entry.header is None or entry.excluded:
        return None
    default = _default(source_object, entry)
    if default is None:
        return None  # several columns in one entry (a `Last, First` name) keep their transform's targets
    if entry.transform.partition(":")[0] != default.transform.partition(":")[0] or (
            entry.transform != default.transform and default.transform.startswith("status_map")):
        return (f"the transform of a canonical column cannot be changed yet (its transform is "
                f"{default.transform!r}); keep it, or exclude the column")
    if entry.targets == default.targets:
        return None
    if default.targets and all("." not in t for t in default.targets):
        return (f"it goes into the {', '.join(default.targets)} record as a whole (the uploaded file, its name and "
                f"category), not into one field; keep its targets, or exclude the column")
    if default.transform.partition(":")[0] not in MOVABLE:
        return (f"a {default.transform!r} column cannot be sent to another field yet (it goes to "
                f"{', '.join(default.targets)}); keep its targets, or exclude the column")
    if len(entry.targets) != 1 or len(default.targets) != 1:
        return f"name one field to send it to (its default is {', '.join(default.targets)})"
    if entry.targets[0].partition(".")[0] != default.targets[0].partition(".")[0]:
        return (f"it can be sent to another field of {default.targets[0].partition('.')[0]} only (the record its "
                f"row becomes), not to {entry.targets[0]!r}")
    return None


def moves(field_map: FieldMap) -> list[Move]:
    """The re-pointings the confirmed map asks for (valid maps only: `repoint_problem` found nothing)."""
    found = []
    for source_object, entry in field_map.entries():
        if repoint_problem(source_object, entry) is not None or not entry.column or entry.excluded:
            continue
        default = _default(source_object, entry)
        if default is None or entry.targets == default.targets:
            continue
        target_object, _, old = default.targets[0].partition(".")
        new = entry.targets[0].partition(".")[2]
        found.append(Move(source_object, entry.column[0], target_object, tuple(old.split(".")),
                          tuple(new.split("."))))
    return found


def _take(payload: dict, path: tuple[str, ...]) -> tuple[bool, Any]:
    node: Any = payload
    for part in path[:-1]:
        if not isinstance(node, dict) or part not in node:
            return False, None
        node = node[part]
    if not isinstance(node, dict) or path[-1] not in node:
        return False, None
    return True, node.pop(path[-1])


def _put(payload: dict, path: tuple[str, ...], value: Any) -> None:
    node = payload
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node[path[-1]] = value


def apply_moves(results: Mapping[str, MappingResult], planned: list[Move]) -> None:
    """Move each re-pointed value inside the staged payloads of the records its source object became."""
    if not planned:
        return
    for result in results.values():
        wanted = [m for m in planned if m.source_object == result.source_object]
        if not wanted:
            continue
        if result.target:
            result.staged = [_moved(record, result.target, wanted) for record in result.staged]
        result.linked = {plural: [_moved(record, plural, wanted) for record in records]
                         for plural, records in result.linked.items()}


def _moved(record: StagedRecord, plural: str, wanted: list[Move]) -> StagedRecord:
    mine = [m for m in wanted if m.target_object == plural]
    if not mine:
        return record
    payload = {k: (dict(v) if isinstance(v, dict) else v) for k, v in record.payload.items()}
    taken = [(move, *_take(payload, move.from_path)) for move in mine]  # take all first: moves may swap fields
    for move, found, value in taken:
        if found:
            _put(payload, move.to_path, value)
    for key in [k for k, v in payload.items() if v == {}]:
        del payload[key]  # a composite whose only written part moved away
    return replace(record, payload=payload, payload_hash=payload_hash(payload))
