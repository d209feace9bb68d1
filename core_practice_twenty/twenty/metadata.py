"""Schema sync: make the workspace hold every custom object, field, option and relation the map needs.

Reads the workspace's metadata first and only creates what is missing, so re-running changes nothing;
a field a person already created by hand with the right type is reused, and SELECT options missing
from an existing field are added (never removed). Order matters: objects, then plain fields, then
relations (whose target must exist).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from core_practice_twenty.mapping.target_model import TargetObject, TwentyField
from core_practice_twenty.twenty.client import TwentyClient


class SchemaConflictError(Exception):
    """A field exists in Twenty under the needed name but with another type or uniqueness."""


@dataclass
class SchemaSyncResult:
    objects_created: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    options_added: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.objects_created or self.created or self.options_added)


def _by_name(client: TwentyClient) -> dict[str, dict]:
    return {o["nameSingular"]: o for o in client.list_objects()}


def sync_schema(client: TwentyClient, targets: list[TargetObject] | tuple[TargetObject, ...],
                fields: Mapping[str, tuple[TwentyField, ...]] | None = None) -> SchemaSyncResult:
    """Create what is missing for `targets`; fail loudly on a conflicting existing field.

    `fields` (object plural → fields, from the confirmed map's `schema_fields`) replaces each target's
    custom fields: the map decides, e.g. opt-in fund numbers or a practice's own column.
    """
    result = SchemaSyncResult()
    objects = _by_name(client)
    for target in targets:
        if target.is_custom and target.name_singular not in objects:
            client.create_object({
                "nameSingular": target.name_singular,
                "namePlural": target.name_plural,
                "labelSingular": target.label_singular or target.name_singular,
                "labelPlural": target.label_plural or target.name_plural,
                "description": target.description,
                "icon": "IconDental" if target.name_singular == "treatmentPlan" else "IconFileInvoice",
                "isLabelSyncedWithName": False,
            })
            result.objects_created.append(target.name_singular)
    if result.objects_created:
        objects = _by_name(client)
    for relations in (False, True):
        for target in targets:
            obj = objects.get(target.name_singular)
            if obj is None:
                raise SchemaConflictError(
                    f"Twenty workspace has no object {target.name_singular!r}; is TWENTY_API_URL the right "
                    f"workspace?"
                )
            have_fields = {f["name"]: f for f in obj.get("fields", [])}
            wanted_fields = fields.get(target.name_plural, ()) if fields is not None else target.custom_fields
            for wanted in wanted_fields:
                if (wanted.type == "RELATION") is relations:
                    _sync_field(client, target, obj, have_fields.get(wanted.name), wanted, objects, result)
        if not relations and result.created:
            objects = _by_name(client)
    return result


def _sync_field(client: TwentyClient, target: TargetObject, obj: dict, have: dict | None, wanted: TwentyField,
                objects: dict[str, dict], result: SchemaSyncResult) -> None:
    qualified = f"{target.name_singular}.{wanted.name}"
    if have is None:
        target_id = objects[wanted.relation_target]["id"] if wanted.relation_target else None
        client.create_field(wanted.create_input(obj["id"], target_id))
        result.created.append(qualified)
        return
    if have.get("type") != wanted.type or bool(have.get("isUnique")) != wanted.is_unique:
        raise SchemaConflictError(
            f"{qualified} exists in Twenty as {have.get('type')} (unique={have.get('isUnique')}) but the "
            f"migration needs {wanted.type} (unique={wanted.is_unique}). Rename or delete the field in Twenty "
            f"(Settings → Data model) and run again."
        )
    if wanted.options:
        present = {o["value"] for o in have.get("options") or []}
        missing = [o for o in wanted.options if o["value"] not in present]
        if missing:
            merged = list(have.get("options") or [])
            merged += [dict(o, position=len(merged) + i) for i, o in enumerate(missing)]
            client.update_field(have["id"], {"options": merged})
            result.options_added += [f"{qualified}:{o['value']}" for o in missing]
    result.existing.append(qualified)



def target_field_names(client: TwentyClient) -> dict[str, str]:
    """Join-column names of taskTarget/noteTarget/attachment on this server: `targetPersonId` or `personId`.

    Current Twenty names the morph relations `target<Object>`; older servers name them after the
    object. Read from the workspace's metadata so the payloads fit the server they are sent to.
    """
    objects = _by_name(client)
    names = {f["name"] for holder in ("taskTarget", "noteTarget", "attachment")
             for f in objects.get(holder, {}).get("fields", [])}
    found = {}
    for singular in ("person", "company", "task", "note", "opportunity"):
        current = f"target{singular[0].upper()}{singular[1:]}"
        if current in names:
            found[singular] = f"{current}Id"
        elif singular in names:
            found[singular] = f"{singular}Id"
    return found


def object_metadata(client: TwentyClient, singular: str) -> dict | None:
    """One object's metadata (fields with types and uniqueness), or None when the workspace lacks it."""
    return _by_name(client).get(singular)
