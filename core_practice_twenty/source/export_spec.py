"""The Core Practice export spec: the one table of truth for files, columns, types and aliases.

Readers, pandera schemas, the sample generator and the docs all derive from `EXPORT_SPEC`; nothing
else in the code base may restate a column list. Canonical names follow
../shared/reference/core-practice-export.md; aliases are the header spellings real exports use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from enum import StrEnum


class ColumnType(StrEnum):
    """How a source column is read; landing keeps the raw text, validation checks the type."""

    TEXT = "text"
    ID = "id"
    INTEGER = "integer"
    DATE = "date"
    DATETIME = "datetime"
    BOOLEAN = "boolean"
    MONEY = "money"
    EMAIL = "email"
    PHONE = "phone"
    URL = "url"
    POSTCODE = "postcode"
    COUNTRY = "country"
    STATE = "state"
    CODES = "codes"  # several procedure codes or teeth in one cell, separated by `;`
    JSON = "json"


@dataclass(frozen=True)
class ColumnSpec:
    """One canonical column.

    `required`: the header must have it (else the file is structurally unusable); `nullable`: a cell may
    be empty. `references` names the key this column points at (`patients.patient_id`), for the
    referential-integrity rules. `values` is the canonical value set; `value_aliases` maps other
    spellings seen in real exports (folded with `fold_value`) to a canonical value.
    """

    name: str
    type: ColumnType = ColumnType.TEXT
    required: bool = False
    nullable: bool = True
    aliases: tuple[str, ...] = ()
    values: tuple[str, ...] | None = None
    value_aliases: tuple[tuple[str, str], ...] = ()
    references: str | None = None
    sensitive: bool = False
    description: str = ""

    def canonical_value(self, raw: str | None) -> str | None:
        """The canonical spelling of a value-set cell, or None when it is not recognised."""
        if raw is None or self.values is None:
            return raw
        folded = fold_value(raw)
        for value in self.values:
            if fold_value(value) == folded:
                return value
        return dict(self.value_aliases).get(folded)


@dataclass(frozen=True)
class ObjectSpec:
    """One export file (one Core Practice object)."""

    name: str
    key: tuple[str, ...]
    columns: tuple[ColumnSpec, ...]
    description: str = ""
    file_stems: tuple[str, ...] = field(default=())
    full_name_headers: tuple[str, ...] = ()
    """Headers of a single `Last, First` name column, read into last_name and first_name."""

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> ColumnSpec:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def stems(self) -> tuple[str, ...]:
        """File names (without extension) this object may be exported as."""
        return self.file_stems or (self.name,)

    @property
    def references(self) -> list[ColumnSpec]:
        return [c for c in self.columns if c.references]


def normalise_header(header: str) -> str:
    """Fold a header spelling to a comparable form: `First Name`, `first-name`, `FIRST_NAME` → `first_name`."""
    text = header.strip().lstrip("\ufeff").strip().lower()
    text = re.sub(r"[^a-z0-9]+", "_", text)
    return text.strip("_")


def fold_value(value: str) -> str:
    """Fold a value-set spelling: `No Show`, `no-show`, `NO_SHOW` → `no show`."""
    return re.sub(r"[^a-z0-9]+", " ", value.strip().lower()).strip()


T = ColumnType


US_SPELLINGS = {"cancelled": "canceled", "cheque": "check", "cheques": "checks", "dependant": "dependent",
                "honour": "honor", "instalment": "installment", "enrolment": "enrollment"}
"""Words a US office spells its own way: every value set and its aliases accept both spellings."""


def _spelled_both_ways(values: tuple[str, ...] | None, aliases: dict[str, str]) -> list[tuple[str, str]]:
    """(folded spelling, canonical value): the aliases, plus the US spelling of any value or alias that has one."""
    pairs = {fold_value(k): v for k, v in aliases.items()}
    for spelling, value in [*((v, v) for v in values or ()), *aliases.items()]:
        words = fold_value(spelling).split()
        us = " ".join(US_SPELLINGS.get(word, word) for word in words)
        if us != " ".join(words):
            pairs.setdefault(us, value)
    return list(pairs.items())


def col(name: str, type_: ColumnType = ColumnType.TEXT, *aliases: str, required: bool = False,
        nullable: bool = True, values: tuple[str, ...] | None = None,
        value_aliases: dict[str, str] | None = None, references: str | None = None, sensitive: bool = False,
        description: str = "") -> ColumnSpec:
    return ColumnSpec(
        name=name, type=type_, required=required, nullable=nullable, aliases=tuple(aliases), values=values,
        value_aliases=tuple(_spelled_both_ways(values, value_aliases or {})),
        references=references, sensitive=sensitive, description=description,
    )


def key(name: str, *aliases: str, description: str = "") -> ColumnSpec:
    """A primary-key column: required, never empty."""
    return col(name, T.ID, *aliases, required=True, nullable=False, description=description)


def ref(name: str, target: str, *aliases: str, required: bool = True, nullable: bool = True) -> ColumnSpec:
    """A column holding another object's key (`patients.patient_id`)."""
    return col(name, T.ID, *aliases, required=required, nullable=nullable, references=target)


def timestamps() -> tuple[ColumnSpec, ColumnSpec]:
    return (
        col("created_at", T.DATETIME, "Created", "Created At", "Date Created", "Created Date"),
        col("updated_at", T.DATETIME, "Updated", "Updated At", "Last Modified", "Modified", "Date Modified"),
    )


PATIENT_STATUSES = ("Active", "Inactive", "Archived", "Deceased")
FAMILY_ROLES = ("Head", "Member")
PROVIDER_TYPES = ("Dentist", "Hygienist", "Therapist", "Oral Health Therapist", "Prosthetist", "Specialist")
APPOINTMENT_STATUSES = ("Scheduled", "Confirmed", "Completed", "Cancelled", "No-Show")
TREATMENT_PLAN_STATUSES = ("Proposed", "Accepted", "In-Progress", "Completed", "Declined")
INVOICE_STATUSES = ("Paid", "Outstanding", "Overdue", "Void")
CLAIM_STATUSES = ("Submitted", "Pending", "Approved", "Denied", "Paid")
PAYMENT_METHODS = ("Cash", "EFTPOS", "Card", "HICAPS", "Medicare", "Insurance", "Direct Debit", "Cheque")
SEXES = ("Male", "Female", "Other", "Unknown")

PRACTICES = ObjectSpec(
    name="practices",
    key=("practice_id",),
    description="A practice location. One company in Twenty per location.",
    file_stems=("practices", "practice_locations", "locations"),
    columns=(
        key("practice_id", "Practice ID", "PracticeID", "Location ID", "location_id", "Clinic ID",
            description="Core Practice's id of the location; the upsert key in Twenty."),
        col("practice_name", T.TEXT, "Practice Name", "Practice", "Location Name", "Clinic Name", "Name",
            required=True, nullable=False),
        col("group_name", T.TEXT, "Group Name", "Group", "Practice Group", "Organisation", "Organization"),
        col("address_line1", T.TEXT, "Address Line 1", "Address1", "Address", "Street", "Street Address"),
        col("address_line2", T.TEXT, "Address Line 2", "Address2", "Suite"),
        col("city", T.TEXT, "City", "Town", "Town/City", "Town / City", "City/Town", "Suburb/Town"),
        col("suburb", T.TEXT, "Suburb", "Locality", "Suburb/Locality"),
        col("state", T.STATE, "State", "State/Territory", "Region", "Province"),
        col("postcode", T.POSTCODE, "Postcode", "Post Code", "Postal Code", "Zip", "Zip Code"),
        col("country", T.COUNTRY, "Country", "Country Code"),
        col("phone", T.PHONE, "Phone", "Phone Number", "Telephone", "Ph"),
        col("email", T.EMAIL, "Email", "E-mail", "Email Address"),
        col("website", T.URL, "Website", "Web", "URL", "Web Site"),
        *timestamps(),
    ),
)

PROVIDERS = ObjectSpec(
    name="providers",
    key=("provider_id",),
    description="A dentist, hygienist, therapist or other provider. A person (DOCTOR) in Twenty.",
    file_stems=("providers", "practitioners", "clinicians", "staff"),
    full_name_headers=("Provider Name", "Practitioner Name", "Full Name", "Provider"),
    columns=(
        key("provider_id", "Provider ID", "Practitioner ID", "Clinician ID", "Dentist ID"),
        ref("practice_id", "practices.practice_id", "Practice ID", "Location ID", "Clinic ID"),
        col("title", T.TEXT, "Title"),
        col("first_name", T.TEXT, "First Name", "Firstname", "Given Name", required=True),
        col("last_name", T.TEXT, "Last Name", "Lastname", "Surname", "Family Name", required=True, nullable=False),
        col("provider_type", T.TEXT, "Provider Type", "Type", "Role", "Practitioner Type", required=True,
            values=PROVIDER_TYPES,
            value_aliases={"dental hygienist": "Hygienist", "oht": "Oral Health Therapist",
                           "dental therapist": "Therapist", "dental prosthetist": "Prosthetist",
                           "general dentist": "Dentist"}),
        col("specialization", T.TEXT, "Specialization", "Specialisation", "Specialty", "Speciality"),
        col("registration_number", T.TEXT, "Registration Number", "AHPRA Number", "AHPRA", "Registration No",
            "NPI", "License Number"),
        col("email", T.EMAIL, "Email", "E-mail", "Email Address"),
        col("phone", T.PHONE, "Phone", "Mobile", "Phone Number"),
        col("active", T.BOOLEAN, "Active", "Is Active", "Enabled"),
        *timestamps(),
    ),
)

PATIENTS = ObjectSpec(
    name="patients",
    key=("patient_id",),
    description="A patient. A person (PATIENT) in Twenty.",
    file_stems=("patients", "patient_list", "patient_details"),
    full_name_headers=("Patient Name", "Patient", "Full Name", "Name"),
    columns=(
        key("patient_id", "Patient ID", "PatientID", "Patient Id", "Pt ID"),
        col("patient_no", T.TEXT, "Patient No", "Patient Number", "Chart No", "File No", "Patient #"),
        col("title", T.TEXT, "Title", "Salutation"),
        col("first_name", T.TEXT, "First Name", "Firstname", "Given Name", "Forename", required=True,
            sensitive=True),
        col("middle_name", T.TEXT, "Middle Name", "Middle", "Middle Names", sensitive=True),
        col("last_name", T.TEXT, "Last Name", "Lastname", "Surname", "Family Name", required=True, nullable=False,
            sensitive=True),
        col("preferred_name", T.TEXT, "Preferred Name", "Known As", "Nickname", sensitive=True),
        col("date_of_birth", T.DATE, "Date of Birth", "DOB", "Birth Date", "Birthdate", required=True,
            sensitive=True),
        col("sex", T.TEXT, "Sex", "Gender", values=SEXES,
            value_aliases={"m": "Male", "f": "Female", "x": "Other", "u": "Unknown", "not stated": "Unknown"}),
        col("email", T.EMAIL, "Email", "E-mail", "Email Address", "Patient Email", sensitive=True),
        col("mobile_phone", T.PHONE, "Mobile Phone", "Mobile", "Cell", "Cell Phone", "Mobile No", sensitive=True),
        col("home_phone", T.PHONE, "Home Phone", "Home", "Phone (Home)", "Home Ph", sensitive=True),
        col("work_phone", T.PHONE, "Work Phone", "Work", "Business Phone", "Phone (Work)", sensitive=True),
        col("first_address", T.TEXT, "First Address", "Address", "Address Line 1", "Street", "Street Address",
            sensitive=True),
        col("address_line2", T.TEXT, "Address Line 2", "Address2", sensitive=True),
        col("patient_city", T.TEXT, "Patient City", "City", "Town", "Town/City", "Town / City", "City/Town"),
        col("patient_suburb", T.TEXT, "Patient Suburb", "Suburb", "Locality", "Suburb/Locality", sensitive=True),
        col("patient_state", T.STATE, "Patient State", "State", "State/Territory", "Region"),
        col("patient_postal_code", T.POSTCODE, "Patient Postal Code", "Postcode", "Post Code", "Postal Code",
            "Zip", "Zip Code"),
        col("patient_country", T.COUNTRY, "Patient Country", "Country"),
        ref("practice_id", "practices.practice_id", "Practice ID", "Location ID", "Home Practice", "Clinic ID"),
        ref("family_head_id", "patients.patient_id", "Family Head ID", "Head of Family", "Family Head",
            "Guarantor ID", required=False),
        col("family_role", T.TEXT, "Family Role", "Family Position", values=FAMILY_ROLES,
            value_aliases={"head of family": "Head", "guarantor": "Head", "dependant": "Member",
                           "dependent": "Member", "spouse": "Member", "child": "Member"}),
        col("status", T.TEXT, "Status", "Patient Status", required=True, values=PATIENT_STATUSES,
            value_aliases={"current": "Active", "inactive patient": "Inactive", "archive": "Archived",
                           "deceased patient": "Deceased"}),
        col("is_deleted", T.BOOLEAN, "Is Deleted", "Deleted"),
        ref("preferred_provider_id", "providers.provider_id", "Preferred Provider ID", "Preferred Provider",
            "Usual Dentist", required=False),
        col("health_fund_name", T.TEXT, "Health Fund Name", "Health Fund", "Private Health Fund", "Fund Name",
            "Insurer", "Insurance Company"),
        col("health_fund_member_no", T.TEXT, "Health Fund Member No", "Member Number", "Fund Number",
            "Policy Number", sensitive=True),
        col("medicare_no", T.TEXT, "Medicare No", "Medicare Number", "Medicare", sensitive=True),
        col("recall_due_date", T.DATE, "Recall Due Date", "Recall Due", "Next Recall", "Next Recall Date",
            "Recall Date"),
        col("sms_opt_in", T.BOOLEAN, "SMS Opt In", "SMS Consent", "SMS OK", "OK to SMS", "SMS Allowed",
            "SMS Reminders", "SMS"),
        col("email_opt_in", T.BOOLEAN, "Email Opt In", "Email Consent", "Email OK", "E-mail OK", "OK to Email",
            "Email Allowed", "Email Reminders"),
        col("referral_source", T.TEXT, "Referral Source", "Referred By", "Referral", "Referrer", "Source"),
        col("first_visit_date", T.DATE, "First Visit Date", "First Visit", "Date First Seen"),
        col("last_visit_date", T.DATE, "Last Visit Date", "Last Visit", "Date Last Seen"),
        *timestamps(),
    ),
)

PATIENT_PRACTICES = ObjectSpec(
    name="patient_practices",
    key=("patient_id", "practice_id"),
    description="A patient seen at a location; decides each patient's primary practice.",
    file_stems=("patient_practices", "patient_locations"),
    columns=(
        ref("patient_id", "patients.patient_id", "Patient ID", nullable=False),
        ref("practice_id", "practices.practice_id", "Practice ID", "Location ID", nullable=False),
        col("is_primary", T.BOOLEAN, "Is Primary", "Primary", "Primary Practice"),
        col("first_seen", T.DATE, "First Seen", "First Visit"),
        col("last_seen", T.DATE, "Last Seen", "Last Visit"),
    ),
)

APPOINTMENTS = ObjectSpec(
    name="appointments",
    key=("appointment_id",),
    description="An appointment. A task in Twenty, targeting the patient and the practice.",
    file_stems=("appointments", "appointment_list", "appointment_book"),
    columns=(
        key("appointment_id", "Appointment ID", "Appt ID", "Booking ID"),
        ref("patient_id", "patients.patient_id", "Patient ID", nullable=False),
        ref("provider_id", "providers.provider_id", "Provider ID", "Practitioner ID", "Dentist ID"),
        ref("practice_id", "practices.practice_id", "Practice ID", "Location ID"),
        col("start_at", T.DATETIME, "Start At", "Start", "Start Time", "Appointment Date", "Date/Time",
            required=True, nullable=False),
        col("end_at", T.DATETIME, "End At", "End", "End Time"),
        col("appointment_type", T.TEXT, "Appointment Type", "Type", "Appt Type", "Reason"),
        col("procedure_codes", T.CODES, "Procedure Codes", "Item Numbers", "Item Codes", "Item Nos", "Items",
            "CDT Codes", "Codes"),
        col("status", T.TEXT, "Status", "Appointment Status", "Appt Status", required=True,
            values=APPOINTMENT_STATUSES,
            value_aliases={"booked": "Scheduled", "attended": "Completed", "arrived": "Completed",
                           "complete": "Completed", "no show": "No-Show",
                           "noshow": "No-Show", "fta": "No-Show", "dna": "No-Show", "failed to attend": "No-Show",
                           "did not attend": "No-Show"}),
        col("chair", T.TEXT, "Chair", "Room", "Surgery", "Operatory"),
        col("cancellation_reason", T.TEXT, "Cancellation Reason", "Cancel Reason"),
        col("booked_online", T.BOOLEAN, "Booked Online", "Online Booking"),
        *timestamps(),
    ),
)

TREATMENT_PLANS = ObjectSpec(
    name="treatment_plans",
    key=("treatment_plan_id",),
    description="A treatment plan. Custom object treatmentPlan (+ an opportunity while open).",
    file_stems=("treatment_plans", "treatment_plan", "treatments"),
    columns=(
        key("treatment_plan_id", "Treatment Plan ID", "Plan ID", "TP ID"),
        ref("patient_id", "patients.patient_id", "Patient ID", nullable=False),
        ref("provider_id", "providers.provider_id", "Provider ID", "Practitioner ID"),
        ref("practice_id", "practices.practice_id", "Practice ID", "Location ID"),
        col("plan_name", T.TEXT, "Plan Name", "Name", "Description"),
        col("status", T.TEXT, "Status", "Plan Status", required=True, values=TREATMENT_PLAN_STATUSES,
            value_aliases={"in progress": "In-Progress", "started": "In-Progress", "quoted": "Proposed",
                           "complete": "Completed", "rejected": "Declined"}),
        col("procedure_codes", T.CODES, "Procedure Codes", "Item Numbers", "Items", "Codes"),
        col("procedure_name", T.TEXT, "Procedure Name", "Procedure", "Treatment"),
        col("tooth_numbers", T.CODES, "Tooth Numbers", "Teeth", "Tooth", "Tooth No"),
        col("estimated_cost", T.MONEY, "Estimated Cost", "Estimate", "Quote", "Total Fee"),
        col("currency", T.TEXT, "Currency"),
        col("proposed_date", T.DATE, "Proposed Date", "Date Proposed", "Quote Date"),
        col("accepted_date", T.DATE, "Accepted Date", "Date Accepted"),
        col("completed_date", T.DATE, "Completed Date", "Date Completed"),
        *timestamps(),
    ),
)

INVOICES = ObjectSpec(
    name="invoices",
    key=("invoice_id",),
    description="An invoice. Custom object invoice, with its lines and payments summarised.",
    file_stems=("invoices", "invoice_list", "billing"),
    columns=(
        key("invoice_id", "Invoice ID"),
        col("invoice_no", T.TEXT, "Invoice No", "Invoice Number", "Invoice #"),
        ref("patient_id", "patients.patient_id", "Patient ID", nullable=False),
        ref("provider_id", "providers.provider_id", "Provider ID", "Practitioner ID"),
        ref("practice_id", "practices.practice_id", "Practice ID", "Location ID"),
        col("invoice_date", T.DATE, "Invoice Date", "Date", required=True, nullable=False),
        col("due_date", T.DATE, "Due Date", "Payment Due"),
        col("total", T.MONEY, "Total", "Invoice Total", "Amount", required=True, nullable=False),
        col("amount_paid", T.MONEY, "Amount Paid", "Paid"),
        col("balance", T.MONEY, "Balance", "Outstanding", "Balance Due", "Amount Owing"),
        col("status", T.TEXT, "Status", "Invoice Status", required=True, values=INVOICE_STATUSES,
            value_aliases={"unpaid": "Outstanding", "owing": "Outstanding", "part paid": "Outstanding",
                           "partially paid": "Outstanding", "overdue account": "Overdue", "voided": "Void",
                           "cancelled": "Void"}),
        col("currency", T.TEXT, "Currency"),
        *timestamps(),
    ),
)

INVOICE_LINES = ObjectSpec(
    name="invoice_lines",
    key=("line_id",),
    description="A line of an invoice (item number, tooth, fee).",
    file_stems=("invoice_lines", "invoice_items", "line_items"),
    columns=(
        key("line_id", "Line ID", "Item ID"),
        ref("invoice_id", "invoices.invoice_id", "Invoice ID", nullable=False),
        col("item_code", T.TEXT, "Item Code", "Item Number", "Item No", "Procedure Code", "CDT Code"),
        col("description", T.TEXT, "Description", "Item Description"),
        col("tooth", T.CODES, "Tooth", "Tooth Number", "Tooth No"),
        col("quantity", T.INTEGER, "Quantity", "Qty"),
        col("unit_fee", T.MONEY, "Unit Fee", "Fee", "Price"),
        col("line_total", T.MONEY, "Line Total", "Total", "Amount", required=True),
    ),
)

PAYMENTS = ObjectSpec(
    name="payments",
    key=("payment_id",),
    description="A payment or a reversal against an invoice.",
    file_stems=("payments", "receipts", "payment_list"),
    columns=(
        key("payment_id", "Payment ID", "Receipt ID", "Receipt No"),
        ref("invoice_id", "invoices.invoice_id", "Invoice ID"),
        ref("patient_id", "patients.patient_id", "Patient ID"),
        col("paid_at", T.DATETIME, "Paid At", "Payment Date", "Date Paid", "Date", required=True, nullable=False),
        col("amount", T.MONEY, "Amount", "Payment Amount", required=True, nullable=False),
        col("method", T.TEXT, "Method", "Payment Method", "Type", values=PAYMENT_METHODS,
            value_aliases={"credit card": "Card", "visa": "Card", "mastercard": "Card", "amex": "Card",
                           "eft": "EFTPOS", "health fund": "Insurance", "dd": "Direct Debit", "ach": "Direct Debit",
                           "debit card": "Card", "discover": "Card", "personal cheque": "Cheque"}),
        col("reference", T.TEXT, "Reference", "Ref", "Transaction Reference"),
        col("is_reversal", T.BOOLEAN, "Is Reversal", "Reversal", "Refund"),
    ),
)

INSURANCE_CLAIMS = ObjectSpec(
    name="insurance_claims",
    key=("claim_id",),
    description="A claim to an insurer or health fund. Custom object insuranceClaim.",
    file_stems=("insurance_claims", "claims", "health_fund_claims"),
    columns=(
        key("claim_id", "Claim ID", "Claim No"),
        ref("patient_id", "patients.patient_id", "Patient ID", nullable=False),
        ref("invoice_id", "invoices.invoice_id", "Invoice ID", required=False),
        ref("practice_id", "practices.practice_id", "Practice ID", "Location ID"),
        col("provider_name", T.TEXT, "Provider Name", "Provider", "Dentist"),
        col("payer", T.TEXT, "Payer", "Health Fund", "Insurer", "Fund"),
        col("claim_date", T.DATE, "Claim Date", "Date Claimed", "Date", required=True),
        col("service_code", T.CODES, "Service Code", "Item Number", "Item Numbers", "Codes"),
        col("amount_claimed", T.MONEY, "Amount Claimed", "Claimed", "Claim Amount"),
        col("amount_paid", T.MONEY, "Amount Paid", "Benefit Paid", "Benefit", "Paid"),
        col("status", T.TEXT, "Status", "Claim Status", required=True, values=CLAIM_STATUSES,
            value_aliases={"lodged": "Submitted", "sent": "Submitted", "in review": "Pending",
                           "processing": "Pending", "accepted": "Approved", "rejected": "Denied",
                           "declined": "Denied", "settled": "Paid"}),
        *timestamps(),
    ),
)

CLINICAL_NOTES = ObjectSpec(
    name="clinical_notes",
    key=("note_id",),
    description="A clinical note. A note in Twenty, targeting the patient.",
    file_stems=("clinical_notes", "notes", "treatment_notes"),
    columns=(
        key("note_id", "Note ID"),
        ref("patient_id", "patients.patient_id", "Patient ID", nullable=False),
        ref("provider_id", "providers.provider_id", "Provider ID", "Author ID", "Practitioner ID"),
        ref("appointment_id", "appointments.appointment_id", "Appointment ID", "Appt ID", required=False),
        col("note_type", T.TEXT, "Note Type", "Type", "Category"),
        col("note_date", T.DATETIME, "Note Date", "Date", required=True),
        col("body", T.TEXT, "Body", "Note", "Notes", "Text", "Content", required=True, sensitive=True),
        *timestamps(),
    ),
)

DOCUMENTS = ObjectSpec(
    name="documents",
    key=("document_id",),
    description="A stored file (X-ray, form, PDF) under documents/. An attachment on the patient in Twenty.",
    file_stems=("documents", "document_list", "files", "attachments"),
    columns=(
        key("document_id", "Document ID", "File ID", "Attachment ID"),
        ref("patient_id", "patients.patient_id", "Patient ID", nullable=False),
        col("file_name", T.TEXT, "File Name", "Filename", "Name", required=True, nullable=False),
        col("relative_path", T.TEXT, "Relative Path", "Path", "File Path", "Location", required=True,
            nullable=False),
        col("category", T.TEXT, "Category", "Document Type", "Type"),
        col("mime_type", T.TEXT, "Mime Type", "MIME", "Content Type"),
        col("size_bytes", T.INTEGER, "Size Bytes", "Size", "File Size"),
        col("sha256", T.TEXT, "SHA256", "Checksum", "Hash"),
        col("uploaded_at", T.DATETIME, "Uploaded At", "Uploaded", "Date Added", "Created"),
    ),
)

WORKFLOWS = ObjectSpec(
    name="workflows",
    key=("workflow_id",),
    description="An automation (recall, reminder, insurance expiry). Written out as reference, not loaded.",
    file_stems=("workflows", "automations", "automated_messages"),
    columns=(
        key("workflow_id", "Workflow ID", "Automation ID"),
        col("name", T.TEXT, "Name", "Workflow Name", required=True, nullable=False),
        col("kind", T.TEXT, "Kind", "Type", "Category"),
        col("trigger", T.TEXT, "Trigger", "When"),
        col("steps", T.JSON, "Steps", "Actions", "Definition"),
        col("active", T.BOOLEAN, "Active", "Enabled", "Is Active"),
        *timestamps(),
    ),
)


def _shared_spellings(specs: tuple[ObjectSpec, ...]) -> tuple[ObjectSpec, ...]:
    """A header means the same canonical column in every file that has that column: the spellings of columns
    that are one concept in several files (same name, type and value set: `procedure_codes` of appointments
    and treatment plans, `patient_id` everywhere) are pooled, each file's own spellings first. Columns that
    share a name but not a value set (`status`) keep their own: "Claim Status" says which file it belongs to."""
    pooled: dict[tuple, list[str]] = {}
    for spec in specs:
        for column in spec.columns:
            spellings = pooled.setdefault((column.name, column.type, column.values, column.references), [])
            spellings.extend(a for a in column.aliases if a not in spellings)
    return tuple(
        replace(spec, columns=tuple(
            replace(column, aliases=tuple(dict.fromkeys(
                (*column.aliases, *pooled[(column.name, column.type, column.values, column.references)]))))
            for column in spec.columns))
        for spec in specs)


EXPORT_SPEC: dict[str, ObjectSpec] = {
    spec.name: spec
    for spec in _shared_spellings((PRACTICES, PROVIDERS, PATIENTS, PATIENT_PRACTICES, APPOINTMENTS, TREATMENT_PLANS,
                                   INVOICES, INVOICE_LINES, PAYMENTS, INSURANCE_CLAIMS, CLINICAL_NOTES, DOCUMENTS,
                                   WORKFLOWS))
}
"""Every object of an export snapshot, by name, in the export's own order."""

DOCUMENTS_DIR = "documents"
"""Folder of the snapshot that holds the files `documents.relative_path` points at."""

NULL_MARKERS: frozenset[str] = frozenset({"", "n/a", "-"})
"""Cell values that mean "no value" in Core Practice reports (compared case-insensitively, trimmed)."""

TRUE_VALUES: frozenset[str] = frozenset({"true", "yes", "y", "1", "t"})
FALSE_VALUES: frozenset[str] = frozenset({"false", "no", "n", "0", "f"})

PROCEDURE_CODE_COLUMNS = frozenset({("appointments", "procedure_codes"), ("treatment_plans", "procedure_codes"),
                                    ("invoice_lines", "item_code"), ("insurance_claims", "service_code")})
"""(object, column) holding procedure codes in the region's coding system (`RegionFacts.procedure_codes`)."""

FREE_TEXT_COLUMNS = frozenset({("clinical_notes", "body"), ("appointments", "cancellation_reason"),
                               ("invoice_lines", "description"), ("treatment_plans", "procedure_name")})
"""(object, column) where people type what they like: searched for identifiers written inside the text, as every
column of the practice's own is."""

PAST_ONLY = frozenset({
    "created_at", "updated_at", "date_of_birth", "paid_at", "first_visit_date", "last_visit_date", "first_seen",
    "last_seen", "uploaded_at", "note_date", "invoice_date", "claim_date", "accepted_date", "completed_date",
    "proposed_date",
})
"""Date columns that record something that has happened: a value after the export date is suspect, and a
two-digit year is read in the latest century that puts the date on or before it (`values.parse_datetime`)."""
