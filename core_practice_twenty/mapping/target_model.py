"""Where Core Practice objects land in Twenty: the custom fields the schema step must create.

One table of truth (following ../shared/reference/twenty-target-model.md); the schema asset, the
load assets and the docs read it. Issue 5 grows it to every object and replaces the hand-kept
default with the confirmed field map.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TwentyField:
    """A field the migration needs on a Twenty object (created through the metadata API if absent)."""

    name: str
    type: str
    label: str
    description: str = ""
    is_unique: bool = False
    options: tuple[dict, ...] = ()

    def create_input(self, object_metadata_id: str) -> dict:
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
        return body


@dataclass(frozen=True)
class TargetObject:
    """A Twenty object the migration writes, with its source-key field (the upsert key)."""

    name_singular: str
    name_plural: str
    source_object: str
    source_key_field: str
    custom_fields: tuple[TwentyField, ...] = field(default=())


COMPANIES = TargetObject(
    name_singular="company",
    name_plural="companies",
    source_object="practices",
    source_key_field="cpPracticeId",
    custom_fields=(
        TwentyField(
            name="cpPracticeId",
            type="TEXT",
            label="Core Practice ID",
            description="Core Practice practice_id; the migration's upsert key for this location.",
            is_unique=True,
        ),
    ),
)

TARGET_OBJECTS: dict[str, TargetObject] = {t.name_plural: t for t in (COMPANIES,)}
"""Twenty objects the migration writes, in load (lineage) order."""
