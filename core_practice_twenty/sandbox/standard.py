"""Twenty's standard objects, as data.

The sandbox has no per-object code: these specs are written into the ``objects``/``fields`` metadata
tables when a database file is first created, exactly as custom objects and fields created through
the metadata API are. Names, types and uniqueness follow twenty-api.md §7
(packages/twenty-server/src/engine/workspace-manager/twenty-standard-application/utils/field-metadata/
compute-{person,company,opportunity,task,task-target,workspace-member}-standard-flat-field-metadata.util.ts).

Relations are declared once, on the MANY_TO_ONE side (``relation`` key); the seeder creates the
join column ``<name>Id`` and the ONE_TO_MANY inverse field on the target object.
"""

from __future__ import annotations

from typing import Any

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


def system_fields() -> list[FieldSpec]:
    """Fields every object has (id, timestamps, position, createdBy) — custom objects get them too."""
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
            defaultValue={"source": "'MANUAL'", "name": "'System'", "workspaceMemberId": None},
        ),
    ]


def _target_prefix(profile: str) -> str:
    return "target" if profile == "current" else ""


def _target_relations(profile: str, inverse: str, inverse_label: str) -> list[FieldSpec]:
    """Polymorphic target columns of taskTarget/noteTarget: ``targetPersonId`` in current Twenty
    (PR #17476, MORPH_RELATION) and ``personId`` in legacy versions (§7). Modelled as plain relations."""
    prefix = _target_prefix(profile)

    def name(base: str) -> str:
        return f"{prefix}{base[0].upper()}{base[1:]}" if prefix else base

    return [
        relation(name("person"), "Person", "person", inverse, inverse_label),
        relation(name("company"), "Company", "company", inverse, inverse_label),
        relation(name("opportunity"), "Opportunity", "opportunity", inverse, inverse_label),
    ]


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
            "fields": [
                field("name", "Name", "FULL_NAME"),
                field("userEmail", "User Email", "TEXT", isUnique=True),
                field("userId", "User Id", "UUID"),
                field("colorScheme", "Color Scheme", "TEXT", defaultValue="'System'"),
                field("locale", "Language", "TEXT", defaultValue="'en'"),
                field("avatarUrl", "Avatar Url", "TEXT", defaultValue=TEXT_DEFAULT),
                field("timeZone", "Time zone", "TEXT", defaultValue="'system'"),
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
                field("domainName", "Domain Name", "LINKS", isUnique=True),
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
                *_target_relations(profile, "taskTargets", "Tasks"),
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
                *_target_relations(profile, "noteTargets", "Notes"),
            ],
        },
    ]
