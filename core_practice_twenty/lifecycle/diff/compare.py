"""Comparing a record as staged with the record in Twenty, field by field, by the field's type."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from core_practice_twenty.mapping.target_model import TARGET_OBJECTS

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


def target_model_types(plural: str) -> dict[str, str]:
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

