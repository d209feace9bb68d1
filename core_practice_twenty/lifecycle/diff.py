"""Field-level diff: what the migration meant to write (staged payload) vs. what Twenty holds now.

For every record and every mapped field (each key of the staged payload) one row: object, source
key, field, expected, actual, match. Expected is the staged payload with its `$ref`s resolved from
the id map, exactly what the loader sent.

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
from core_practice_twenty.mapping.staging import resolve_refs, twenty_fields
from core_practice_twenty.mapping.target_model import TARGET_OBJECTS
from core_practice_twenty.store.staging import read_staged
from core_practice_twenty.store.warehouse import Warehouse
from core_practice_twenty.twenty.client import TwentyClient

RECORD_FIELD = "(record)"
"""The `field` of a row about the whole record (missing in Twenty, or never loaded)."""

STATUSES = ("match", "mismatch", "missing_in_twenty", "not_loaded")
UNEXPECTED = ("mismatch", "missing_in_twenty")

_EMPTY = (None, "", [], {})


@dataclass(frozen=True)
class FieldDiff:
    """One mapped field of one record: expected (sent) vs actual (Twenty), and the verdict."""

    object: str
    source_key: str
    field: str
    expected: Any
    actual: Any
    status: str  # match | mismatch | missing_in_twenty | not_loaded
    source_line: int | None = None

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
                field_types: Mapping[str, str], *, source_line: int | None = None) -> list[FieldDiff]:
    """One row per mapped field of one record (or one `missing_in_twenty` row when Twenty has no record)."""
    if actual is None:
        return [FieldDiff(object_plural, source_key, RECORD_FIELD, "present", None, "missing_in_twenty", source_line)]
    rows = []
    for name, want in expected.items():
        have = actual.get(name)
        ok = field_matches(field_types.get(name, ""), name, want, have)
        rows.append(FieldDiff(object_plural, source_key, name, want, have, "match" if ok else "mismatch", source_line))
    return rows


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
              sample_size: int | None = None, seed: int = 0) -> WaveDiff:
    """Diff a wave's staged records against Twenty: all of them, or `sample_size` per object at random.

    The random slice (for the full wave) is deterministic for a seed. Staged records without an id-map
    entry were rejected or held back: they are listed as `not_loaded` (reconciliation counts them),
    not as differences.
    """
    names = lineage_sorted(objects if objects is not None else TARGET_OBJECTS)
    with warehouse.connect() as conn:
        tables = {r[0] for r in conn.execute("select table_name from information_schema.tables").fetchall()}
        id_rows = conn.execute("select object, source_key, twenty_id from id_map").fetchall()
    ids = {(obj, key): tid for obj, key, tid in id_rows}
    metadata = {o["namePlural"]: o for o in client.list_objects()}
    rows: list[FieldDiff] = []
    for plural in names:
        if f"stg_twenty_{plural}" not in tables:
            continue
        staged = read_staged(warehouse, plural, wave)
        if sample_size is not None and len(staged) > sample_size:
            chosen = set(random.Random(f"{seed}:{plural}").sample(sorted(r.source_key for r in staged), sample_size))
            staged = [r for r in staged if r.source_key in chosen]
        types = record_field_types(metadata.get(plural)) or _target_model_types(plural)
        loaded = {r.source_key: ids[(plural, r.source_key)] for r in staged if (plural, r.source_key) in ids}
        actual = _fetch_by_id(client, plural, sorted(set(loaded.values())))
        for record in staged:
            if record.source_key not in loaded:
                rows.append(FieldDiff(plural, record.source_key, RECORD_FIELD, "loaded", None, "not_loaded",
                                      record.source_line))
                continue
            expected, _missing = resolve_refs(twenty_fields(record.payload), lambda o, k: ids.get((o, k)))
            rows += diff_record(plural, record.source_key, expected, actual.get(loaded[record.source_key]), types,
                                source_line=record.source_line)
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
        writer.writerow(["object", "source_key", "source_line", "field", "expected", "actual", "match", "status"])
        for row in diff.rows:
            writer.writerow([row.object, row.source_key, row.source_line if row.source_line is not None else "",
                             row.field, _cell(row.expected), _cell(row.actual), row.match, row.status])

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
        md += ["", "## Differences", "", "| object | source key | field | expected | actual | status |",
               "|---|---|---|---|---|---|"]
        md += [f"| {r.object} | {r.source_key} | {r.field} | {_md(r.expected)} | {_md(r.actual)} | {r.status} |"
               for r in listed]
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
            ["object", "source key", "field", "expected", "actual", "status"],
            [[r.object, r.source_key, r.field, r.expected, r.actual, r.status] for r in listed])]
    paths["html"].write_text("\n".join(page) + "\n", encoding="utf-8")
    return paths


def _md(value: Any) -> str:
    return _cell(value).replace("|", "\\|").replace("\n", " ")
