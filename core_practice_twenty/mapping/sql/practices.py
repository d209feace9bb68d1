"""Practices → companies (one per location) and a parent company per practice group, as a compiled plan.

A group's locations point at one parent (`group:<slug>`, the
group name folded to ASCII), named as its first location by id spells it; a website several locations share is the
domain of the first by id only (Twenty's domainName is unique), the others noted; the address, phone and email are
read by the same policies as a patient's. Readings that need a library run once per distinct cell (`Lookup`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from core_practice_twenty.mapping.companies import group_key, normalise_domain
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
    with_extras,
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
from core_practice_twenty.mapping.target_model import COMPANIES
from core_practice_twenty.mapping.transforms import check_email, compose_address, phones_field, practice_timezone
from core_practice_twenty.validation.sql_values import sql_string

SOURCE = "practices"
POLICY = POLICY_FIELDS[("practices", "companies")]


def practices_plan(wave: str, options: MappingOptions, context: ctx.MappingContext,
                   field_map: FieldMap | None = None,
                   target_field_names: Mapping[str, str] | None = None) -> ObjectPlan:
    """Practices → companies, their groups → parent companies."""
    region = options.region
    cells = SqlCells(SOURCE, options)
    natural = "length(r.practice_id), r.practice_id"

    def address(*parts: str | None) -> str:
        street1, street2, city, state, postcode, country, suburb = parts
        found = compose_address(street1=street1, street2=street2, city=city, state=state, postcode=postcode,
                                country=country, region=region, suburb=suburb)
        return json_text({"value": found.value, "notes": found.reasons + found.notes})

    def phone(cell: str | None) -> str:
        found = phones_field([("phone", cell)], region)
        return json_text({"value": found.value, "notes": found.reasons + found.notes})

    home = cells.lookup_many("address", ("address_line1", "address_line2", "city", "state", "postcode", "country",
                                         "suburb"), address)
    phones = cells.lookup_many("phone", ("phone",), phone)
    zone = cells.lookup("zone", "state", lambda state: practice_timezone(region, state).key)
    domain = cells.lookup("domain", "website", normalise_domain)
    group = cells.lookup("group", "group_name", group_key)
    email = cells.lookup("email", "email", lambda text: check_email(text).email)
    problem = cells.lookup("email_problem", "email", lambda text: check_email(text).problem or "ok")
    rows = (f"select r.*, r.practice_id as _key, coalesce({zone}, {sql_string(practice_timezone(region).key)}) as "
            f"_zone, null::varchar as _hold, {home} as _address, {phones} as _phone, {domain} as _domain, "
            f"{group} as _group, {email} as _email, {problem} as _problem {accepted(SOURCE, wave, context.sample)}")
    owner = ("(select o.practice_id from (select d._domain, first(d.practice_id order by length(d.practice_id), "
             "d.practice_id) as practice_id from plan_rows d where d._domain is not null group by d._domain) o "
             "where o._domain = r._domain)")
    shared = (f"case when r._domain is not null and {owner} <> r.practice_id then "
              f"'domain_shared_with_another_location' end")
    malformed = "case when r._email is null and r._problem = 'malformed' then 'email_malformed_dropped:email' end"
    notes = (f"list_concat(json_extract_string(r._address, '$.notes[*]'), {listed(shared)}, "
             f"json_extract_string(r._phone, '$.notes[*]'), {listed(malformed)})")
    members = routed_members(cells, routes(field_map, SOURCE, options), COMPANIES.name_plural, "r._zone",
                             POLICY)
    practice_email = json_object([Member("additionalEmails", NULL), Member("primaryEmail", value("r._email"))])
    members += [
        Member("cpPracticeId", value("r.practice_id")),
        Member("address", f"coalesce(json_extract(r._address, '$.value')::varchar, {NULL})"),
        Member("domainName", json_object([Member("primaryLinkUrl", value("r._domain"))]),
               f"r._domain is not null and {owner} = r.practice_id"),
        Member("practicePhone", f"coalesce(json_extract(r._phone, '$.value')::varchar, {NULL})"),
        Member("practiceEmail", f"case when r._email is null then {NULL} else {practice_email} end"),
        Member("parentCompanyId", f"case when r._group is null then {NULL} else "
                                  f"{ref(COMPANIES.name_plural, 'r._group')} end"),
    ]
    members = with_extras(members, extras(cells, COMPANIES.name_plural))
    locations = StagedSelect(COMPANIES.name_plural, (
        f"select r._key as source_key, r.source_line, {json_object(members)} as payload, "
        f"{json_list([dependency(COMPANIES.name_plural, 'r._group')])} as depends_on, to_json({notes})::varchar "
        f"as notes from plan_rows r"))
    name = cells.lookup("parent_name", "group_name", lambda text: re.sub(r"\s+", " ", text.strip()))
    firsts = (f"select r._group as key, first(r._parent_name order by {natural}) as name, first(r.practice_id order "
              f"by {natural}) as first_location from (select r.*, {name} as _parent_name from plan_rows r) r "
              f"where r._group is not null group by r._group")
    parent = json_object([Member("cpPracticeId", value("g.key")), Member("name", value("g.name"))])
    groups = StagedSelect(COMPANIES.name_plural, (
        f"select g.key as source_key, null::integer as source_line, {parent} as payload, '[]' as depends_on, "
        f"'[]' as notes from ({firsts}) g"))
    return ObjectPlan(SOURCE, COMPANIES.name_plural, rows, [groups, locations], [cells], counts={
        f"{SOURCE}.staged": STAGED_ROWS, "groups.staged": "select count(distinct r._group) from plan_rows r"},
        decisions=[f"select json_object('kind', 'parent_company', 'source_key', g.key, 'first_location', "
                   f"g.first_location) from ({firsts}) g order by g.key"])
