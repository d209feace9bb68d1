"""Metadata: seeding the standard objects and the ``/rest/metadata`` object and field endpoints.

Objects and fields are rows (see :mod:`db`); creating a field here makes it writable, filterable and
— when ``isUnique`` — a unique index and upsert conflict key at once, because the record engine reads
nothing but this metadata. Behaviour follows twenty-api.md §10
(test/integration/rest/suites/{object,field}-metadata.integration-spec.ts,
packages/twenty-server/src/engine/metadata-modules/field-metadata/dtos/create-field.input.ts).
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from core_practice_twenty.sandbox.db import Database, FieldMeta, ObjectMeta
from core_practice_twenty.sandbox.errors import ApiError, bad_request, not_found
from core_practice_twenty.sandbox.standard import (
    JUNCTIONS,
    ObjectSpec,
    standard_objects_for,
    system_fields,
    target_field_name,
)
from core_practice_twenty.sandbox.values import (
    COMPOSITE_TYPES,
    SUPPORTED_TYPES,
    UNIQUE_SUBFIELDS,
    is_uuid,
    now_iso,
)
from core_practice_twenty.sandbox.versions import NEWEST, TwentyVersion, version

NAME_RE = re.compile(r"^[a-z][a-zA-Z0-9]*$")
OPTION_VALUE_RE = re.compile(r"^[A-Z0-9]+(_[A-Z0-9]+)*$")
MAX_NAME_LENGTH = 63  # Postgres identifier limit (identifier-max-char-length.constant.ts)
METADATA_PAGE_MAX = 1000
# Names Twenty refuses (packages/twenty-shared/src/metadata/constants/reserved-metadata-name-keywords.constant.ts).
RESERVED_OBJECT_NAMES = {
    "approvedAccessDomain", "approvedAccessDomains", "appToken", "appTokens", "billingCustomer",
    "billingCustomers", "billingEntitlement", "billingEntitlements", "billingMeter", "billingMeters",
    "billingProduct", "billingProducts", "billingSubscription", "billingSubscriptions",
    "billingSubscriptionItem", "billingSubscriptionItems", "featureFlag", "featureFlags", "job", "jobs",
    "keyValuePair", "keyValuePairs", "pageLayout", "pageLayouts", "pageLayoutTab", "pageLayoutTabs",
    "pageLayoutWidget", "pageLayoutWidgets", "postgresCredential", "postgresCredentials", "twoFactorMethod",
    "twoFactorMethods", "user", "users", "userWorkspace", "userWorkspaces", "workspace", "workspaces", "role",
    "roles", "userWorkspaceRole", "userWorkspaceRoles",
    "plan", "plans", "event", "events", "field", "fields", "link", "links", "currency", "currencies",
    "fullNames", "address", "addresses", "type", "types", "object", "objects", "index", "relation",
    "relations", "aggregate",
}  # fmt: skip
FIELD_INPUT_KEYS = {
    "objectMetadataId", "type", "name", "label", "description", "icon", "isNullable", "isUnique",
    "defaultValue", "options", "settings", "isLabelSyncedWithName", "relationCreationPayload",
    "isActive", "isSystem", "isRemoteCreation",
}  # fmt: skip
FIELD_PATCH_KEYS = {
    "label", "description", "icon", "isActive", "isNullable", "isUnique", "defaultValue", "options",
    "settings", "isLabelSyncedWithName", "name",
}  # fmt: skip
OBJECT_PATCH_KEYS = {
    "labelSingular", "labelPlural", "description", "icon", "isActive", "nameSingular", "namePlural",
    "labelIdentifierFieldMetadataId", "imageIdentifierFieldMetadataId", "isLabelSyncedWithName",
    "shortcut", "isSearchable",
}  # fmt: skip


# ---------------------------------------------------------------------------------------------
# DTO construction
# ---------------------------------------------------------------------------------------------
def _field_dto(object_id: str, spec: dict[str, Any], is_custom: bool) -> dict[str, Any]:
    now = now_iso()
    field_id = str(uuid.uuid4())
    return {
        "id": field_id,
        "type": spec["type"],
        "name": spec["name"],
        "label": spec["label"],
        "description": spec.get("description"),
        "icon": spec.get("icon"),
        "standardOverrides": None,
        "isCustom": is_custom,
        "isActive": spec.get("isActive", True),
        "isSystem": spec.get("isSystem", False),
        "isNullable": spec.get("isNullable", True),
        "isUnique": bool(spec.get("isUnique", False)),
        "universalIdentifier": spec.get("universalIdentifier") or field_id,
        "defaultValue": spec.get("defaultValue"),
        "options": spec.get("options"),
        "settings": spec.get("settings"),
        "isLabelSyncedWithName": spec.get("isLabelSyncedWithName", False),
        "objectMetadataId": object_id,
        "relationTargetObjectMetadataId": None,
        "relationTargetFieldMetadataId": None,
        "createdAt": now,
        "updatedAt": now,
        **_private(spec),
    }


def _private(spec: dict[str, Any]) -> dict[str, Any]:
    """Sandbox-private behaviour markers (``_domain``, ``_readOnly``): stored, never rendered."""
    return {k: v for k, v in spec.items() if k.startswith("_") and v}


def _public(dto: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in dto.items() if not k.startswith("_")}


def _object_dto(spec: dict[str, Any], is_custom: bool) -> dict[str, Any]:
    now = now_iso()
    return {
        "id": str(uuid.uuid4()),
        "nameSingular": spec["nameSingular"],
        "namePlural": spec["namePlural"],
        "labelSingular": spec["labelSingular"],
        "labelPlural": spec["labelPlural"],
        "description": spec.get("description"),
        "icon": spec.get("icon"),
        "isCustom": is_custom,
        "isRemote": False,
        "isActive": True,
        "isSystem": False,
        "isSearchable": True,
        "isLabelSyncedWithName": spec.get("isLabelSyncedWithName", False),
        "labelIdentifierFieldMetadataId": None,
        "imageIdentifierFieldMetadataId": None,
        "shortcut": None,
        "duplicateCriteria": None,
        "createdAt": now,
        "updatedAt": now,
        **_private(spec),
    }


def camel_from_label(label: str) -> str:
    """``"Treatment Plans"`` → ``treatmentPlans`` (how Twenty names an inverse relation field)."""
    words = [w for w in re.split(r"[^A-Za-z0-9]+", label) if w]
    if not words:
        return ""
    return words[0][:1].lower() + words[0][1:] + "".join(w[:1].upper() + w[1:] for w in words[1:])


def _insert_relation_pair(
    db: Database,
    m2o_object_id: str,
    m2o_spec: dict[str, Any],
    o2m_object_id: str,
    o2m_spec: dict[str, Any],
    on_delete: str,
    is_custom: bool,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Create both sides of a relation: MANY_TO_ONE (owns join column ``<name>Id``) and its inverse."""
    m2o = _field_dto(m2o_object_id, {**m2o_spec, "type": "RELATION"}, is_custom)
    o2m = _field_dto(o2m_object_id, {**o2m_spec, "type": "RELATION"}, is_custom)
    m2o["settings"] = {
        "relationType": "MANY_TO_ONE",
        "onDelete": on_delete,
        "joinColumnName": f"{m2o['name']}Id",
    }
    o2m["settings"] = {"relationType": "ONE_TO_MANY"}
    m2o["relationTargetObjectMetadataId"] = o2m_object_id
    m2o["relationTargetFieldMetadataId"] = o2m["id"]
    o2m["relationTargetObjectMetadataId"] = m2o_object_id
    o2m["relationTargetFieldMetadataId"] = m2o["id"]
    db.insert_field(m2o)
    db.insert_field(o2m)
    return m2o, o2m


def _insert_object_with_system_fields(
    db: Database, spec: ObjectSpec, is_custom: bool, extra_fields: list[dict[str, Any]], profile: str
) -> dict[str, Any]:
    dto = _object_dto(spec, is_custom)
    db.insert_object(dto)
    label_identifier = spec.get("labelIdentifier")
    for field_spec in [*system_fields(profile), *extra_fields]:
        if field_spec["type"] == "RELATION":
            continue
        field = _field_dto(dto["id"], field_spec, is_custom and field_spec["name"] not in _system_names())
        db.insert_field(field)
        if field_spec["name"] == label_identifier:
            dto["labelIdentifierFieldMetadataId"] = field["id"]
    db.update_object(dto)
    return dto


def _system_names() -> set[str]:
    return {f["name"] for f in system_fields()}


SCHEMA_VERSION = "2"


def _lacks(dto: dict[str, Any], markers: dict[str, Any]) -> bool:
    return any(dto.get(k) != v for k, v in markers.items())


def seed_if_empty(db: Database, played: TwentyVersion) -> None:
    """Write the standard objects into a new file, and whatever an older sandbox file lacks into an
    existing one (attachments, ``updatedBy``, members' read-only marker…). Idempotent: records, custom
    fields and custom objects are never touched, so a rehearsal's workspace survives an upgrade."""
    with db.transaction() as conn:
        object_ids = dict(conn.execute("SELECT name_singular, id FROM objects").fetchall())
        field_names = {(o, n) for o, n in conn.execute("SELECT object_id, name FROM fields")}
        bodies = {
            "objects": {i: json.loads(b) for i, b in conn.execute("SELECT id, body FROM objects")},
            "fields": {(o, n): json.loads(b) for o, n, b in conn.execute("SELECT object_id, name, body FROM fields")},
        }
        profile = played.naming
        specs = standard_objects_for(played)
        for spec in specs:
            object_id = object_ids.get(spec["nameSingular"])
            if object_id is None:
                dto = _insert_object_with_system_fields(db, spec, False, spec["fields"], profile)
                object_ids[spec["nameSingular"]] = dto["id"]
                continue
            dto = bodies["objects"][object_id]
            if _lacks(dto, _private(spec)):
                db.update_object({**dto, **_private(spec)})
            for field_spec in [*system_fields(profile), *spec["fields"]]:
                if field_spec["type"] == "RELATION":
                    continue
                key = (object_id, field_spec["name"])
                if key not in field_names:
                    db.insert_field(_field_dto(object_id, field_spec, False))
                elif _lacks(bodies["fields"][key], _private(field_spec)):
                    db.update_field({**bodies["fields"][key], **_private(field_spec)})
        field_names = {(o, n) for o, n in conn.execute("SELECT object_id, name FROM fields")}
        for spec in specs:
            for field_spec in spec["fields"]:
                rel = field_spec.get("relation")
                source, target = object_ids[spec["nameSingular"]], object_ids[rel["target"]] if rel else None
                if (
                    not rel
                    or (source, field_spec["name"]) in field_names
                    or (target, rel["inverseName"]) in field_names
                ):
                    continue
                _insert_relation_pair(
                    db,
                    source,
                    {"name": field_spec["name"], "label": field_spec["label"]},
                    target,
                    {"name": rel["inverseName"], "label": rel["inverseLabel"]},
                    rel["onDelete"],
                    False,
                )
                field_names |= {(source, field_spec["name"]), (target, rel["inverseName"])}
        if db.get_meta("profile") is None:
            db.set_meta("profile", profile)
        if db.get_meta("twenty_version") is None:
            db.set_meta("twenty_version", played.version)
        db.set_meta("schema_version", SCHEMA_VERSION)
    db.reload_metadata()


# ---------------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------------
def _object_ref(obj: ObjectMeta | None) -> dict[str, Any] | None:
    if obj is None:
        return None
    return {"id": obj.id, "nameSingular": obj.singular, "namePlural": obj.plural}


def render_field(db: Database, field: FieldMeta) -> dict[str, Any]:
    """The field DTO as the metadata API returns it (``relation`` computed from the target ids)."""
    out = _public(field.dto)
    out["relation"] = None
    out["morphRelations"] = None
    if field.type == "RELATION":
        target_field = db.fields_by_id.get(field.dto.get("relationTargetFieldMetadataId") or "")
        out["relation"] = {
            "type": field.relation_type,
            "sourceObjectMetadata": _object_ref(db.objects_by_id.get(field.dto["objectMetadataId"])),
            "targetObjectMetadata": _object_ref(db.objects_by_id.get(field.target_object_id or "")),
            "sourceFieldMetadata": {"id": field.id, "name": field.name},
            "targetFieldMetadata": ({"id": target_field.id, "name": target_field.name} if target_field else None),
        }
    return out


def render_object(db: Database, obj: ObjectMeta) -> dict[str, Any]:
    """The object DTO with its fields inlined, like ``GET /rest/metadata/objects``."""
    out = _public(obj.dto)
    out["fields"] = [render_field(db, f) for f in obj.all_fields]
    return out


def _page(items: list[dict[str, Any]], params: dict[str, str]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Cursor paging over a small metadata list; cursors are the item ids (UUIDs)."""
    raw_limit = params.get("limit")
    limit = METADATA_PAGE_MAX
    if raw_limit is not None:
        if not raw_limit.isdigit():
            raise bad_request(f"limit '{raw_limit}' is invalid. Should be an integer")
        limit = min(int(raw_limit), METADATA_PAGE_MAX)
    after, before = params.get("starting_after"), params.get("ending_before")
    if after and before:
        raise bad_request("Cannot provide both starting_after and ending_before")
    ids = [i["id"] for i in items]
    start, end = 0, len(items)
    for cursor in (after, before):
        if cursor is not None and (not is_uuid(cursor) or cursor not in ids):
            raise bad_request(f"Invalid cursor '{cursor}'")
    if after:
        start = ids.index(after) + 1
        page = items[start : start + limit]
        has_next, has_prev = start + limit < len(items), True
    elif before:
        end = ids.index(before)
        page = items[max(0, end - limit) : end]
        has_next, has_prev = True, end - limit > 0
    else:
        page = items[:limit]
        has_next, has_prev = limit < len(items), False
    info = {
        "hasNextPage": has_next,
        "hasPreviousPage": has_prev,
        "startCursor": page[0]["id"] if page else None,
        "endCursor": page[-1]["id"] if page else None,
    }
    return page, info


def list_objects(db: Database, params: dict[str, str]) -> dict[str, Any]:
    items = [render_object(db, o) for o in db.objects_by_id.values()]
    page, info = _page(items, params)
    return {"data": {"objects": page}, "pageInfo": info, "totalCount": len(items)}


def check_metadata_id(item_id: str) -> None:
    """A metadata id in the path must be a UUID: 400 otherwise (object-metadata.integration-spec.ts)."""
    if not is_uuid(item_id):
        raise bad_request(f"'{item_id}' is not a valid UUID")


def get_object(db: Database, object_id: str) -> dict[str, Any]:
    obj = db.objects_by_id.get(object_id)
    if obj is None:
        raise not_found("Object metadata not found")
    return {"data": {"object": render_object(db, obj)}}


def list_fields(db: Database, params: dict[str, str]) -> dict[str, Any]:
    items = [render_field(db, f) for f in db.fields_by_id.values()]
    page, info = _page(items, params)
    return {"data": {"fields": page}, "pageInfo": info, "totalCount": len(items)}


def get_field(db: Database, field_id: str) -> dict[str, Any]:
    field = db.fields_by_id.get(field_id)
    if field is None:
        raise not_found("Field metadata not found")
    return {"data": {"field": render_field(db, field)}}


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------
def _validate_name(name: Any, what: str = "Name") -> str:
    if not isinstance(name, str) or not name:
        raise bad_request(f"{what} is required")
    if len(name) > MAX_NAME_LENGTH:
        raise bad_request(f"{what} is too long: it exceeds the {MAX_NAME_LENGTH} characters limit")
    if not NAME_RE.match(name):
        raise bad_request(
            f'String "{name}" is not valid: must start with lower case letter and contain only alphanumeric letters'
        )
    return name


def _validate_label(label: Any, what: str = "Label") -> str:
    if not isinstance(label, str) or not label.strip():
        raise bad_request(f"{what} is required")
    return label


def validate_options(options: Any) -> list[dict[str, Any]]:
    """SELECT/MULTI_SELECT options: non-empty, unique UPPER_SNAKE values; fills id/color/position."""
    if not isinstance(options, list) or not options:
        raise bad_request("Options are required for select fields")
    seen: set[str] = set()
    out = []
    for position, option in enumerate(options):
        if not isinstance(option, dict) or not isinstance(option.get("value"), str):
            raise bad_request("Each option needs a string value")
        value = option["value"]
        if not OPTION_VALUE_RE.match(value):
            raise bad_request(f'Value must be in UPPER_CASE and follow snake_case "{value}"')
        if value in seen:
            raise bad_request(f'Duplicate option value "{value}"')
        seen.add(value)
        label = option.get("label")
        if not isinstance(label, str) or not label:
            raise bad_request(f'Option "{value}" needs a label')
        out.append(
            {
                "id": option.get("id") or str(uuid.uuid4()),
                "value": value,
                "label": label,
                "color": option.get("color") or "gray",
                "position": option.get("position", position),
            }
        )
    return out


def _name_taken(obj: ObjectMeta, name: str, *, with_join_column: bool = False) -> bool:
    """A name collides with a field name or a join column (and, for a new MANY_TO_ONE relation,
    its own join column ``<name>Id`` must be free too)."""
    keys = {f.name for f in obj.all_fields} | {f.join_column for f in obj.all_fields if f.join_column}
    return name in keys or (with_join_column and f"{name}Id" in keys)


def _validate_default(field_type: str, default: Any, options: list[dict[str, Any]] | None) -> None:
    if default is None:
        return
    if field_type in ("SELECT",):
        values = {o["value"] for o in options or []}
        literal = default[1:-1] if isinstance(default, str) and default.startswith("'") else default
        if literal not in values:
            raise bad_request(f"Default value {default} is not one of the options")


# ---------------------------------------------------------------------------------------------
# Writes
# ---------------------------------------------------------------------------------------------
def create_field(db: Database, body: Any) -> dict[str, Any]:
    """``POST /rest/metadata/fields`` → ``{"data": {"createOneField": …}}``."""
    if not isinstance(body, dict):
        raise bad_request("Body must be an object")
    unknown = set(body) - FIELD_INPUT_KEYS
    if unknown:
        raise bad_request(f"property {sorted(unknown)[0]} should not exist")
    object_id = body.get("objectMetadataId")
    if not is_uuid(object_id):
        raise bad_request("objectMetadataId must be a UUID")
    field_type = body.get("type")
    if field_type not in SUPPORTED_TYPES:
        raise bad_request(f"Field type '{field_type}' is not supported")
    name = _validate_name(body.get("name"))
    label = _validate_label(body.get("label"))
    with db.lock:
        obj = db.objects_by_id.get(object_id)
        if obj is None:
            raise not_found("Object metadata not found")
        if _name_taken(obj, name, with_join_column=field_type == "RELATION"):
            raise bad_request(f'Name "{name}" is not available, it may be duplicating another field\'s name')
        spec: dict[str, Any] = {
            key: body[key]
            for key in (
                "description",
                "icon",
                "isNullable",
                "defaultValue",
                "settings",
                "isLabelSyncedWithName",
            )
            if key in body
        }
        spec.update(name=name, label=label, type=field_type, isUnique=bool(body.get("isUnique", False)))
        if field_type in ("SELECT", "MULTI_SELECT"):
            spec["options"] = validate_options(body.get("options"))
        elif body.get("options") is not None:
            raise bad_request(f"Options are not allowed for {field_type} fields")
        _validate_default(field_type, spec.get("defaultValue"), spec.get("options"))
        if spec["isUnique"] and field_type in COMPOSITE_TYPES and field_type not in UNIQUE_SUBFIELDS:
            raise bad_request(f"{field_type} fields cannot be unique")
        if field_type == "PHONES":  # the version decides what a unique phone is over (PR #20261)
            spec["_uniqueSubfields"] = version(db.get_meta("twenty_version") or NEWEST).unique_phone_subfields
        if field_type == "RELATION":
            created = _create_relation_field(db, obj, spec, body.get("relationCreationPayload"))
        else:
            created = _field_dto(obj.id, spec, True)
            with db.transaction():
                db.insert_field(created)
        db.reload_metadata()
        return {"data": {"createOneField": render_field(db, db.fields_by_id[created["id"]])}}


def _create_relation_field(db: Database, obj: ObjectMeta, spec: dict[str, Any], payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise bad_request("relationCreationPayload is required for RELATION fields")
    target = db.objects_by_id.get(payload.get("targetObjectMetadataId") or "")
    if target is None:
        raise bad_request("Target object metadata not found")
    relation_type = payload.get("type")
    if relation_type not in ("MANY_TO_ONE", "ONE_TO_MANY"):
        raise bad_request("relationCreationPayload.type must be MANY_TO_ONE or ONE_TO_MANY")
    target_label = _validate_label(payload.get("targetFieldLabel"), "targetFieldLabel")
    target_name = _validate_name(camel_from_label(target_label), "Target field name")
    if _name_taken(target, target_name, with_join_column=relation_type == "ONE_TO_MANY"):
        raise bad_request(f'Name "{target_name}" is not available on object "{target.singular}"')
    source_spec = {"name": spec["name"], "label": spec["label"], "description": spec.get("description")}
    target_spec = {"name": target_name, "label": target_label, "icon": payload.get("targetFieldIcon")}
    with db.transaction():
        if relation_type == "MANY_TO_ONE":
            created, _ = _insert_relation_pair(db, obj.id, source_spec, target.id, target_spec, "SET_NULL", True)
        else:
            _, created = _insert_relation_pair(db, target.id, target_spec, obj.id, source_spec, "SET_NULL", True)
    return created


def create_object(db: Database, body: Any) -> dict[str, Any]:
    """``POST /rest/metadata/objects``: a custom object with the default fields and a ``name`` field."""
    if not isinstance(body, dict):
        raise bad_request("Body must be an object")
    singular = _validate_name(body.get("nameSingular"), "nameSingular")
    plural = _validate_name(body.get("namePlural"), "namePlural")
    if singular.lower() == plural.lower():
        raise bad_request("The singular and plural name cannot be the same for an object")
    for name in (singular, plural):
        if name in RESERVED_OBJECT_NAMES:
            raise bad_request(
                f'The name "{name}" is not available. This name is reserved. Use a different name or the '
                'system will add "Custom" suffix.'
            )
    spec = {
        "nameSingular": singular,
        "namePlural": plural,
        "labelSingular": _validate_label(body.get("labelSingular"), "labelSingular"),
        "labelPlural": _validate_label(body.get("labelPlural"), "labelPlural"),
        "description": body.get("description"),
        "icon": body.get("icon"),
        "isLabelSyncedWithName": body.get("isLabelSyncedWithName", False),
        "labelIdentifier": "name",
    }
    with db.lock:
        taken = set(db.objects_by_singular) | set(db.objects_by_plural)
        taken |= {o.singular for o in db.objects_by_id.values()} | {o.plural for o in db.objects_by_id.values()}
        if singular in taken or plural in taken:
            raise bad_request(f'The name "{singular}" is not available: an object with this name already exists')
        profile = db.get_meta("profile") or "current"
        with db.transaction():
            dto = _insert_object_with_system_fields(
                db,
                spec,
                True,
                [{"name": "name", "label": "Name", "type": "TEXT", "defaultValue": "'Untitled'"}],
                profile,
            )
            # Like Twenty, a custom object can be the target of tasks, notes and attachments at once:
            # `targetPetId` (current) / `petId` (legacy) on each junction object, inverse on the object.
            for junction, inverse_name, inverse_label, on_delete in JUNCTIONS:
                junction_object = db.objects_by_singular.get(junction)
                if junction_object is None:
                    continue
                name = target_field_name(profile, singular)
                if _name_taken(junction_object, name, with_join_column=True):
                    continue
                _insert_relation_pair(
                    db,
                    junction_object.id,
                    {"name": name, "label": spec["labelSingular"]},
                    dto["id"],
                    {"name": inverse_name, "label": inverse_label, "isSystem": True},
                    on_delete,
                    True,
                )
        db.reload_metadata()
        return {"data": {"createOneObject": render_object(db, db.objects_by_id[dto["id"]])}}


def update_field(db: Database, field_id: str, body: Any, rebuild_unique: Any) -> dict[str, Any]:
    """``PATCH /rest/metadata/fields/{id}``: labels, options, activation, uniqueness.

    ``rebuild_unique(obj, field)`` is supplied by the record engine: turning ``isUnique`` on indexes
    existing records and fails with a duplicate error if they already collide.
    """
    if not isinstance(body, dict):
        raise bad_request("Body must be an object")
    unknown = set(body) - FIELD_PATCH_KEYS
    if unknown:
        raise bad_request(f"property {sorted(unknown)[0]} should not exist")
    with db.lock:
        field = db.fields_by_id.get(field_id)
        if field is None:
            raise bad_request("Field metadata not found")
        dto = dict(field.dto)
        if "name" in body and body["name"] != dto["name"]:
            raise bad_request("Renaming fields is not supported by the sandbox yet")
        for key in ("label", "description", "icon", "isActive", "isNullable", "defaultValue", "settings"):
            if key in body:
                dto[key] = body[key]
        if "label" in body:
            _validate_label(body["label"])
        if "options" in body:
            if dto["type"] not in ("SELECT", "MULTI_SELECT"):
                raise bad_request(f"Options are not allowed for {dto['type']} fields")
            dto["options"] = validate_options(body["options"])
        _validate_default(dto["type"], dto.get("defaultValue"), dto.get("options"))
        unique_changed = "isUnique" in body and bool(body["isUnique"]) != bool(dto["isUnique"])
        dto["isUnique"] = bool(body.get("isUnique", dto["isUnique"]))
        dto["updatedAt"] = now_iso()
        with db.transaction():
            db.update_field(dto)
            if unique_changed:
                new_field = FieldMeta(dto)
                rebuild_unique(db.objects_by_id[dto["objectMetadataId"]], new_field)
        db.reload_metadata()
        return {"data": {"updateOneField": render_field(db, db.fields_by_id[field_id])}}


def update_object(db: Database, object_id: str, body: Any) -> dict[str, Any]:
    """``PATCH /rest/metadata/objects/{id}``: labels, description, activation."""
    if not isinstance(body, dict):
        raise bad_request("Body must be an object")
    unknown = set(body) - OBJECT_PATCH_KEYS
    if unknown:
        raise bad_request(f"property {sorted(unknown)[0]} should not exist")
    with db.lock:
        obj = db.objects_by_id.get(object_id)
        if obj is None:
            raise not_found("Object metadata not found")
        dto = dict(obj.dto)
        for key in ("nameSingular", "namePlural"):
            if key in body and body[key] != dto[key]:
                raise bad_request("Renaming objects is not supported by the sandbox yet")
        for key in OBJECT_PATCH_KEYS - {"nameSingular", "namePlural"}:
            if key in body:
                dto[key] = body[key]
        dto["updatedAt"] = now_iso()
        with db.transaction():
            db.update_object(dto)
        db.reload_metadata()
        return {"data": {"updateOneObject": render_object(db, db.objects_by_id[object_id])}}


def delete_field(db: Database, field_id: str) -> dict[str, Any]:
    """``DELETE /rest/metadata/fields/{id}`` for custom fields; frees its unique values."""
    with db.lock:
        field = db.fields_by_id.get(field_id)
        if field is None:
            raise not_found("Field metadata not found")
        if not field.dto.get("isCustom"):
            raise bad_request("Standard fields cannot be deleted")
        ids = [field_id]
        if field.type == "RELATION" and field.dto.get("relationTargetFieldMetadataId"):
            ids.append(field.dto["relationTargetFieldMetadataId"])
        with db.transaction() as conn:
            conn.execute(
                "DELETE FROM unique_values WHERE object_id = ? AND field_key = ?",
                (field.dto["objectMetadataId"], field.name),
            )
            conn.executemany("DELETE FROM fields WHERE id = ?", [(i,) for i in ids])
        db.reload_metadata()
        return {"data": {"deleteOneField": {"id": field_id}}}


def delete_object(db: Database, object_id: str) -> dict[str, Any]:
    """``DELETE /rest/metadata/objects/{id}``: custom objects only, after deactivation (§10)."""
    with db.lock:
        obj = db.objects_by_id.get(object_id)
        if obj is None:
            raise not_found("Object metadata not found")
        if not obj.dto.get("isCustom"):
            raise bad_request("Standard objects cannot be deleted")
        if obj.dto.get("isActive", True):
            raise bad_request("Object must be deactivated before deletion")
        inverse_ids = [f.dto["relationTargetFieldMetadataId"] for f in obj.all_fields if f.type == "RELATION"]
        with db.transaction() as conn:
            conn.executemany("DELETE FROM fields WHERE id = ?", [(i,) for i in inverse_ids if i])
            conn.execute("DELETE FROM fields WHERE object_id = ?", (object_id,))
            conn.execute("DELETE FROM records WHERE object_id = ?", (object_id,))
            conn.execute("DELETE FROM unique_values WHERE object_id = ?", (object_id,))
            conn.execute("DELETE FROM objects WHERE id = ?", (object_id,))
        db.reload_metadata()
        return {"data": {"deleteOneObject": {"id": object_id}}}


def resolve_object(db: Database, name: str) -> ObjectMeta:
    """Path object name → object; a singular name gets Twenty's hint (rest-api-base.handler.ts)."""
    obj = db.objects_by_plural.get(name)
    if obj is not None:
        return obj
    singular = db.objects_by_singular.get(name)
    if singular is not None:
        raise bad_request(f"object '{name}' not found. Did you mean '{singular.plural}'?")
    raise bad_request(f"object '{name}' not found.")


__all__ = [
    "ApiError",
    "create_field",
    "create_object",
    "delete_field",
    "delete_object",
    "get_field",
    "get_object",
    "list_fields",
    "list_objects",
    "resolve_object",
    "seed_if_empty",
    "update_field",
    "update_object",
]


def new_id() -> str:
    """A fresh UUID for a record or metadata item."""
    return str(uuid.uuid4())
