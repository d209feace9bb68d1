"""Field-level diff: what the migration meant to write (staged payload) vs. what Twenty holds now.

For every record and every mapped field (each key of the staged payload) one row: object, source
key, field, source value, expected, actual, match. Expected is the staged payload with its `$ref`s
resolved from the id map, exactly what the loader sent. The source value is the export's cell(s)
that fed the field, as landed in the raw table: which columns those are comes from the confirmed
field map (the same table of truth the mappers read), so a person can tell a transform's doing
(`0491 570 156` → `+61 491570156`) from a load's. A field no column feeds (needsReview, personType,
join ids the mapper computes) has no source value.

Twenty legitimately rewrites some values, so both sides are normalised by the field's type (read
from the workspace's metadata, so a custom field is compared by what it is) before comparing:

* composites come back with every sub-field (EMAILS `additionalEmails`, PHONES country/calling
  codes, ADDRESS lat/lng, LINKS label/secondary links): only the sub-fields the payload set are
  compared, and a composite the payload left empty must come back empty;
* EMAILS are lower-cased, trailing dot stripped; PHONES compared as calling code + digits (a country
  code only when the payload gave one); LINKS by scheme-less, lower-case host and path (company
  `domainName` by host only, as current Twenty stores it);
* CURRENCY `amountMicros` as an integer whether Twenty answers a number or a string;
* DATE_TIME as UTC instants (`+10:00` in, `…Z` out), DATE by calendar day;
* RICH_TEXT_V2 by its markdown (Twenty fills `blocknote` itself), RAW_JSON by structure;
* null, `''` and `[]` mean the same (Twenty fills TEXT with `''`).

Anything else that differs is a mismatch. The report files (CSV, Markdown, HTML) hold values and
stay on the practice's machine; `DiffSummary` holds counts only, for logs and Dagster metadata.
"""

from __future__ import annotations

import csv
import html
import json
import random
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from core_practice_twenty.lifecycle.objects import lineage_sorted
from core_practice_twenty.mapping.field_map import FieldMap, field_map_path, load_map
from core_practice_twenty.mapping.objects.people import PROVIDER_KEY_PREFIX
from core_practice_twenty.mapping.target_model import TARGET_OBJECTS
from core_practice_twenty.model.staged import StagedRecord, resolve_refs, twenty_fields
from core_practice_twenty.source.export_spec import EXPORT_SPEC
from core_practice_twenty.store.raw import raw_table
from core_practice_twenty.store.staging import read_staged, staging_table
from core_practice_twenty.store.warehouse import Warehouse, existing_tables, table_exists
from core_practice_twenty.twenty.client import TwentyClient

RECORD_FIELD = "(record)"
"""The `field` of a row about the whole record (missing in Twenty, or never loaded)."""

STATUSES = ("match", "mismatch", "missing_in_twenty", "not_loaded")
UNEXPECTED = ("mismatch", "missing_in_twenty")

_EMPTY = (None, "", [], {})


@dataclass(frozen=True)
class FieldDiff:
    """One mapped field of one record: source (exported), expected (sent) vs actual (Twenty), and the verdict.

    `source` is the exported cell(s) as text; None when no source column feeds the field (or the
    source row is not in the warehouse), `''` when the columns exist but were empty.
    """

    object: str
    source_key: str
    field: str
    expected: Any
    actual: Any
    status: str  # match | mismatch | missing_in_twenty | not_loaded
    source_line: int | None = None
    source: str | None = None

    @property
    def match(self) -> bool:
        return self.status == "match"


# -- normalisation by field type -----------------------------------------------------------------


def _blank(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
    return None if value in _EMPTY else value


def _email(value: Any) -> str | None:
    value = _blank(value)
    return str(value).lower().rstrip(".") if value is not None else None


def _digits(value: Any) -> str:
    return re.sub(r"\D", "", str(value or ""))


def _phone(number: Any, calling_code: Any) -> str | None:
    if _blank(number) is None:
        return None
    text = str(number).strip()
    return "+" + _digits(text) if text.startswith("+") else "+" + _digits(calling_code) + _digits(text)


def _url(value: Any, *, host_only: bool = False) -> str | None:
    value = _blank(value)
    if value is None:
        return None
    text = re.sub(r"^[a-z][a-z0-9+.\-]*://", "", str(value).strip(), flags=re.I)
    host, _, path = text.partition("/")
    host = host.lower().removeprefix("www.")
    return host if host_only else (host + ("/" + path if path else "")).rstrip("/")


def _instant(value: Any) -> datetime | str | None:
    value = _blank(value)
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def _number(value: Any) -> Decimal | Any:
    value = _blank(value)
    if value is None or isinstance(value, bool):
        return value
    try:
        return Decimal(str(value)).normalize()
    except InvalidOperation:
        return value


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return _blank(value)


def _markdown(value: Any) -> str | None:
    value = _blank(value)
    return "\n".join(line.rstrip() for line in str(value).strip().splitlines()) if value is not None else None


def _composite(value: Any, subfields: Mapping[str, Callable[[Any], Any]]) -> dict | None:
    """A composite as {sub-field: normalised}; None when every sub-field is empty."""
    if not isinstance(value, Mapping):
        return None if _blank(value) is None else {"value": value}
    out = {k: (subfields.get(k) or _blank)(v) for k, v in value.items()}
    return out if any(v is not None for v in out.values()) else None


def _phones(value: Any) -> dict | None:
    if not isinstance(value, Mapping):
        return None if _blank(value) is None else {"primary": _phone(value, None)}
    extra = [_phone(p.get("number"), p.get("callingCode")) if isinstance(p, Mapping) else _phone(p, None)
             for p in value.get("additionalPhones") or []]
    out = {
        "primary": _phone(value.get("primaryPhoneNumber"), value.get("primaryPhoneCallingCode")),
        "country": _blank(value.get("primaryPhoneCountryCode")),
        "additional": sorted(p for p in extra if p) or None,
    }
    return out if any(v is not None for v in out.values()) else None


def _list_of(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def normalise(values: Any) -> Any:
        if not isinstance(values, list):
            return _blank(values)
        return sorted((fn(v) for v in values if _blank(v) is not None), key=str) or None
    return normalise


def _secondary_link(link: Any) -> str | None:
    return _url(link.get("url") if isinstance(link, Mapping) else link)


def normaliser(field_type: str, field_name: str = "") -> Callable[[Any], Any]:
    """How Twenty's answer and the payload are made comparable for a field of this type."""
    host_only = field_name == "domainName"
    composites: dict[str, Callable[[Any], Any]] = {
        "EMAILS": lambda v: _composite(v, {"primaryEmail": _email, "additionalEmails": _list_of(_email)}),
        "LINKS": lambda v: _composite(v, {"primaryLinkUrl": lambda u: _url(u, host_only=host_only),
                                          "secondaryLinks": _list_of(_secondary_link)}),
        "CURRENCY": lambda v: _composite(v, {"amountMicros": _number,
                                             "currencyCode": lambda c: (_blank(c) or "").upper() or None}),
        "ADDRESS": lambda v: _composite(v, {"addressLat": _number, "addressLng": _number}),
        "FULL_NAME": lambda v: _composite(v, {}),
        "RICH_TEXT_V2": lambda v: _composite(v, {"markdown": _markdown, "blocknote": _json}),
        "RICH_TEXT": lambda v: _composite(v, {"markdown": _markdown, "blocknote": _json}),
        "PHONES": _phones,
    }
    if field_type in composites:
        return composites[field_type]
    return {
        "DATE_TIME": _instant,
        "DATE": lambda v: str(_blank(v))[:10] if _blank(v) is not None else None,
        "NUMBER": _number, "NUMERIC": _number,
        "RAW_JSON": _json,
        "MULTI_SELECT": _list_of(_blank), "ARRAY": _list_of(_blank),
        "RELATION": lambda v: str(v).lower() if _blank(v) is not None else None,
        "UUID": lambda v: str(v).lower() if _blank(v) is not None else None,
    }.get(field_type, _blank)


# keys of a phones payload → the comparable keys they feed
_PHONE_KEYS = {"primaryPhoneNumber": "primary", "primaryPhoneCallingCode": "primary",
               "primaryPhoneCountryCode": "country", "additionalPhones": "additional"}


def field_matches(field_type: str, field_name: str, expected: Any, actual: Any) -> bool:
    """Whether Twenty's `actual` is what sending `expected` should have produced."""
    normalise = normaliser(field_type, field_name)
    want, have = normalise(expected), normalise(actual)
    if isinstance(expected, Mapping) and isinstance(want, dict):
        if field_type == "PHONES":
            keys = {_PHONE_KEYS[k] for k in expected if k in _PHONE_KEYS}
            if want.get("country") is None:
                keys.discard("country")  # Twenty derives the country from the number
        else:
            keys = set(expected)
        have = have or {}
        return all(want.get(k) == have.get(k) for k in keys)
    if isinstance(want, dict) and isinstance(have, dict):
        return all(want.get(k) == have.get(k) for k in want)
    return want == have


def record_field_types(object_metadata: Mapping | None) -> dict[str, str]:
    """Record key → field type for one object's metadata; MANY_TO_ONE join columns (`companyId`) → RELATION."""
    types: dict[str, str] = {}
    for f in (object_metadata or {}).get("fields", []):
        types[f["name"]] = f["type"]
        if f["type"] in ("RELATION", "MORPH_RELATION"):
            join = (f.get("settings") or {}).get("joinColumnName") or f"{f['name']}Id"
            types.setdefault(join, "RELATION")
    return types


def _target_model_types(plural: str) -> dict[str, str]:
    target = TARGET_OBJECTS.get(plural)
    types = {f.name: f.type for f in target.fields} if target else {}
    types.update({f"{name}Id": "RELATION" for name, t in list(types.items()) if t == "RELATION"})
    return types


def diff_record(object_plural: str, source_key: str, expected: Mapping[str, Any], actual: Mapping[str, Any] | None,
                field_types: Mapping[str, str], *, source_line: int | None = None,
                sources: Mapping[str, str | None] | None = None) -> list[FieldDiff]:
    """One row per mapped field of one record (or one `missing_in_twenty` row when Twenty has no record).

    `sources`: field → the exported value that fed it (see `source_values`); a field not in it has none.
    """
    if actual is None:
        return [FieldDiff(object_plural, source_key, RECORD_FIELD, "present", None, "missing_in_twenty", source_line)]
    rows = []
    for name, want in expected.items():
        have = actual.get(name)
        ok = field_matches(field_types.get(name, ""), name, want, have)
        rows.append(FieldDiff(object_plural, source_key, name, want, have, "match" if ok else "mismatch", source_line,
                              (sources or {}).get(name)))
    return rows


# -- source values -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceColumn:
    """One exported column feeding a Twenty field: a canonical raw-table column, or a practice's own
    column (`extra`: its header as exported, kept in the raw table's `extra` JSON)."""

    source_object: str
    column: str
    extra: bool = False


SourceColumns = dict[tuple[str, str], list[SourceColumn]]
"""(Twenty object plural, top-level payload field) → the columns feeding it, in the map's order."""


def _payload_fields(plural: str, field_name: str) -> tuple[str, ...]:
    """The payload keys a map target's field is sent as: a RELATION `patient` goes out as `patientId`."""
    target = TARGET_OBJECTS.get(plural)
    model = next((f for f in target.fields if f.name == field_name), None) if target else None
    if model is not None and model.type == "RELATION" and not field_name.endswith("Id"):
        return (field_name, f"{field_name}Id")
    return (field_name,)


def source_columns(field_map: FieldMap | None) -> SourceColumns:
    """Which exported columns feed which Twenty field, read off the map's entries (nothing restated here).

    Excluded entries feed nothing; targets that name a bare object (the link objects) or whose
    column the export spec does not know are skipped. A column feeding several sub-fields of one
    composite (`homeAddress.*`) is listed once.
    """
    found: SourceColumns = {}
    for source_object, entry in (field_map.entries() if field_map is not None else []):
        spec = EXPORT_SPEC.get(source_object)
        if entry.excluded or spec is None:
            continue
        if entry.column:
            columns = [SourceColumn(source_object, c) for c in entry.column if c in spec.column_names]
        elif entry.header is not None and entry.transform != "json_summary":
            columns = [SourceColumn(source_object, entry.header, extra=True)]
        else:
            columns = []
        for target in entry.targets:
            plural, _, rest = target.partition(".")
            field_name = rest.partition(".")[0]
            if not field_name:
                continue
            for name in _payload_fields(plural, field_name):
                feeding = found.setdefault((plural, name), [])
                feeding.extend(c for c in columns if c not in feeding)
    return found


def record_source_object(plural: str, source_key: str) -> str | None:
    """The export file a staged record was mapped from: the Twenty object's, except doctors among people."""
    if plural == "people" and source_key.startswith(PROVIDER_KEY_PREFIX):
        return "providers"
    target = TARGET_OBJECTS.get(plural)
    return target.source_object if target else None


def _confirmed_map() -> FieldMap | None:
    """The map the wave was staged with, when there is one (a diff of hand-staged records has none)."""
    path = field_map_path()
    return load_map(path) if path.is_file() else None


def read_source_rows(warehouse: Warehouse, wave: str, source_object: str, lines: Iterable[int],
                     columns: Iterable[SourceColumn]) -> dict[int, dict[str, str | None]]:
    """The wave's raw rows at `lines` of one export file, only the `columns` asked for: one query.

    Keyed by source line; each row maps a canonical column, or an extra column's header, to its text.
    Only the diffed records' lines are read (a sample, or a random slice), never the whole table.
    """
    spec = EXPORT_SPEC[source_object]
    wanted = sorted({c.column for c in columns if not c.extra and c.column in spec.column_names})
    extras = sorted({c.column for c in columns if c.extra})
    lines = sorted(set(lines))
    if not lines or not (wanted or extras):
        return {}
    selected = ", ".join(['source_line', *(f'cast("{c}" as varchar)' for c in wanted),
                          *(["cast(extra as varchar)"] if extras else [])])
    with warehouse.connect() as conn:
        if not table_exists(conn, raw_table(spec)):
            return {}
        fetched = conn.execute(
            f"select {selected} from {raw_table(spec)} where wave = ? and source_line in (select unnest(?))",
            [wave, lines]).fetchall()
    rows: dict[int, dict[str, str | None]] = {}
    for line, *cells in fetched:
        row = dict(zip(wanted, cells[:len(wanted)], strict=True))
        if extras:
            extra = json.loads(cells[-1]) if cells[-1] else {}
            row.update({header: extra.get(header) for header in extras})
        rows[line] = row
    return rows


def source_value(row: Mapping[str, str | None], columns: Sequence[SourceColumn]) -> str:
    """The cells feeding one field, non-empty ones joined by a space in the map's order (`first last`)."""
    cells = (row.get(c.column) for c in columns)
    return " ".join(str(cell) for cell in cells if cell not in (None, ""))


def source_values(warehouse: Warehouse, wave: str, plural: str, records: Sequence[StagedRecord],
                  columns: SourceColumns) -> dict[str, dict[str, str]]:
    """source key → {payload field → source value} for the records of one Twenty object.

    Records without a source line (a parent company made from a group name) or whose export file
    feeds none of the object's fields get no entry. One raw-table read per export file involved
    (people: patients and providers).
    """
    by_source: dict[str, list[StagedRecord]] = {}
    for record in records:
        source_object = record_source_object(plural, record.source_key)
        if source_object in EXPORT_SPEC and record.source_line is not None:
            by_source.setdefault(source_object, []).append(record)
    values: dict[str, dict[str, str]] = {}
    for source_object, group in by_source.items():
        feeding = {name: [c for c in cols if c.source_object == source_object]
                   for (obj, name), cols in columns.items() if obj == plural}
        feeding = {name: cols for name, cols in feeding.items() if cols}
        lines = [r.source_line for r in group if r.source_line is not None]
        rows = read_source_rows(warehouse, wave, source_object, lines, (c for cols in feeding.values() for c in cols))
        for record in group:
            row = rows.get(record.source_line) if record.source_line is not None else None
            if row is not None:
                values[record.source_key] = {name: source_value(row, cols) for name, cols in feeding.items()}
    return values


# -- a wave against Twenty -------------------------------------------------------------------------


@dataclass
class ObjectDiffCounts:
    records: int = 0
    fields: int = 0
    matched: int = 0
    mismatched: int = 0
    missing_in_twenty: int = 0
    not_loaded: int = 0
    mismatched_fields: dict[str, int] = field(default_factory=dict)


@dataclass
class DiffSummary:
    """Counts only (field names, never values): what goes into logs and asset metadata."""

    wave: str
    objects: dict[str, ObjectDiffCounts]

    @property
    def unexpected(self) -> int:
        return sum(o.mismatched + o.missing_in_twenty for o in self.objects.values())

    @property
    def passed(self) -> bool:
        return self.unexpected == 0

    def as_metadata(self) -> dict[str, Any]:
        return {"wave": self.wave, "unexpected_differences": self.unexpected,
                "objects": {name: asdict(counts) for name, counts in self.objects.items()}}


@dataclass
class WaveDiff:
    wave: str
    rows: list[FieldDiff]

    def summary(self) -> DiffSummary:
        objects: dict[str, ObjectDiffCounts] = {}
        seen: set[tuple[str, str]] = set()
        for row in self.rows:
            counts = objects.setdefault(row.object, ObjectDiffCounts())
            if (row.object, row.source_key) not in seen:
                seen.add((row.object, row.source_key))
                counts.records += 1
            if row.status == "missing_in_twenty":
                counts.missing_in_twenty += 1
            elif row.status == "not_loaded":
                counts.not_loaded += 1
            else:
                counts.fields += 1
                if row.match:
                    counts.matched += 1
                else:
                    counts.mismatched += 1
                    counts.mismatched_fields[row.field] = counts.mismatched_fields.get(row.field, 0) + 1
        return DiffSummary(self.wave, {name: objects[name] for name in lineage_sorted(objects)})


def _quoted(values: Sequence[str]) -> str:
    return "[" + ",".join(json.dumps(v) for v in values) + "]"


def _fetch_by_id(client: TwentyClient, plural: str, ids: Sequence[str]) -> dict[str, dict]:
    found: dict[str, dict] = {}
    cap = max(1, client.batch_cap)
    for start in range(0, len(ids), cap):
        for record in client.find_many(plural, filter=f"id[in]:{_quoted(ids[start:start + cap])}"):
            found[record["id"]] = record
    return found


def diff_wave(client: TwentyClient, warehouse: Warehouse, wave: str, *, objects: Iterable[str] | None = None,
              sample_size: int | None = None, seed: int = 0, field_map: FieldMap | None = None) -> WaveDiff:
    """Diff a wave's staged records against Twenty: all of them, or `sample_size` per object at random.

    The random slice (for the full wave) is deterministic for a seed. Staged records without an id-map
    entry were rejected or held back: they are listed as `not_loaded` (reconciliation counts them),
    not as differences. `field_map` says which exported columns fed each field (for the source
    values); None reads the confirmed map at `field_map_path()`, and without one rows carry no
    source value.
    """
    columns = source_columns(field_map if field_map is not None else _confirmed_map())
    names = lineage_sorted(objects if objects is not None else TARGET_OBJECTS)
    with warehouse.connect() as conn:
        tables = existing_tables(conn)
        id_rows = conn.execute("select object, source_key, twenty_id from id_map").fetchall()
    ids = {(obj, key): tid for obj, key, tid in id_rows}
    metadata = {o["namePlural"]: o for o in client.list_objects()}
    rows: list[FieldDiff] = []
    for plural in names:
        if staging_table(plural) not in tables:
            continue
        staged = read_staged(warehouse, plural, wave)
        if sample_size is not None and len(staged) > sample_size:
            chosen = set(random.Random(f"{seed}:{plural}").sample(sorted(r.source_key for r in staged), sample_size))
            staged = [r for r in staged if r.source_key in chosen]
        types = record_field_types(metadata.get(plural)) or _target_model_types(plural)
        loaded = {r.source_key: ids[(plural, r.source_key)] for r in staged if (plural, r.source_key) in ids}
        actual = _fetch_by_id(client, plural, sorted(set(loaded.values())))
        sources = source_values(warehouse, wave, plural, [r for r in staged if r.source_key in loaded], columns)
        for record in staged:
            if record.source_key not in loaded:
                rows.append(FieldDiff(plural, record.source_key, RECORD_FIELD, "loaded", None, "not_loaded",
                                      record.source_line))
                continue
            expected, _missing = resolve_refs(twenty_fields(record.payload), lambda o, k: ids.get((o, k)))
            rows += diff_record(plural, record.source_key, expected, actual.get(loaded[record.source_key]), types,
                                source_line=record.source_line, sources=sources.get(record.source_key))
    return WaveDiff(wave, rows)


# -- reports -------------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def write_reports(diff: WaveDiff, reports_dir: Path, *, max_listed: int = 500) -> dict[str, Path]:
    """Write `diff-<wave>.csv` (every row), `.md` and `.html` (summary + the differences) under `reports_dir`.

    These files hold record values: they stay on the practice's machine, next to the warehouse.
    """
    reports_dir.mkdir(parents=True, exist_ok=True)
    stem = f"diff-{re.sub(r'[^A-Za-z0-9_.-]+', '_', diff.wave)}"
    paths = {"csv": reports_dir / f"{stem}.csv", "markdown": reports_dir / f"{stem}.md",
             "html": reports_dir / f"{stem}.html"}
    with paths["csv"].open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["object", "source_key", "source_line", "field", "source_value", "expected", "actual",
                         "match", "status"])
        for row in diff.rows:
            writer.writerow([row.object, row.source_key, row.source_line if row.source_line is not None else "",
                             row.field, _cell(row.source), _cell(row.expected), _cell(row.actual), row.match,
                             row.status])

    summary = diff.summary()
    header = ["object", "records", "fields compared", "matched", "mismatched", "missing in Twenty", "not loaded"]
    table = [[name, c.records, c.fields, c.matched, c.mismatched, c.missing_in_twenty, c.not_loaded]
             for name, c in summary.objects.items()]
    differences = [r for r in diff.rows if r.status in UNEXPECTED]
    listed = differences[:max_listed]
    verdict = ("No unexpected differences." if summary.passed
               else f"{summary.unexpected} unexpected difference(s).")

    md = [f"# Field-level diff, wave {diff.wave}", "", verdict, "",
          "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    md += ["| " + " | ".join(str(v) for v in line) + " |" for line in table]
    if listed:
        md += ["", "## Differences", "",
               "| object | source key | field | source value | expected | actual | status |",
               "|---|---|---|---|---|---|---|"]
        md += [f"| {r.object} | {r.source_key} | {r.field} | {_md(r.source)} | {_md(r.expected)} | {_md(r.actual)} "
               f"| {r.status} |" for r in listed]
        if len(differences) > len(listed):
            md.append(f"\n…and {len(differences) - len(listed)} more in {paths['csv'].name}.")
    paths["markdown"].write_text("\n".join(md) + "\n", encoding="utf-8")

    def html_table(head: list[str], body: list[list[Any]]) -> str:
        cells = "".join(f"<th>{html.escape(h)}</th>" for h in head)
        lines = "".join("<tr>" + "".join(f"<td>{html.escape(_cell(v) if not isinstance(v, int) else str(v))}</td>"
                                         for v in line) + "</tr>" for line in body)
        return f"<table><thead><tr>{cells}</tr></thead><tbody>{lines}</tbody></table>"

    page = [f"<!doctype html><meta charset='utf-8'><title>Diff {html.escape(diff.wave)}</title>",
            "<style>body{font-family:sans-serif}td,th{border:1px solid #ccc;padding:2px 6px}"
            "table{border-collapse:collapse}</style>",
            f"<h1>Field-level diff, wave {html.escape(diff.wave)}</h1><p>{html.escape(verdict)}</p>",
            html_table(header, table)]
    if listed:
        page += ["<h2>Differences</h2>", html_table(
            ["object", "source key", "field", "source value", "expected", "actual", "status"],
            [[r.object, r.source_key, r.field, r.source, r.expected, r.actual, r.status] for r in listed])]
    paths["html"].write_text("\n".join(page) + "\n", encoding="utf-8")
    return paths


def _md(value: Any) -> str:
    return _cell(value).replace("|", "\\|").replace("\n", " ")
