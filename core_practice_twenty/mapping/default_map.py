"""The default column map: where every canonical Core Practice column goes in Twenty, and how.

The proposer starts from this table for every export (a column it recognises gets its default entry;
a person may change it in the map file before confirming). It follows
../shared/reference/twenty-target-model.md; target fields are names of `target_model.TARGET_OBJECTS`
so the schema step, the transforms and this map cannot drift apart (a test checks every name).

A target is `<object plural>.<field>` or `<object plural>.<field>.<sub-field>` for a composite field
(`people.name.firstName`, `invoices.total.amountMicros`); a bare `<object plural>` names a link object
the model declares without fields (taskTargets, noteTargets, attachments). An entry with no target and
transform `json_summary` is written out as a reference file, not loaded (workflows).
"""

from __future__ import annotations

from dataclasses import dataclass

from core_practice_twenty.mapping.target_model import STATUS_MAPS, TARGET_OBJECTS
from core_practice_twenty.model.twenty import COMPOSITE_SUBFIELDS
from core_practice_twenty.source.export_spec import EXPORT_SPEC

TRANSFORMS: dict[str, str] = {
    "rename": "copied as it is (trimmed) into the target field",
    "split_name": "one `Last, First` cell split into name.lastName and name.firstName",
    "join_address": "street lines joined into the ADDRESS field's street parts",
    "address_compose": "city, state and postcode composed into the ADDRESS field; state checked against the "
                       "region's list, postcode repaired (lost leading zero) and checked",
    "phone_e164": "phone number parsed for the region and written as E.164 (number, country, calling code)",
    "country_alpha2": "country name or code → ISO 3166 alpha-2",
    "status_map": "value-set spelling → canonical value → the Twenty SELECT option (`status_map:<key>`, "
                  "keys of target_model.STATUS_MAPS)",
    "money_micros": "amount → CURRENCY amountMicros (× 1,000,000) with the currency code",
    "date": "date read in the region's order (or ISO / Excel serial) → DATE",
    "datetime": "date and time read in the region's order → DATE_TIME (UTC)",
    "email_policy": "the shared family email policy: primary email only where the person owns the address, "
                    "else householdEmail; no email → needsReview",
    "relation": "a key of another object resolved to that record's Twenty id (`relation:<object plural>`)",
    "json_summary": "rows gathered into a JSON summary on the parent record (or a reference file)",
    "excluded": "never sent to Twenty (the reason says why)",
}
"""The transform vocabulary of the map file; `status_map` and `relation` take a `:<argument>`."""

_TEXTUAL = frozenset({"TEXT", "RICH_TEXT", "RICH_TEXT_V2", "FULL_NAME", "EMAILS", "LINKS", "CURRENCY", "ADDRESS",
                      "BOOLEAN", "NUMBER", "NUMERIC"})
SUBURB_ROLE = ("suburb: by the address's own country, the locality (AU: the city field) or a line above the town "
               "(NZ, US: street line 2)")

TRANSFORM_FITS: dict[str, frozenset[str]] = {
    "rename": _TEXTUAL,
    "split_name": frozenset({"FULL_NAME", "TEXT"}),
    "join_address": frozenset({"ADDRESS", "TEXT"}),
    "address_compose": frozenset({"ADDRESS", "TEXT"}),
    "phone_e164": frozenset({"PHONES", "TEXT"}),
    "country_alpha2": frozenset({"ADDRESS", "TEXT"}),
    "status_map": frozenset({"SELECT", "MULTI_SELECT", "TEXT"}),
    "money_micros": frozenset({"CURRENCY"}),
    "date": frozenset({"DATE", "DATE_TIME", "TEXT"}),
    "datetime": frozenset({"DATE_TIME", "TEXT"}),
    "email_policy": frozenset({"EMAILS", "TEXT"}),
    "relation": frozenset({"RELATION", "RAW_JSON", "TEXT"}),
    "json_summary": frozenset({"RAW_JSON", "TEXT"}),
    "excluded": frozenset(),
}
"""The Twenty field types each transform can write (a sub-field counts as its composite's type; a new field of
the practice's own is TEXT): a `date` sent into a PHONES field, or a phone into a DATE, is refused at confirm."""

POLICY_FIELDS: dict[tuple[str, str], frozenset[str]] = {
    ("patients", "people"): frozenset({
        "name", "emails", "householdEmail", "phones", "homeAddress", "companyId", "needsReview", "reviewReasons",
        "personType", "healthFundName", "healthFundMemberNo", "medicareNo"}),
    ("providers", "people"): frozenset({
        "cpProviderId", "personType", "name", "jobTitle", "emails", "householdEmail", "phones", "companyId",
        "needsReview", "reviewReasons"}),
    ("practices", "companies"): frozenset({
        "cpPracticeId", "address", "practicePhone", "practiceEmail", "domainName", "parentCompanyId", "parentCompany"}),
    ("appointments", "tasks"): frozenset({"title", "assigneeId"}),
    ("clinical_notes", "notes"): frozenset({"title", "authorDoctor"}),
    ("invoices", "invoices"): frozenset({"name", "lineItems", "payments", "outstandingBalance"}),
    ("insurance_claims", "insuranceClaims"): frozenset({"name"}),
    ("treatment_plans", "treatmentPlans"): frozenset({"name"}),
    ("treatment_plans", "opportunities"): frozenset({"name", "companyId", "pointOfContactId"}),
}
"""(source object, Twenty object) → the fields a policy writes, reading its columns by name (a patient's name, phones
and address, who keeps a shared email, a task's title and assignee, an invoice's balance): not one column as its
entry says. The map names these policies by their transform; a column they read is never re-pointed
(`mapping.repoint`); the plans skip them when they compile an entry's targets (`mapping.sql.compile`)."""

OPT_IN_TARGETS: dict[tuple[str, str], str] = {
    ("patients", "preferred_name"): "people.name.firstName",
    ("patients", "health_fund_name"): "people.healthFundName",
    ("patients", "health_fund_member_no"): "people.healthFundMemberNo",
    ("patients", "medicare_no"): "people.medicareNo",
}
"""Columns the default keeps out that a policy reads once a person sends them, and the field that says so: a
preferred name joins the first name (`Elizabeth (Liz)`); fund and Medicare numbers go to their opt-in fields (with
`include_fund_numbers`). Any other column the default keeps out may go to a field no policy writes."""

WORKSPACE_MEMBERS = "workspaceMembers"
"""Relation target outside TARGET_OBJECTS: Twenty's workspace members (doctors → task assignees)."""

_SINGULAR_TO_PLURAL = {t.name_singular: t.name_plural for t in TARGET_OBJECTS.values()} | {
    "workspaceMember": WORKSPACE_MEMBERS}


@dataclass(frozen=True)
class DefaultEntry:
    """Where one canonical column goes by default."""

    source_object: str
    column: str
    targets: tuple[str, ...]
    transform: str
    reason: str


def transform_problem(transform: str) -> str | None:
    """Why `transform` is not in the vocabulary, or None when it is."""
    name, _, argument = transform.partition(":")
    if name not in TRANSFORMS:
        return f"unknown transform {transform!r} (one of: {', '.join(TRANSFORMS)})"
    if name == "status_map" and argument not in STATUS_MAPS:
        return f"{transform!r}: status map {argument!r} is not one of {', '.join(STATUS_MAPS)}"
    if name == "relation" and argument not in set(_SINGULAR_TO_PLURAL.values()):
        return f"{transform!r}: relation target {argument!r} is not a Twenty object the migration writes"
    if name not in ("status_map", "relation") and argument:
        return f"{transform!r}: transform {name!r} takes no argument"
    return None


def target_problem(target: str, *, allow_new_field: bool = False) -> str | None:
    """Why `target` does not name a field of the target model, or None when it does.

    `allow_new_field`: a field the model does not have is accepted (it becomes a custom TEXT field on
    the object: how a practice's own column is carried over).
    """
    obj_name, _, rest = target.partition(".")
    obj = TARGET_OBJECTS.get(obj_name)
    if obj is None:
        return f"{target!r}: {obj_name!r} is not a Twenty object of the target model ({', '.join(TARGET_OBJECTS)})"
    if not rest:
        return None if not obj.fields else f"{target!r}: name a field of {obj_name}"
    field_name, _, sub = rest.partition(".")
    known = {f.name: f for f in obj.fields}
    if field_name not in known:
        if allow_new_field and not sub and field_name.isidentifier() and field_name[:1].islower():
            return None
        return f"{target!r}: {obj_name} has no field {field_name!r} in the target model"
    if sub and sub not in COMPOSITE_SUBFIELDS.get(known[field_name].type, ()):
        return f"{target!r}: {known[field_name].type} field {field_name!r} has no sub-field {sub!r}"
    return None


def target_type(target: str) -> str | None:
    """The Twenty type `target` writes: the field's (a composite's, for a sub-field), TEXT for a new field of the
    practice's own, None for a whole object or an unknown one."""
    obj_name, _, rest = target.partition(".")
    obj = TARGET_OBJECTS.get(obj_name)
    if obj is None or not rest:
        return None
    known = {f.name: f for f in obj.fields}
    field = known.get(rest.partition(".")[0])
    return field.type if field is not None else "TEXT"


def fit_problem(transform: str, target: str) -> str | None:
    """Why `transform` cannot write into `target`'s type, or None when it can."""
    name = transform.partition(":")[0]
    field_type = target_type(target)
    allowed = TRANSFORM_FITS.get(name)
    if field_type is None or allowed is None or field_type in allowed:
        return None
    return (f"{target!r} is a {field_type} field; transform {name!r} writes {', '.join(sorted(allowed))} "
            f"(choose a field of one of those types, or another transform)")


def relation_problem(transform: str, targets: tuple[str, ...]) -> str | None:
    """A `relation:<x>` written into a RELATION field that points at another object than x."""
    name, _, argument = transform.partition(":")
    if name != "relation":
        return None
    for target in targets:
        obj_name, _, rest = target.partition(".")
        field_name = rest.partition(".")[0]
        obj = TARGET_OBJECTS.get(obj_name)
        if obj is None or not field_name:
            continue
        field = next((f for f in obj.fields if f.name == field_name), None)
        if field is not None and field.type == "RELATION" and field.relation_target:
            expected = _SINGULAR_TO_PLURAL.get(field.relation_target, field.relation_target)
            if expected != argument:
                return f"{transform!r} into {target!r}: that relation points at {expected}"
    return None


def _table() -> dict[tuple[str, str], DefaultEntry]:
    entries: list[DefaultEntry] = []

    def add(obj: str, column: str, targets: str | tuple[str, ...], transform: str, reason: str) -> None:
        entries.append(DefaultEntry(obj, column, (targets,) if isinstance(targets, str) else targets,
                                    transform, reason))

    def excluded(obj: str, column: str, reason: str) -> None:
        add(obj, column, (), "excluded", reason)

    def timestamps(obj: str, plural: str) -> None:
        """The source's creation time becomes Twenty's createdAt (one line to switch off: transform: excluded);
        updatedAt stays Twenty's: it is the clock a delta wave reads to find records changed in Twenty since."""
        add(obj, "created_at", f"{plural}.createdAt", "datetime",
            "the record's original creation time (Twenty orders a person's notes and its lists by it), read in "
            "the practice's time zone; a time after the export date is flagged and left to Twenty")
        excluded(obj, "updated_at", "Twenty's updatedAt is the migration's clock for changes made in Twenty "
                                    "(delta waves read it); the source's stays in the warehouse")

    # -- practices → companies -----------------------------------------------------------------------
    o = "practices"
    add(o, "practice_id", "companies.cpPracticeId", "rename", "the practice key: the company's upsert key")
    add(o, "practice_name", "companies.name", "rename", "one company per location, named after it")
    add(o, "group_name", "companies.parentCompany", "relation:companies",
        "the group becomes a parent company linked by the parentCompany relation")
    add(o, "address_line1", "companies.address.addressStreet1", "join_address", "first street line")
    add(o, "address_line2", "companies.address.addressStreet2", "join_address", "second street line")
    add(o, "city", "companies.address.addressCity", "address_compose", "town or city of the address")
    add(o, "suburb", ("companies.address.addressCity", "companies.address.addressStreet2"), "address_compose",
        SUBURB_ROLE)
    add(o, "state", "companies.address.addressState", "address_compose", "state, checked against the region")
    add(o, "postcode", "companies.address.addressPostcode", "address_compose",
        "postcode, leading zero repaired and format checked")
    add(o, "country", "companies.address.addressCountry", "country_alpha2", "country as ISO 3166 alpha-2")
    add(o, "phone", "companies.practicePhone", "phone_e164", "the location's phone in E.164")
    add(o, "email", "companies.practiceEmail.primaryEmail", "rename", "the location's own email")
    add(o, "website", "companies.domainName.primaryLinkUrl", "rename",
        "website normalised to a bare host; a domain shared by a group's locations is kept by one of them")
    timestamps(o, "companies")

    # -- providers → people (DOCTOR) -----------------------------------------------------------------
    o = "providers"
    add(o, "provider_id", "people.cpProviderId", "rename", "the provider key: the doctor's upsert key")
    add(o, "practice_id", "people.companyId", "relation:companies", "the doctor's practice company")
    excluded(o, "title", "a salutation (Dr); Twenty's name has no title part")
    add(o, "first_name", "people.name.firstName", "rename", "first name")
    add(o, "last_name", "people.name.lastName", "rename", "last name")
    add(o, "provider_type", "people.providerType", "status_map:providers.provider_type",
        "provider type → providerType SELECT option")
    add(o, "specialization", "people.doctorSpecialization", "rename", "specialisation as text")
    excluded(o, "registration_number", "no field in the target model; the registration stays in Core Practice")
    add(o, "email", "people.emails.primaryEmail", "rename",
        "the doctor's email; also matched against workspace members to assign the doctor's tasks")
    add(o, "phone", "people.phones", "phone_e164", "the doctor's phone in E.164")
    excluded(o, "active", "no field in the target model; inactive providers keep their history")
    timestamps(o, "people")

    # -- patients → people (PATIENT) -----------------------------------------------------------------
    o = "patients"
    add(o, "patient_id", "people.cpPatientId", "rename", "the patient key: the person's upsert key")
    add(o, "patient_no", "people.cpPatientNo", "rename", "the chart number staff search by")
    excluded(o, "title", "a salutation (Mr, Ms); Twenty's name has no title part")
    add(o, "first_name", "people.name.firstName", "rename", "first name")
    excluded(o, "middle_name", "Twenty's name has first and last only; not needed to identify (minimum necessary)")
    add(o, "last_name", "people.name.lastName", "rename", "last name")
    excluded(o, "preferred_name", "no field in the target model")
    add(o, "date_of_birth", "people.dateOfBirth", "date", "date of birth, read in the region's date order")
    excluded(o, "sex", "no field in the target model; not needed in the CRM (minimum necessary)")
    add(o, "email", ("people.emails.primaryEmail", "people.householdEmail"), "email_policy",
        "primary only where the patient owns the address; a shared family email goes to householdEmail")
    add(o, "mobile_phone", "people.phones.primaryPhoneNumber", "phone_e164", "the mobile is the primary phone")
    add(o, "home_phone", "people.phones.additionalPhones", "phone_e164", "kept as an additional phone")
    add(o, "work_phone", "people.phones.additionalPhones", "phone_e164", "kept as an additional phone")
    add(o, "first_address", "people.homeAddress.addressStreet1", "join_address", "first street line")
    add(o, "address_line2", "people.homeAddress.addressStreet2", "join_address", "second street line")
    add(o, "patient_city", "people.homeAddress.addressCity", "address_compose", "town or city")
    add(o, "patient_suburb", ("people.homeAddress.addressCity", "people.homeAddress.addressStreet2"),
        "address_compose", SUBURB_ROLE)
    add(o, "patient_state", "people.homeAddress.addressState", "address_compose", "state, checked against the region")
    add(o, "patient_postal_code", "people.homeAddress.addressPostcode", "address_compose",
        "postcode, leading zero repaired and format checked")
    add(o, "patient_country", "people.homeAddress.addressCountry", "country_alpha2", "country as ISO 3166 alpha-2")
    add(o, "practice_id", "people.companyId", "relation:companies",
        "the home practice; patient_practices.is_primary wins when there is one")
    add(o, "family_head_id", ("people.emails.primaryEmail", "people.householdEmail"), "email_policy",
        "decides who keeps a shared family email as primary (the family head)")
    add(o, "family_role", ("people.emails.primaryEmail", "people.householdEmail"), "email_policy",
        "marks the family head for the shared email policy")
    add(o, "status", "people.patientStatus", "status_map:patients.status", "patient status → SELECT option")
    add(o, "is_deleted", ("people.needsReview", "people.reviewReasons"), "rename",
        "a soft-deleted patient is flagged for review with the reason")
    excluded(o, "preferred_provider_id", "no relation from a patient to a doctor in the target model")
    excluded(o, "health_fund_name", "no field in the target model; the fund is the payer on insurance claims")
    excluded(o, "health_fund_member_no", "sensitive: kept out by default; opt in with include_fund_numbers "
                                         "(needs a field in the target model)")
    excluded(o, "medicare_no", "sensitive: kept out by default; opt in with include_fund_numbers "
                               "(needs a field in the target model)")
    add(o, "recall_due_date", "people.recallDueDate", "date", "when the patient is due for recall")
    excluded(o, "sms_opt_in", "no consent field in the target model")
    excluded(o, "email_opt_in", "no consent field in the target model")
    excluded(o, "referral_source", "no field in the target model")
    excluded(o, "first_visit_date", "no field in the target model; visits arrive as tasks")
    excluded(o, "last_visit_date", "no field in the target model; visits arrive as tasks")
    timestamps(o, "people")

    # -- patient_practices → the person's company ---------------------------------------------------
    o = "patient_practices"
    add(o, "patient_id", "people.cpPatientId", "relation:people", "the patient whose primary practice this row decides")
    add(o, "practice_id", "people.companyId", "relation:companies", "a practice the patient is seen at")
    add(o, "is_primary", "people.companyId", "relation:companies", "the primary location becomes the person's company")
    excluded(o, "first_seen", "no field in the target model")
    excluded(o, "last_seen", "no field in the target model")

    # -- appointments → tasks (+ taskTargets) --------------------------------------------------------
    o = "appointments"
    add(o, "appointment_id", "tasks.cpAppointmentId", "rename", "the appointment key: the task's upsert key")
    add(o, "patient_id", "taskTargets", "relation:people", "the task targets the patient")
    add(o, "provider_id", "tasks.assigneeId", "relation:workspaceMembers",
        "the doctor's matching workspace member (else the fallback owner) is the assignee")
    add(o, "practice_id", "taskTargets", "relation:companies", "the task also targets the practice company")
    add(o, "start_at", "tasks.dueAt", "datetime", "the appointment's start is the task's due time")
    excluded(o, "end_at", "a task has one due time; the duration is not kept")
    add(o, "appointment_type", ("tasks.appointmentType", "tasks.title"), "rename",
        "appointment type; also the start of the task title")
    add(o, "procedure_codes", ("tasks.procedureCodes", "tasks.title"), "rename",
        "item numbers / CDT codes; also in the task title")
    add(o, "status", ("tasks.appointmentStatus", "tasks.status"), "status_map:appointments.status",
        "all five statuses kept in appointmentStatus; task status TODO/DONE by appointments.status→task.status")
    excluded(o, "chair", "no field in the target model")
    excluded(o, "cancellation_reason", "no field in the target model")
    excluded(o, "booked_online", "no field in the target model")
    timestamps(o, "tasks")

    # -- treatment_plans → treatmentPlans (+ opportunities while open) ------------------------------
    o = "treatment_plans"
    add(o, "treatment_plan_id", ("treatmentPlans.cpTreatmentPlanId", "opportunities.cpTreatmentPlanId"), "rename",
        "the plan key: upsert key of the plan and of its opportunity")
    add(o, "patient_id", ("treatmentPlans.patient", "opportunities.pointOfContactId"), "relation:people",
        "the plan's patient; the opportunity's point of contact")
    excluded(o, "provider_id", "no provider relation on treatmentPlan in the target model")
    add(o, "practice_id", "opportunities.companyId", "relation:companies", "the opportunity's company")
    add(o, "plan_name", "opportunities.name", "rename", "names the opportunity")
    add(o, "status", ("treatmentPlans.treatmentStatus", "opportunities.stage"), "status_map:treatment_plans.status",
        "plan status → SELECT option; open plans get a stage by treatment_plans.status→opportunity.stage")
    add(o, "procedure_codes", "treatmentPlans.procedureCodes", "rename", "item numbers / CDT codes")
    add(o, "procedure_name", "treatmentPlans.procedureName", "rename", "the procedure")
    add(o, "tooth_numbers", "treatmentPlans.toothNumbers", "rename", "teeth (FDI or Universal)")
    add(o, "estimated_cost", ("treatmentPlans.estimatedCost.amountMicros", "opportunities.amount.amountMicros"),
        "money_micros", "estimate in micros; the opportunity's amount")
    add(o, "currency", ("treatmentPlans.estimatedCost.currencyCode", "opportunities.amount.currencyCode"), "rename",
        "currency code of the estimate")
    add(o, "proposed_date", "treatmentPlans.proposedDate", "date", "date proposed")
    add(o, "accepted_date", "treatmentPlans.acceptedDate", "date", "date accepted")
    add(o, "completed_date", "treatmentPlans.completedDate", "date", "date completed")
    timestamps(o, "treatmentPlans")

    # -- invoices → invoices ----------------------------------------------------------------------------
    o = "invoices"
    add(o, "invoice_id", "invoices.cpInvoiceId", "rename", "the invoice key: upsert key")
    add(o, "invoice_no", "invoices.invoiceNumber", "rename", "the number printed on the invoice")
    add(o, "patient_id", "invoices.patient", "relation:people", "the invoice's patient")
    excluded(o, "provider_id", "no provider relation on invoice in the target model")
    excluded(o, "practice_id", "no company relation on invoice in the target model")
    add(o, "invoice_date", "invoices.invoiceDate", "date", "invoice date")
    add(o, "due_date", "invoices.dueDate", "date", "due date")
    add(o, "total", "invoices.total.amountMicros", "money_micros", "total in micros")
    add(o, "amount_paid", "invoices.amountPaid.amountMicros", "money_micros", "paid in micros")
    add(o, "balance", "invoices.outstandingBalance.amountMicros", "money_micros", "outstanding in micros")
    add(o, "status", "invoices.invoiceStatus", "status_map:invoices.status", "invoice status → SELECT option")
    add(o, "currency", ("invoices.total.currencyCode", "invoices.amountPaid.currencyCode",
                        "invoices.outstandingBalance.currencyCode"), "rename", "currency code of the amounts")
    timestamps(o, "invoices")

    # -- invoice_lines → invoices.lineItems ------------------------------------------------------------
    o = "invoice_lines"
    add(o, "invoice_id", "invoices.lineItems", "relation:invoices", "the invoice the line belongs to")
    for column in ("line_id", "item_code", "description", "tooth", "quantity", "unit_fee", "line_total"):
        add(o, column, "invoices.lineItems", "json_summary", "kept in the invoice's line summary")

    # -- payments → invoices.payments ------------------------------------------------------------------
    o = "payments"
    add(o, "invoice_id", "invoices.payments", "relation:invoices", "the invoice the payment is against")
    excluded(o, "patient_id", "the invoice already names the patient")
    for column in ("payment_id", "paid_at", "amount", "method", "reference", "is_reversal"):
        add(o, column, "invoices.payments", "json_summary", "kept in the invoice's payment summary")

    # -- insurance_claims → insuranceClaims -----------------------------------------------------------
    o = "insurance_claims"
    add(o, "claim_id", "insuranceClaims.cpClaimId", "rename", "the claim key: upsert key")
    add(o, "patient_id", "insuranceClaims.patient", "relation:people", "the claim's patient")
    add(o, "invoice_id", "insuranceClaims.invoice", "relation:invoices", "the claimed invoice")
    excluded(o, "practice_id", "no company relation on insuranceClaim in the target model")
    add(o, "provider_name", "insuranceClaims.providerName", "rename", "provider named on the claim")
    add(o, "payer", "insuranceClaims.payer", "rename", "the insurer or health fund")
    add(o, "claim_date", "insuranceClaims.claimDate", "date", "claim date")
    add(o, "service_code", "insuranceClaims.serviceCode", "rename", "item numbers / CDT codes claimed")
    add(o, "amount_claimed", "insuranceClaims.amountClaimed.amountMicros", "money_micros", "claimed in micros")
    add(o, "amount_paid", "insuranceClaims.amountPaid.amountMicros", "money_micros", "benefit paid in micros")
    add(o, "status", "insuranceClaims.claimStatus", "status_map:insurance_claims.status",
        "claim status → SELECT option")
    timestamps(o, "insuranceClaims")

    # -- clinical_notes → notes (+ noteTargets) ---------------------------------------------------------
    o = "clinical_notes"
    add(o, "note_id", "notes.cpNoteId", "rename", "the note key: upsert key")
    add(o, "patient_id", "noteTargets", "relation:people", "the note targets the patient")
    add(o, "provider_id", "notes.authorDoctor", "relation:people", "the author doctor's name")
    excluded(o, "appointment_id", "the note is linked to the patient; the appointment link is not kept")
    add(o, "note_type", "notes.title", "rename", "the note title (type and date)")
    add(o, "note_date", ("notes.originalCreatedAt", "notes.title"), "datetime", "when the note was written")
    add(o, "body", "notes.bodyV2.markdown", "rename",
        "clinical note body as plain text (sensitive; exclude with include_clinical_notes: false)")
    timestamps(o, "notes")

    # -- documents → attachments ------------------------------------------------------------------------
    o = "documents"
    add(o, "document_id", "attachments", "rename", "identifies the uploaded file in the audit log")
    add(o, "patient_id", "attachments", "relation:people", "the attachment is on the patient")
    add(o, "file_name", "attachments", "rename", "the attachment's name")
    add(o, "relative_path", "attachments", "rename", "the file under documents/ that is uploaded")
    add(o, "category", "attachments", "rename", "kept with the attachment's name")
    add(o, "mime_type", "attachments", "rename", "the uploaded file's content type")
    excluded(o, "size_bytes", "the real size is measured at upload (over the limit: reference only)")
    excluded(o, "sha256", "checked at validation; not a Twenty field")
    excluded(o, "uploaded_at", "Twenty records its own upload time")

    # -- workflows → reference files ------------------------------------------------------------------
    for column in EXPORT_SPEC["workflows"].column_names:
        add("workflows", column, (), "json_summary", "written to a JSON reference file for the admin; not loaded")

    table: dict[tuple[str, str], DefaultEntry] = {}
    for e in entries:
        if (e.source_object, e.column) in table:
            raise ValueError(f"default map: {e.source_object}.{e.column} has two entries")
        table[(e.source_object, e.column)] = e
    return table


DEFAULT_MAP: dict[tuple[str, str], DefaultEntry] = _table()
"""(source object, canonical column) → default entry; one per column of EXPORT_SPEC."""


def default_entry(source_object: str, column: str) -> DefaultEntry:
    """The default entry of a canonical column (KeyError names the column when it has none)."""
    try:
        return DEFAULT_MAP[(source_object, column)]
    except KeyError:
        raise KeyError(f"the default map has no entry for {source_object}.{column}") from None


def primary_target(source_object: str) -> DefaultEntry:
    """The default entry of the object's (first) key column: where a practice's own column would go."""
    return default_entry(source_object, EXPORT_SPEC[source_object].key[0])
