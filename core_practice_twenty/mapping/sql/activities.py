"""Appointments → tasks and task targets; clinical notes → notes and note targets, as compiled plans."""

from __future__ import annotations

from collections.abc import Mapping

from core_practice_twenty.mapping.default_map import POLICY_FIELDS
from core_practice_twenty.mapping.field_map.model import FieldMap
from core_practice_twenty.mapping.options import MappingOptions
from core_practice_twenty.mapping.sql import context as ctx
from core_practice_twenty.mapping.sql.cells import SqlCells
from core_practice_twenty.mapping.sql.compile import (
    CREATED_AT,
    STAGED_ROWS,
    ObjectPlan,
    StagedSelect,
    accepted,
    codes_of,
    extras,
    first_missing,
    home_of,
    missing,
    routed_members,
    routes,
    with_extras,
    zone_of,
)
from core_practice_twenty.mapping.sql.payload import Member, dependency, json_list, json_object, ref, value
from core_practice_twenty.mapping.target_model import (
    COMPANIES,
    DEFAULT_TARGET_FIELDS,
    NOTE_TARGETS,
    NOTES,
    PEOPLE,
    TASK_TARGETS,
    TASKS,
)
from core_practice_twenty.mapping.transforms import canonical
from core_practice_twenty.validation.sql_values import sql_string


def target_key(parent_key: str, target: str) -> str:
    """Source key of a task/note target: one per (record, target kind), e.g. `AP00000001|person`."""
    return f"{parent_key}|{target}"


def appointments_plan(wave: str, options: MappingOptions, context: ctx.MappingContext,
                      field_map: FieldMap | None = None,
                      target_field_names: Mapping[str, str] | None = None) -> ObjectPlan:
    """Appointments → tasks (due at the visit, created at the booking), each with targets to the patient and to
    the practice (the appointment's, else the patient's primary practice); the doctor's member owns it."""
    source = "appointments"
    cells = SqlCells(source, options)
    patient, practice = cells["patient_id"], cells["practice_id"]
    hold = first_missing(wave, (PEOPLE.name_plural, patient), (COMPANIES.name_plural, practice))
    rows = (f"select r.*, r.appointment_id as _key, {zone_of(practice, context)} as _zone, {hold} as _hold "
            f"{accepted(source, wave, context.sample)}")
    routed = routes(field_map, source, options)
    members = routed_members(cells, routed, TASKS.name_plural, "r._zone",
                             POLICY_FIELDS[(source, TASKS.name_plural)])
    codes_sql = codes_of(cells, "procedure_codes")
    kind = cells["appointment_type"]
    title = (f"coalesce({kind}, 'Appointment') || case when ({codes_sql}) is not null then ' (' || ({codes_sql}) "
             f"|| ')' else '' end")
    provider = cells["provider_id"]
    fallback = sql_string(context.fallback_member_id) if context.fallback_member_id else "null::varchar"
    assignee = (f"case when {provider} in (select provider_id from {ctx.ASSIGNEES}) then (select a.member_id from "
                f"{ctx.ASSIGNEES} a where a.provider_id = {provider}) else {fallback} end")
    members += [Member("title", value(title)), Member("assigneeId", value(assignee))]
    members = with_extras(members, extras(cells, TASKS.name_plural))
    task = StagedSelect(TASKS.name_plural,
                        f"select r._key as source_key, r.source_line, {json_object(members)} as payload, '[]' as "
                        f"depends_on, case when ({assignee}) is null then '[\"no_assignee\"]' else '[]' end as notes "
                        f"from plan_rows r where r._hold is null")
    fields = {**DEFAULT_TARGET_FIELDS, **(target_field_names or {})}
    link = TASK_TARGETS.name_plural
    person = json_object([Member("taskId", ref(TASKS.name_plural, "r._key")),
                          Member(fields["person"], ref(PEOPLE.name_plural, patient))])
    company_key = f"coalesce({practice}, {home_of(patient)})"
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
    status = cells.lookup("canonical_status", "status", lambda raw: canonical(source, "status", raw))
    return ObjectPlan(source, TASKS.name_plural, rows, [task, targets], [cells], counts={
        f"{source}.staged": STAGED_ROWS, "unknown_status": f"{STAGED_ROWS} and ({status}) is null"})


def clinical_notes_plan(wave: str, options: MappingOptions, context: ctx.MappingContext,
                        field_map: FieldMap | None = None,
                        target_field_names: Mapping[str, str] | None = None) -> ObjectPlan:
    """Clinical notes → notes, each with a note target to the patient.

    Note bodies are the most sensitive cells of the export. The map keeps them (the practice asked for them) but
    one option excludes them entirely: then no note is staged at all and every row is counted as excluded, so the
    counts still add up."""
    source = "clinical_notes"
    cells = SqlCells(source, options)
    patient = cells["patient_id"]
    home = home_of(patient)
    rows = (f"select r.*, r.note_id as _key, {zone_of(home, context)} as _zone, "
            f"{missing(PEOPLE.name_plural, patient, wave)} as _hold {accepted(source, wave, context.sample)}")
    if not options.include_clinical_notes:
        return ObjectPlan(source, NOTES.name_plural, rows, [], [cells], excluded_all=True)
    routed = routes(field_map, source, options)
    members = routed_members(cells, routed, NOTES.name_plural, "r._zone",
                             POLICY_FIELDS[(source, NOTES.name_plural)])
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
    members = with_extras(members, extras(cells, NOTES.name_plural))
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
    return ObjectPlan(source, NOTES.name_plural, rows, [note, targets], [cells],
                      counts={f"{source}.staged": STAGED_ROWS})
