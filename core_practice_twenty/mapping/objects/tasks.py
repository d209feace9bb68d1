"""Appointments → Twenty tasks, each with task targets to the patient and to the practice company."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import tzinfo

from core_practice_twenty.mapping.objects.common import (
    DEFAULT_TARGET_FIELDS,
    Available,
    Cells,
    MappingResult,
    Row,
    Warnings,
    apply_extra_columns,
    first_missing,
    zone_for,
)
from core_practice_twenty.mapping.objects.people import DoctorMatch
from core_practice_twenty.mapping.options import MappingOptions
from core_practice_twenty.mapping.target_model import COMPANIES, PEOPLE, TASK_TARGETS, TASKS
from core_practice_twenty.mapping.transforms import canonical, status_value
from core_practice_twenty.model.staged import make_staged_record, ref

SOURCE = "appointments"


def appointment_title(appointment_type: str | None, codes: str | None) -> str:
    """`Check-up & Clean (012, 114)`: what the appointment was for, without the patient's name."""
    base = appointment_type or "Appointment"
    return f"{base} ({codes})" if codes else base


def target_key(parent_key: str, target: str) -> str:
    """Source key of a task/note target: one per (record, target kind), e.g. `AP00000001|person`."""
    return f"{parent_key}|{target}"


def map_appointments(rows: Sequence[Row], warnings: Warnings | None = None, options: MappingOptions | None = None,
                     available: Available | None = None, doctors: DoctorMatch | None = None,
                     target_field_names: Mapping[str, str] | None = None,
                     timezones: Mapping[str, tzinfo] | None = None,
                     patient_practice: Mapping[str, str] | None = None) -> MappingResult:
    """Accepted appointment rows → tasks (`staged`) and task targets (`linked["taskTargets"]`).

    `dueAt` is the start in UTC, read in the practice's zone (`timezones`, from `practice_timezones`).
    The assignee is the provider's workspace member, or the fallback owner (`doctors`, from
    `match_doctors`). Targets use the join-field names the schema step found on the server
    (`{"person": "targetPersonId", "company": "targetCompanyId"}` or `personId`/`companyId`); the
    company target is the appointment's practice, else the patient's primary practice. An
    appointment whose patient (or practice) was not staged is held back naming it.
    """
    options = options or MappingOptions()
    fields = {**DEFAULT_TARGET_FIELDS, **(target_field_names or {})}
    result = MappingResult(target=TASKS.name_plural, source_object=SOURCE)
    result.count(f"{SOURCE}.rows", len(rows))
    targets = result.linked.setdefault(TASK_TARGETS.name_plural, [])
    for row in rows:
        cells = Cells(row, SOURCE, options)
        key = str(row["appointment_id"])
        patient, practice = cells["patient_id"], cells["practice_id"]
        missing = first_missing(available, [(PEOPLE.name_plural, patient), (COMPANIES.name_plural, practice)])
        if missing:
            result.hold(SOURCE, key, cells.line, missing)
            continue
        codes = cells.codes("procedure_codes")
        provider = cells["provider_id"]
        assignee = doctors.assignee_for(provider) if doctors else None
        payload: dict = {
            TASKS.source_key_field: key,
            "title": appointment_title(cells["appointment_type"], codes),
            "dueAt": cells.instant("start_at", zone_for(timezones, practice, options)),
            "status": status_value("appointments.status→task.status", SOURCE, "status", cells["status"]),
            "appointmentStatus": status_value("appointments.status", SOURCE, "status", cells["status"]),
            "appointmentType": cells["appointment_type"],
            "procedureCodes": codes,
            "assigneeId": assignee,
        }
        cells.stamp(payload, "created_at", zone_for(timezones, practice, options))  # booked, not the migration
        notes = [] if assignee or not doctors else ["no_assignee"]
        apply_extra_columns(payload, cells, TASKS.name_plural)
        result.stage(SOURCE, make_staged_record(source_key=key, source_line=cells.line, payload=payload, notes=notes))
        targets.append(make_staged_record(
            source_key=target_key(key, "person"), source_line=cells.line,
            payload={"taskId": ref(TASKS.name_plural, key), fields["person"]: ref(PEOPLE.name_plural, patient)}))
        company = practice or (patient_practice or {}).get(patient)
        if company:
            link = {"taskId": ref(TASKS.name_plural, key), fields["company"]: ref(COMPANIES.name_plural, company)}
            targets.append(make_staged_record(source_key=target_key(key, "company"), source_line=cells.line,
                                              payload=link))
        if canonical(SOURCE, "status", cells["status"]) is None:
            result.count("unknown_status")
    return result
