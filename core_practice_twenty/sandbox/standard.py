"""Twenty's standard objects, as data.

The sandbox has no per-object code: these specs are written into the ``objects``/``fields`` metadata
tables when a database file is first created, exactly as custom objects and fields created through
the metadata API are. Names, types and uniqueness follow twenty-api.md §7
(packages/twenty-server/src/engine/workspace-manager/twenty-standard-application/utils/field-metadata/
compute-{person,company,opportunity,task,task-target,attachment,workspace-member}-standard-flat-field-metadata.util.ts).

Relations are declared once, on the MANY_TO_ONE side (``relation`` key); the seeder creates the
join column ``<name>Id`` and the ONE_TO_MANY inverse field on the target object.

Keys starting with ``_`` are sandbox-private behaviour markers kept in the stored DTO but never
rendered by the metadata API: ``_domain`` (a LINKS field stored as a bare host, current profile) and
``_readOnly`` (an object the API may read but not write: workspace members are invited in Twenty's UI,
and API writes to them are refused — https://github.com/twentyhq/twenty/issues/15841).
"""

from __future__ import annotations

from typing import Any

from core_practice_twenty.sandbox.versions import ATTACHMENT_FILE_UID, TwentyVersion

FieldSpec = dict[str, Any]
ObjectSpec = dict[str, Any]

TEXT_DEFAULT = "''"


def field(name: str, label: str, type_: str, **extra: Any) -> FieldSpec:
    """One field spec; ``extra`` holds isUnique, isNullable, defaultValue, options, settings…"""
    return {"name": name, "label": label, "type": type_, **extra}


def relation(
    name: str,
    label: str,
    target: str,
    inverse_name: str,
    inverse_label: str,
    on_delete: str = "SET_NULL",
) -> FieldSpec:
    """A MANY_TO_ONE relation to the object whose nameSingular is ``target``."""
    return {
        "name": name,
        "label": label,
        "type": "RELATION",
        "relation": {
            "target": target,
            "inverseName": inverse_name,
            "inverseLabel": inverse_label,
            "onDelete": on_delete,
        },
    }


def select_options(*values: str) -> list[dict[str, Any]]:
    """SELECT options with labels derived from the UPPER_SNAKE value."""
    colors = ["red", "purple", "sky", "turquoise", "yellow", "green", "blue", "orange", "pink", "gray"]
    return [
        {"value": v, "label": v.replace("_", " ").title(), "color": colors[i % len(colors)], "position": i}
        for i, v in enumerate(values)
    ]


def system_fields(profile: str = "current") -> list[FieldSpec]:
    """Fields every object has (id, timestamps, position, createdBy and, in current Twenty, updatedBy)
    — custom objects get them too."""
    actor_default = {"source": "'MANUAL'", "name": "'System'", "workspaceMemberId": None}
    updated_by = [field("updatedBy", "Updated by", "ACTOR", isNullable=False, defaultValue=actor_default)]
    return [
        field("id", "Id", "UUID", isSystem=True, isNullable=False, defaultValue="uuid"),
        field("createdAt", "Creation date", "DATE_TIME", isNullable=False, defaultValue="now"),
        field("updatedAt", "Last update", "DATE_TIME", isNullable=False, defaultValue="now"),
        field("deletedAt", "Deleted at", "DATE_TIME"),
        field("position", "Position", "POSITION", isSystem=True),
        field(
            "createdBy",
            "Created by",
            "ACTOR",
            isNullable=False,
            defaultValue=actor_default,
        ),
        *(updated_by if profile == "current" else []),
    ]


def target_field_name(profile: str, singular: str) -> str:
    """Name of the relation a task/note target or attachment has to ``singular``: ``targetPerson``
    (join column ``targetPersonId``) in current Twenty (PR #17476, morph relations), ``person``
    (``personId``) in legacy versions (§7). Custom objects get one too (``targetPet`` / ``pet``)."""
    return f"target{singular[0].upper()}{singular[1:]}" if profile == "current" else singular


def _target_relations(
    profile: str, inverse: str, inverse_label: str, targets: tuple[str, ...], on_delete: str = "CASCADE"
) -> list[FieldSpec]:
    """Polymorphic target columns, modelled as one plain MANY_TO_ONE relation per target object; destroying
    the target destroys the junction row (``onDelete: CASCADE`` in compute-task-target-…util.ts)."""
    return [
        relation(target_field_name(profile, t), t[0].upper() + t[1:], t, inverse, inverse_label, on_delete)
        for t in targets
    ]


# Objects that task/note targets and attachments can point at; custom objects are added when created.
TARGETABLE = ("person", "company", "opportunity")
# Where a custom object gets its inverse relations: (junction object, inverse field name, label, onDelete).
JUNCTIONS = (
    ("taskTarget", "taskTargets", "Tasks", "CASCADE"),
    ("noteTarget", "noteTargets", "Notes", "CASCADE"),
    ("attachment", "attachments", "Attachments", "CASCADE"),
)
FILE_CATEGORIES = ("ARCHIVE", "AUDIO", "IMAGE", "PRESENTATION", "SPREADSHEET", "TEXT_DOCUMENT", "VIDEO", "OTHER")


def standard_objects(profile: str) -> list[ObjectSpec]:
    """The standard objects seeded into a new workspace, in dependency order."""
    return [
        {
            "nameSingular": "workspaceMember",
            "namePlural": "workspaceMembers",
            "labelSingular": "Workspace Member",
            "labelPlural": "Workspace Members",
            "icon": "IconUserCircle",
            "labelIdentifier": "name",
            "_readOnly": True,
            "fields": [
                field("name", "Name", "FULL_NAME"),
                field("userEmail", "User Email", "TEXT", isUnique=True),
                field("userId", "User Id", "UUID"),
                field("colorScheme", "Color Scheme", "TEXT", defaultValue="'System'"),
                field("locale", "Language", "TEXT", defaultValue="'en'"),
                field("avatarUrl", "Avatar Url", "TEXT", defaultValue=TEXT_DEFAULT),
                field("timeZone", "Time zone", "TEXT", defaultValue="'system'"),
                field("dateFormat", "Date format", "TEXT", defaultValue="'SYSTEM'"),
                field("timeFormat", "Time format", "TEXT", defaultValue="'SYSTEM'"),
            ],
        },
        {
            "nameSingular": "company",
            "namePlural": "companies",
            "labelSingular": "Company",
            "labelPlural": "Companies",
            "icon": "IconBuildingSkyscraper",
            "labelIdentifier": "name",
            "fields": [
                field("name", "Name", "TEXT", defaultValue=TEXT_DEFAULT),
                field("domainName", "Domain Name", "LINKS", isUnique=True, _domain=profile == "current"),
                field("address", "Address", "ADDRESS"),
                field("employees", "Employees", "NUMBER"),
                field("linkedinLink", "Linkedin", "LINKS"),
                field("xLink", "X", "LINKS"),
                field("annualRecurringRevenue", "ARR", "CURRENCY"),
                field("idealCustomerProfile", "ICP", "BOOLEAN", isNullable=False, defaultValue=False),
                relation(
                    "accountOwner",
                    "Account Owner",
                    "workspaceMember",
                    "accountOwnerForCompanies",
                    "Account Owner For Companies",
                ),
            ],
        },
        {
            "nameSingular": "person",
            "namePlural": "people",
            "labelSingular": "Person",
            "labelPlural": "People",
            "icon": "IconUser",
            "labelIdentifier": "name",
            "fields": [
                field("name", "Name", "FULL_NAME"),
                field("emails", "Emails", "EMAILS", isUnique=True, settings={"maxNumberOfValues": 1}),
                field("phones", "Phones", "PHONES"),
                field("linkedinLink", "Linkedin", "LINKS"),
                field("xLink", "X", "LINKS"),
                field("jobTitle", "Job Title", "TEXT", defaultValue=TEXT_DEFAULT),
                field("city", "City", "TEXT", defaultValue=TEXT_DEFAULT),
                field("avatarUrl", "Avatar", "TEXT", defaultValue=TEXT_DEFAULT),
                relation("company", "Company", "company", "people", "People"),
            ],
        },
        {
            "nameSingular": "opportunity",
            "namePlural": "opportunities",
            "labelSingular": "Opportunity",
            "labelPlural": "Opportunities",
            "icon": "IconTargetArrow",
            "labelIdentifier": "name",
            "fields": [
                field("name", "Name", "TEXT", defaultValue=TEXT_DEFAULT),
                field("amount", "Amount", "CURRENCY"),
                field("closeDate", "Close date", "DATE_TIME"),
                field(
                    "stage",
                    "Stage",
                    "SELECT",
                    isNullable=False,
                    defaultValue="'NEW'",
                    options=select_options("NEW", "SCREENING", "MEETING", "PROPOSAL", "CUSTOMER"),
                ),
                relation(
                    "pointOfContact",
                    "Point of Contact",
                    "person",
                    "pointOfContactForOpportunities",
                    "Linked Opportunities",
                ),
                relation("company", "Company", "company", "opportunities", "Opportunities"),
                relation("owner", "Owner", "workspaceMember", "ownedOpportunities", "Owned opportunities"),
            ],
        },
        {
            "nameSingular": "task",
            "namePlural": "tasks",
            "labelSingular": "Task",
            "labelPlural": "Tasks",
            "icon": "IconCheckbox",
            "labelIdentifier": "title",
            "fields": [
                field("title", "Title", "TEXT", defaultValue=TEXT_DEFAULT),
                field("bodyV2", "Body", "RICH_TEXT_V2"),
                field("dueAt", "Due Date", "DATE_TIME"),
                field(
                    "status",
                    "Status",
                    "SELECT",
                    defaultValue="'TODO'",
                    options=select_options("TODO", "IN_PROGRESS", "DONE"),
                ),
                relation("assignee", "Assignee", "workspaceMember", "assignedTasks", "Assigned tasks"),
            ],
        },
        {
            "nameSingular": "note",
            "namePlural": "notes",
            "labelSingular": "Note",
            "labelPlural": "Notes",
            "icon": "IconNotes",
            "labelIdentifier": "title",
            "fields": [
                field("title", "Title", "TEXT", defaultValue=TEXT_DEFAULT),
                field("bodyV2", "Body", "RICH_TEXT_V2"),
            ],
        },
        {
            "nameSingular": "taskTarget",
            "namePlural": "taskTargets",
            "labelSingular": "Task Target",
            "labelPlural": "Task Targets",
            "icon": "IconCheckbox",
            "labelIdentifier": None,
            "fields": [
                relation("task", "Task", "task", "taskTargets", "Relations", on_delete="CASCADE"),
                *_target_relations(profile, "taskTargets", "Tasks", TARGETABLE),
            ],
        },
        {
            "nameSingular": "noteTarget",
            "namePlural": "noteTargets",
            "labelSingular": "Note Target",
            "labelPlural": "Note Targets",
            "icon": "IconCheckbox",
            "labelIdentifier": None,
            "fields": [
                relation("note", "Note", "note", "noteTargets", "Relations", on_delete="CASCADE"),
                *_target_relations(profile, "noteTargets", "Notes", TARGETABLE),
            ],
        },
        {
            # compute-attachment-standard-flat-field-metadata.util.ts; `file` (FILES) since PR #17707
            # (current); legacy versions store the uploaded path in `fullPath`.
            "nameSingular": "attachment",
            "namePlural": "attachments",
            "labelSingular": "Attachment",
            "labelPlural": "Attachments",
            "icon": "IconFileImport",
            "labelIdentifier": "name",
            "fields": [
                field("name", "Name", "TEXT", defaultValue=TEXT_DEFAULT),
                field("fullPath", "Full path", "TEXT", defaultValue=TEXT_DEFAULT),
                field(
                    "fileCategory",
                    "File category",
                    "SELECT",
                    defaultValue="'OTHER'",
                    options=select_options(*FILE_CATEGORIES),
                ),
                *([field("file", "File", "FILES", settings={"maxNumberOfValues": 1})] if profile == "current" else []),
                *_target_relations(profile, "attachments", "Attachments", ("task", "note", *TARGETABLE), "CASCADE"),
            ],
        },
    ]


DRIFTED_AWAY = {"company": ("employees", "xLink", "annualRecurringRevenue", "idealCustomerProfile"),
                "person": ("city", "xLink")}
"""Standard fields a 2.43+ workspace no longer has (twenty-client-sdk 2.43 STANDARD_OBJECTS)."""


def standard_objects_for(played: TwentyVersion) -> list[ObjectSpec]:
    """The standard objects of one Twenty version: its naming, its rich-text type name, its company and
    person fields, and the universal identifier Twenty's own client uploads attachments by."""
    specs = standard_objects(played.naming)
    for spec in specs:
        gone = DRIFTED_AWAY.get(spec["nameSingular"], ()) if played.company_drift else ()
        spec["fields"] = [f for f in spec["fields"] if f["name"] not in gone]
        for f in spec["fields"]:
            if f["type"] == "RICH_TEXT_V2":
                f["type"] = played.rich_text_type
            if spec["nameSingular"] == "attachment" and f["name"] == "file":
                f["universalIdentifier"] = ATTACHMENT_FILE_UID
        if played.company_drift and spec["nameSingular"] == "company":
            spec["fields"].insert(4, field("annualRevenue", "Annual revenue", "CURRENCY"))
    return specs
