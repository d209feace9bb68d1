"""Treatment plans → the custom treatmentPlan object, plus an opportunity while the plan is open.

Open plans (Proposed, Accepted, In-Progress — the keys of the `→opportunity.stage` status map) put
the patient on the case-acceptance pipeline: the opportunity's point of contact is the patient and
its company the practice. Completed and declined plans are history: a treatmentPlan record only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import tzinfo

from core_practice_twenty.mapping.objects.common import (
    Available,
    Cells,
    MappingResult,
    Row,
    Warnings,
    apply_extra_columns,
    first_missing,
    zone_for,
)
from core_practice_twenty.mapping.options import MappingOptions
from core_practice_twenty.mapping.target_model import COMPANIES, OPPORTUNITIES, PEOPLE, TREATMENT_PLANS
from core_practice_twenty.mapping.transforms import money, status_value
from core_practice_twenty.model.staged import make_staged_record, ref

SOURCE = "treatment_plans"
STAGE_MAP = "treatment_plans.status→opportunity.stage"


def patient_companies(people: MappingResult) -> dict[str, str]:
    """Patient id → primary practice id, read back from the staged people (their `companyId` reference)."""
    companies = {}
    for record in people.staged:
        value = record.payload.get("companyId")
        if isinstance(value, dict) and "$ref" in value and record.payload.get(PEOPLE.source_key_field):
            companies[record.source_key] = value["$ref"][1]
    return companies


def map_treatment_plans(rows: Sequence[Row], warnings: Warnings | None = None, options: MappingOptions | None = None,
                        available: Available | None = None,
                        patient_practice: Mapping[str, str] | None = None,
                        timezones: Mapping[str, tzinfo] | None = None) -> MappingResult:
    """Accepted treatment plan rows → treatmentPlans (`staged`) and opportunities (`linked["opportunities"]`).

    A plan whose patient (or named practice) was not staged is held back with the dependency named.
    The opportunity's company is the plan's practice, else the patient's primary practice
    (`patient_practice`, e.g. from `patient_companies(people_result)`).
    """
    options = options or MappingOptions()
    region = options.region
    result = MappingResult(target=TREATMENT_PLANS.name_plural, source_object=SOURCE)
    result.count(f"{SOURCE}.rows", len(rows))
    opportunities = result.linked.setdefault(OPPORTUNITIES.name_plural, [])
    for row in rows:
        cells = Cells(row, SOURCE, options)
        key = str(row["treatment_plan_id"])
        patient = cells["patient_id"]
        practice = cells["practice_id"]
        missing = first_missing(available, [(PEOPLE.name_plural, patient), (COMPANIES.name_plural, practice)])
        if missing:
            result.hold(SOURCE, key, cells.line, missing)
            continue
        name = cells["plan_name"] or cells["procedure_name"] or f"Treatment plan {key}"
        cost = money(cells["estimated_cost"], region, cells["currency"])
        status = status_value("treatment_plans.status", SOURCE, "status", cells["status"])
        payload: dict = {
            TREATMENT_PLANS.source_key_field: key,
            "name": name,
            "procedureName": cells["procedure_name"],
            "procedureCodes": cells.codes("procedure_codes"),
            "toothNumbers": cells.codes("tooth_numbers"),
            "treatmentStatus": status,
            "estimatedCost": cost,
            "proposedDate": cells.date("proposed_date"),
            "acceptedDate": cells.date("accepted_date"),
            "completedDate": cells.date("completed_date"),
            "patientId": ref(PEOPLE.name_plural, patient),
        }
        cells.stamp(payload, "created_at", zone_for(timezones, practice or (patient_practice or {}).get(patient),
                                                    options))
        apply_extra_columns(payload, cells, TREATMENT_PLANS.name_plural)
        result.stage(SOURCE, make_staged_record(source_key=key, source_line=cells.line, payload=payload))
        stage = status_value(STAGE_MAP, SOURCE, "status", cells["status"])
        if stage is None:
            continue
        company = practice or (patient_practice or {}).get(patient)
        opportunity = {
            OPPORTUNITIES.source_key_field: key,
            "name": name,
            "amount": cost,
            "stage": stage,
            "pointOfContactId": ref(PEOPLE.name_plural, patient),
            "companyId": ref(COMPANIES.name_plural, company) if company else None,
        }
        opportunities.append(make_staged_record(source_key=key, source_line=cells.line, payload=opportunity))
        result.count("opportunities.staged")
    return result
