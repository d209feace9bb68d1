"""The field map's YAML form (docs/field-map.md): to and from a file, with errors that name the line."""

from __future__ import annotations

import copy
from dataclasses import asdict
from pathlib import Path
from typing import Any

import yaml

from core_practice_twenty.mapping.field_map.model import (
    _LATER_OPTIONS,
    MAP_VERSION,
    ColumnEntry,
    Confirmation,
    FieldMap,
    FieldMapError,
    MapOptions,
    ObjectMap,
)
from core_practice_twenty.mapping.field_map.schema import schema_summary

_HEADER_COMMENT = """\
# Field map: Core Practice export → Twenty (docs/field-map.md explains every key).
# Review: read data/reports/field-map-review.md; for every entry with needs_decision: true, correct
# targets/transform if needed (transform: excluded + targets: [] keeps a column out), then set
# needs_decision: false. Confirm with: cpt map confirm --map FILE --export DIR --by "Your Name".
# The schema block is written by the tool from the entries; edits there are ignored.
"""


def _entry_to_dict(entry: ColumnEntry) -> dict[str, Any]:
    return {
        "header": entry.header,
        "column": (entry.column[0] if len(entry.column) == 1 else list(entry.column)) or None,
        "targets": list(entry.targets),
        "transform": entry.transform,
        "confidence": round(float(entry.confidence), 2),
        "needs_decision": bool(entry.needs_decision),
        "reason": entry.reason,
        "profile": dict(entry.profile),
        **({"identifier": entry.identifier} if entry.identifier else {}),
        **({"identifier_opt_in": dict(entry.identifier_opt_in)} if entry.identifier_opt_in is not None else {}),
        **({"alternatives": list(entry.alternatives)} if entry.alternatives else {}),
        **({"values": {t: dict(v) for t, v in entry.values.items()}} if entry.values is not None else {}),
    }


def map_content(field_map: FieldMap) -> dict[str, Any]:
    """The map's mapping content: everything but status and confirmation (what the fingerprint covers)."""
    return {
        "version": field_map.version,
        "proposed_at": field_map.proposed_at,
        "export": field_map.export_name,
        "options": {k: v for k, v in asdict(field_map.options).items()
                    if k not in _LATER_OPTIONS or v != _LATER_OPTIONS[k]},
        "objects": {
            name: {"file": obj.file, "columns": [_entry_to_dict(e) for e in obj.columns]}
            for name, obj in field_map.objects.items()
        },
        "schema": schema_summary(field_map),
    }


def to_dict(field_map: FieldMap) -> dict[str, Any]:
    content = map_content(field_map)
    return {
        "version": content.pop("version"),
        "status": field_map.status,
        **content,
        "confirmation": asdict(field_map.confirmation),
        **({"remembered": dict(field_map.remembered)} if field_map.remembered else {}),
    }


def _as_tuple(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise FieldMapError(f"{where}: expected a name or a list of names")


def _opt_in(value: Any, where: str) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) - {"column", "by"}:
        raise FieldMapError(f"{where}: expected {{column: <the header as in the export>, by: <your name>}}")
    return {k: str(v) for k, v in value.items() if v is not None}


def _values(value: Any, where: str) -> dict[str, dict[str, str | None]] | None:
    shape = f"{where}: expected {{<target>: {{<value as the export spells it>: <Twenty option or null>}}}}"
    if value is None:
        return None
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        raise FieldMapError(shape)
    return {str(target): {str(k): None if v is None else str(v) for k, v in pairs.items()}
            for target, pairs in value.items()}


def from_dict(data: Any, *, source: str = "field map") -> FieldMap:
    """A FieldMap from its YAML content; a wrong shape raises FieldMapError naming the place."""
    if not isinstance(data, dict) or not isinstance(data.get("objects"), dict):
        raise FieldMapError(f"{source}: not a field map (no 'objects' mapping). Write one with `cpt map propose`.")
    objects: dict[str, ObjectMap] = {}
    for name, obj in data["objects"].items():
        if not isinstance(obj, dict) or not isinstance(obj.get("columns", []), list):
            raise FieldMapError(f"{source}: objects.{name} must have a 'columns' list")
        entries = []
        for i, raw in enumerate(obj.get("columns") or []):
            where = f"{source}: objects.{name}.columns[{i}]"
            if not isinstance(raw, dict):
                raise FieldMapError(f"{where}: expected a mapping")
            try:
                confidence = float(raw.get("confidence", 0.0))
            except (TypeError, ValueError):
                raise FieldMapError(f"{where}.confidence: expected a number between 0 and 1") from None
            header = raw.get("header")
            entries.append(ColumnEntry(
                header=None if header is None else str(header),
                column=_as_tuple(raw.get("column"), f"{where}.column"),
                targets=_as_tuple(raw.get("targets"), f"{where}.targets"),
                transform=str(raw.get("transform", "")),
                confidence=confidence,
                reason=str(raw.get("reason") or ""),
                needs_decision=bool(raw.get("needs_decision", False)),
                profile=dict(raw.get("profile") or {}),
                identifier=None if raw.get("identifier") is None else str(raw["identifier"]),
                identifier_opt_in=_opt_in(raw.get("identifier_opt_in"), f"{where}.identifier_opt_in"),
                alternatives=_as_tuple(raw.get("alternatives"), f"{where}.alternatives"),
                values=_values(raw.get("values"), f"{where}.values"),
            ))
        objects[str(name)] = ObjectMap(file=obj.get("file"), columns=entries)
    options_raw = data.get("options") or {}
    known_options = set(MapOptions.__dataclass_fields__)
    unknown = sorted(set(options_raw) - known_options)
    if unknown:
        raise FieldMapError(f"{source}: unknown option(s) {', '.join(unknown)} (known: {', '.join(known_options)})")
    confirmation_raw = data.get("confirmation") or {}
    return FieldMap(
        status=str(data.get("status", "")),
        objects=objects,
        options=MapOptions(**options_raw),
        confirmation=Confirmation(**{k: v for k, v in confirmation_raw.items()
                                     if k in Confirmation.__dataclass_fields__}),
        proposed_at=data.get("proposed_at"),
        export_name=data.get("export"),
        version=int(data.get("version", MAP_VERSION)),
        remembered=dict(data["remembered"]) if isinstance(data.get("remembered"), dict) else None,
    )


# libyaml's safe loader when PyYAML was built with it: the pure-Python one took ~0.35 s per read of a map,
# and landing and every load step read the map (dozens of reads per wave).
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_YAML_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


_PARSED: dict[str, tuple[str, Any]] = {}
"""Last parse of each map file, by path: landing and every load step read the same map (dozens of reads a
wave, 0.05-0.1 s each); a read whose text is unchanged gets a fresh copy of the same parse."""


def _parsed(path: Path, text: str) -> Any:
    key = str(path.resolve())
    cached = _PARSED.get(key)
    if cached is None or cached[0] != text:
        cached = _PARSED[key] = (text, yaml.load(text, Loader=_YAML_LOADER))
    return copy.deepcopy(cached[1])


def _python_yaml_error(text: str) -> yaml.YAMLError | None:
    try:
        yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return exc
    return None


def save_map(field_map: FieldMap, path: Path) -> Path:
    """Write the map as YAML (a short how-to comment on top; the schema block re-derived)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.dump(to_dict(field_map), Dumper=_YAML_DUMPER, sort_keys=False, allow_unicode=True, width=120,
                     default_flow_style=None)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(_HEADER_COMMENT + text, encoding="utf-8")
    tmp.replace(path)
    return path


def load_map(path: Path) -> FieldMap:
    if not path.is_file():
        raise FieldMapError(f"{path}: no field map. Run `cpt map propose --export DIR --out {path}` first.")
    try:
        text = path.read_text(encoding="utf-8")
        data = _parsed(path, text)
    except yaml.YAMLError:
        exc = _python_yaml_error(text)  # libyaml places some errors at the end of input; PyYAML's own at the cause
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise FieldMapError(f"{path}: not valid YAML{where}. Fix the edit there (or propose again).") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FieldMapError(f"{path}: cannot be read ({type(exc).__name__})") from None
    try:
        return from_dict(data, source=str(path))
    except TypeError as exc:  # a wrong key in options/confirmation
        raise FieldMapError(f"{path}: {exc}") from None


