"""What the map asks of Twenty: the custom objects and fields the schema step creates."""

from __future__ import annotations

from typing import Any

from core_practice_twenty.mapping.field_map.checks import column_included
from core_practice_twenty.mapping.field_map.model import FUND_NUMBER_COLUMNS, FieldMap
from core_practice_twenty.mapping.target_model import SCHEMA_OBJECTS, TARGET_OBJECTS, TargetObject, TwentyField


def _used_objects(field_map: FieldMap) -> list[str]:
    used = {t.split(".", 1)[0] for _, e in field_map.entries() if not e.excluded for t in e.targets}
    return [name for name in TARGET_OBJECTS if name in used]


def schema_fields(field_map: FieldMap) -> dict[str, tuple[TwentyField, ...]]:
    """Custom fields Twenty needs per object (plural), for the schema step.

    All custom fields of the target model for every object the map writes (the transforms set some
    that no column feeds: personType, needsReview…), plus a TEXT field for each practice's own column
    the map sends to a field the model does not have.
    """
    plan: dict[str, tuple[TwentyField, ...]] = {}
    schema_names = {o.name_plural for o in SCHEMA_OBJECTS}
    for plural in _used_objects(field_map):
        if plural not in schema_names:
            continue
        target = TARGET_OBJECTS[plural]
        fields = [f for f in target.custom_fields if f.opt_in is None or _opted_in(field_map, f.opt_in)]
        known = {f.name for f in target.fields}
        for source_object, entry in field_map.entries():
            if entry.excluded or entry.column:
                continue
            for t in entry.targets:
                obj_name, _, field_name = t.partition(".")
                if obj_name == plural and field_name and field_name not in known:
                    known.add(field_name)
                    fields.append(TwentyField(field_name, "TEXT", _label(entry.header or field_name),
                                              f"Core Practice {source_object} column {entry.header!r}."))
        plan[plural] = tuple(fields)
    return plan


def _opted_in(field_map: FieldMap, option: str) -> bool:
    """A sensitive field exists in Twenty only when the map opts in and a column feeds it."""
    if option == "include_fund_numbers":
        opts = field_map.options
        return opts.include_fund_numbers and any(column_included(field_map, *c) for c in FUND_NUMBER_COLUMNS)
    raise ValueError(f"unknown opt-in option {option!r} in the target model")


def custom_objects(field_map: FieldMap) -> tuple[TargetObject, ...]:
    """Custom Twenty objects the map writes (the schema step creates them before their fields)."""
    return tuple(TARGET_OBJECTS[p] for p in _used_objects(field_map) if TARGET_OBJECTS[p].is_custom)


def _label(header: str) -> str:
    return " ".join(header.replace("_", " ").split()).capitalize()


def schema_summary(field_map: FieldMap) -> dict[str, Any]:
    """The schema block of the file: what the schema step will create, for the person reading it."""
    fields: dict[str, list[dict[str, Any]]] = {}
    relations = []
    for plural, plan in schema_fields(field_map).items():
        model_names = {f.name for f in TARGET_OBJECTS[plural].fields}
        rows = []
        for f in plan:
            row: dict[str, Any] = {"name": f.name, "type": f.type}
            if f.is_unique:
                row["unique"] = True
            if f.options:
                row["options"] = list(f.option_values)
            if f.name not in model_names:
                row["new"] = True
            if f.type == "RELATION":
                relations.append({"object": plural, "field": f.name, "target": f.relation_target,
                                  "inverse": f.inverse_label or f.label})
            rows.append(row)
        fields[plural] = rows
    return {
        "custom_objects": [{"name": o.name_singular, "plural": o.name_plural, "label": o.label_singular}
                           for o in custom_objects(field_map)],
        "fields": fields,
        "relations": relations,
    }


