"""Which departures of a canonical column from its default entry the compiled plans can apply, and why not the rest.

The plans write each column where its entry's targets say, read by its transform (`mapping.sql.compile`): a column
sent to another field of its record (`patients.date_of_birth` → `people.recallDueDate`) is simply compiled there.
What a plan cannot apply is refused when the map is confirmed (`repoint_problem`), naming the entry: an edit either
changes what is sent or is refused, never silently ignored.
"""

from __future__ import annotations

from core_practice_twenty.mapping.default_map import DEFAULT_MAP, OPT_IN_TARGETS, POLICY_FIELDS, DefaultEntry
from core_practice_twenty.mapping.field_map.model import ColumnEntry, FieldMap

MOVABLE = frozenset({"rename", "date", "datetime", "money_micros", "status_map"})
"""Transforms whose value is one field's value, made from one column, that a plan compiles into any field the
transform fits (`mapping.sql.compile.compile_route`). Policies that span columns or records (a name split, phones
read together, an address composed by its country, the family email policy, relations, summaries) are not."""


def _default(source_object: str, entry: ColumnEntry) -> DefaultEntry | None:
    if len(entry.column) != 1:
        return None
    return DEFAULT_MAP.get((source_object, entry.column[0]))


def _policy_fields(source_object: str, default: DefaultEntry) -> list[str]:
    """The column's default fields a policy writes, reading the column by name."""
    found = []
    for target in default.targets:
        plural, _, path = target.partition(".")
        if path and path.partition(".")[0] in POLICY_FIELDS.get((source_object, plural), ()):
            found.append(target)
    return found


def _opt_in_problem(source_object: str, entry: ColumnEntry) -> str | None:
    """Why a column the default keeps out cannot be sent where the entry says (None: it can)."""
    column = entry.column[0]
    policy_reads = OPT_IN_TARGETS.get((source_object, column))
    if policy_reads is not None and entry.targets == (policy_reads,):
        return None
    taken = [t for t in entry.targets if t.partition(".")[2].partition(".")[0]
             in POLICY_FIELDS.get((source_object, t.partition(".")[0]), ())]
    hint = f"send it to {policy_reads}, or" if policy_reads else "send it to"
    if taken:
        return (f"a policy writes {', '.join(taken)} from other columns and does not read this one; {hint} a "
                f"field of the record no policy writes, or keep it excluded")
    if entry.transform.partition(":")[0] not in MOVABLE:
        allowed = ", ".join(sorted(MOVABLE - {"status_map"}))
        return f"a column the default keeps out can be sent as one value only ({allowed}), not by {entry.transform!r}"
    return None


def repoint_problem(source_object: str, entry: ColumnEntry) -> str | None:
    """Why the entry's departure from its column's default cannot be applied (None: it is the default, or the
    plans compile it: another field of the same record, or another single-column reading)."""
    if not entry.column or entry.header is None or entry.excluded:
        return None
    default = _default(source_object, entry)
    if default is None:
        return None  # several columns in one entry (a `Last, First` name) keep their transform's targets
    moved, read_otherwise = entry.targets != default.targets, entry.transform != default.transform
    if not moved and not read_otherwise:
        return None
    if default.transform == "excluded":
        return _opt_in_problem(source_object, entry)
    policy = _policy_fields(source_object, default)
    if policy:
        return (f"a policy makes {', '.join(policy)} from it with other columns or records (its transform is "
                f"{default.transform!r}); keep its targets and transform, or exclude the column")
    if default.targets and all("." not in t for t in default.targets):
        return (f"it goes into the {', '.join(default.targets)} record as a whole (the uploaded file, its name and "
                f"category), not into one field; keep its targets, or exclude the column")
    name, new = default.transform.partition(":")[0], entry.transform.partition(":")[0]
    if name not in MOVABLE:
        return (f"a {default.transform!r} column is read by a policy, not sent as one value (it goes to "
                f"{', '.join(default.targets)}); keep its targets and transform, or exclude the column")
    if read_otherwise and (new not in MOVABLE or new == "status_map"):
        allowed = ", ".join(sorted(MOVABLE - {"status_map"}))
        return (f"it can be read as one value only ({allowed}, or its own {default.transform!r}), not by "
                f"{entry.transform!r}; a status column keeps its value set's map (change values: instead)")
    if moved and (len(entry.targets) != 1 or len(default.targets) != 1):
        return f"name one field to send it to (its default is {', '.join(default.targets)})"
    if moved and entry.targets[0].partition(".")[0] != default.targets[0].partition(".")[0]:
        return (f"it can be sent to another field of {default.targets[0].partition('.')[0]} only (the record its "
                f"row becomes), not to {entry.targets[0]!r}")
    return None


def repointed(field_map: FieldMap) -> list[tuple[str, str, str]]:
    """(source object, column, field) of every canonical column the map sends to a field other than its default
    one (valid maps only: `repoint_problem` found nothing)."""
    found = []
    for source_object, entry in field_map.entries():
        if repoint_problem(source_object, entry) is not None or not entry.column or entry.excluded:
            continue
        default = _default(source_object, entry)
        if default is None or entry.targets == default.targets:
            continue
        if (OPT_IN_TARGETS.get((source_object, entry.column[0])),) == entry.targets:
            continue  # read together with the column already there (a preferred name beside the first name)
        found.extend((source_object, entry.column[0], target) for target in entry.targets)
    return found
