"""The compiler of plans: a source object's accepted rows → its Twenty records, as SQL the confirmed map drives.

Each plan is the rows it reads (accepted, in the sample when there is one, each with its key, its zone and why it
is held back, if it is) and one `SELECT` per Twenty object it makes. A payload field the map routes a column to is
compiled from the entry's transform (`compile_route`): re-point `appointment_type` to another field of the task
and that field is what is sent. Policies that span columns or records are named here, one function each, and read
the core's decisions (`context`): a task's title, its assignee and targets; a note's title, author and fallback
creation time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from core_practice_twenty.mapping.default_map import DEFAULT_MAP
from core_practice_twenty.mapping.field_map.model import FieldMap
from core_practice_twenty.mapping.options import MappingOptions
from core_practice_twenty.mapping.sql import context as ctx
from core_practice_twenty.mapping.sql.cells import SqlCells, markdown
from core_practice_twenty.mapping.sql.payload import NULL, Member, json_object, ref, value
from core_practice_twenty.mapping.target_model import (
    STATUS_MAPS,
    TARGET_OBJECTS,
)
from core_practice_twenty.mapping.transforms import (
    as_region,
    canonical,
    codes_text,
    currency_code,
    parse_amount,
    region_currency,
    to_micros,
)
from core_practice_twenty.model.regions import REGION_FACTS
from core_practice_twenty.source.export_spec import EXPORT_SPEC, PROCEDURE_CODE_COLUMNS, ColumnType, ObjectSpec
from core_practice_twenty.store.issues import accepted_from
from core_practice_twenty.store.mapping_sql import PART, PARTS
from core_practice_twenty.store.raw import raw_table
from core_practice_twenty.validation.sql_values import sql_string

CREATED_AT = "createdAt"
STAGED_ROWS = "select count(*) from plan_rows r where r._hold is null"
"""A count query's start: the plan's rows that were staged."""


@dataclass(frozen=True)
class Route:
    """One included canonical column of the confirmed map: where it goes and how."""

    column: str
    targets: tuple[str, ...]
    transform: str
    values: dict[str, dict[str, str | None]] | None = None
    """A status entry's own value map per target (`ColumnEntry.values`)."""


def routes(field_map: FieldMap | None, source_object: str, options: MappingOptions) -> list[Route]:
    """The object's canonical columns as the confirmed map routes them (the default map without one)."""
    if field_map is not None and source_object in field_map.objects:
        found = [Route(e.column[0], e.targets, e.transform, e.values) for e in field_map.objects[source_object].columns
                 if len(e.column) == 1 and not e.excluded]
    else:
        found = [Route(column, d.targets, d.transform) for (obj, column), d in DEFAULT_MAP.items()
                 if obj == source_object and d.transform != "excluded"]
    return [r for r in found if options.includes(source_object, r.column)]


@dataclass
class StagedSelect:
    """One Twenty object's staged records: SQL giving source_key, source_line, payload, depends_on, notes."""

    target: str
    select: str


@dataclass
class ObjectPlan:
    """One source object's records as SQL; `rows` are read into `plan_rows` (alias `r` in the other queries)."""

    source_object: str
    target: str
    rows: str
    """SQL: the accepted rows with `_key`, `_zone` and `_hold` (NULL, or why the row is held back)."""
    staged: list[StagedSelect] = field(default_factory=list)
    cells: list[SqlCells] = field(default_factory=list)
    """Whose lookups the plan's queries join."""
    holds: list[str] = field(default_factory=list)
    """SQL giving (source object, source key, line, reason) of rows held back; the plan's own rows are added."""
    counts: dict[str, str] = field(default_factory=dict)
    """Count name (`invoice_lines.staged`, `unknown_status`) → SQL giving it (rows = staged + held back + excluded)."""
    excluded_all: bool = False
    """Every row counted excluded, nothing staged (clinical notes kept out by the map)."""
    decisions: list[str] = field(default_factory=list)
    """SQL giving the plan's decisions a person reads (ids and counts only), one JSON object per row."""

    def __post_init__(self) -> None:
        obj = self.source_object
        self.holds.insert(0, f"select {sql_string(obj)}, _key, source_line, _hold from plan_rows "
                             f"where _hold is not null order by source_line")
        self.counts = {f"{obj}.rows": "select count(*) from plan_rows", **self.counts}


def status_mapping(source_object: str, column: str, target: str, argument: str,
                   own: dict[str, str | None] | None = None) -> dict[str, str | None]:
    """Canonical value → the option a status entry sends into `target`: the map meant for that field
    (`appointments.status→task.status` for `tasks.status`) or the entry's own (`argument`), with the values a
    person named in the entry (`values:`, any spelling of the value set) over it."""
    plural, _, path = target.partition(".")
    singular = TARGET_OBJECTS[plural].name_singular
    name = f"{argument}→{singular}.{path}"
    mapping: dict[str, str | None] = dict(STATUS_MAPS[name if name in STATUS_MAPS else argument])
    for spelled, option in (own or {}).items():
        mapping[canonical(source_object, column, spelled) or spelled] = option
    return mapping


def micros_text(raw: str) -> str | None:
    """`transforms.to_micros(parse_amount(raw))` as text (NULL when the cell is not an amount)."""
    amount = parse_amount(raw)
    return None if amount is None else str(to_micros(amount))


def codes_of(cells: SqlCells, column: str) -> str:
    """A cell of codes in one spelling (`011, 114`); procedure codes restored in the region's coding system."""
    system = (REGION_FACTS[as_region(cells.options.region)].procedure_codes
              if (cells.source_object, column) in PROCEDURE_CODE_COLUMNS else None)
    return cells.lookup(f"codes_{column}", column, lambda raw: codes_text(raw, system))


def currency_of(cells: SqlCells, column: str) -> str:
    """The currency a row's amounts are in: its currency cell read as ISO 4217, else the region's."""
    region = cells.options.region
    found = cells.lookup(f"currency_{column}", column, lambda raw: currency_code(raw, region))
    return f"coalesce({found}, {sql_string(region_currency(region))})"


def compile_route(cells: SqlCells, route: Route, target: str, zone: str) -> Member | None:
    """The payload member one target of a route writes (None: the target is not a simple field of this record).

    The transform decides the reading; the target's place decides the rest: a status map meant for that field
    (`appointments.status→task.status`), a `datetime` into `createdAt` read as the original time (left out where
    there is none), a `rename` of a procedure-code column restored in the region's coding system, text into a
    rich-text `markdown` part escaped so it renders as written, a `rename` into a `currencyCode` read as ISO 4217,
    and a `relation` into a RELATION field written as a reference under the field's id name (`patientId`).
    """
    plural, _, path = target.partition(".")
    name, _, argument = route.transform.partition(":")
    cell = cells[route.column]
    if name == "rename":
        if EXPORT_SPEC[cells.source_object].column(route.column).type is ColumnType.CODES:
            sql = codes_of(cells, route.column)
        elif path.endswith(".markdown"):
            sql = markdown(cell)  # in SQL: every note body is different, a lookup would hold them all
        elif path.endswith(".currencyCode"):
            sql = currency_of(cells, route.column)
        else:
            sql = cell
        return Member(path, value(sql))
    if name == "date":
        return Member(path, value(cells.date(route.column)))
    if name == "datetime":
        if path == CREATED_AT:
            sql = cells.original_time(route.column, zone)
            return Member(path, value(sql), f"({sql}) is not null")
        return Member(path, value(cells.instant(route.column, zone)))
    if name == "status_map":
        column = route.column
        mapping = status_mapping(cells.source_object, column, target, argument, (route.values or {}).get(target))
        sql = cells.lookup("status_" + re.sub(r"\W+", "_", f"{column}_{target}"), column,
                           lambda raw: mapping.get(canonical(cells.source_object, column, raw) or ""))
        return Member(path, value(sql))
    if name == "money_micros":
        sql = cells.lookup(f"micros_{route.column}", route.column, micros_text)
        return Member(path, f"coalesce({sql}, {NULL})")
    if name == "relation" and "." not in path:
        fields = {f.name: f for f in TARGET_OBJECTS[plural].fields}
        if path in fields and fields[path].type == "RELATION":
            name = path if path.endswith("Id") else f"{path}Id"
            return Member(name, f"case when {cell} is null then {NULL} else {ref(argument, cell)} end")
    return None


def routed_members(cells: SqlCells, routes_: list[Route], plural: str, zone: str, policy: set[str]) -> list[Member]:
    """Every simple field the map routes into `plural`, composites nested.

    A composite is null when it has nothing: a CURRENCY when it has no amount (its currency is the row's or the
    region's), any other when every part is null (`bodyV2` without a body).
    """
    flat: list[Member] = []
    for route in routes_:
        for target in route.targets:
            obj, _, path = target.partition(".")
            if obj != plural or not path or path in policy or path.partition(".")[0] in policy:
                continue
            member = compile_route(cells, route, target, zone)
            if member is not None:
                flat.append(member)
    members = [m for m in flat if "." not in m.name]
    composites: dict[str, list[Member]] = {}
    for member in flat:
        if "." in member.name:
            head, _, rest = member.name.partition(".")
            composites.setdefault(head, []).append(Member(rest, member.json))
    for head, parts in composites.items():
        amount = next((p for p in parts if p.name == "amountMicros"), None)
        if amount is not None:
            if not any(p.name == "currencyCode" for p in parts):
                parts.append(Member("currencyCode", value(sql_string(region_currency(cells.options.region)))))
            empty = f"({amount.json}) = {NULL}"
        else:
            empty = " and ".join(f"({p.json}) = {NULL}" for p in parts)
        members.append(Member(head, f"case when {empty} then {NULL} else {json_object(parts)} end"))
    return members


def extras(cells: SqlCells, plural: str) -> list[Member]:
    """The practice's own columns a person sent to a field of this record (`options.extra_columns`), as text."""
    return [Member(t.twenty_field, value(cells.extra(t.source_column)), f"({cells.extra(t.source_column)}) is not null")
            for t in cells.options.extra_columns
            if t.source_object == cells.source_object and t.twenty_object == plural]


def with_extras(members: list[Member], extras: list[Member]) -> list[Member]:
    """A practice's own column written to a field another column writes wins where it has a value."""
    by_name = {m.name: m for m in members}
    for extra in extras:
        if extra.name in by_name:
            base = by_name.pop(extra.name)
            chosen = f"case when {extra.present} then {extra.json} else {base.json} end"
            by_name[extra.name] = Member(extra.name, chosen, base.present)
        else:
            by_name[extra.name] = extra
    return list(by_name.values())


def accepted(source_object: str, wave: str, sample: bool, alias: str = "r", joins: str = "") -> str:
    """`from` and `where` of a wave's rows validation accepted (and the sample keeps, in a sample wave)."""
    spec = EXPORT_SPEC[source_object]
    key = " || '|' || ".join(f'{alias}."{k}"' for k in spec.key)  # a source key as `wave.source_key` joins it
    only = (f" and {key} in (select source_key from {ctx.ONLY} where object = "
            f"{sql_string(source_object)})" if sample else "")
    return accepted_from(spec, alias, sql_string(wave), _merged_source(spec), joins) + only


PATIENT_KEY = "patients.patient_id"


def _merged_source(spec: ObjectSpec) -> str | None:
    """The raw table with every reference to a patient a person merged into another pointing at the one kept
    (`cpt duplicates decide`): the merged patient's appointments, notes, plans and documents go to the kept person."""
    columns = [c.name for c in spec.columns if c.references == PATIENT_KEY]
    if not columns:
        return None
    kept = ", ".join(f'coalesce((select m.kept_id from {ctx.MERGES} m where m.patient_id = x."{c}"), x."{c}") as "{c}"'
                     for c in columns)
    return f"(select * replace ({kept}) from {raw_table(spec)} x)"


def in_part(key: str) -> str:
    """SQL: the row's key falls in the slice being staged (every row when the plan runs in one slice).

    `store.mapping_sql.run_plan` stages a large object a slice of keys at a time: DuckDB holds an aggregate's rows
    in memory (an invoice's lines and payments ordered into its summary)."""
    return f"(hash({key}) % {PARTS} = {PART})"


def home_of(patient: str) -> str:
    """SQL: the practice id of a patient's primary practice (the core's decision), NULL for an unknown patient."""
    return f"(select h.practice_id from {ctx.HOMES} h where h.patient_id = {patient})"


def first_missing(wave: str, *dependencies: tuple[str, str]) -> str:
    """SQL: why the first of (object plural, key SQL) not staged is missing, or NULL (every one staged)."""
    return f"coalesce({', '.join(missing(plural, key, wave) for plural, key in dependencies)})"


def missing(plural: str, key: str, wave: str) -> str:
    """SQL: NULL when the record is staged in this wave, else why not (held back by its own plan, naming why; or
    not in the export)."""
    staged = f"(select source_key from stg_twenty_{plural} where wave = {sql_string(wave)})"
    held = f"(select p.reason from plan_held p where p.object = '{plural}' and p.source_key = {key})"
    return (f"case when {key} is not null and {key} not in {staged} then coalesce("
            f"'dependency_held_back: {plural} ' || {key} || ' (' || {held} || ')', "
            f"'dependency_missing: {plural} ' || {key}) end")


def zone_of(practice: str, context: ctx.MappingContext) -> str:
    return (f"coalesce((select z.zone from {ctx.ZONES} z where z.practice_id = {practice}), "
            f"{sql_string(context.default_zone)})")


def listed(*items: str) -> str:
    """SQL list of the non-NULL strings among `items` (each a SQL string expression), in order: a record's review
    reasons and notes."""
    return "list_filter([" + ", ".join(items) + "], lambda x: x is not null)"


def warned(source_object: str, key: str, wave: str, rule: str) -> str:
    """SQL: validation warned about the row whose source key is `key` with `rule` (a rule name: on any column;
    `rule:column`: on that one)."""
    match = f"v.rule = {sql_string(rule)}" if ":" in rule else (
        f"(v.rule = {sql_string(rule)} or v.rule like {sql_string(rule + ':%')})")
    return (f"exists (select 1 from validation_issues v where v.wave = {sql_string(wave)} and v.object = "
            f"{sql_string(source_object)} and v.severity = 'warn' and v.source_key = {key} and {match})")
