"""Providers → people (personType DOCTOR), keyed `provider:<id>`, as a compiled plan.

A provider whose practice company is not staged is held back;
an email two providers share is primary on the first by id (the others are noted); the name, phones and review
flags are the same policies as a patient's; the provider type is both the job title (its canonical spelling) and
the providerType option the map's status map gives. Who the provider is in Twenty's workspace (the member match)
stays Python's (`match_doctors`): it reads the workspace, not the export.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from core_practice_twenty.mapping.core import PROVIDER_KEY_PREFIX
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
    missing,
    routed_members,
    routes,
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
from core_practice_twenty.mapping.target_model import COMPANIES, PEOPLE
from core_practice_twenty.mapping.transforms import boolean, canonical, check_email, full_name, phones_field
from core_practice_twenty.validation.sql_values import sql_string

SOURCE = "providers"
POLICY = POLICY_FIELDS[("providers", "people")]


def providers_plan(wave: str, options: MappingOptions, context: ctx.MappingContext,
                   field_map: FieldMap | None = None,
                   target_field_names: Mapping[str, str] | None = None) -> ObjectPlan:
    """Providers → people (DOCTOR)."""
    region = options.region
    cells = SqlCells(SOURCE, options)
    raw = SqlCells(SOURCE, dataclasses.replace(options, excluded=frozenset()))
    practice = cells["practice_id"]
    first_owner = raw.lookup("owner_email", "email", lambda text: check_email(text).email)
    owners = (f"(select o.provider_id from (select {first_owner} as email, first(r.provider_id order by "
              f"length(r.provider_id), r.provider_id) as provider_id {accepted(SOURCE, wave, context.sample)} "
              f"group by all) o where o.email = r._email)")
    email = cells.lookup("email", "email", lambda text: check_email(text).email)
    problem = cells.lookup("email_problem", "email", lambda text: check_email(text).problem or "ok")
    name = cells.lookup_many("name", ("first_name", "last_name"),
                             lambda first, last: json_text(full_name(first, last)))
    def read_phones(phone: str | None) -> str:
        found = phones_field([("phone", phone)], region)
        return json_text({"value": found.value, "reasons": found.reasons, "notes": found.notes})

    phones = cells.lookup_many("phones", ("phone",), read_phones)
    kind = cells.lookup("kind", "provider_type", lambda text: canonical(SOURCE, "provider_type", text))
    inactive = cells.lookup("inactive", "active", lambda text: "true" if boolean(text) is False else None)
    # `_key` is the provider id, as its hold-back names it; the staged record's key is `provider:<id>`
    rows = (f"select r.*, r.provider_id as _key, {zone_of(practice, context)} "
            f"as _zone, {missing(COMPANIES.name_plural, practice, wave)} as _hold, {email} as _email, "
            f"coalesce({problem}, 'missing') as _problem, {name} as _name, {phones} as _phones, {kind} as _kind, "
            f"({inactive}) is not null as _inactive {accepted(SOURCE, wave, context.sample)}")
    rows = f"select r.*, {owners} as _owner from ({rows}) r"
    primary = "case when r._email is not null and r._owner = r.provider_id then r._email end"
    shared = "case when r._email is not null and r._owner is distinct from r.provider_id then " \
             "'email_shared_with_another_provider' end"
    malformed = "case when r._email is null and r._problem = 'malformed' then 'email_malformed_dropped' end"
    review = f"list_concat({listed(malformed)}, json_extract_string(r._phones, '$.reasons[*]'))"
    unique = "list_filter(x, lambda v, i: list_position(x, v) = i)"
    reasons = f"list_transform([{review}], lambda x: {unique})[1]"
    inactive_note = "case when r._inactive then 'provider_inactive' end"
    notes = (f"list_concat({listed(shared)}, json_extract_string(r._phones, '$.notes[*]'), "
             f"{listed(inactive_note)}, {review})")
    members = routed_members(cells, routes(field_map, SOURCE, options), PEOPLE.name_plural, "r._zone", POLICY)
    members += [
        Member("cpProviderId", value("r.provider_id")),
        Member("personType", "'\"DOCTOR\"'"),
        Member("name", "r._name"),
        Member("jobTitle", value("r._kind")),
        Member("emails", json_object([Member("primaryEmail", value(primary)), Member("additionalEmails", NULL)])),
        Member("householdEmail", NULL),
        # no phone: not looked up (a one-cell lookup leaves NULL out), and `phones_field` has nothing to say of it
        Member("phones", f"coalesce(json_extract(r._phones, '$.value')::varchar, {NULL})"),
        Member("companyId", f"case when {practice} is null then {NULL} else {ref(COMPANIES.name_plural, practice)} "
                            f"end"),
        Member("needsReview", f"case when len({reasons}) > 0 then 'true' else 'false' end"),
        Member("reviewReasons", value(f"case when len({reasons}) > 0 then array_to_string({reasons}, '; ') end")),
    ]
    members = with_extras(members, extras(cells, PEOPLE.name_plural))
    doctors = StagedSelect(PEOPLE.name_plural, (
        f"select {sql_string(PROVIDER_KEY_PREFIX)} || r._key as source_key, r.source_line, {json_object(members)} "
        f"as payload, "
        f"{json_list([dependency(COMPANIES.name_plural, practice)])} as depends_on, to_json({notes})::varchar "
        f"as notes from plan_rows r where r._hold is null"))
    return ObjectPlan(SOURCE, PEOPLE.name_plural, rows, [doctors], [cells, raw],
                      counts={f"{SOURCE}.staged": STAGED_ROWS})


def provider_emails_sql(wave: str) -> str:
    """SQL: the primary emails of the wave's staged doctors (a patient may not take one as primary too)."""
    return (f"select json_extract_string(payload, '$.emails.primaryEmail') from stg_twenty_{PEOPLE.name_plural} "
            f"where wave = {sql_string(wave)} and starts_with(source_key, {sql_string(PROVIDER_KEY_PREFIX)})")
