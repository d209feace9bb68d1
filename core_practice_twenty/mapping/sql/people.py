"""Patients → people (personType PATIENT), as a compiled plan over what was decided across all patients.

The cross-record policies run first, as SQL over all patients (`mapping.sql.policies`: each patient's practice, who
is held back, who owns a shared email, who may be a duplicate of whom); their answers are temp tables here. Each
payload is then built in SQL: a name, phones and an address read once per distinct combination of their cells, and
the review flag with its reasons (the email's, the address's, a possible duplicate) in one fixed order.
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
    listed,
    routed_members,
    routes,
    warned,
    with_extras,
    zone_of,
)
from core_practice_twenty.mapping.sql.payload import (
    NULL,
    Member,
    dependency,
    json_list,
    json_object,
    json_text,
    ref,
    value,
)
from core_practice_twenty.mapping.sql.policies import DUPLICATES, HOLDS, OWNERS, PRACTICES, TAKEN
from core_practice_twenty.mapping.target_model import COMPANIES, PEOPLE
from core_practice_twenty.mapping.transforms import (
    check_email,
    compose_address,
    full_name,
    phones_field,
    placeholder_email,
)
from core_practice_twenty.source.values import country_alpha2

SOURCE = "patients"
POLICY = POLICY_FIELDS[("patients", "people")]


def patients_plan(wave: str, options: MappingOptions, context: ctx.MappingContext,
                  field_map: FieldMap | None = None,
                  target_field_names: Mapping[str, str] | None = None) -> ObjectPlan:
    """Patients → people, with the email policy, phones, address, review flags and the patient's practice."""
    cells = SqlCells(SOURCE, options)
    region = options.region
    members = routed_members(cells, routes(field_map, SOURCE, options), PEOPLE.name_plural, "r._zone",
                             POLICY)

    def name(first: str | None, last: str | None, preferred: str | None) -> str:
        return json_text(full_name(first, last, preferred=preferred))

    def phones(mobile: str | None, home: str | None, work: str | None, country: str | None) -> str:
        found = phones_field([("mobile_phone", mobile), ("home_phone", home), ("work_phone", work)], region,
                             country=country_alpha2(country))
        return json_text({"value": found.value, "reasons": found.reasons, "notes": found.notes})

    def address(*parts: str | None) -> str:
        street1, street2, city, state, postcode, country, suburb = parts
        found = compose_address(street1=street1, street2=street2, city=city, state=state, postcode=postcode,
                                country=country, region=region, column_prefix="patient_", suburb=suburb)
        return json_text({"value": found.value, "reasons": found.reasons, "notes": found.notes})

    full = cells.lookup_many("name", ("first_name", "last_name", "preferred_name"), name)
    phone = cells.lookup_many("phones", ("mobile_phone", "home_phone", "work_phone", "patient_country"), phones)
    home = cells.lookup_many("address", ("first_address", "address_line2", "patient_city", "patient_state",
                                         "patient_postal_code", "patient_country", "patient_suburb"), address)
    duplicate = (f"case when {warned(SOURCE, 'r.patient_id', wave, 'likely_duplicate')} or r.patient_id in "
                 f"(select d.patient_id from "
                 f"{DUPLICATES} d) then coalesce('possible_duplicate_of:' || (select d.original from {DUPLICATES} d "
                 f"where d.patient_id = r.patient_id), 'possible_duplicate') end")
    future = f"case when {warned(SOURCE, 'r.patient_id', wave, 'future_date:created_at')} then 'future_created_at' end"
    computed = [f"(select h.reason from {HOLDS} h where h.patient_id = r.patient_id) as _hold",
                f"(select p.practice_id from {PRACTICES} p where p.patient_id = r.patient_id) as _practice",
                f"{full} as _name", f"{phone} as _phones", f"{home} as _address", f"{duplicate} as _duplicate",
                f"{future} as _future"]

    # what reads the cells read above (a subquery inside a subquery joins badly): the practice's clock, the email
    decided = [f"{zone_of('r._practice', context)} as _zone"]
    review_email = note_email = placeholder_flag = "null::varchar"
    primary = household = "null::varchar"
    additional = NULL
    if cells.included("email"):
        email = cells.lookup("email", "email", lambda raw: check_email(raw).email)
        checked = cells.lookup("email_problem", "email", lambda raw: check_email(raw).problem or "ok")
        computed += [f"{email} as _email", f"coalesce({checked}, 'missing') as _problem"]
        decided += [f"(select o.owner from {OWNERS} o where o.email = r._email) as _owner",
                    f"coalesce(r._email in (select t.email from {TAKEN} t), false) as _taken"]
        primary = "case when not r._taken and r._owner = r._key then r._email end"
        household = ("case when not r._taken and r._email is not null and r._owner is distinct from r._key "
                     "then r._email end")
        additional = f"case when r._taken then to_json([r._email])::varchar else {NULL} end"
        review_email = ("case when r._taken then 'email_primary_on_another_person' when r._email is not null then null "
                        "when r._problem = 'malformed' then 'email_malformed_dropped' else 'email_missing' end")
        note_email = f"case when ({household}) is not null then 'household_email' end"
        if options.email_placeholder:
            nothing = f"({primary}) is null and ({household}) is null and ({additional}) = {NULL}"
            placeholder = cells.lookup("placeholder", "patient_id",
                                       lambda raw: placeholder_email(raw, options.placeholder_domain))
            computed.append(f"{placeholder} as _placeholder")
            primary = f"case when {nothing} then r._placeholder else {primary} end"
            placeholder_flag = f"case when {nothing} then 'email_placeholder' end"
    review = (f"list_concat({listed(review_email, placeholder_flag)}, json_extract_string(r._phones, "
              f"'$.reasons[*]'), json_extract_string(r._address, '$.reasons[*]'), {listed('r._duplicate')})")
    notes = (f"list_concat({listed(note_email)}, json_extract_string(r._phones, '$.notes[*]'), "
             f"json_extract_string(r._address, '$.notes[*]'), {listed('r._future')})")
    cells_read = f"select r.*, r.patient_id as _key, {', '.join(computed)} {accepted(SOURCE, wave, context.sample)}"
    rows = (f"select r.*, {review} as _review, {notes} as _notes from (select r.*, {', '.join(decided)} "
            f"from ({cells_read}) r) r")
    unique = "list_filter(x, lambda v, i: list_position(x, v) = i)"
    members += [
        Member("personType", "'\"PATIENT\"'"),
        Member("name", "r._name"),
        Member("emails", json_object([Member("primaryEmail", value(primary)), Member("additionalEmails", additional)])),
        Member("householdEmail", value(household)),
        Member("phones", "json_extract(r._phones, '$.value')::varchar"),
        Member("homeAddress", "json_extract(r._address, '$.value')::varchar"),
        Member("companyId", ref(COMPANIES.name_plural, "r._practice")),
        Member("needsReview", "case when len(r._review) > 0 then 'true' else 'false' end"),
        Member("reviewReasons", value(f"case when len(r._review) > 0 then array_to_string("
                                      f"list_transform([r._review], lambda x: {unique})[1], '; ') end")),
    ]
    if options.include_fund_numbers:
        members += [Member("healthFundName", value(cells["health_fund_name"])),
                    Member("healthFundMemberNo", value(cells["health_fund_member_no"])),
                    Member("medicareNo", value(cells["medicare_no"]))]
    members = with_extras(members, extras(cells, PEOPLE.name_plural))
    people = StagedSelect(PEOPLE.name_plural, (
        f"select r._key as source_key, r.source_line, {json_object(members)} as payload, "
        f"{json_list([dependency(COMPANIES.name_plural, 'r._practice')])} as depends_on, "
        f"to_json(list_concat(r._notes, r._review))::varchar as notes from plan_rows r where r._hold is null"))
    return ObjectPlan(SOURCE, PEOPLE.name_plural, rows, [people], [cells], counts={
        f"{SOURCE}.staged": STAGED_ROWS, "needs_review": f"{STAGED_ROWS} and len(r._review) > 0"})
