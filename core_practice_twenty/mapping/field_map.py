"""The field map file: proposed by the pipeline, confirmed by a person, locked to the export's columns.

"The pipeline proposes the map; a person confirms it before any record moves." This module holds the
map model, its YAML form (docs/field-map.md), the fingerprint that locks a confirmed map to itself and
to the export's header set, `confirm` (who and when), `check_gate` (the one question the load path
asks: may this export be loaded with this map?) and `to_options` (what the transforms read).

Nothing here reads a cell value: the fingerprint and the gate look at header rows only, so no
export value can reach the map, the gate's messages or a log.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from core_practice_twenty.mapping.default_map import relation_problem, target_problem, transform_problem
from core_practice_twenty.mapping.options import ExtraColumnTarget, MappingOptions
from core_practice_twenty.mapping.target_model import SCHEMA_OBJECTS, TARGET_OBJECTS, TargetObject, TwentyField
from core_practice_twenty.model.regions import DEFAULT_REGION, REGION_CODES
from core_practice_twenty.settings import Settings
from core_practice_twenty.source.export_spec import EXPORT_SPEC, ObjectSpec, normalise_header
from core_practice_twenty.source.readers import (
    FULL_NAME,
    ExportStructureError,
    _physical_rows,
    detect_encoding,
    find_export_file,
    open_export_file,
)

MAP_VERSION = 1
STATUSES = ("proposed", "confirmed")
DECISION_THRESHOLD = 0.8
"""A choice below this confidence is marked needs_decision: a person looks at it before confirming."""
FUND_NUMBER_COLUMNS = (("patients", "health_fund_member_no"), ("patients", "medicare_no"))
CLINICAL_NOTE_BODY = ("clinical_notes", "body")


def reports_dir() -> Path:
    """Where the reports a person reads are written (CPT_REPORTS, settings.py)."""
    return Settings.from_env().reports


def field_map_path() -> Path:
    """The map the pipeline loads with (CPT_FIELD_MAP, settings.py)."""
    return Settings.from_env().field_map


class FieldMapError(Exception):
    """The map file cannot be read (missing, not YAML, wrong shape); the message says what to do."""


class ConfirmRefused(Exception):
    """`confirm` would not lock the map; `problems` lists every reason, one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


# -- model ------------------------------------------------------------------------------------------


@dataclass
class ColumnEntry:
    """One column of one export file and where it goes.

    `header` is the column's header as written in the export (None: a canonical column this export
    lacks); `column` the canonical name(s) it was recognised as (empty for a practice's own column;
    two for a `Last, First` column). `profile` holds shares and counts only, never a value.
    """

    header: str | None
    column: tuple[str, ...]
    targets: tuple[str, ...]
    transform: str
    confidence: float
    reason: str
    needs_decision: bool = False
    profile: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """How a person finds the entry: the header, or the canonical name when the export lacks it."""
        return repr(self.header) if self.header is not None else f"({'+'.join(self.column)}: not in export)"

    @property
    def excluded(self) -> bool:
        return self.transform == "excluded"


@dataclass
class ObjectMap:
    """The entries of one source object (one export file)."""

    file: str | None
    columns: list[ColumnEntry] = field(default_factory=list)

    @property
    def headers(self) -> list[str]:
        return [e.header for e in self.columns if e.header is not None]


@dataclass
class MapOptions:
    """The choices of the map that are not per column (they become MappingOptions)."""

    email_placeholder: bool = False
    include_clinical_notes: bool = True
    include_fund_numbers: bool = False
    fallback_owner_email: str | None = None
    region: str = DEFAULT_REGION.value
    allow_cp1252_lines: bool = False
    """Lines of a UTF-8 export file that are not UTF-8 load as Windows-1252, flagged `cp1252_line`, instead
    of being rejected as `not_utf8` (source/encodings.py). Read at landing."""


_LATER_OPTIONS = {"allow_cp1252_lines": False}
"""Options added after maps were first confirmed: left out of the fingerprint at their default, so a map
confirmed before them stays confirmed."""


@dataclass
class Confirmation:
    """Who locked the map, when, and to what (fingerprint = map digest + export columns digest)."""

    confirmed_by: str | None = None
    confirmed_at: str | None = None
    fingerprint: str | None = None
    map_digest: str | None = None
    columns_digest: str | None = None
    accepted_all: bool = False


@dataclass
class FieldMap:
    status: str
    objects: dict[str, ObjectMap]
    options: MapOptions = field(default_factory=MapOptions)
    confirmation: Confirmation = field(default_factory=Confirmation)
    proposed_at: str | None = None
    export_name: str | None = None
    version: int = MAP_VERSION

    def entries(self) -> list[tuple[str, ColumnEntry]]:
        return [(name, e) for name, obj in self.objects.items() for e in obj.columns]

    def undecided(self) -> list[tuple[str, ColumnEntry]]:
        return [(name, e) for name, e in self.entries() if e.needs_decision]


@dataclass
class GateResult:
    """The gate's answer. `ok` False: nothing may load; `problems` say what changed and what to run."""

    ok: bool
    problems: list[str]
    field_map: FieldMap | None = None

    @property
    def message(self) -> str:
        return "field map gate passed" if self.ok else "field map gate refused:\n- " + "\n- ".join(self.problems)


# -- YAML form --------------------------------------------------------------------------------------

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
    }


def _content(field_map: FieldMap) -> dict[str, Any]:
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
    content = _content(field_map)
    return {
        "version": content.pop("version"),
        "status": field_map.status,
        **content,
        "confirmation": asdict(field_map.confirmation),
    }


def _as_tuple(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise FieldMapError(f"{where}: expected a name or a list of names")


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


# -- export headers (never values) ------------------------------------------------------------------


@dataclass(frozen=True)
class FileHeaders:
    """The header row of one export file: where it is and what it says (as written)."""

    file: str
    path: Path
    encoding: str
    header_line: int
    headers: tuple[str, ...]
    positions: tuple[int, ...] = ()
    """Cell position of each header in the row (the cells of a data row are read by position)."""


def _clean_header(cell: str) -> str:
    return cell.strip().lstrip("\ufeff").strip()


def read_headers(path: Path, spec: ObjectSpec, *, max_banner_rows: int = 10) -> FileHeaders:
    """The header row of an export file, even one whose headers the reader does not know.

    The reader's own choice (a row holding the key columns) is used when it finds one, so the map and
    landing agree; otherwise the first row that is at least half as wide as the widest of the first
    rows (a report's title row is one cell wide) is the header.
    """
    try:
        opened = open_export_file(path, spec, max_banner_rows=max_banner_rows)
        encoding, header_line = opened.encoding, opened.header_line
    except ExportStructureError:
        encoding, header_line = detect_encoding(path), 0
    rows = _physical_rows(path, encoding)
    head: list[tuple[int, list[str]]] = []
    try:
        for count, row in enumerate(rows):
            if count > max_banner_rows:
                break
            head.append(row)
    finally:
        rows.close()
    if header_line:
        cells = next(cells for line, cells in head if line == header_line)
    else:
        widths = [sum(1 for c in cells if c.strip()) for _, cells in head]
        widest = max(widths, default=0)
        candidates = [(line, cells) for (line, cells), w in zip(head, widths, strict=True)
                      if w >= 2 and w * 2 >= widest]
        if not candidates:
            raise ExportStructureError(f"{path.name}: no header row in the first {max_banner_rows + 1} lines")
        header_line, cells = candidates[0]
    named = [(i, _clean_header(c)) for i, c in enumerate(cells) if _clean_header(c)]
    return FileHeaders(path.name, path, encoding, header_line, tuple(h for _, h in named), tuple(i for i, _ in named))


def export_headers(export_dir: Path) -> dict[str, FileHeaders | None]:
    """Every object's header row in an export folder (None: the object's file is missing or unreadable)."""
    found: dict[str, FileHeaders | None] = {}
    for name, spec in EXPORT_SPEC.items():
        try:
            found[name] = read_headers(find_export_file(export_dir, spec), spec)
        except ExportStructureError:
            found[name] = None
    return found


# -- fingerprint ------------------------------------------------------------------------------------


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def map_digest(field_map: FieldMap) -> str:
    """sha256 of the map's mapping content (status and confirmation left out)."""
    return _digest(_content(field_map))


def columns_digest(headers: dict[str, FileHeaders | None]) -> str:
    """sha256 of the export's header set per object (order and file name do not matter)."""
    return _digest({name: sorted(h.headers) if h else None for name, h in sorted(headers.items())})


def _combine(map_sha: str, columns_sha: str) -> str:
    return hashlib.sha256(f"{map_sha}:{columns_sha}".encode()).hexdigest()


def fingerprint(field_map: FieldMap, export_dir: Path) -> str:
    """What a confirmed map is locked to: its own content and the export's columns, per file."""
    return _combine(map_digest(field_map), columns_digest(export_headers(export_dir)))


def column_changes(field_map: FieldMap, headers: dict[str, FileHeaders | None]) -> list[str]:
    """How the export's columns differ from the ones the map describes, one line per file."""
    changes = []
    for name in EXPORT_SPEC:
        obj = field_map.objects.get(name)
        known = set(obj.headers) if obj else set()
        current = headers.get(name)
        file_label = (current.file if current else None) or (obj.file if obj else None) or name
        if current is None:
            if known:
                changes.append(f"{file_label}: file missing from the export (the map has {len(known)} column(s))")
            continue
        if obj is None or (obj.file is None and not known):
            changes.append(f"{file_label}: file not in the map")
            continue
        added = [h for h in current.headers if h not in known]
        removed = sorted(known - set(current.headers))
        parts = []
        if added:
            parts.append("added " + ", ".join(repr(h) for h in added))
        if removed:
            parts.append("removed " + ", ".join(repr(h) for h in removed))
        if parts:
            changes.append(f"{file_label}: " + "; ".join(parts))
    return changes


# -- validation -------------------------------------------------------------------------------------


def validate(field_map: FieldMap) -> list[str]:
    """Everything that makes a map unusable, one line each naming the entry (empty: usable)."""
    problems: list[str] = []
    if field_map.status not in STATUSES:
        problems.append(f"status {field_map.status!r} must be one of {', '.join(STATUSES)}")
    opts = field_map.options
    if opts.region not in REGION_CODES:
        problems.append(f"options.region {opts.region!r} must be one of {', '.join(REGION_CODES)}")
    for name in ("email_placeholder", "include_clinical_notes", "include_fund_numbers", "allow_cp1252_lines"):
        if not isinstance(getattr(opts, name), bool):
            problems.append(f"options.{name} must be true or false")
    if opts.fallback_owner_email is not None and "@" not in str(opts.fallback_owner_email):
        problems.append("options.fallback_owner_email must be an email address (or null)")
    for name in field_map.objects:
        if name not in EXPORT_SPEC:
            problems.append(f"objects.{name}: not a Core Practice object ({', '.join(EXPORT_SPEC)})")
    claimed: dict[tuple[str, str], str] = {}
    headers_seen: set[tuple[str, str]] = set()
    for name, entry in field_map.entries():
        spec = EXPORT_SPEC.get(name)
        where = f"{name} {entry.label}"
        if entry.header is not None:
            if (name, entry.header) in headers_seen:
                problems.append(f"{where}: header listed twice")
            headers_seen.add((name, entry.header))
        if spec is not None:
            for column in entry.column:
                if column not in spec.column_names:
                    problems.append(f"{where}: {column!r} is not a column of {name}")
                elif entry.header is not None:
                    if (name, column) in claimed:
                        problems.append(f"{where}: {name}.{column} is already the column {claimed[(name, column)]};"
                                        " one column per canonical name (exclude or re-point one)")
                    claimed[(name, column)] = repr(entry.header)
        if not 0.0 <= entry.confidence <= 1.0:
            problems.append(f"{where}: confidence must be between 0 and 1")
        if problem := transform_problem(entry.transform):
            problems.append(f"{where}: {problem}")
            continue
        if entry.excluded:
            if entry.targets:
                problems.append(f"{where}: an excluded column has no targets (set targets: [])")
            if not entry.reason.strip():
                problems.append(f"{where}: say why the column is excluded (reason)")
            continue
        if not entry.targets and entry.transform != "json_summary":
            problems.append(f"{where}: no target (name a Twenty field, or set transform: excluded)")
        for target in entry.targets:
            if problem := target_problem(target, allow_new_field=not entry.column):
                hint = "" if not entry.column else " (a canonical column can only go to a field of the target model)"
                problems.append(f"{where}: {problem}{hint}")
        if problem := relation_problem(entry.transform, entry.targets):
            problems.append(f"{where}: {problem}")
    mapped_fund = [f"{o}.{c}" for o, c in FUND_NUMBER_COLUMNS if _column_included(field_map, o, c)]
    if mapped_fund and not opts.include_fund_numbers:
        problems.append(f"{', '.join(mapped_fund)} mapped but options.include_fund_numbers is false: "
                        "fund/Medicare numbers are sensitive; opt in with include_fund_numbers: true or exclude them")
    if opts.include_fund_numbers and not mapped_fund:
        problems.append("options.include_fund_numbers is true but no fund/Medicare number column is mapped to a field")
    return problems


def _column_included(field_map: FieldMap, source_object: str, column: str) -> bool:
    obj = field_map.objects.get(source_object)
    return bool(obj) and any(column in e.column and e.header is not None and not e.excluded for e in obj.columns)


# -- what the map asks of Twenty ------------------------------------------------------------------


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
        return opts.include_fund_numbers and any(_column_included(field_map, *c) for c in FUND_NUMBER_COLUMNS)
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


# -- what the transforms read --------------------------------------------------------------------


def _reader_lookup(spec: ObjectSpec) -> dict[str, str]:
    """Normalised header → the column the reader lands it in (the spec is fixed: built once per object)."""
    return _reader_lookup_of(spec.name)


@functools.cache
def _reader_lookup_of(name: str) -> dict[str, str]:
    spec = EXPORT_SPEC[name]
    lookup: dict[str, str] = {}
    for column in spec.columns:
        for spelling in (column.name, *column.aliases):
            lookup.setdefault(normalise_header(spelling), column.name)
    for spelling in spec.full_name_headers:
        lookup.setdefault(normalise_header(spelling), FULL_NAME)
    return lookup


def header_overrides(field_map: FieldMap) -> dict[str, dict[str, str]]:
    """Headers the reader would not map to the column the map chose: object → {header → canonical}.

    A header the proposer recognised by synonym, fuzzy match or values (`E-mail Addr` → email) lands
    as an extra column unless the reader is told; landing should add these to its header lookup.
    A `Last, First` column maps to readers.FULL_NAME.
    """
    overrides: dict[str, dict[str, str]] = {}
    for name, entry in field_map.entries():
        spec = EXPORT_SPEC.get(name)
        if spec is None or entry.header is None or not entry.column:
            continue
        wanted = FULL_NAME if entry.transform == "split_name" else entry.column[0]
        if _reader_lookup(spec).get(normalise_header(entry.header)) != wanted:
            overrides.setdefault(name, {})[entry.header] = wanted
    return overrides


def map_allows_cp1252_lines(path: Path | None = None) -> bool:
    """The map's `allow_cp1252_lines`, read at landing (False without a readable map: reject such lines)."""
    path = path or field_map_path()
    if not path.is_file():
        return False
    try:
        return bool(load_map(path).options.allow_cp1252_lines)
    except FieldMapError:
        return False


def map_header_overrides(source_object: str, path: Path | None = None) -> dict[str, str]:
    """The overrides landing applies for one file, from the map file if there is a readable one.

    Landing runs before the gate: an unreadable or missing map simply adds nothing here, and the
    gate (which compares the map's fingerprint with the export's headers) stops the load later.
    """
    path = path or field_map_path()
    if not path.is_file():
        return {}
    try:
        return header_overrides(load_map(path)).get(source_object, {})
    except FieldMapError:
        return {}


def to_options(field_map: FieldMap) -> MappingOptions:
    """The confirmed map as the transforms read it (exclusions, extra columns, the person's choices).

    `extra["header_overrides"]`: object → {header → canonical} landing must apply (see header_overrides);
    `extra["summary_columns"]`: object → the practice's own headers kept in a JSON summary (invoice lines,
    payments); `extra["map_fingerprint"]`: the confirmed fingerprint, for the audit trail.
    """
    excluded = {(name, c) for name, e in field_map.entries() if e.excluded for c in e.column}
    opts = field_map.options
    include_notes = opts.include_clinical_notes and CLINICAL_NOTE_BODY not in excluded
    include_funds = opts.include_fund_numbers and any(_column_included(field_map, *c) for c in FUND_NUMBER_COLUMNS)
    if not include_notes:
        excluded.add(CLINICAL_NOTE_BODY)
    if not include_funds:
        excluded.update(FUND_NUMBER_COLUMNS)
    extra_columns = []
    summary_columns: dict[str, list[str]] = {}
    for name, entry in field_map.entries():
        if entry.column or entry.excluded or entry.header is None:
            continue
        if entry.transform == "json_summary":  # kept in the parent's summary (invoice lines, payments)
            summary_columns.setdefault(name, []).append(entry.header)
            continue
        for target in entry.targets:
            obj_name, _, field_name = target.partition(".")
            if field_name:
                extra_columns.append(ExtraColumnTarget(name, entry.header, obj_name, field_name.split(".")[0]))
    return MappingOptions(
        excluded=frozenset(excluded),
        extra_columns=tuple(extra_columns),
        email_placeholder=opts.email_placeholder,
        include_clinical_notes=include_notes,
        include_fund_numbers=include_funds,
        fallback_owner_email=opts.fallback_owner_email,
        region=opts.region,
        extra={"header_overrides": header_overrides(field_map), "summary_columns": summary_columns,
               "map_fingerprint": field_map.confirmation.fingerprint},
    )


# -- confirm and gate ---------------------------------------------------------------------------------


def _propose_cmd(export_dir: Path, map_path: Path | None) -> str:
    out = f" --out {map_path}" if map_path is not None else ""
    return f"`cpt map propose --export {export_dir}{out}`"


def _confirm_cmd(export_dir: Path, map_path: Path | None) -> str:
    return f"`cpt map confirm --map {map_path or field_map_path()} --export {export_dir} --by NAME`"


def confirm(field_map: FieldMap, export_dir: Path, by: str, *, accept_all: bool = False,
            now: datetime | None = None, map_path: Path | None = None) -> FieldMap:
    """Lock the map for this export: who, when (UTC), fingerprint; status confirmed.

    Refuses (ConfirmRefused, every reason listed) while the map is unusable, describes other columns
    than the export has, or any entry still needs a decision, unless `accept_all` (recorded).
    """
    problems: list[str] = []
    if not by.strip():
        problems.append("say who confirms (--by NAME)")
    problems += validate(replace(field_map, status="confirmed"))
    headers = export_headers(export_dir)
    changes = column_changes(field_map, headers)
    if changes:
        problems.append(f"the export's columns differ from the map ({'; '.join(changes)}); run "
                        f"{_propose_cmd(export_dir, map_path)} again and review the new map")
    undecided = field_map.undecided()
    if undecided and not accept_all:
        listed = ", ".join(f"{name} {e.label}" for name, e in undecided[:10])
        more = f" and {len(undecided) - 10} more" if len(undecided) > 10 else ""
        problems.append(f"{len(undecided)} entr{'y' if len(undecided) == 1 else 'ies'} still need a decision: "
                        f"{listed}{more}. Edit each in the map (fix targets/transform, then set "
                        f"needs_decision: false), or pass --accept-all to accept every proposal as it is")
    if problems:
        raise ConfirmRefused(problems)
    objects = {
        name: ObjectMap(obj.file, [replace(e, needs_decision=False) for e in obj.columns])
        for name, obj in field_map.objects.items()
    }
    confirmed = replace(field_map, status="confirmed", objects=objects)
    m_sha, c_sha = map_digest(confirmed), columns_digest(headers)
    at = (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")
    confirmed.confirmation = Confirmation(confirmed_by=by.strip(), confirmed_at=at, fingerprint=_combine(m_sha, c_sha),
                                          map_digest=m_sha, columns_digest=c_sha, accepted_all=bool(undecided))
    return confirmed


def check_gate(map_path: Path, export_dir: Path) -> GateResult:
    """May this export be loaded with this map? Only a confirmed map whose fingerprint matches the export.

    Every problem says what changed (status, which file's columns were added or removed, the map edited
    after confirmation) and what to run. Reads header rows only.
    """
    map_path, export_dir = Path(map_path), Path(export_dir)
    try:
        field_map = load_map(map_path)
    except FieldMapError as exc:
        return GateResult(False, [f"{exc} Then review it and run {_confirm_cmd(export_dir, map_path)}."])
    problems = [f"{map_path}: {p}" for p in validate(field_map)]
    if not export_dir.is_dir():
        problems.append(f"{export_dir}: export folder not found")
        return GateResult(False, problems, field_map)
    headers = export_headers(export_dir)
    changes = column_changes(field_map, headers)
    if field_map.status != "confirmed":
        undecided = len(field_map.undecided())
        pending = f"; {undecided} entr{'y' if undecided == 1 else 'ies'} still need a decision" if undecided else ""
        problems.append(f"{map_path}: status is {field_map.status!r}, not confirmed{pending}. Review "
                        f"{reports_dir() / 'field-map-review.md'} and the map, then run "
                        f"{_confirm_cmd(export_dir, map_path)}")
        if changes:
            problems.append(f"the export's columns differ from the proposed map ({'; '.join(changes)}); run "
                            f"{_propose_cmd(export_dir, map_path)} again")
        return GateResult(False, problems, field_map)
    conf = field_map.confirmation
    if not (conf.fingerprint and conf.confirmed_by and conf.confirmed_at):
        problems.append(f"{map_path}: status says confirmed but there is no confirmation record (set by hand?). "
                        f"Run {_confirm_cmd(export_dir, map_path)}")
        return GateResult(False, problems, field_map)
    who = f"{conf.confirmed_by} at {conf.confirmed_at}"
    m_sha, c_sha = map_digest(field_map), columns_digest(headers)
    if conf.fingerprint != _combine(m_sha, c_sha):
        if conf.map_digest != m_sha:
            problems.append(f"{map_path}: the map was edited after {who} confirmed it (its fingerprint no longer "
                            f"matches). Review the change, then run {_confirm_cmd(export_dir, map_path)} again")
        if conf.columns_digest != c_sha or changes:
            detail = "; ".join(changes) or "the header set changed"
            problems.append(f"{export_dir}: the export's columns changed since {who} confirmed the map ({detail}). "
                            f"Run {_propose_cmd(export_dir, map_path)}, review, then "
                            f"{_confirm_cmd(export_dir, map_path)}")
        if conf.map_digest == m_sha and conf.columns_digest == c_sha:
            problems.append(f"{map_path}: the confirmation block was edited (fingerprint does not match). Run "
                            f"{_confirm_cmd(export_dir, map_path)} again")
    return GateResult(not problems, problems, field_map)
