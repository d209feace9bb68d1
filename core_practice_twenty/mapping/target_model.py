"""Where Core Practice objects land in Twenty: objects, fields, SELECT options, relations, status maps.

One table of truth, following ../shared/reference/twenty-target-model.md. The schema step creates
what is custom here; the proposer reads target field types from here; the transforms read the status
maps from here; the docs are rendered from here. Standard Twenty fields are listed too (is_custom
False) so that a map can point at them and the proposer knows their types.
"""

from __future__ import annotations

from dataclasses import dataclass, field


def options(*values: str) -> tuple[dict, ...]:
    """SELECT options in Twenty's shape: UPPER_SNAKE values, readable labels, stable positions."""
    colors = ("blue", "green", "orange", "purple", "red", "sky", "turquoise", "yellow", "pink", "gray")
    return tuple(
        {"value": v, "label": v.replace("_", " ").title(), "position": i, "color": colors[i % len(colors)]}
        for i, v in enumerate(values)
    )


@dataclass(frozen=True)
class TwentyField:
    """A field of a Twenty object the migration writes (created through the metadata API when custom)."""

    name: str
    type: str
    label: str
    description: str = ""
    is_unique: bool = False
    is_custom: bool = True
    options: tuple[dict, ...] = ()
    relation_target: str | None = None  # nameSingular of the object a MANY_TO_ONE relation points at
    inverse_label: str | None = None
    opt_in: str | None = None  # a map option that must be on for the field to exist (sensitive data)

    @property
    def option_values(self) -> tuple[str, ...]:
        return tuple(o["value"] for o in self.options)

    def create_input(self, object_metadata_id: str, target_object_metadata_id: str | None = None) -> dict:
        body: dict = {
            "objectMetadataId": object_metadata_id,
            "type": self.type,
            "name": self.name,
            "label": self.label,
            "description": self.description,
            "isNullable": True,
            "isUnique": self.is_unique,
        }
        if self.options:
            body["options"] = [dict(o) for o in self.options]
        if self.type == "RELATION":
            body["relationCreationPayload"] = {
                "targetObjectMetadataId": target_object_metadata_id,
                "targetFieldLabel": self.inverse_label or self.label,
                "targetFieldIcon": "IconLink",
                "type": "MANY_TO_ONE",
            }
        return body


@dataclass(frozen=True)
class TargetObject:
    """A Twenty object the migration writes, with its source-key field (the upsert key)."""

    name_singular: str
    name_plural: str
    source_object: str
    source_key_field: str | None
    fields: tuple[TwentyField, ...] = field(default=())
    is_custom: bool = False
    label_singular: str = ""
    label_plural: str = ""
    description: str = ""
    loads_after: tuple[str, ...] = ()
    """Twenty objects (plural) whose records this one's references point at: they load first."""

    @property
    def custom_fields(self) -> tuple[TwentyField, ...]:
        return tuple(f for f in self.fields if f.is_custom)

    def field(self, name: str) -> TwentyField:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.name_singular} has no field {name!r} in the target model")


def std(name: str, type_: str, label: str, **kw) -> TwentyField:
    return TwentyField(name, type_, label, is_custom=False, **kw)


CREATED_AT = std("createdAt", "DATE_TIME", "Creation date",
                 description="Every object's own; the migration sends the source's creation time (default map).")


def key(name: str, label: str, source: str) -> TwentyField:
    return TwentyField(name, "TEXT", label, f"Core Practice {source}; the migration's upsert key.", is_unique=True)


PATIENT_STATUS = options("ACTIVE", "INACTIVE", "ARCHIVED", "DECEASED")
PROVIDER_TYPE = options("DENTIST", "HYGIENIST", "THERAPIST", "ORAL_HEALTH_THERAPIST", "PROSTHETIST", "SPECIALIST")
APPOINTMENT_STATUS = options("SCHEDULED", "CONFIRMED", "COMPLETED", "CANCELLED", "NO_SHOW")
TREATMENT_STATUS = options("PROPOSED", "ACCEPTED", "IN_PROGRESS", "COMPLETED", "DECLINED")
INVOICE_STATUS = options("PAID", "OUTSTANDING", "OVERDUE", "VOID")
CLAIM_STATUS = options("SUBMITTED", "PENDING", "APPROVED", "DENIED", "PAID")

COMPANIES = TargetObject(
    "company", "companies", "practices", "cpPracticeId",
    description="One company per practice location; a group becomes a parent company.",
    fields=(
        std("name", "TEXT", "Name"),
        std("domainName", "LINKS", "Domain"),
        CREATED_AT,
        std("address", "ADDRESS", "Address"),
        key("cpPracticeId", "Core Practice ID", "practice_id"),
        TwentyField("practicePhone", "PHONES", "Practice phone"),
        TwentyField("practiceEmail", "EMAILS", "Practice email"),
        TwentyField("parentCompany", "RELATION", "Parent company", "The practice group this location belongs to.",
                    relation_target="company", inverse_label="Locations"),
    ),
)

PEOPLE = TargetObject(
    "person", "people", "patients", "cpPatientId",
    description="Patients (personType PATIENT) and providers (personType DOCTOR).",
    fields=(
        std("name", "FULL_NAME", "Name"),
        std("emails", "EMAILS", "Emails"),
        CREATED_AT,
        std("phones", "PHONES", "Phones"),
        std("jobTitle", "TEXT", "Job title"),
        std("companyId", "RELATION", "Company", relation_target="company"),
        TwentyField("personType", "SELECT", "Person type", options=options("PATIENT", "DOCTOR")),
        key("cpPatientId", "Core Practice patient ID", "patient_id"),
        key("cpProviderId", "Core Practice provider ID", "provider_id"),
        TwentyField("cpPatientNo", "TEXT", "Patient number"),
        TwentyField("homeAddress", "ADDRESS", "Home address"),
        TwentyField("dateOfBirth", "DATE", "Date of birth"),
        TwentyField("patientStatus", "SELECT", "Patient status", options=PATIENT_STATUS),
        TwentyField("householdEmail", "TEXT", "Household email",
                    "A family email held as primary by the family head; kept here for the other members."),
        TwentyField("needsReview", "BOOLEAN", "Needs review"),
        TwentyField("reviewReasons", "TEXT", "Review reasons"),
        TwentyField("providerType", "SELECT", "Provider type", options=PROVIDER_TYPE),
        TwentyField("doctorSpecialization", "TEXT", "Specialisation"),
        TwentyField("recallDueDate", "DATE", "Recall due"),
        TwentyField("healthFundName", "TEXT", "Health fund", opt_in="include_fund_numbers"),
        TwentyField("healthFundMemberNo", "TEXT", "Health fund member number", opt_in="include_fund_numbers"),
        TwentyField("medicareNo", "TEXT", "Medicare number", opt_in="include_fund_numbers"),
    ),
    loads_after=("companies",),
)

OPPORTUNITIES = TargetObject(
    "opportunity", "opportunities", "treatment_plans", "cpTreatmentPlanId",
    description="An open treatment plan (Proposed, Accepted, In-Progress) on the case-acceptance pipeline.",
    fields=(
        std("name", "TEXT", "Name"),
        std("amount", "CURRENCY", "Amount"),
        std("stage", "SELECT", "Stage"),
        std("closeDate", "DATE_TIME", "Close date"),
        std("pointOfContactId", "RELATION", "Point of contact", relation_target="person"),
        std("companyId", "RELATION", "Company", relation_target="company"),
        key("cpTreatmentPlanId", "Core Practice treatment plan ID", "treatment_plan_id"),
    ),
    loads_after=("people", "companies"),
)

TREATMENT_PLANS = TargetObject(
    "treatmentPlan", "treatmentPlans", "treatment_plans", "cpTreatmentPlanId", is_custom=True,
    label_singular="Treatment plan", label_plural="Treatment plans",
    description="A dental treatment plan from Core Practice.",
    fields=(
        CREATED_AT,
        TwentyField("procedureName", "TEXT", "Procedure"),
        TwentyField("procedureCodes", "TEXT", "Procedure codes"),
        TwentyField("toothNumbers", "TEXT", "Teeth"),
        TwentyField("treatmentStatus", "SELECT", "Status", options=TREATMENT_STATUS),
        TwentyField("estimatedCost", "CURRENCY", "Estimated cost"),
        TwentyField("proposedDate", "DATE", "Proposed"),
        TwentyField("acceptedDate", "DATE", "Accepted"),
        TwentyField("completedDate", "DATE", "Completed"),
        TwentyField("patient", "RELATION", "Patient", relation_target="person", inverse_label="Treatment plans"),
        key("cpTreatmentPlanId", "Core Practice treatment plan ID", "treatment_plan_id"),
    ),
    loads_after=("people",),
)

INVOICES = TargetObject(
    "invoice", "invoices", "invoices", "cpInvoiceId", is_custom=True,
    label_singular="Invoice", label_plural="Invoices",
    description="An invoice from Core Practice, with its lines and payments summarised (reference only).",
    fields=(
        CREATED_AT,
        TwentyField("invoiceNumber", "TEXT", "Invoice number"),
        TwentyField("invoiceStatus", "SELECT", "Status", options=INVOICE_STATUS),
        TwentyField("total", "CURRENCY", "Total"),
        TwentyField("amountPaid", "CURRENCY", "Paid"),
        TwentyField("outstandingBalance", "CURRENCY", "Outstanding"),
        TwentyField("invoiceDate", "DATE", "Invoice date"),
        TwentyField("dueDate", "DATE", "Due date"),
        TwentyField("lineItems", "RAW_JSON", "Lines"),
        TwentyField("payments", "RAW_JSON", "Payments"),
        TwentyField("patient", "RELATION", "Patient", relation_target="person", inverse_label="Invoices"),
        key("cpInvoiceId", "Core Practice invoice ID", "invoice_id"),
    ),
    loads_after=("people",),
)

INSURANCE_CLAIMS = TargetObject(
    "insuranceClaim", "insuranceClaims", "insurance_claims", "cpClaimId", is_custom=True,
    label_singular="Insurance claim", label_plural="Insurance claims",
    description="A claim to an insurer or health fund.",
    fields=(
        CREATED_AT,
        TwentyField("claimStatus", "SELECT", "Status", options=CLAIM_STATUS),
        TwentyField("claimDate", "DATE", "Claim date"),
        TwentyField("providerName", "TEXT", "Provider"),
        TwentyField("serviceCode", "TEXT", "Service code"),
        TwentyField("payer", "TEXT", "Payer"),
        TwentyField("amountClaimed", "CURRENCY", "Claimed"),
        TwentyField("amountPaid", "CURRENCY", "Paid"),
        TwentyField("patient", "RELATION", "Patient", relation_target="person", inverse_label="Insurance claims"),
        TwentyField("invoice", "RELATION", "Invoice", relation_target="invoice", inverse_label="Insurance claims"),
        key("cpClaimId", "Core Practice claim ID", "claim_id"),
    ),
    loads_after=("people", "invoices"),
)

TASKS = TargetObject(
    "task", "tasks", "appointments", "cpAppointmentId",
    description="An appointment, targeting the patient and the practice.",
    fields=(
        std("title", "TEXT", "Title"),
        std("dueAt", "DATE_TIME", "Due"),
        CREATED_AT,
        std("status", "SELECT", "Status"),
        std("assigneeId", "RELATION", "Assignee", relation_target="workspaceMember"),
        TwentyField("appointmentStatus", "SELECT", "Appointment status", options=APPOINTMENT_STATUS),
        TwentyField("appointmentType", "TEXT", "Appointment type"),
        TwentyField("procedureCodes", "TEXT", "Procedure codes"),
        key("cpAppointmentId", "Core Practice appointment ID", "appointment_id"),
    ),
)

NOTES = TargetObject(
    "note", "notes", "clinical_notes", "cpNoteId",
    description="A clinical note, targeting the patient.",
    fields=(
        std("title", "TEXT", "Title"),
        std("bodyV2", "RICH_TEXT_V2", "Body"),
        CREATED_AT,
        TwentyField("originalCreatedAt", "DATE_TIME", "Written at"),
        TwentyField("authorDoctor", "TEXT", "Author"),
        key("cpNoteId", "Core Practice note ID", "note_id"),
    ),
)

TASK_TARGETS = TargetObject("taskTarget", "taskTargets", "appointments", None,
                            loads_after=("tasks", "people", "companies"),
                            description="Links a task to its patient and practice (keyed by task and target).")
NOTE_TARGETS = TargetObject("noteTarget", "noteTargets", "clinical_notes", None, loads_after=("notes", "people"),
                            description="Links a note to its patient (keyed by note and target).")
ATTACHMENTS = TargetObject("attachment", "attachments", "documents", None, loads_after=("people",),
                           description="A document uploaded to Twenty's storage and attached to the patient.")

TARGET_OBJECTS: dict[str, TargetObject] = {
    t.name_plural: t
    for t in (COMPANIES, PEOPLE, OPPORTUNITIES, TREATMENT_PLANS, INVOICES, INSURANCE_CLAIMS, TASKS, TASK_TARGETS,
              NOTES, NOTE_TARGETS, ATTACHMENTS)
}
"""Twenty objects the migration writes, in load (lineage) order."""

LOAD_STAGES: tuple[tuple[str, ...], ...] = (
    ("companies",), ("people",), ("opportunities",), ("treatmentPlans", "invoices", "insuranceClaims"),
    ("tasks", "taskTargets"), ("notes", "noteTargets"), ("attachments",),
)
"""Lineage: each stage loads after the one before; within a stage, `loads_after` orders the objects."""


def load_parents(plural: str) -> tuple[str, ...]:
    """Objects that must be loaded before `plural`: its references, and the whole previous lineage stage."""
    index = next(i for i, stage in enumerate(LOAD_STAGES) if plural in stage)
    previous = LOAD_STAGES[index - 1] if index else ()
    wanted = set(TARGET_OBJECTS[plural].loads_after) | set(previous)
    return tuple(p for p in TARGET_OBJECTS if p in wanted and p != plural)

SCHEMA_OBJECTS = (COMPANIES, PEOPLE, OPPORTUNITIES, TREATMENT_PLANS, INVOICES, INSURANCE_CLAIMS, TASKS, NOTES)
"""Objects whose custom fields (and, when custom, the objects themselves) the schema step creates."""

# -- status maps: Core Practice canonical value → Twenty option value ------------------------------

STATUS_MAPS: dict[str, dict[str, str]] = {
    "patients.status": {"Active": "ACTIVE", "Inactive": "INACTIVE", "Archived": "ARCHIVED", "Deceased": "DECEASED"},
    "providers.provider_type": {
        "Dentist": "DENTIST", "Hygienist": "HYGIENIST", "Therapist": "THERAPIST",
        "Oral Health Therapist": "ORAL_HEALTH_THERAPIST", "Prosthetist": "PROSTHETIST", "Specialist": "SPECIALIST",
    },
    "appointments.status": {"Scheduled": "SCHEDULED", "Confirmed": "CONFIRMED", "Completed": "COMPLETED",
                            "Cancelled": "CANCELLED", "No-Show": "NO_SHOW"},
    "appointments.status→task.status": {"Scheduled": "TODO", "Confirmed": "TODO", "Completed": "DONE",
                                        "Cancelled": "DONE", "No-Show": "DONE"},
    "treatment_plans.status": {"Proposed": "PROPOSED", "Accepted": "ACCEPTED", "In-Progress": "IN_PROGRESS",
                               "Completed": "COMPLETED", "Declined": "DECLINED"},
    "treatment_plans.status→opportunity.stage": {"Proposed": "PROPOSAL", "Accepted": "MEETING",
                                                 "In-Progress": "CUSTOMER"},
    "invoices.status": {"Paid": "PAID", "Outstanding": "OUTSTANDING", "Overdue": "OVERDUE", "Void": "VOID"},
    "insurance_claims.status": {"Submitted": "SUBMITTED", "Pending": "PENDING", "Approved": "APPROVED",
                                "Denied": "DENIED", "Paid": "PAID"},
}


DEFAULT_TARGET_FIELDS = {"person": "targetPersonId", "company": "targetCompanyId", "task": "targetTaskId",
                         "note": "targetNoteId", "opportunity": "targetOpportunityId"}
"""Join-field names of taskTarget/noteTarget/attachment in current Twenty (morph relations, ≥ 1.17).

Older servers use `personId`, `companyId`…: the schema step introspects the workspace and passes the
names it found as `target_field_names`; this default is only for current servers and tests.
"""
