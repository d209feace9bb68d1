"""Field types: validation and the server-side normalisation Twenty applies on write.

Everything here is keyed by the field ``type`` string of the metadata, never by object, so a custom
field created through the metadata API gets the same treatment as a standard one.
Sources: composite shapes and normalisation in twenty-api.md §8
(packages/twenty-server/src/engine/core-modules/record-transformer/utils/transform-{emails,links,phones,
rich-text-v2}-value.util.ts). Phone numbers are parsed with ``phonenumbers`` (the Python port of the
libphonenumber that Twenty's ``libphonenumber-js`` also derives from).
"""

from __future__ import annotations

import contextlib
import json
import re
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import phonenumbers

from core_practice_twenty.sandbox.errors import ApiError, bad_request
from core_practice_twenty.sandbox.richtext import transform_rich_text

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
    "RICH_TEXT": {"blocknote": "TEXT", "markdown": "TEXT"},  # RICH_TEXT_V2's name since 1.20
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
    "FILES",
}
SUPPORTED_TYPES = SCALAR_TYPES | set(COMPOSITE_TYPES) | {"RELATION"}
FILE_ITEM_KEYS = {"fileId", "label", "extension", "url"}

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


def now_iso(offset_s: float = 0.0) -> str:
    """Current UTC time (plus `offset_s`) in the form Twenty returns timestamps (``2024-01-02T03:04:05.678Z``)."""
    return format_datetime(datetime.now(UTC) + timedelta(seconds=offset_s))


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
    if type_ == "FILES":
        return normalize_files(value, name)
    raise invalid(value, name)


def normalize_files(value: Any, name: str) -> list[dict[str, Any]]:
    """FILES: ``[{fileId, label, extension?}]`` referencing uploaded files (existence checked by the engine)."""
    if not isinstance(value, list):
        raise invalid(value, name)
    out = []
    for item in value:
        if not isinstance(item, dict) or not is_uuid(item.get("fileId")) or not isinstance(item.get("label"), str):
            raise bad_request(f'Invalid value for field "{name}": each file needs a "fileId" (UUID) and a "label"')
        unknown = set(item) - FILE_ITEM_KEYS
        if unknown:
            raise bad_request(f"Invalid value for field \"{name}\": unknown key '{sorted(unknown)[0]}'")
        extension = item.get("extension")
        if extension is None and "." in item["label"]:
            extension = "." + item["label"].rsplit(".", 1)[1]
        out.append({"fileId": item["fileId"].lower(), "label": item["label"], "extension": extension})
    return out


def _string_list(value: Any, name: str) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or any(not isinstance(v, str) for v in value):
        raise invalid(value, name)
    return value


def _valid_country(code: str) -> bool:
    return code.isupper() and phonenumbers.country_code_for_region(code) != 0


def _regions_for_calling_code(calling_code: str) -> list[str]:
    digits = calling_code.replace("+", "")
    if not digits.isdigit():
        return []
    return [r for r in phonenumbers.region_codes_for_country_code(int(digits)) if r not in ("ZZ", "001")]


def normalize_phone(number: Any, calling_code: Any, country_code: Any) -> tuple[Any, Any, Any]:
    """One phone → ``(national number, calling code, country)`` as transform-phones-value.util.ts does.

    A supplied country or calling code is validated and kept; a number is parsed (international form,
    or national with the supplied country/calling code) and stored as its national significant number,
    with the country and calling code inferred when not supplied. Unparseable numbers are refused.
    """
    if isinstance(country_code, str) and country_code and not _valid_country(country_code):
        raise bad_request(f"Invalid country code {country_code}")
    if isinstance(calling_code, str) and calling_code:
        expected = _regions_for_calling_code(calling_code)
        if not expected:
            raise bad_request(f"Invalid calling code {calling_code}")
        if isinstance(country_code, str) and country_code and country_code not in expected:
            raise bad_request("Provided country code and calling code are conflicting")
    if not isinstance(number, str) or not number:
        return (None if number == "" else number), calling_code or None, country_code or None
    region = country_code or None
    if region is None and isinstance(calling_code, str) and calling_code:
        region = _regions_for_calling_code(calling_code)[0]
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        raise bad_request(f"Provided phone number is invalid {number}") from None
    inferred_country = phonenumbers.region_code_for_number(parsed)
    if inferred_country in (None, "ZZ", "001"):
        inferred_country = None
    if inferred_country and country_code and inferred_country != country_code:
        raise bad_request("Provided and inferred country code are conflicting")
    if calling_code and str(parsed.country_code) != calling_code.replace("+", ""):
        raise bad_request("Provided and inferred calling code are conflicting")
    national = str(parsed.national_number)
    if parsed.italian_leading_zero:
        national = "0" * (parsed.number_of_leading_zeros or 1) + national
    return national, calling_code or f"+{parsed.country_code}", country_code or inferred_country


_HOST_LABEL_RE = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def normalize_domain(text: str, name: str) -> str | None:
    """A company domain → bare lower-case host (``https://WWW.Acme.com/x`` → ``acme.com``), as the newest
    Twenty stores ``company.domainName`` (PR #24911); text that is not a host is refused."""
    text = text.strip()
    if not text:
        return None
    candidate = text if "://" in text else f"http://{text}"
    try:
        host = (urlsplit(candidate).hostname or "").rstrip(".")
    except ValueError:
        host = ""
    with contextlib.suppress(UnicodeError):
        host = ".".join(label if label.isascii() else label.encode("idna").decode("ascii") for label in host.split("."))
    host = host.lower()
    if host.startswith("www."):
        host = host[4:]
    labels = host.split(".")
    if len(labels) < 2 or not all(_HOST_LABEL_RE.match(label) for label in labels) or labels[-1].isdigit():
        raise invalid(text, name)
    return host


def normalize_composite_input(type_: str, value: Any, name: str, *, domain: bool = False) -> dict[str, Any] | None:
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
    if type_ in ("RICH_TEXT_V2", "RICH_TEXT"):
        if "markdown" in out or "blocknote" in out:
            out.update(transform_rich_text(out))
    elif type_ == "EMAILS":
        if isinstance(out.get("primaryEmail"), str):
            out["primaryEmail"] = normalize_email(out["primaryEmail"]) or None
        if "additionalEmails" in out:
            extra = _string_list(out["additionalEmails"], f"{name}.additionalEmails")
            out["additionalEmails"] = [normalize_email(e) for e in extra] if extra is not None else None
    elif type_ == "LINKS":
        if isinstance(out.get("primaryLinkUrl"), str):
            if domain:
                out["primaryLinkUrl"] = normalize_domain(out["primaryLinkUrl"], name)
            else:
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
        if any(k in out for k in ("primaryPhoneNumber", "primaryPhoneCountryCode", "primaryPhoneCallingCode")):
            number, calling, country = normalize_phone(
                out.get("primaryPhoneNumber"), out.get("primaryPhoneCallingCode"), out.get("primaryPhoneCountryCode")
            )
            for key, sub in (
                ("primaryPhoneNumber", number),
                ("primaryPhoneCallingCode", calling),
                ("primaryPhoneCountryCode", country),
            ):
                if key in out or sub is not None:
                    out[key] = sub
        extra = out.get("additionalPhones")
        if isinstance(extra, str):  # GraphQL-style JSON string
            try:
                extra = json.loads(extra) if extra else None
            except ValueError:
                raise invalid(extra, f"{name}.additionalPhones") from None
        if extra is not None:
            if not isinstance(extra, list) or any(not isinstance(p, dict) for p in extra):
                raise invalid(extra, f"{name}.additionalPhones")
            phones = []
            for phone in extra:
                number, calling, country = normalize_phone(
                    phone.get("number") or None, phone.get("callingCode"), phone.get("countryCode")
                )
                phones.append({"number": number, "callingCode": calling, "countryCode": country})
            extra = phones or None
        if "additionalPhones" in out:
            out["additionalPhones"] = extra
    elif type_ == "ACTOR":
        source = out.get("source")
        if source is not None and source not in ACTOR_SOURCES:
            raise invalid(source, f"{name}.source")
    return out


def empty_composite(type_: str) -> dict[str, Any]:
    """A composite value with every sub-field null (how a missing composite is returned)."""
    return dict.fromkeys(COMPOSITE_TYPES[type_])
