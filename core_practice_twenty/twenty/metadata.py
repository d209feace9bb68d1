"""Schema sync: make the workspace hold every custom field the migration needs, idempotently.

Reads the workspace's metadata first and only creates what is missing, so re-running changes
nothing, and a field a person already created by hand with the right type is reused.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core_practice_twenty.mapping.target_model import TargetObject
from core_practice_twenty.twenty.client import TwentyClient


class SchemaConflictError(Exception):
    """A field exists in Twenty under the needed name but with another type or uniqueness."""


@dataclass
class SchemaSyncResult:
    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)


def sync_custom_fields(client: TwentyClient, targets: list[TargetObject]) -> SchemaSyncResult:
    """Create the missing custom fields of `targets`; fail loudly on a conflicting existing field."""
    result = SchemaSyncResult()
    objects = {o["nameSingular"]: o for o in client.list_objects()}
    for target in targets:
        obj = objects.get(target.name_singular)
        if obj is None:
            raise SchemaConflictError(
                f"Twenty workspace has no object {target.name_singular!r}; is TWENTY_API_URL the right "
                f"workspace?"
            )
        fields = {f["name"]: f for f in obj.get("fields", [])}
        for wanted in target.custom_fields:
            qualified = f"{target.name_singular}.{wanted.name}"
            have = fields.get(wanted.name)
            if have is None:
                client.create_field(wanted.create_input(obj["id"]))
                result.created.append(qualified)
                continue
            if have.get("type") != wanted.type or bool(have.get("isUnique")) != wanted.is_unique:
                raise SchemaConflictError(
                    f"{qualified} exists in Twenty as {have.get('type')} (unique={have.get('isUnique')}) but "
                    f"the migration needs {wanted.type} (unique={wanted.is_unique}). Rename or delete the "
                    f"field in Twenty (Settings → Data model) and run again."
                )
            result.existing.append(qualified)
    return result
