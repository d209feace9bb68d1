"""What makes a map invalid: unknown targets, transforms that do not fit, undecided entries."""

from __future__ import annotations

from core_practice_twenty.mapping.default_map import fit_problem, relation_problem, target_problem, transform_problem
from core_practice_twenty.mapping.field_map.model import FUND_NUMBER_COLUMNS, STATUSES, ColumnEntry, FieldMap
from core_practice_twenty.mapping.repoint import repoint_problem
from core_practice_twenty.mapping.sql import COMPILED_OBJECTS
from core_practice_twenty.mapping.target_model import STATUS_MAPS, TARGET_OBJECTS
from core_practice_twenty.model.identifiers import identifier_named
from core_practice_twenty.model.regions import REGION_CODES
from core_practice_twenty.source.export_spec import EXPORT_SPEC, normalise_header


def validate(field_map: FieldMap) -> list[str]:
    """Everything that makes a map unusable, one line each naming the entry (empty: usable)."""
    problems: list[str] = []
    if field_map.status not in STATUSES:
        problems.append(f"status {field_map.status!r} must be one of {', '.join(STATUSES)}")
    opts = field_map.options
    if opts.region not in REGION_CODES:
        problems.append(f"options.region {opts.region!r} must be one of {', '.join(REGION_CODES)}")
    for name in ("email_placeholder", "include_clinical_notes", "include_fund_numbers", "allow_cp1252_lines"):
        if not isinstance(getattr(opts, name), bool):
            problems.append(f"options.{name} must be true or false")
    if opts.fallback_owner_email is not None and "@" not in str(opts.fallback_owner_email):
        problems.append("options.fallback_owner_email must be an email address (or null)")
    for name in field_map.objects:
        if name not in EXPORT_SPEC:
            problems.append(f"objects.{name}: not a Core Practice object ({', '.join(EXPORT_SPEC)})")
    claimed: dict[tuple[str, str], str] = {}
    headers_seen: set[tuple[str, str]] = set()
    for name, entry in field_map.entries():
        spec = EXPORT_SPEC.get(name)
        where = f"{name} {entry.label}"
        if entry.header is not None:
            if (name, entry.header) in headers_seen:
                problems.append(f"{where}: header listed twice")
            headers_seen.add((name, entry.header))
        if spec is not None:
            for column in entry.column:
                if column not in spec.column_names:
                    problems.append(f"{where}: {column!r} is not a column of {name}")
                elif entry.header is not None:
                    if (name, column) in claimed:
                        problems.append(f"{where}: {name}.{column} is already the column {claimed[(name, column)]};"
                                        " one column per canonical name (exclude or re-point one)")
                    claimed[(name, column)] = repr(entry.header)
        if not 0.0 <= entry.confidence <= 1.0:
            problems.append(f"{where}: confidence must be between 0 and 1")
        if problem := transform_problem(entry.transform):
            problems.append(f"{where}: {problem}")
            continue
        problems += [f"{where}: {p}" for p in _identifier_problems(entry)]
        if entry.excluded:
            if entry.targets:
                problems.append(f"{where}: an excluded column has no targets (set targets: [])")
            if not entry.reason.strip():
                problems.append(f"{where}: say why the column is excluded (reason)")
            continue
        if not entry.targets and entry.transform != "json_summary":
            problems.append(f"{where}: no target (name a Twenty field, or set transform: excluded)")
        for target in entry.targets:
            if problem := target_problem(target, allow_new_field=not entry.column):
                hint = "" if not entry.column else " (a canonical column can only go to a field of the target model)"
                problems.append(f"{where}: {problem}{hint}")
            elif problem := fit_problem(entry.transform, target):
                problems.append(f"{where}: {problem}")
        if problem := relation_problem(entry.transform, entry.targets):
            problems.append(f"{where}: {problem}")
        if problem := repoint_problem(name, entry):
            problems.append(f"{where}: {problem}")
        problems += [f"{where}: {p}" for p in values_problems(name, entry)]
    problems.extend(_claimed_twice(field_map))
    mapped_fund = [f"{o}.{c}" for o, c in FUND_NUMBER_COLUMNS if column_included(field_map, o, c)]
    if mapped_fund and not opts.include_fund_numbers:
        problems.append(f"{', '.join(mapped_fund)} mapped but options.include_fund_numbers is false: "
                        "fund/Medicare numbers are sensitive; opt in with include_fund_numbers: true or exclude them")
    if opts.include_fund_numbers and not mapped_fund:
        problems.append("options.include_fund_numbers is true but no fund/Medicare number column is mapped to a field")
    return problems


def select_options(target: str) -> list[str]:
    """The options a status may be sent as into `target`: the field's own, else those the status maps send there."""
    plural, _, path = target.partition(".")
    obj = TARGET_OBJECTS.get(plural)
    field = next((f for f in obj.fields if f.name == path), None) if obj else None
    if field is not None and field.options:
        return [o["value"] for o in field.options]
    singular = obj.name_singular if obj else plural
    return sorted({v for name, m in STATUS_MAPS.items() if name.endswith(f"→{singular}.{path}") for v in m.values()})


def values_problems(source_object: str, entry: ColumnEntry) -> list[str]:
    """Why a status entry's own value map (`values:`) cannot be applied, one line each (empty: it can)."""
    if entry.values is None:
        return []
    if not entry.transform.startswith("status_map:"):
        return ["`values` is a status entry's own value map: it needs transform status_map:<key>"]
    if source_object not in COMPILED_OBJECTS:
        return [f"`values` on {source_object} are not applied yet (only on {', '.join(COMPILED_OBJECTS)}); "
                "remove them"]
    spec = EXPORT_SPEC[source_object].column(entry.column[0]) if len(entry.column) == 1 else None
    problems = []
    for target, pairs in entry.values.items():
        if target not in entry.targets:
            problems.append(f"values for {target!r}: not a target of this entry ({', '.join(entry.targets)})")
            continue
        allowed = select_options(target)
        for spelled, option in pairs.items():
            if spec is not None and spec.canonical_value(spelled) is None:
                problems.append(f"values for {target!r}: {spelled!r} is not a value of {source_object}."
                                f"{spec.name} ({', '.join(spec.values or ())})")
            if option is not None and option not in allowed:
                problems.append(f"values for {target!r}: {option!r} is not an option of that field "
                                f"({', '.join(allowed)}, or null to send nothing)")
    return problems


def identifier_of(entry: ColumnEntry) -> str | None:
    """The identifier a column holds: as the proposer found it (header or values), or as its header names it now
    (a person who removes the proposer's note does not remove the identifier)."""
    if entry.identifier:
        return entry.identifier
    if entry.header is None or entry.column:
        return None
    named = identifier_named([w for w in normalise_header(entry.header).split("_") if w])
    return named.name if named else None


def _identifier_problems(entry: ColumnEntry) -> list[str]:
    """An identifier goes to Twenty only when a person names the column and themselves (never by --accept-all)."""
    kind = identifier_of(entry)
    opt_in = entry.identifier_opt_in
    if opt_in is not None and (opt_in.get("column") != entry.header or not (opt_in.get("by") or "").strip()):
        return [f"identifier_opt_in must name this column exactly (column: {entry.header!r}) and the person who "
                f"decides (by: <name>)"]
    if kind is None or entry.excluded or opt_in is not None:
        return []
    return [f"holds {kind}s, which never go to a CRM by default. To send it anyway, add identifier_opt_in: "
            f"{{column: {entry.header!r}, by: <your name>}} to this entry; otherwise set transform: excluded and "
            f"targets: []"]


def _claimed_twice(field_map: FieldMap) -> list[str]:
    """A column re-pointed to a field another column already writes: one of them would overwrite the other."""
    from core_practice_twenty.mapping.repoint import repointed

    writers: dict[str, list[tuple[str, tuple[str, ...], str]]] = {}
    for source_object, entry in field_map.entries():
        if not entry.excluded and entry.column:
            for target in entry.targets:
                writers.setdefault(target, []).append((source_object, entry.column, f"{source_object} {entry.label}"))
    problems = []
    for source_object, column, target in repointed(field_map):
        others = [label for obj, columns, label in writers.get(target, ())
                  if (obj, columns) != (source_object, (column,))]
        if others:
            problems.append(f"{source_object} {column!r}: {target!r} is written by {', '.join(others)} "
                            f"too; exclude or re-point that column first")
    return problems


def column_included(field_map: FieldMap, source_object: str, column: str) -> bool:
    obj = field_map.objects.get(source_object)
    return bool(obj) and any(column in e.column and e.header is not None and not e.excluded for e in obj.columns)


