"""Propose a field map for any Core Practice export: known, renamed, never-seen and the practice's own columns.

Why it exists: real exports are renamed, trimmed and extended by each practice, and a person should
review a map, not write one. Each header is matched, in order of trust, by the export spec's own
spellings (as landing reads them), by synonyms (`Mob` → mobile, `E-mail Addr` → email address), by
fuzzy similarity (stdlib difflib: headers are short, a dependency is not worth it), and by what its
values look like (a `Contact` column of email addresses is the email column), always checked against
the target column's type. Every choice gets a confidence and a one-line reason; below 0.8 a person
decides. What is left is offered as a custom TEXT field on the object's Twenty record, or excluded.

Health data: only the first rows of each file are sampled, and only shares and counts leave this
module (`profile`); no cell value is stored, written or logged.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from difflib import SequenceMatcher
from functools import lru_cache
from pathlib import Path

from core_practice_twenty.mapping.default_map import default_entry, primary_target
from core_practice_twenty.mapping.field_map import (
    DECISION_THRESHOLD,
    ColumnEntry,
    FieldMap,
    FileHeaders,
    MapOptions,
    ObjectMap,
    read_headers,
)
from core_practice_twenty.mapping.field_map.model import FUND_NUMBER_COLUMNS
from core_practice_twenty.mapping.target_model import TARGET_OBJECTS
from core_practice_twenty.model.identifiers import Identifier, identifier_in_values, identifier_named
from core_practice_twenty.source.export_spec import (
    EXPORT_SPEC,
    FALSE_VALUES,
    TRUE_VALUES,
    ColumnSpec,
    ColumnType,
    ObjectSpec,
    normalise_header,
)
from core_practice_twenty.source.readers import (
    ExportStructureError,
    _physical_rows,
    clean_cell,
    detect_region,
    find_export_file,
)
from core_practice_twenty.source.values import EMAIL, Region, country_alpha2, region_subdivisions

log = logging.getLogger(__name__)

SAMPLE_ROWS = 500
FUZZY_MIN = 0.72
"""Name similarity below which a header is not taken for a canonical column on its name alone."""

SYNONYMS: dict[str, str] = {
    "mob": "mobile", "mobno": "mobile", "cell": "mobile", "ph": "phone", "tel": "phone", "telephone": "phone",
    "phn": "phone", "addr": "address", "adr": "address", "add": "address", "dob": "date_of_birth",
    "birthday": "date_of_birth", "zip": "postcode", "zipcode": "postcode", "pcode": "postcode", "pc": "postcode",
    "postal": "postcode", "fname": "first_name", "forename": "first_name", "given": "first", "lname": "last_name",
    "sname": "surname", "family": "last", "no": "number", "num": "number", "nbr": "number", "nr": "number",
    "dt": "date", "amt": "amount", "bal": "balance", "qty": "quantity", "desc": "description", "descr":
    "description", "prov": "provider", "dr": "dentist", "pt": "patient", "pat": "patient", "appt": "appointment",
    "inv": "invoice", "pract": "practice", "loc": "location", "ins": "insurance", "stat": "status",
    "sts": "status", "st": "state", "ctry": "country", "cntry": "country", "sub": "suburb", "hf": "health_fund",
    "web": "website", "url": "website", "mail": "email", "emailaddr": "email_address", "mobile_ph": "mobile",
}
"""Token spellings seen in hand-made report headers → the words the export spec's spellings use."""

OBJECT_WORDS = {"patient", "practice", "provider", "appointment", "invoice", "claim", "note", "document",
                "workflow", "treatment", "plan", "payment", "line"}
"""A header's leading word naming its own object (`Patient Mobile` in patients) can be dropped to match."""

SENSITIVE_WORDS = {"member", "policy", "tax", "concession", "pension", "licence", "license", "diagnosis", "medical",
                   "medication", "allergy", "allergies", "alert", "alerts", "history", "condition", "conditions"}
"""Words that make a practice's own column look like health or identity data: proposed as excluded. The named
identifiers (SSN, TFN, Medicare, NHI, passport, …) are model/identifiers.py's, found by header and by value."""

_DATE = re.compile(r"^\d{1,4}[/.\-]\d{1,2}[/.\-]\d{1,4}([ T]\d{1,2}:\d{2}(:\d{2})?(\s?[AaPp][Mm])?)?$")
_DATETIME = re.compile(r"[ T]\d{1,2}:\d{2}")
_MONEY = re.compile(r"^-?\(?\$?-?\d{1,3}(,?\d{3})*(\.\d{1,2})?\)?$")
_POSTCODE = re.compile(r"^\d{3,5}(-\d{4})?$")
_INTEGER = re.compile(r"^-?\d+$")
_PHONE_CHARS = re.compile(r"^\+?[\d\s().\-]+$")
_PHONE_EXT = re.compile(r"\s*(x|ext\.?|extn)\s*\d+$", re.IGNORECASE)
_URL = re.compile(r"^(https?://)?(www\.)?[a-z0-9\-]+(\.[a-z0-9\-]+)*\.[a-z]{2,}(/\S*)?$", re.IGNORECASE)
_CODE = re.compile(r"^[A-Z]?\d{1,4}[A-Z]?$", re.IGNORECASE)

TYPE_KIND: dict[ColumnType, str] = {
    ColumnType.EMAIL: "email", ColumnType.PHONE: "phone", ColumnType.DATE: "date", ColumnType.DATETIME: "date",
    ColumnType.MONEY: "money", ColumnType.POSTCODE: "postcode", ColumnType.BOOLEAN: "boolean",
    ColumnType.INTEGER: "integer", ColumnType.URL: "url", ColumnType.JSON: "json",
    ColumnType.COUNTRY: "country", ColumnType.STATE: "state", ColumnType.CODES: "codes",
}
"""Which share of a value profile speaks for a column type (TEXT and ID have none)."""

DISTINCTIVE_KINDS = ("email", "phone", "datetime", "date", "money", "url", "json", "country", "state", "postcode")
"""Kinds specific enough to identify a column from its values alone (most specific first)."""

KIND_WORDS = {"email": "email addresses", "phone": "phone numbers", "date": "dates", "datetime": "dates with a time",
              "money": "amounts", "postcode": "postcodes", "boolean": "yes/no values", "integer": "whole numbers",
              "url": "web addresses", "json": "JSON", "country": "countries", "state": "states",
              "codes": "item or tooth codes", "value_set": "known values of the column"}


# -- value profiles -------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _is_country(text: str) -> bool:
    """A country name, or an upper-case ISO code (`No` and `Mr` are not Norway and Mauritania)."""
    if not text.replace(" ", "").isalpha() or len(text) > 40 or (len(text) <= 3 and not text.isupper()):
        return False
    return country_alpha2(text) is not None


def _is_phone(text: str) -> bool:
    core = _PHONE_EXT.sub("", text)
    digits = sum(ch.isdigit() for ch in core)
    if not _PHONE_CHARS.match(core) or not 8 <= digits <= 15:
        return False
    return core.startswith(("+", "0", "(")) or any(sep in core.strip() for sep in " -.")


def _is_json(text: str) -> bool:
    if not text.startswith(("[", "{")):
        return False
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def value_kinds(text: str, states: frozenset[str]) -> set[str]:
    """The kinds one cell looks like (a cell can be several: `2000` is a postcode and an integer)."""
    kinds: set[str] = set()
    folded = text.strip().lower()
    if EMAIL.match(text):
        kinds.add("email")
    if _is_phone(text):
        kinds.add("phone")
    if _DATE.match(text):
        kinds.add("date")
        if _DATETIME.search(text):
            kinds.add("datetime")
    compact = text.replace(" ", "")
    if _MONEY.match(compact) and any(mark in compact for mark in ".$,("):  # a bare integer is not evidence
        kinds.add("money")
    if _POSTCODE.match(text):
        kinds.add("postcode")
    if _INTEGER.match(text):
        kinds.add("integer")
    if folded in TRUE_VALUES or folded in FALSE_VALUES:
        kinds.add("boolean")
    if "@" not in text and " " not in text and _URL.match(text) and any(c.isalpha() for c in text.split(".")[-1]):
        kinds.add("url")
    if _is_json(text):
        kinds.add("json")
    if folded in states:
        kinds.add("state")
    elif _is_country(text.strip()):
        kinds.add("country")
    parts = [p.strip() for p in text.split(";") if p.strip()]
    if parts and all(_CODE.match(p) for p in parts):
        kinds.add("codes")
    return kinds


def profile_values(values: list[str | None], sampled: int, region: str) -> dict:
    """Shares and counts of a column's sampled cells: what they look like, never what they are.

    `sampled`, `filled` and `distinct` are counts; every other key is a kind (`email`, `date`…) with
    the share of filled cells that look like it (kinds under 5 % left out).
    """
    filled = [v for v in values if v is not None]
    states = frozenset(region_subdivisions(Region(region)))
    counts: Counter[str] = Counter()
    for value in filled:
        counts.update(value_kinds(value, states))
    profile: dict = {"sampled": sampled, "filled": len(filled), "distinct": len(set(filled))}
    for kind, n in counts.most_common():
        if n / len(filled) >= 0.05:
            profile[kind] = round(n / len(filled), 2)
    return profile


def _share(profile: dict, kind: str) -> float:
    return float(profile.get(kind, 0.0)) if kind in KIND_WORDS else 0.0


def value_set_share(column: ColumnSpec, values: list[str | None]) -> float | None:
    """Share of filled cells the column's value set recognises (None: the column has no value set)."""
    filled = [v for v in values if v is not None]
    if column.values is None or not filled:
        return None
    return sum(column.canonical_value(v) is not None for v in filled) / len(filled)


def type_fit(column: ColumnSpec, profile: dict, set_share: float | None) -> tuple[float | None, str]:
    """How well the values fit the column's type (None: nothing to say), and the words for the reason."""
    if not profile.get("filled"):
        return None, ""
    if set_share is not None:
        return set_share, "known values of the column"
    kind = TYPE_KIND.get(column.type)
    if kind == "money":
        return min(1.0, _share(profile, "money") + _share(profile, "integer")), KIND_WORDS[kind]
    if kind is not None:
        return _share(profile, kind), KIND_WORDS[kind]
    if column.type is ColumnType.TEXT:
        contrary = max(("email", "date"), key=lambda k: _share(profile, k))  # unmistakable kinds only
        if _share(profile, contrary) >= 0.5:
            return 1.0 - _share(profile, contrary), f"text (not {KIND_WORDS[contrary]})"
    return None, ""


# -- header names -------------------------------------------------------------------------------------


def _tokens(normalised: str) -> list[str]:
    text = normalised.replace("e_mail", "email")
    return [SYNONYMS.get(t, t) for t in text.split("_") if t]


def header_variants(header: str) -> list[str]:
    """The normalised header, its synonym expansion, and both without a leading object word."""
    norm = normalise_header(header)
    expanded = "_".join(_tokens(norm))
    variants = [norm, expanded]
    for text in (norm, expanded):
        head, _, rest = text.partition("_")
        if head in OBJECT_WORDS and rest:
            variants.append(rest)
    return list(dict.fromkeys(v for v in variants if v))


def spellings(column: ColumnSpec) -> list[str]:
    return list(dict.fromkeys(normalise_header(s) for s in (column.name, *column.aliases)))


def name_score(header: str, column: ColumnSpec) -> tuple[float, bool]:
    """(similarity 0-1, exact after synonyms) of a header to a canonical column's spellings."""
    best = 0.0
    for variant in header_variants(header):
        v_tokens = set(variant.split("_"))
        for spelling in spellings(column):
            if variant == spelling:
                return 1.0, True
            ratio = SequenceMatcher(None, variant, spelling).ratio()
            s_tokens = set(spelling.split("_"))
            jaccard = len(v_tokens & s_tokens) / len(v_tokens | s_tokens)
            best = max(best, ratio, jaccard)
    return best, False


# -- proposing -------------------------------------------------------------------------------------


@dataclass
class _Column:
    """A header of the file being proposed for, with its sampled cells (kept in memory only)."""

    position: int
    header: str
    values: list[str | None]
    profile: dict


def _sample(headers: FileHeaders, limit: int = SAMPLE_ROWS) -> tuple[int, dict[int, list[str | None]]]:
    cells_by_position: dict[int, list[str | None]] = {p: [] for p in headers.positions}
    rows = _physical_rows(headers.path, headers.encoding)
    sampled = 0
    try:
        for line, cells in rows:
            if line <= headers.header_line or not any(c.strip() for c in cells):
                continue
            for position in headers.positions:
                cells_by_position[position].append(clean_cell(cells[position]) if position < len(cells) else None)
            sampled += 1
            if sampled >= limit:
                break
    finally:
        rows.close()
    return sampled, cells_by_position


def _entry_for(spec: ObjectSpec, col: _Column, column: ColumnSpec, confidence: float, how: str, *,
               by_values: bool = False) -> ColumnEntry:
    """A recognised column's entry: the default target, confidence adjusted by the values' fit.

    `by_values`: the column was recognised from its values, so `how` already says what they look like.
    """
    default = default_entry(spec.name, column.name)
    set_share = value_set_share(column, col.values)
    fit, words = type_fit(column, col.profile, set_share)
    notes = [how]
    profile = dict(col.profile)
    if set_share is not None:
        profile["value_set"] = round(set_share, 2)
    if not col.profile.get("filled"):
        notes.append("empty in the sample")
    elif fit is not None and not by_values:
        pct = f"{fit:.0%} of values look like {words}"
        if fit < 0.5:
            confidence = min(confidence, 0.5)
            notes.append(f"but only {pct}")
        elif fit < 0.8:
            confidence -= 0.15
            notes.append(f"but only {pct}")
        else:
            notes.append(pct)
    notes.append(("excluded: " if default.transform == "excluded" else "") + default.reason)
    identifier = identifier_in_values(col.values)
    if (identifier is not None and column.name not in spec.key
            and (spec.name, column.name) not in FUND_NUMBER_COLUMNS):  # fund numbers have their own opt-in
        # a known column whose cells are identifiers (a US office keeping SSNs as the chart number): out
        return ColumnEntry(col.header, (column.name,), (), "excluded", 0.9,
                           f"{how}; but its values are {identifier.name}s, which never go to a CRM by default: "
                           f"excluded; only a person naming this column and themselves in identifier_opt_in sends it",
                           True, profile, identifier.name)
    return ColumnEntry(header=col.header, column=(column.name,), targets=default.targets, transform=default.transform,
                       confidence=round(max(0.0, min(1.0, confidence)), 2), reason="; ".join(notes),
                       needs_decision=confidence < DECISION_THRESHOLD, profile=profile)


def _full_name_entry(spec: ObjectSpec, col: _Column) -> ColumnEntry:
    """A `Last, First` column: landing splits it at the comma (without one, all of it is the last name)."""
    first = default_entry(spec.name, "first_name")
    last = default_entry(spec.name, "last_name")
    comma = col.profile.get("comma")
    reason = "a full-name column (`Last, First`): split into last and first name"
    confidence = 0.9
    if comma is not None and comma < 0.8:
        confidence = 0.6
        reason += f"; but only {comma:.0%} of values have the comma (the rest become last names only)"
    return ColumnEntry(header=col.header, column=("last_name", "first_name"), targets=last.targets + first.targets,
                       transform="split_name", confidence=confidence, reason=reason,
                       needs_decision=confidence < DECISION_THRESHOLD, profile=dict(col.profile))


def _custom_field_name(header: str, taken: set[str]) -> str:
    words = [w for w in re.split(r"[^A-Za-z0-9]+", header) if w]
    base = "cp" + "".join(w[:1].upper() + w[1:].lower() for w in words) if words else "cpColumn"
    if not base[2:3].isalpha():
        base = "cpCol" + base[2:]
    name, n = base, 2
    while name in taken:
        name, n = f"{base}{n}", n + 1
    taken.add(name)
    return name


def _identifier_of(col: _Column) -> Identifier | None:
    """The identifier a column holds, by its header or because most of its cells pass one's check."""
    return (identifier_named([w for w in normalise_header(col.header).split("_") if w])
            or identifier_in_values(col.values))


def _extra_entry(spec: ObjectSpec, col: _Column, taken: dict[str, set[str]]) -> ColumnEntry:
    """A practice's own column: a custom TEXT field on the object's Twenty record, or excluded."""
    filled, sampled = col.profile.get("filled", 0), col.profile.get("sampled", 0)
    seen = f"not a Core Practice column we know ({filled} of {sampled} sampled rows filled)"
    words = set(_tokens(normalise_header(col.header)))
    primary = primary_target(spec.name)

    def excluded(why: str, confidence: float = 0.5, identifier: str | None = None) -> ColumnEntry:
        return ColumnEntry(col.header, (), (), "excluded", confidence, f"{seen}; {why}", True, dict(col.profile),
                           identifier)

    identifier = _identifier_of(col)
    if identifier is not None:  # by its header, or because most of its cells are one (check digit, shape)
        return excluded(f"holds {identifier.name}s, which never go to a CRM by default: excluded; only a person "
                        f"naming this column and themselves in identifier_opt_in sends it", 0.9, identifier.name)
    if words & SENSITIVE_WORDS:
        return excluded("looks like health or identity data: excluded unless a person maps it (minimum necessary)")
    if not filled and sampled:
        return excluded("empty in the sample: excluded")
    if primary.transform == "json_summary":
        where = f"the {primary.targets[0]} summary" if primary.targets else "the reference file"
        return ColumnEntry(col.header, (), primary.targets, "json_summary", 0.5,
                           f"{seen}; offered in {where}, or set transform: excluded", True, dict(col.profile))
    obj_name, _, field_name = (primary.targets[0] if primary.targets else "").partition(".")
    if primary.transform != "rename" or not field_name:
        return excluded(f"{spec.name} rows have no Twenty record of their own to carry it")
    target = TARGET_OBJECTS[obj_name]
    names = taken.setdefault(obj_name, {f.name for f in target.fields})
    new_field = _custom_field_name(col.header, names)
    return ColumnEntry(col.header, (), (f"{obj_name}.{new_field}",), "rename", 0.5,
                       f"{seen}; offered as a new TEXT field {obj_name}.{new_field}, or set transform: excluded",
                       True, dict(col.profile))


def _missing_entry(spec: ObjectSpec, column: ColumnSpec, file_present: bool) -> ColumnEntry:
    default = default_entry(spec.name, column.name)
    if not file_present:
        return ColumnEntry(None, (column.name,), default.targets, default.transform, 1.0,
                           f"the {spec.name} file is not in this export", False)
    if column.required:
        return ColumnEntry(None, (column.name,), default.targets, default.transform, 0.3,
                           "required but no header matched: landing will refuse the file; point one of the "
                           "unrecognised columns at it (set its column) or re-export", True)
    return ColumnEntry(None, (column.name,), default.targets, default.transform, 1.0,
                       "not in this export: the field stays empty", False)


def propose_object(spec: ObjectSpec, headers: FileHeaders, region: str, taken: dict[str, set[str]]) -> ObjectMap:
    """The entries of one export file: every header and every canonical column the file lacks."""
    sampled, cells = _sample(headers)
    cols = []
    for position, header in zip(headers.positions, headers.headers, strict=True):
        values = cells[position]
        profile = profile_values(values, sampled, region)
        cols.append(_Column(position, header, values, profile))

    chosen: dict[int, ColumnEntry] = {}
    claimed: dict[str, str] = {}  # canonical → header

    def take(col: _Column, entry: ColumnEntry) -> None:
        chosen[col.position] = entry
        for name in entry.column:
            claimed[name] = col.header

    # 1. the spellings landing itself reads (canonical, aliases, `Last, First` headers)
    lookup: dict[str, tuple[str, bool]] = {}
    for column in spec.columns:
        lookup.setdefault(normalise_header(column.name), (column.name, True))
        for alias in column.aliases:
            lookup.setdefault(normalise_header(alias), (column.name, False))
    full_names = {normalise_header(h) for h in spec.full_name_headers}
    for col in cols:
        norm = normalise_header(col.header)
        if norm in lookup:
            name, canonical = lookup[norm]
            if name in claimed:
                chosen[col.position] = ColumnEntry(
                    col.header, (), (), "excluded", 0.3,
                    f"also a spelling of {name}, already the column {claimed[name]!r}: landing refuses two columns "
                    "for one; rename or remove one in the export", True, col.profile)
                continue
            how = "the canonical header" if canonical else f"a known spelling of {name}"
            take(col, _entry_for(spec, col, spec.column(name), 1.0 if canonical else 0.95, how))
        elif norm in full_names and "first_name" not in claimed and "last_name" not in claimed:
            filled = [v for v in col.values if v is not None]
            if filled:
                col.profile["comma"] = round(sum("," in v for v in filled) / len(filled), 2)
            take(col, _full_name_entry(spec, col))

    # 1b. identifiers, before any guess by likeness: SSNs look like phone numbers, and a column the export spec
    # does not name (above) that holds one stays out whatever it resembles
    for col in cols:
        if col.position not in chosen and _identifier_of(col) is not None:
            chosen[col.position] = _extra_entry(spec, col, taken)

    # 2. synonyms and fuzzy names, checked against the values; best scores first
    candidates = []
    for col in cols:
        if col.position in chosen:
            continue
        for column in spec.columns:
            if column.name in claimed:
                continue
            score, exact = name_score(col.header, column)
            if score < FUZZY_MIN:
                continue
            fit, _ = type_fit(column, col.profile, value_set_share(column, col.values))
            candidates.append((score + (0.3 * fit if fit is not None else 0.15), exact, score, col, column))
    for _, exact, score, col, column in sorted(candidates, key=lambda c: (-c[0], c[3].position)):
        if col.position in chosen or column.name in claimed:
            continue
        if exact:
            take(col, _entry_for(spec, col, column, 0.85,
                                 f"{col.header!r} reads as a spelling of {column.name} after synonyms"))
        else:
            confidence = min(0.79, 0.45 + 0.4 * score)
            fit, _ = type_fit(column, col.profile, value_set_share(column, col.values))
            if fit is not None and fit >= 0.9:
                confidence += 0.1
            take(col, _entry_for(spec, col, column, confidence,
                                 f"header resembles {column.name} ({score:.0%} similar)"))

    # 3. values alone: a distinctive kind matching the type of a column still free
    for col in cols:
        if col.position in chosen or not col.profile.get("filled"):
            continue
        best = _profile_match(spec, col, claimed)
        if best is not None:
            column, alternatives, words, share = best
            confidence = 0.7 if not alternatives else 0.55
            how = f"header not recognised, but {share:.0%} of values look like {words}"
            if alternatives:
                how += f" (could also be {', '.join(alternatives)})"
            take(col, _entry_for(spec, col, column, confidence, how, by_values=True))

    # 4. the practice's own columns
    for col in cols:
        if col.position not in chosen:
            chosen[col.position] = _extra_entry(spec, col, taken)

    for col in cols:  # the runners-up, where the header was not one landing itself reads
        entry = chosen[col.position]
        if entry.confidence < 0.95:
            chosen[col.position] = dataclasses.replace(entry, alternatives=runners_up(spec, col, entry.column))
    entries = [chosen[col.position] for col in cols]
    entries += [_missing_entry(spec, c, True) for c in spec.columns if c.name not in claimed]
    return ObjectMap(file=headers.file, columns=entries)


ALTERNATIVES = 2
"""How many runners-up an entry lists."""
ALTERNATIVE_MIN = 0.5
"""Below this header similarity a column is no alternative unless the values fit it (≥ 90 %); above it, values
that mostly do not fit it (< 50 %) rule it out."""


def runners_up(spec: ObjectSpec, col: _Column, chosen: tuple[str, ...]) -> tuple[str, ...]:
    """The next-best canonical columns for a header, with the evidence for each (`email (name 62%, values 98%)`)."""
    ranked = []
    for column in spec.columns:
        if column.name in chosen:
            continue
        score, _ = name_score(col.header, column)
        fit, _ = type_fit(column, col.profile, value_set_share(column, col.values))
        filled = bool(col.profile.get("filled"))
        fits = fit is None or not filled or fit >= 0.5
        if not ((score >= ALTERNATIVE_MIN and fits) or (filled and fit is not None and fit >= 0.9)):
            continue
        evidence = f"name {score:.0%}" + (f", values {fit:.0%}" if fit is not None and filled else "")
        ranked.append((score + (0.3 * fit if fit is not None else 0.0), f"{column.name} ({evidence})"))
    return tuple(text for _, text in sorted(ranked, key=lambda r: -r[0])[:ALTERNATIVES])


def _profile_match(spec: ObjectSpec, col: _Column, claimed: dict[str, str]
                   ) -> tuple[ColumnSpec, list[str], str, float] | None:
    free = [c for c in spec.columns if c.name not in claimed]
    for column in free:  # a value set the values fall into is the strongest evidence there is
        share = value_set_share(column, col.values)
        if share is not None and share >= 0.9 and col.profile.get("distinct", 0) > 1:
            return column, [], KIND_WORDS["value_set"] + f" {column.name}", share
    for kind in DISTINCTIVE_KINDS:
        share = _share(col.profile, kind)
        if share < 0.8:
            continue
        wanted = "date" if kind == "datetime" else kind
        matching = [c for c in free if TYPE_KIND.get(c.type) == wanted]
        if kind == "datetime":  # a date with a time prefers a DATETIME column
            matching.sort(key=lambda c: c.type is not ColumnType.DATETIME)
        if matching:
            return matching[0], [c.name for c in matching[1:]], KIND_WORDS[kind], share
    return None


def propose(export_dir: Path, *, region: str | None = None, now: datetime | None = None) -> FieldMap:
    """A proposed map for every object of an export folder, with confidence and reason per column."""
    export_dir = Path(export_dir)
    if not export_dir.is_dir():
        raise ExportStructureError(f"{export_dir}: export folder not found. Point --export at a snapshot folder.")
    region = region or detect_region(export_dir)[0]
    objects: dict[str, ObjectMap] = {}
    taken: dict[str, set[str]] = {}
    for name, spec in EXPORT_SPEC.items():
        try:
            headers = read_headers(find_export_file(export_dir, spec), spec)
        except ExportStructureError:
            objects[name] = ObjectMap(None, [_missing_entry(spec, c, False) for c in spec.columns])
            log.info("field map proposal: %s file not found", name)
            continue
        objects[name] = propose_object(spec, headers, region, taken)
        undecided = sum(e.needs_decision for e in objects[name].columns)
        log.info("field map proposal: %s: %d columns, %d need a decision", name, len(headers.headers), undecided)
    at = (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")
    return FieldMap(status="proposed", objects=objects, options=MapOptions(region=region), proposed_at=at,
                    export_name=export_dir.name)


KEPT = "kept from the map"
"""How the reason of a decision carried over from the previous confirmed map starts."""


def remember(proposal: FieldMap, previous: FieldMap) -> FieldMap:
    """The proposal with a person's decisions from the previous confirmed map kept (re-exports and cutover deltas
    do not ask twice): a column found again under the same header in the same file, or missing again, keeps the
    previous entry's column, targets, transform, value map and identifier choice, undecided-free; a column new to
    this export stays as proposed. The options are the previous map's. A previous map that was never confirmed
    holds no decision: the proposal is returned as it is.
    """
    if previous.status != "confirmed":
        return proposal
    by, at = previous.confirmation.confirmed_by, previous.confirmation.confirmed_at
    kept = new = 0
    for name, obj in proposal.objects.items():
        before = previous.objects.get(name)
        if before is None:
            new += sum(e.header is not None for e in obj.columns)
            continue
        by_header = {e.header: e for e in before.columns if e.header is not None}
        by_column = {e.column: e for e in before.columns if e.header is None}
        for i, entry in enumerate(obj.columns):
            old = by_header.get(entry.header) if entry.header is not None else by_column.get(entry.column)
            if old is None:
                new += entry.header is not None
                continue
            kept += 1
            why = old.reason.split(": ", 1)[1] if old.reason.startswith(KEPT) and ": " in old.reason else old.reason
            obj.columns[i] = dataclasses.replace(
                old, confidence=1.0, needs_decision=False, profile=entry.profile,
                reason=f"{KEPT} {by} confirmed on {str(at)[:10]}: {why}".strip().rstrip(":"))
    proposal.options = dataclasses.replace(previous.options)
    proposal.remembered = {"by": by, "at": at, "entries": kept, "new": new}
    return proposal
