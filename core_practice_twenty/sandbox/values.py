"""Field types: validation and the server-side normalisation Twenty applies on write.

Everything here is keyed by the field ``type`` string of the metadata, never by object, so a custom
field created through the metadata API gets the same treatment as a standard one.
Sources: composite shapes and normalisation in twenty-api.md §8
(packages/twenty-server/src/engine/core-modules/record-transformer/utils/transform-{emails,links,phones}-value.util.ts).
"""

from __future__ import annotations

import contextlib
import json
import re
import uuid
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from core_practice_twenty.sandbox.errors import ApiError, bad_request

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

# Sub-fields of each composite type with the scalar type each sub-field behaves as
# (twenty-shared composite type definitions, twenty-api.md §7-§8).
COMPOSITE_TYPES: dict[str, dict[str, str]] = {
    "FULL_NAME": {"firstName": "TEXT", "lastName": "TEXT"},
    "EMAILS": {"primaryEmail": "TEXT", "additionalEmails": "RAW_JSON"},
    "PHONES": {
        "primaryPhoneNumber": "TEXT",
        "primaryPhoneCountryCode": "TEXT",
        "primaryPhoneCallingCode": "TEXT",
        "additionalPhones": "RAW_JSON",
    },
    "LINKS": {"primaryLinkUrl": "TEXT", "primaryLinkLabel": "TEXT", "secondaryLinks": "RAW_JSON"},
    "ADDRESS": {
        "addressStreet1": "TEXT",
        "addressStreet2": "TEXT",
        "addressCity": "TEXT",
        "addressPostcode": "TEXT",
        "addressState": "TEXT",
        "addressCountry": "TEXT",
        "addressLat": "NUMERIC",
        "addressLng": "NUMERIC",
    },
    "CURRENCY": {"amountMicros": "NUMERIC", "currencyCode": "TEXT"},
    "ACTOR": {"source": "TEXT", "workspaceMemberId": "UUID", "name": "TEXT", "context": "RAW_JSON"},
    "RICH_TEXT_V2": {"blocknote": "TEXT", "markdown": "TEXT"},
}

# Sub-fields that form the unique index when such a field is unique (isIncludedInUniqueConstraint).
UNIQUE_SUBFIELDS: dict[str, list[str]] = {
    "EMAILS": ["primaryEmail"],
    "LINKS": ["primaryLinkUrl"],
    "PHONES": ["primaryPhoneNumber"],
    "FULL_NAME": ["firstName", "lastName"],
}

SCALAR_TYPES = {
    "UUID",
    "TEXT",
    "NUMBER",
    "NUMERIC",
    "BOOLEAN",
    "DATE",
    "DATE_TIME",
    "SELECT",
    "MULTI_SELECT",
    "RATING",
    "RAW_JSON",
    "ARRAY",
    "POSITION",
}
SUPPORTED_TYPES = SCALAR_TYPES | set(COMPOSITE_TYPES) | {"RELATION"}

ACTOR_SOURCES = {
    "EMAIL",
    "CALENDAR",
    "WORKFLOW",
    "AGENT",
    "API",
    "IMPORT",
    "MANUAL",
    "SYSTEM",
    "WEBHOOK",
    "APPLICATION",
}
RATING_VALUES = [f"RATING_{i}" for i in range(1, 6)]
NUMERIC_TYPES = {"NUMBER", "NUMERIC", "POSITION"}


def is_uuid(value: Any) -> bool:
    """True for a string in UUID form (Twenty checks path ids and UUID fields this way)."""
    return isinstance(value, str) and bool(UUID_RE.match(value))


def now_iso() -> str:
    """Current UTC time in the form Twenty returns timestamps (``2024-01-02T03:04:05.678Z``)."""
    return format_datetime(datetime.now(UTC))


def format_datetime(moment: datetime) -> str:
    """ISO-8601 UTC with milliseconds and ``Z``, as Postgres timestamptz comes back through Twenty."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_datetime(text: str) -> str:
    """Normalise an ISO date-time string; raises ValueError when it is not one."""
    if not isinstance(text, str) or not text:
        raise ValueError(text)
    return format_datetime(datetime.fromisoformat(text.replace("z", "Z")))


def invalid(value: Any, field_name: str) -> ApiError:
    """Twenty's validation wording (create-one test: ``Invalid value 'X' for field "stage"``)."""
    shown = value if isinstance(value, str) else json.dumps(value)
    return bad_request(f"Invalid value '{shown}' for field \"{field_name}\"")


def default_literal(default: Any) -> Any:
    """Turn a metadata ``defaultValue`` (Twenty stores SQL-ish literals like ``"'NEW'"``) into a value."""
    if isinstance(default, str):
        if len(default) >= 2 and default[0] == "'" and default[-1] == "'":
            return default[1:-1]
        if default == "now":
            return now_iso()
        if default == "uuid":
            return str(uuid.uuid4())
    if isinstance(default, dict):
        return {k: default_literal(v) for k, v in default.items()}
    return default


def normalize_email(text: str) -> str:
    """Lower-case, strip a trailing dot and punycode the domain (emails-domain-canonicalization test)."""
    text = text.strip().lower()
    local, at, domain = text.rpartition("@")
    if not at:
        return text
    domain = domain.rstrip(".")
    with contextlib.suppress(UnicodeError):  # not a valid IDN: keep as typed
        domain = ".".join(
            label.encode("idna").decode("ascii") if not label.isascii() else label for label in domain.split(".")
        )
    return f"{local}@{domain}"


def normalize_url(text: str) -> str:
    """Lower-case scheme and host and drop trailing slashes; scheme-less URLs keep their case
    (transform-links-value.util.spec.ts)."""
    text = text.strip()
    if "://" in text:
        try:
            parts = urlsplit(text)
            text = urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path, parts.query, parts.fragment))
        except ValueError:
            pass
    while text.endswith("/"):
        text = text[:-1]
    return text


def _number(value: Any, name: str) -> int | float:
    if isinstance(value, bool):
        raise invalid(value, name)
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            raise invalid(value, name) from None
        return int(number) if number.is_integer() and "." not in value else number
    raise invalid(value, name)


def normalize_scalar(type_: str, value: Any, name: str, options: list[str] | None = None) -> Any:
    """Validate one scalar value of the given field type; returns the stored form."""
    if value is None:
        return None
    if type_ == "TEXT":
        if not isinstance(value, str):
            raise invalid(value, name)
        return value
    if type_ == "UUID":
        if not is_uuid(value):
            raise invalid(value, name)
        return value.lower()
    if type_ in NUMERIC_TYPES:
        return _number(value, name)
    if type_ == "BOOLEAN":
        if not isinstance(value, bool):
            raise invalid(value, name)
        return value
    if type_ == "DATE":
        if not isinstance(value, str):
            raise invalid(value, name)
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            pass
        try:
            return datetime.fromisoformat(value.replace("z", "Z")).date().isoformat()
        except ValueError:
            raise invalid(value, name) from None
    if type_ == "DATE_TIME":
        try:
            return parse_datetime(value)
        except (ValueError, TypeError):
            raise invalid(value, name) from None
    if type_ in ("SELECT", "RATING"):
        allowed = options if type_ == "SELECT" else RATING_VALUES
        if not isinstance(value, str) or value not in (allowed or []):
            raise invalid(value, name)
        return value
    if type_ == "MULTI_SELECT":
        if not isinstance(value, list) or any(v not in (options or []) for v in value):
            raise invalid(value, name)
        return list(value)
    if type_ == "ARRAY":
        if not isinstance(value, list) or any(not isinstance(v, str) for v in value):
            raise invalid(value, name)
        return list(value)
    if type_ == "RAW_JSON":
        return value
    raise invalid(value, name)


def _string_list(value: Any, name: str) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or any(not isinstance(v, str) for v in value):
        raise invalid(value, name)
    return value


def normalize_composite_input(type_: str, value: Any, name: str) -> dict[str, Any] | None:
    """Validate a composite value as sent by a client.

    Returns only the sub-fields the client supplied (normalised), or ``None`` when the whole field
    was set to null, so that an update touches only what was sent.
    """
    subfields = COMPOSITE_TYPES[type_]
    if value is None:
        return None
    if not isinstance(value, dict):
        raise invalid(value, name)
    out: dict[str, Any] = {}
    for key, sub_value in value.items():
        sub_type = subfields.get(key)
        if sub_type is None:
            raise bad_request(f"Invalid value for field \"{name}\": unknown sub-field '{key}'")
        out[key] = normalize_scalar(sub_type, sub_value, f"{name}.{key}")
    if type_ == "EMAILS":
        if isinstance(out.get("primaryEmail"), str):
            out["primaryEmail"] = normalize_email(out["primaryEmail"]) or None
        if "additionalEmails" in out:
            extra = _string_list(out["additionalEmails"], f"{name}.additionalEmails")
            out["additionalEmails"] = [normalize_email(e) for e in extra] if extra is not None else None
    elif type_ == "LINKS":
        if isinstance(out.get("primaryLinkUrl"), str):
            out["primaryLinkUrl"] = normalize_url(out["primaryLinkUrl"]) or None
        links = out.get("secondaryLinks")
        if isinstance(links, str):  # GraphQL-style JSON string
            try:
                links = json.loads(links) if links else None
            except ValueError:
                raise invalid(links, f"{name}.secondaryLinks") from None
        if links is not None:
            if not isinstance(links, list) or any(not isinstance(link, dict) for link in links):
                raise invalid(links, f"{name}.secondaryLinks")
            links = [
                {**link, "url": normalize_url(link["url"]) if isinstance(link.get("url"), str) else None}
                for link in links
            ]
        if "secondaryLinks" in out:
            out["secondaryLinks"] = links
    elif type_ == "PHONES":
        # Blank strings become null so empty phones never collide in a unique index (§8).
        for key in ("primaryPhoneNumber", "primaryPhoneCountryCode", "primaryPhoneCallingCode"):
            if out.get(key) == "":
                out[key] = None
        if (
            "additionalPhones" in out
            and out["additionalPhones"] is not None
            and not isinstance(out["additionalPhones"], list)
        ):
            raise invalid(out["additionalPhones"], f"{name}.additionalPhones")
    elif type_ == "ACTOR":
        source = out.get("source")
        if source is not None and source not in ACTOR_SOURCES:
            raise invalid(source, f"{name}.source")
    return out


def empty_composite(type_: str) -> dict[str, Any]:
    """A composite value with every sub-field null (how a missing composite is returned)."""
    return dict.fromkeys(COMPOSITE_TYPES[type_])
