"""Compiled plans: a source object's accepted rows → its Twenty records, as SQL the confirmed map drives.

Each plan is the rows it reads (accepted, in the sample when there is one, each with its key, its zone and why it
is held back, if it is) and one `SELECT` per Twenty object it makes. A payload field the map routes a column to is
compiled from the entry's transform (`compile_route`): re-point `appointment_type` to another field of the task
and that field is what is sent. Policies that span columns or records are named here, one function each, and read
the core's decisions (`context`): a task's title, its assignee and targets; a note's title, author and fallback
creation time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from core_practice_twenty.mapping.default_map import DEFAULT_MAP
from core_practice_twenty.mapping.field_map.model import FieldMap
from core_practice_twenty.mapping.objects.common import DEFAULT_TARGET_FIELDS
from core_practice_twenty.mapping.objects.tasks import target_key
from core_practice_twenty.mapping.options import MappingOptions
from core_practice_twenty.mapping.sql import context as ctx
from core_practice_twenty.mapping.sql.cells import SqlCells
from core_practice_twenty.mapping.sql.payload import Member, dependency, json_list, json_object, ref, value
from core_practice_twenty.mapping.target_model import (
    COMPANIES,
    NOTE_TARGETS,
    NOTES,
    PEOPLE,
    STATUS_MAPS,
    TARGET_OBJECTS,
    TASK_TARGETS,
    TASKS,
)
from core_practice_twenty.mapping.transforms import as_region, codes_text, plain_text_markdown, status_value
from core_practice_twenty.model.regions import REGION_FACTS
from core_practice_twenty.source.export_spec import EXPORT_SPEC, PROCEDURE_CODE_COLUMNS
from core_practice_twenty.validation.sql_values import sql_string

COMPILED = ("appointments", "clinical_notes")
"""Source objects mapped by a compiled plan (the others still by their Python mapper in mapping/objects)."""
CREATED_AT = "createdAt"


@dataclass(frozen=True)
class Route:
    """One included canonical column of the confirmed map: where it goes and how."""

    column: str
    targets: tuple[str, ...]
    transform: str


def routes(field_map: FieldMap | None, source_object: str, options: MappingOptions) -> list[Route]:
    """The object's canonical columns as the confirmed map routes them (the default map without one)."""
    if field_map is not None and source_object in field_map.objects:
        found = [Route(e.column[0], e.targets, e.transform) for e in field_map.objects[source_object].columns
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
    source_object: str
    target: str
    rows: str
    """SQL: the accepted rows with `_key`, `_zone` and `_hold` (NULL, or why the row is held back)."""
    staged: list[StagedSelect] = field(default_factory=list)
    cells: SqlCells | None = None
    excluded_all: bool = False
    """Every row counted excluded, nothing staged (clinical notes kept out by the map)."""
    unknown_status: str | None = None
    """SQL condition over a staged row: its status was not recognised (counted, as the Python mapper counted)."""


def compile_route(cells: SqlCells, route: Route, target: str, zone: str) -> Member | None:
    """The payload member one target of a route writes (None: the target is not a simple field of this record).

    The transform decides the reading; the target's place decides the rest: a status map meant for that field
    (`appointments.status→task.status`), a `datetime` into `createdAt` read as the original time (left out where
    there is none), a `rename` of a procedure-code column restored in the region's coding system, and text into a
    rich-text `markdown` part escaped so it renders as written.
    """
    plural, _, path = target.partition(".")
    name, _, argument = route.transform.partition(":")
    cell = cells[route.column]
    if name == "rename":
        if (cells.source_object, route.column) in PROCEDURE_CODE_COLUMNS:
            system = REGION_FACTS[as_region(cells.options.region)].procedure_codes
            sql = cells.lookup(f"codes_{route.column}", route.column, lambda raw: codes_text(raw, system))
        elif path.endswith(".markdown"):
            sql = cells.lookup(f"markdown_{route.column}", route.column, plain_text_markdown)
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
        singular = TARGET_OBJECTS[plural].name_singular
        map_name = f"{argument}→{singular}.{path}" if f"{argument}→{singular}.{path}" in STATUS_MAPS else argument
        source, column = cells.source_object, route.column
        sql = cells.lookup("status_" + re.sub(r"\W+", "_", map_name), route.column,
                           lambda raw: status_value(map_name, source, column, raw))
        return Member(path, value(sql))
    return None


def _members(cells: SqlCells, routes_: list[Route], plural: str, zone: str, policy: set[str]) -> list[Member]:
    """Every simple field the map routes into `plural`, composites (`bodyV2.markdown`) nested, NULL when empty."""
    flat: list[Member] = []
    for route in routes_:
        for target in route.targets:
            obj, _, path = target.partition(".")
            if obj != plural or not path or path in policy:
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
        empty = " and ".join(f"({p.json}) = 'null'" for p in parts)
        members.append(Member(head, f"case when {empty} then 'null' else {json_object(parts)} end"))
    return members


def _extras(cells: SqlCells, plural: str) -> list[Member]:
    """The practice's own columns a person sent to a field of this record (`options.extra_columns`), as text."""
    return [Member(t.twenty_field, value(cells.extra(t.source_column)), f"({cells.extra(t.source_column)}) is not null")
            for t in cells.options.extra_columns
            if t.source_object == cells.source_object and t.twenty_object == plural]


def _with_extras(members: list[Member], extras: list[Member]) -> list[Member]:
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


def _accepted(source_object: str, wave: str, sample: bool) -> str:
    spec = EXPORT_SPEC[source_object]
    key = spec.key[0]
    only = (f" and r.\"{key}\" in (select source_key from {ctx.ONLY} where object = {sql_string(source_object)})"
            if sample else "")
    return (f"from raw_{source_object} r where r.wave = {sql_string(wave)} and r.source_line not in "
            f"(select source_line from validation_issues where wave = {sql_string(wave)} and object = "
            f"{sql_string(source_object)} and severity = 'reject'){only}")


def _missing(plural: str, key: str, wave: str) -> str:
    """`Available.missing` in SQL: NULL when the record is staged in this wave, else why not."""
    staged = f"(select source_key from stg_twenty_{plural} where wave = {sql_string(wave)})"
    held = f"(select h.reason from {ctx.HELD} h where h.object = '{plural}' and h.source_key = {key})"
    return (f"case when {key} is not null and {key} not in {staged} then coalesce("
            f"'dependency_held_back: {plural} ' || {key} || ' (' || {held} || ')', "
            f"'dependency_missing: {plural} ' || {key}) end")


def _zone_of(practice: str, context: ctx.MappingContext) -> str:
    return (f"coalesce((select z.zone from {ctx.ZONES} z where z.practice_id = {practice}), "
            f"{sql_string(context.default_zone)})")


def appointments_plan(wave: str, options: MappingOptions, context: ctx.MappingContext,
                      field_map: FieldMap | None = None,
                      target_field_names: Mapping[str, str] | None = None) -> ObjectPlan:
    """Appointments → tasks and task targets (see `objects.tasks.map_appointments`, whose records these equal)."""
    source = "appointments"
    cells = SqlCells(source, options)
    patient, practice = cells["patient_id"], cells["practice_id"]
    hold = f"coalesce({_missing(PEOPLE.name_plural, patient, wave)}, {_missing(COMPANIES.name_plural, practice, wave)})"
    rows = (f"select r.*, r.appointment_id as _key, {_zone_of(practice, context)} as _zone, {hold} as _hold "
            f"{_accepted(source, wave, context.sample)}")
    routed = routes(field_map, source, options)
    members = _members(cells, routed, TASKS.name_plural, "r._zone", {"title"})
    codes_sql = _codes_text(cells, options)
    kind = cells["appointment_type"]
    title = (f"coalesce({kind}, 'Appointment') || case when ({codes_sql}) is not null then ' (' || ({codes_sql}) "
             f"|| ')' else '' end")
    provider = cells["provider_id"]
    fallback = sql_string(context.fallback_member_id) if context.fallback_member_id else "null::varchar"
    assignee = (f"case when {provider} in (select provider_id from {ctx.ASSIGNEES}) then (select a.member_id from "
                f"{ctx.ASSIGNEES} a where a.provider_id = {provider}) else {fallback} end")
    members += [Member("title", value(title)), Member("assigneeId", value(assignee))]
    members = _with_extras(members, _extras(cells, TASKS.name_plural))
    task = StagedSelect(TASKS.name_plural,
                        f"select r._key as source_key, r.source_line, {json_object(members)} as payload, '[]' as "
                        f"depends_on, case when ({assignee}) is null then '[\"no_assignee\"]' else '[]' end as notes "
                        f"from plan_rows r where r._hold is null")
    fields = {**DEFAULT_TARGET_FIELDS, **(target_field_names or {})}
    link = TASK_TARGETS.name_plural
    person = json_object([Member("taskId", ref(TASKS.name_plural, "r._key")),
                          Member(fields["person"], ref(PEOPLE.name_plural, patient))])
    company_key = f"coalesce({practice}, (select h.practice_id from {ctx.HOMES} h where h.patient_id = {patient}))"
    company = json_object([Member("taskId", ref(TASKS.name_plural, "r._key")),
                           Member(fields["company"], ref(COMPANIES.name_plural, company_key))])
    targets = StagedSelect(link, (
        f"select r._key || {sql_string(target_key('', 'person'))} as source_key, "
        f"r.source_line, {person} as payload, "
        f"{json_list([dependency(TASKS.name_plural, 'r._key'), dependency(PEOPLE.name_plural, patient)])} "
        f"as depends_on, '[]' as notes from plan_rows r where r._hold is null "
        f"union all select r._key || {sql_string(target_key('', 'company'))}, r.source_line, {company}, "
        f"{json_list([dependency(TASKS.name_plural, 'r._key'), dependency(COMPANIES.name_plural, company_key)])}, "
        f"'[]' from plan_rows r where r._hold is null and ({company_key}) is not null"))
    status = cells.lookup("canonical_status", "status", lambda raw: _canonical(source, "status", raw))
    return ObjectPlan(source, TASKS.name_plural, rows, [task, targets], cells,
                      unknown_status=f"({status}) is null")


def _canonical(source_object: str, column: str, raw: str) -> str | None:
    return EXPORT_SPEC[source_object].column(column).canonical_value(raw)


def _codes_text(cells: SqlCells, options: MappingOptions) -> str:
    """The appointment's procedure codes as the task title writes them (whatever field the map sends them to)."""
    system = REGION_FACTS[as_region(options.region)].procedure_codes
    return cells.lookup("codes_procedure_codes", "procedure_codes", lambda raw: codes_text(raw, system))


def clinical_notes_plan(wave: str, options: MappingOptions, context: ctx.MappingContext,
                        field_map: FieldMap | None = None,
                        target_field_names: Mapping[str, str] | None = None) -> ObjectPlan:
    """Clinical notes → notes and note targets (see `objects.notes.map_clinical_notes`)."""
    source = "clinical_notes"
    cells = SqlCells(source, options)
    patient = cells["patient_id"]
    home = f"(select h.practice_id from {ctx.HOMES} h where h.patient_id = {patient})"
    rows = (f"select r.*, r.note_id as _key, {_zone_of(home, context)} as _zone, "
            f"{_missing(PEOPLE.name_plural, patient, wave)} as _hold {_accepted(source, wave, context.sample)}")
    if not options.include_clinical_notes:
        return ObjectPlan(source, NOTES.name_plural, rows, [], cells, excluded_all=True)
    routed = routes(field_map, source, options)
    members = _members(cells, routed, NOTES.name_plural, "r._zone", {"title", "authorDoctor"})
    day = cells.date("note_date")
    kind = f"coalesce({cells['note_type']}, 'Clinical')"
    kind_title = f"case when lower({kind}) like '%note' then {kind} else {kind} || ' note' end"
    title = f"{kind_title} || case when ({day}) is not null then ' ' || ({day}) else '' end"
    provider = cells["provider_id"]
    author = (f"case when {provider} is not null then (select p.name from {ctx.PROVIDER_NAMES} p "
              f"where p.provider_id = {provider}) end")
    members += [Member("title", value(title)), Member("authorDoctor", value(author))]
    created = next((m for m in members if m.name == CREATED_AT), None)
    if created is not None and cells.included("created_at"):  # no creation time: the note's date
        fallback = cells.original_time("note_date", "r._zone")
        members = [m for m in members if m.name != CREATED_AT]
        members.append(Member(CREATED_AT, f"case when {created.present} then {created.json} else {value(fallback)} end",
                              f"({created.present}) or ({fallback}) is not null"))
    members = _with_extras(members, _extras(cells, NOTES.name_plural))
    note = StagedSelect(NOTES.name_plural, f"select r._key as source_key, r.source_line, {json_object(members)} as "
                                           f"payload, '[]' as depends_on, '[]' as notes from plan_rows r "
                                           f"where r._hold is null")
    fields = {**DEFAULT_TARGET_FIELDS, **(target_field_names or {})}
    person = json_object([Member("noteId", ref(NOTES.name_plural, "r._key")),
                          Member(fields["person"], ref(PEOPLE.name_plural, patient))])
    targets = StagedSelect(NOTE_TARGETS.name_plural, (
        f"select r._key || {sql_string(target_key('', 'person'))} as source_key, r.source_line, {person} as payload, "
        f"{json_list([dependency(NOTES.name_plural, 'r._key'), dependency(PEOPLE.name_plural, patient)])} "
        f"as depends_on, '[]' as notes from plan_rows r where r._hold is null"))
    return ObjectPlan(source, NOTES.name_plural, rows, [note, targets], cells)


PLANS = {"appointments": appointments_plan, "clinical_notes": clinical_notes_plan}
