"""Treatment plans → treatmentPlans, and an opportunity for each plan still open, as a compiled plan.

Open plans put the patient on the case-acceptance pipeline: the opportunity's point of contact is the patient, its
stage comes from the plan's status through `treatment_plans.status→opportunity.stage`, its company is the plan's
practice or else the patient's primary practice. Completed and declined plans have no stage: they are history, a
treatmentPlan record only.
"""

from __future__ import annotations

from collections.abc import Mapping

from core_practice_twenty.mapping.default_map import POLICY_FIELDS
from core_practice_twenty.mapping.field_map.model import FieldMap
from core_practice_twenty.mapping.options import MappingOptions
from core_practice_twenty.mapping.sql import context as ctx
from core_practice_twenty.mapping.sql.cells import SqlCells
from core_practice_twenty.mapping.sql.compile import (
    STAGED_ROWS,
    ObjectPlan,
    StagedSelect,
    accepted,
    extras,
    first_missing,
    home_of,
    routed_members,
    routes,
    with_extras,
    zone_of,
)
from core_practice_twenty.mapping.sql.payload import NULL, Member, dependency, json_list, json_object, ref, value
from core_practice_twenty.mapping.target_model import COMPANIES, OPPORTUNITIES, PEOPLE, TREATMENT_PLANS

SOURCE = "treatment_plans"


def treatment_plans_plan(wave: str, options: MappingOptions, context: ctx.MappingContext,
                         field_map: FieldMap | None = None,
                         target_field_names: Mapping[str, str] | None = None) -> ObjectPlan:
    """Treatment plans → treatmentPlans and opportunities."""
    cells = SqlCells(SOURCE, options)
    patient, practice = cells["patient_id"], cells["practice_id"]
    home = home_of(patient)
    zone = zone_of(f"coalesce({practice}, {home})", context)
    hold = first_missing(wave, (PEOPLE.name_plural, patient), (COMPANIES.name_plural, practice))
    rows = (f"select r.*, r.treatment_plan_id as _key, {zone} as _zone, {hold} as _hold "
            f"{accepted(SOURCE, wave, context.sample)}")
    routed = routes(field_map, SOURCE, options)
    name = value(f"coalesce({cells['plan_name']}, {cells['procedure_name']}, 'Treatment plan ' || r._key)")
    plan_members = routed_members(cells, routed, TREATMENT_PLANS.name_plural, "r._zone",
                                  POLICY_FIELDS[(SOURCE, TREATMENT_PLANS.name_plural)])
    plan_members = with_extras([*plan_members, Member("name", name)], extras(cells, TREATMENT_PLANS.name_plural))
    plan = StagedSelect(TREATMENT_PLANS.name_plural, (
        f"select r._key as source_key, r.source_line, {json_object(plan_members)} as payload, "
        f"{json_list([dependency(PEOPLE.name_plural, patient)])} as depends_on, '[]' as notes "
        f"from plan_rows r where r._hold is null"))
    company = f"coalesce({practice}, {home})"
    opportunity_members = routed_members(cells, routed, OPPORTUNITIES.name_plural, "r._zone",
                                         POLICY_FIELDS[(SOURCE, OPPORTUNITIES.name_plural)])
    company_ref = ref(COMPANIES.name_plural, company)
    stage = next(m.json for m in opportunity_members if m.name == "stage")
    opportunity_members += [
        Member("name", name),
        Member("pointOfContactId", ref(PEOPLE.name_plural, patient)),
        Member("companyId", f"case when ({company}) is null then {NULL} else {company_ref} end"),
    ]
    deps = json_list([dependency(PEOPLE.name_plural, patient), dependency(COMPANIES.name_plural, company)])
    staged_open = f"from plan_rows r where r._hold is null and ({stage}) <> {NULL}"
    opportunity = StagedSelect(OPPORTUNITIES.name_plural, (
        f"select r._key as source_key, r.source_line, {json_object(opportunity_members)} as payload, {deps} as "
        f"depends_on, '[]' as notes {staged_open}"))
    return ObjectPlan(SOURCE, TREATMENT_PLANS.name_plural, rows, [plan, opportunity], [cells], counts={
        f"{SOURCE}.staged": STAGED_ROWS, f"{OPPORTUNITIES.name_plural}.staged": f"select count(*) {staged_open}"})
