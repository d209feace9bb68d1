"""Patients and providers → Twenty people; doctors ↔ workspace members.

Patients (personType PATIENT) carry the email policy (one primary owner per address, the others'
copy in householdEmail), their primary practice as companyId, a validated home address and a review
flag with reasons. Providers (personType DOCTOR) carry their type and specialisation, and are
matched to workspace members by email so that their tasks get an assignee.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import tzinfo

from core_practice_twenty.mapping.objects.common import (
    Available,
    Cells,
    MappingResult,
    Row,
    Warnings,
    apply_extra_columns,
    first_missing,
    natural_key,
    warnings_of,
    zone_for,
)
from core_practice_twenty.mapping.options import MappingOptions
from core_practice_twenty.mapping.target_model import COMPANIES, PEOPLE
from core_practice_twenty.mapping.transforms import (
    Sharer,
    boolean,
    canonical,
    check_email,
    clean,
    compose_address,
    email_owners,
    emails_field,
    full_name,
    iso_date,
    phones_field,
    placeholder_email,
    review_fields,
    status_value,
)
from core_practice_twenty.model.staged import make_staged_record, ref
from core_practice_twenty.source.values import country_alpha2

PATIENTS = "patients"
PROVIDERS = "providers"
PROVIDER_KEY_PREFIX = "provider:"


def provider_source_key(provider_id: str) -> str:
    """Providers share the people staging table with patients; their keys are namespaced so ids cannot collide."""
    return f"{PROVIDER_KEY_PREFIX}{provider_id}"


# -- primary practice ------------------------------------------------------------------------------


def primary_practices(patient_rows: Sequence[Row], links: Sequence[Row],
                      options: MappingOptions | None = None) -> tuple[dict[str, str], list[dict]]:
    """Each patient's primary practice: patient_practices.is_primary, else patients.practice_id, else latest link.

    Returns patient id → practice id (patients absent from it are orphans) and a decision for every
    patient seen at more than one location or decided by a fallback rule.
    """
    options = options or MappingOptions()
    by_patient: dict[str, list[Row]] = {}
    for link in links:
        patient_id = clean(link.get("patient_id"))
        if patient_id and clean(link.get("practice_id")):
            by_patient.setdefault(patient_id, []).append(link)
    chosen: dict[str, str] = {}
    decisions: list[dict] = []
    for row in patient_rows:
        patient_id = str(row["patient_id"])
        own = clean(row.get("practice_id"))
        patient_links = by_patient.get(patient_id, [])
        primaries = sorted({str(link["practice_id"]) for link in patient_links if boolean(link.get("is_primary"))},
                           key=natural_key)
        if primaries:
            practice, rule = primaries[0], "is_primary" if len(primaries) == 1 else "several_primary_first_by_id"
        elif own:
            practice, rule = own, "patients.practice_id"
        elif patient_links:
            latest = max(patient_links, key=lambda link: (Cells(link, "patient_practices", options).date("last_seen")
                                                          or "", str(link["practice_id"])))
            practice, rule = str(latest["practice_id"]), "latest_link"
        else:
            continue
        chosen[patient_id] = practice
        locations = {str(link["practice_id"]) for link in patient_links} | ({own} if own else set())
        if len(locations) > 1 or rule not in ("is_primary", "patients.practice_id"):
            decisions.append({"kind": "primary_practice", "patient_id": patient_id, "practice_id": practice,
                              "rule": rule, "locations": len(locations)})
    return chosen, decisions


# -- patients --------------------------------------------------------------------------------------


def _identity(cells: Cells, region: str) -> tuple[str, str, str] | None:
    first, last, dob = cells.row.get("first_name"), cells.row.get("last_name"), cells.row.get("date_of_birth")
    if not (clean(first) and clean(last) and clean(dob)):
        return None
    return (clean(first).casefold(), clean(last).casefold(), iso_date(dob, region) or clean(dob))


@dataclass
class PatientDecisions:
    """What is decided across all patients before any one is mapped (ids only): each patient's practice, who is
    held back and why, who owns a shared email, who may be a duplicate of whom, and the decisions to report."""

    practices: dict[str, str]
    held: dict[str, str]
    owners: dict[str, str]
    duplicate_of: dict[str, str]
    taken: set[str]
    decisions: list[dict]


def decide_patients(rows: Sequence[Row], patient_practices: Sequence[Row] = (), warnings: Warnings | None = None,
                    options: MappingOptions | None = None, available: Available | None = None,
                    taken_emails: Collection[str] = ()) -> PatientDecisions:
    """The cross-record policies of `map_patients`, on the columns they read (a projection of the rows will do:
    patient_id, practice_id, first_name, last_name, date_of_birth, is_deleted, email, family_role,
    family_head_id, source_line)."""
    options = options or MappingOptions()
    region = options.region
    practices, decisions = primary_practices(rows, patient_practices, options)

    # possible duplicates: the first row of a (first, last, birth date) identity is the original
    originals: dict[tuple[str, str, str], str] = {}
    duplicate_of: dict[str, str] = {}
    for row in sorted(rows, key=lambda r: int(r.get("source_line") or 0)):
        identity = _identity(Cells(row, PATIENTS, options), region)
        if identity is None:
            continue
        key = str(row["patient_id"])
        if identity in originals:
            duplicate_of[key] = originals[identity]
        else:
            originals[identity] = key

    held: dict[str, str] = {}
    for row in rows:
        key = str(row["patient_id"])
        found = warnings_of(warnings, PATIENTS, key)
        reasons = []
        if "soft_deleted" in found or boolean(row.get("is_deleted")):
            reasons.append("soft_deleted")
        practice = practices.get(key)
        if practice is None:
            reasons.append("orphan_patient: no practice_id and no patient_practices row")
        else:
            missing = first_missing(available, [(COMPANIES.name_plural, practice)])
            if missing:
                reasons.append(missing)
        if reasons:
            held[key] = "; ".join(reasons)

    taken = {e.casefold() for e in taken_emails}
    sharers = []
    for row in rows:
        key = str(row["patient_id"])
        if key in held:
            continue
        cells = Cells(row, PATIENTS, options)
        email = check_email(cells["email"]).email
        if email and email not in taken:
            role = canonical(PATIENTS, "family_role", cells["family_role"])
            sharers.append(Sharer(key, email, cells["family_head_id"], role == "Head"))
    owners, email_decisions = email_owners(sharers)
    return PatientDecisions(practices, held, owners, duplicate_of, taken, decisions + email_decisions)


def map_patients(rows: Sequence[Row], patient_practices: Sequence[Row] = (), warnings: Warnings | None = None,
                 options: MappingOptions | None = None, available: Available | None = None,
                 taken_emails: Collection[str] = (), timezones: Mapping[str, tzinfo] | None = None) -> MappingResult:
    """Accepted patient rows (+ patient_practices rows) → people (personType PATIENT).

    Held back (reason first): soft-deleted patients (`soft_deleted`), patients with no practice at all
    (`orphan_patient`), and patients whose practice company was not staged (`dependency_…`). Flagged
    for review but loaded: possible duplicates, missing/malformed emails, unreadable phones, repaired or
    invalid states and postcodes. Archived and deceased patients are migrated with their status.
    `taken_emails` are primary on other people already (providers: staff are often patients too);
    such a patient keeps the address in additionalEmails and is flagged, since Twenty's primary
    email is unique and the two records are probably one human.
    """
    options = options or MappingOptions()
    region = options.region
    result = MappingResult(target=PEOPLE.name_plural, source_object=PATIENTS)
    result.count(f"{PATIENTS}.rows", len(rows))
    decided = decide_patients(rows, patient_practices, warnings, options, available, taken_emails)
    result.decisions += decided.decisions
    practices, held, owners, duplicate_of, taken = (decided.practices, decided.held, decided.owners,
                                                    decided.duplicate_of, decided.taken)
    for row in rows:
        key = str(row["patient_id"])
        if key in held:
            result.hold(PATIENTS, key, Cells(row, PATIENTS, options).line, held[key])
    checks = {str(row["patient_id"]): check_email(Cells(row, PATIENTS, options)["email"]) for row in rows
              if str(row["patient_id"]) not in held}

    for row in rows:
        key = str(row["patient_id"])
        if key in held:
            continue
        cells = Cells(row, PATIENTS, options)
        found = warnings_of(warnings, PATIENTS, key)
        review: list[str] = []
        notes: list[str] = []
        payload: dict = {
            PEOPLE.source_key_field: key,
            "cpPatientNo": cells["patient_no"],
            "personType": "PATIENT",
            "name": full_name(cells["first_name"], cells["last_name"], preferred=cells["preferred_name"]),
        }
        # when the patient was registered, not the migration night, on the clock of the patient's practice
        cells.stamp(payload, "created_at", zone_for(timezones, practices[key], options))
        # email policy
        email = checks[key]
        household = None
        primary = None
        additional = None
        if cells.included("email"):
            if email.email in taken:
                additional = [email.email]
                review.append("email_primary_on_another_person")
            elif email.email and owners.get(email.email) == key:
                primary = email.email
            elif email.email:
                household = email.email
                notes.append("household_email")
            elif email.problem == "malformed":
                review.append("email_malformed_dropped")
            else:
                review.append("email_missing")
            if primary is None and household is None and additional is None and options.email_placeholder:
                primary = placeholder_email(key, options.placeholder_domain)
                review.append("email_placeholder")
        payload["emails"] = emails_field(primary, additional)
        payload["householdEmail"] = household
        # phones, address, dates, status
        phones = phones_field([(c, cells[c]) for c in ("mobile_phone", "home_phone", "work_phone")], region,
                              country=country_alpha2(cells["patient_country"]))
        payload["phones"] = phones.value
        review += phones.reasons
        notes += phones.notes
        address = compose_address(street1=cells["first_address"], street2=cells["address_line2"],
                                  city=cells["patient_city"], state=cells["patient_state"],
                                  postcode=cells["patient_postal_code"], country=cells["patient_country"],
                                  region=region, column_prefix="patient_", suburb=cells["patient_suburb"])
        payload["homeAddress"] = address.value
        review += address.reasons
        notes += address.notes
        if cells.included("date_of_birth"):
            payload["dateOfBirth"] = cells.date("date_of_birth")
        payload["patientStatus"] = status_value("patients.status", PATIENTS, "status", cells["status"])
        if cells.included("recall_due_date"):
            payload["recallDueDate"] = cells.date("recall_due_date")
        if "duplicate_patient" in found or key in duplicate_of:
            original = duplicate_of.get(key)
            review.append(f"possible_duplicate_of:{original}" if original else "possible_duplicate")
        if "future_date:created_at" in found:
            notes.append("future_created_at")
        if options.include_fund_numbers:
            payload["healthFundName"] = cells["health_fund_name"]
            payload["healthFundMemberNo"] = cells["health_fund_member_no"]
            payload["medicareNo"] = cells["medicare_no"]
        payload["companyId"] = ref(COMPANIES.name_plural, practices[key])
        payload.update(review_fields(review))
        apply_extra_columns(payload, cells, PEOPLE.name_plural)
        result.stage(PATIENTS, make_staged_record(source_key=key, source_line=cells.line, payload=payload,
                                                  notes=notes + review))
        if review:
            result.count("needs_review")
    return result


# -- providers and workspace members ---------------------------------------------------------------


@dataclass
class DoctorMatch:
    """Provider id → workspace member id (or the fallback owner, or None), and one decision per provider."""

    assignees: dict[str, str | None] = field(default_factory=dict)
    fallback_member_id: str | None = None
    decisions: list[dict] = field(default_factory=list)

    def assignee_for(self, provider_id: str | None) -> str | None:
        """The member who owns a provider's tasks; an unknown or missing provider gets the fallback owner."""
        if provider_id and provider_id in self.assignees:
            return self.assignees[provider_id]
        return self.fallback_member_id


def match_doctors(rows: Sequence[Row], members: Iterable[Mapping[str, object]],
                  options: MappingOptions | None = None) -> DoctorMatch:
    """Match providers to Twenty workspace members (`[{id, userEmail}]`) by email, case-insensitively.

    No match (no email, or no member with it) → the configured fallback owner
    (options.fallback_owner_email, itself looked up among the members), else unassigned. Every
    outcome is a decision with ids only (provider id, member id, rule).
    """
    options = options or MappingOptions()
    by_email: dict[str, str] = {}
    for member in members:
        email = clean(member.get("userEmail"))
        if email and member.get("id"):
            by_email.setdefault(email.casefold(), str(member["id"]))
    match = DoctorMatch()
    fallback_email = clean(options.fallback_owner_email)
    if fallback_email:
        match.fallback_member_id = by_email.get(fallback_email.casefold())
        match.decisions.append({"kind": "fallback_owner",
                                "outcome": "found" if match.fallback_member_id else "not_a_workspace_member",
                                "workspace_member_id": match.fallback_member_id})
    for row in sorted(rows, key=lambda r: natural_key(str(r["provider_id"]))):
        provider_id = str(row["provider_id"])
        email = check_email(row.get("email")).email
        member = by_email.get(email.casefold()) if email else None
        if member:
            outcome, rule = "matched", "email"
        elif match.fallback_member_id:
            member, outcome = match.fallback_member_id, "fallback"
            rule = "no_email" if not email else "no_member_with_email"
        else:
            outcome = "unassigned"
            rule = "no_fallback_owner" if not fallback_email else "fallback_owner_not_a_member"
        match.assignees[provider_id] = member
        match.decisions.append({"kind": "doctor_member", "provider_id": provider_id, "outcome": outcome,
                                "rule": rule, "workspace_member_id": member})
    return match


def provider_display_names(rows: Sequence[Row]) -> dict[str, str]:
    """Provider id → `Dr Jane Citizen`: how a clinical note names its author."""
    names = {}
    for row in rows:
        parts = [clean(row.get(c)) for c in ("title", "first_name", "last_name")]
        names[str(row["provider_id"])] = " ".join(p for p in parts if p)
    return names


def provider_emails(result: MappingResult) -> set[str]:
    """The primary emails staged providers hold: patients must not claim them as primary too."""
    return {r.payload["emails"]["primaryEmail"] for r in result.staged
            if (r.payload.get("emails") or {}).get("primaryEmail")}


def map_providers(rows: Sequence[Row], warnings: Warnings | None = None, options: MappingOptions | None = None,
                  members: Iterable[Mapping[str, object]] = (), available: Available | None = None,
                  match: DoctorMatch | None = None,
                  timezones: Mapping[str, tzinfo] | None = None) -> MappingResult:
    """Accepted provider rows → people (personType DOCTOR), keyed `provider:<id>`, with the member match recorded.

    `match` may be passed in (the same match then feeds `map_appointments`); otherwise it is made here
    from `members`. A provider whose practice company is not staged is held back.
    """
    options = options or MappingOptions()
    region = options.region
    match = match or match_doctors(rows, members, options)
    result = MappingResult(target=PEOPLE.name_plural, source_object=PROVIDERS)
    result.count(f"{PROVIDERS}.rows", len(rows))
    result.decisions += match.decisions
    email_owner: dict[str, str] = {}
    for row in sorted(rows, key=lambda r: natural_key(str(r["provider_id"]))):
        email = check_email(row.get("email")).email
        if email:
            email_owner.setdefault(email, str(row["provider_id"]))
    for row in rows:
        cells = Cells(row, PROVIDERS, options)
        provider_id = str(row["provider_id"])
        practice = cells["practice_id"]
        missing = first_missing(available, [(COMPANIES.name_plural, practice)])
        if missing:
            result.hold(PROVIDERS, provider_id, cells.line, missing)
            continue
        review: list[str] = []
        notes: list[str] = []
        email = check_email(cells["email"])
        primary = email.email if email.email and email_owner.get(email.email) == provider_id else None
        if email.email and primary is None:
            notes.append("email_shared_with_another_provider")
        elif email.problem == "malformed":
            review.append("email_malformed_dropped")
        phones = phones_field([("phone", cells["phone"])], region)
        review += phones.reasons
        notes += phones.notes
        provider_type = canonical(PROVIDERS, "provider_type", cells["provider_type"])
        payload: dict = {
            "cpProviderId": provider_id,
            "personType": "DOCTOR",
            "name": full_name(cells["first_name"], cells["last_name"]),
            "jobTitle": provider_type,
            "providerType": status_value("providers.provider_type", PROVIDERS, "provider_type",
                                         cells["provider_type"]),
            "doctorSpecialization": cells["specialization"],
            "emails": emails_field(primary),
            "householdEmail": None,
            "phones": phones.value,
            "companyId": ref(COMPANIES.name_plural, practice) if practice else None,
        }
        if boolean(cells["active"]) is False:
            notes.append("provider_inactive")
        payload.update(review_fields(review))
        cells.stamp(payload, "created_at", zone_for(timezones, practice, options))
        apply_extra_columns(payload, cells, PEOPLE.name_plural)
        result.stage(PROVIDERS, make_staged_record(source_key=provider_source_key(provider_id),
                                                   source_line=cells.line, payload=payload, notes=notes + review))
    return result
