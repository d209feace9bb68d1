"""Practices → Twenty companies: one per location, plus one parent company per practice group."""

from __future__ import annotations

from collections.abc import Sequence

from core_practice_twenty.mapping.companies import (
    domain_owners,
    group_key,
    normalise_domain,
    parent_company,
)
from core_practice_twenty.mapping.objects.common import Cells, MappingResult, Row, Warnings, apply_extra_columns
from core_practice_twenty.mapping.options import MappingOptions
from core_practice_twenty.mapping.target_model import COMPANIES
from core_practice_twenty.mapping.transforms import (
    check_email,
    compose_address,
    emails_field,
    phones_field,
    practice_timezone,
)
from core_practice_twenty.model.staged import make_staged_record, ref

SOURCE = "practices"


def map_companies(rows: Sequence[Row], warnings: Warnings | None = None,
                  options: MappingOptions | None = None) -> MappingResult:
    """Every accepted practice → a company; every group name → a parent company the locations point at.

    Parents come first in `staged` and every location depends on its parent (`parentCompanyId` is a
    `$ref` to `group:<slug>`), so the loader creates parents before locations in the same table.
    A shared group website goes to the lowest practice id only (Twenty's domainName is unique).
    Repairs to a practice's address are notes on the record (companies have no review flag).
    """
    options = options or MappingOptions()
    result = MappingResult(target=COMPANIES.name_plural, source_object=SOURCE)
    result.count(f"{SOURCE}.rows", len(rows))
    owners = domain_owners(rows)
    parents: dict[str, tuple[str, str]] = {}  # key → (name, lowest practice id)
    for row in sorted(rows, key=lambda r: (len(str(r["practice_id"])), str(r["practice_id"]))):
        cells = Cells(row, SOURCE, options)
        key = group_key(cells["group_name"])
        if key and key not in parents:
            parents[key] = (cells["group_name"] or key, str(row["practice_id"]))
    for key, (name, first_location) in parents.items():
        result.staged.append(make_staged_record(source_key=key, payload=parent_company(name, key)))
        result.decisions.append({"kind": "parent_company", "source_key": key, "first_location": first_location})
        result.count("groups.staged")

    for row in rows:
        cells = Cells(row, SOURCE, options)
        practice_id = str(row["practice_id"])
        notes: list[str] = []
        payload: dict = {COMPANIES.source_key_field: practice_id, "name": cells["practice_name"]}
        cells.stamp(payload, "created_at", practice_timezone(options.region, cells["state"]))
        address = compose_address(street1=cells["address_line1"], street2=cells["address_line2"],
                                  city=cells["city"], state=cells["state"], postcode=cells["postcode"],
                                  country=cells["country"], region=options.region, suburb=cells["suburb"])
        payload["address"] = address.value
        notes += address.reasons + address.notes
        domain = normalise_domain(cells["website"])
        if domain and owners.get(domain) == practice_id:
            payload["domainName"] = {"primaryLinkUrl": domain}
        elif domain:
            notes.append("domain_shared_with_another_location")
        phones = phones_field([("phone", cells["phone"])], options.region)
        notes += phones.reasons + phones.notes
        payload["practicePhone"] = phones.value
        email = check_email(cells["email"])
        if email.problem == "malformed":
            notes.append("email_malformed_dropped:email")
        payload["practiceEmail"] = emails_field(email.email) if email.email else None
        parent = group_key(cells["group_name"])
        payload["parentCompanyId"] = ref(COMPANIES.name_plural, parent) if parent else None
        apply_extra_columns(payload, cells, COMPANIES.name_plural)
        result.stage(SOURCE, make_staged_record(source_key=practice_id, source_line=cells.line, payload=payload,
                                                notes=notes))
    return result
