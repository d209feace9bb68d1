"""Value-level transforms: one export cell (or a few) → one Twenty field value, plus why it needs a look.

Every transform is pure and region-aware, and reports what it repaired or could not read as short
reason codes (`postcode_repaired`, `phone_unparseable:mobile_phone`) that never contain the value
itself: the codes go into `reviewReasons`, staging notes and logs, where health data must not.
The rules of what a date, an amount, a state or a postcode means live in `source/values.py`; the
value sets and their spellings in `source/export_spec.py`; the Twenty option values in
`mapping/target_model.py`. Nothing here restates them.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import UTC, date, tzinfo
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from zoneinfo import ZoneInfo

import phonenumbers
import pycountry

from core_practice_twenty.model.regions import REGION_FACTS, CodeSystem
from core_practice_twenty.source.export_spec import EXPORT_SPEC, NULL_MARKERS
from core_practice_twenty.source.values import (
    CODE_SEPARATOR,
    DATE_ORDER,
    EMAIL,
    POSTCODE_DIGITS,
    Region,
    country_alpha2,
    parse_bool,
    parse_datetime,
    parse_money,
    procedure_code,
    region_subdivisions,
)

MICROS = Decimal(1_000_000)

EMAIL_NULLS = NULL_MARKERS | {"none", "nil", "null", "na", "no email", "noemail", "unknown", "not provided"}
"""Spellings reception types for "no email": treated like an empty cell, never as a malformed address."""


# -- small helpers ---------------------------------------------------------------------------------


def as_region(region: Region | str) -> Region:
    """Accept `Region.AU` or `"au"`: options and tests pass plain strings."""
    return region if isinstance(region, Region) else Region(str(region).strip().upper())


def clean(value: object) -> str | None:
    """A raw cell → trimmed text, None for null, empty or NaN (pandas hands NaN for missing cells)."""
    if value is None:
        return None
    if isinstance(value, float) and value != value:
        return None
    text = str(value).strip()
    return text or None


def codes_text(cell: str | None, system: CodeSystem | None = None) -> str | None:
    """`011;114` or `011, 114` (procedure codes, teeth) → `011, 114`: one readable spelling in Twenty.

    With the region's coding `system`, each code is restored where that is unambiguous (`1110` → `D1110`, 22 →
    `022`) and kept as written where it is not (validation flags that line for a person)."""
    text = clean(cell)
    if text is None:
        return None
    items = [part for part in CODE_SEPARATOR.split(text) if part]
    if system is not None:
        items = [procedure_code(item, system) or item for item in items]
    return ", ".join(dict.fromkeys(items)) or None


# -- names -----------------------------------------------------------------------------------------


def _name_part(value: str | None) -> str:
    text = clean(value)
    return re.sub(r"\s+", " ", text) if text else ""


def full_name(first: str | None, last: str | None, *, preferred: str | None = None) -> dict:
    """FULL_NAME `{firstName, lastName}` with the preferred-name policy.

    Twenty has two parts only. The legal first name stays first (clinical records and insurers need
    it, and it is what the practice searches by); a preferred name that differs is appended in
    brackets, `Elizabeth (Liz)`, so reception sees what to call the patient. Middle names are not
    put into the name: Twenty has no place for them and they are not needed to find the person.
    Case is kept as exported (`McDonald`, `van der Berg` must not be "fixed").
    """
    first_text, last_text, nick = _name_part(first), _name_part(last), _name_part(preferred)
    if nick and nick.casefold() != first_text.casefold():
        first_text = f"{first_text} ({nick})" if first_text else nick
    return {"firstName": first_text, "lastName": last_text}


# -- phones ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Phone:
    """A phone read with phonenumbers: E.164 split the way Twenty's PHONES field stores it."""

    number: str  # national significant number, digits only (`491570156`)
    country_code: str  # ISO alpha-2 of the number's region (`AU`)
    calling_code: str  # `+61`
    extension: str | None = None
    valid: bool = True
    """In an allocated range of its country (phonenumbers' metadata), not only of a possible length."""

    @property
    def e164(self) -> str:
        return f"{self.calling_code}{self.number}"


def parse_phone(text: str | None, region: Region | str) -> Phone | None:  # region: any ISO alpha-2 country
    """A phone cell in any local or international format → `Phone`, or None when it is not a number.

    The region decides numbers written without a country code (`(02) 9876 5432`, `0491 570 156`);
    numbers with `+` keep their own country. Extensions (`ext 12`, `x12`, `#12`) are split off:
    Twenty's PHONES has no extension, so the caller records that one was dropped. A number is
    accepted when it is *possible* for its country (right length), not only when it is in an
    allocated range: a real export has numbers phonenumbers' metadata does not know yet.
    """
    raw = clean(text)
    if raw is None or raw.lower() in NULL_MARKERS:
        return None
    code = region.value if isinstance(region, Region) else str(region).strip().upper()
    try:
        parsed = phonenumbers.parse(raw, code)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    country = phonenumbers.region_code_for_number(parsed)
    if not country or country == "ZZ":
        country = phonenumbers.region_code_for_country_code(parsed.country_code)
    if not country or country in ("ZZ", "001"):
        return None
    national = phonenumbers.national_significant_number(parsed)
    return Phone(national, country, f"+{parsed.country_code}", parsed.extension or None,
                 phonenumbers.is_valid_number(parsed))


@dataclass
class PhonesResult:
    value: dict | None
    reasons: list[str] = field(default_factory=list)
    """Review reasons (a phone was there but could not be read)."""
    notes: list[str] = field(default_factory=list)
    """Facts worth keeping that need no person (an extension dropped, a duplicate number folded)."""


def phones_field(cells: list[tuple[str, str | None]], region: Region | str, *,
                 country: str | None = None) -> PhonesResult:
    """Several phone columns (`[("mobile_phone", …), ("home_phone", …)]`, in priority order) → PHONES.

    A number without a country code is read in the record's own `country` (ISO alpha-2, from its
    address) when it has one, else in the export's `region`: a New Zealand patient's "021 555 1234" is
    +64 21 555 1234, not +61. A number that is no phone number of that country but is one of the region
    is kept as the region's and flagged `phone_country_mismatch:<column>` for review.
    The first readable number is primary, the others `additionalPhones`; the same number twice is
    kept once. An unreadable cell is not sent (Twenty would normalise it into nonsense) and becomes
    `phone_unparseable:<column>` for review.
    """
    own = (country or "").strip().upper() or None
    region_code = region.value if isinstance(region, Region) else str(region).strip().upper()
    result = PhonesResult(None)
    phones: list[Phone] = []
    for column, text in cells:
        if clean(text) is None or clean(text).lower() in NULL_MARKERS:
            continue
        phone = parse_phone(text, own or region_code)
        if (phone is None or not phone.valid) and own and own != region_code:
            in_region = parse_phone(text, region_code)
            if in_region is not None and (phone is None or in_region.valid):
                phone = in_region
                result.reasons.append(f"phone_country_mismatch:{column}")
        if phone is None:
            result.reasons.append(f"phone_unparseable:{column}")
            continue
        if phone.extension:
            result.notes.append(f"phone_extension_dropped:{column}")
        if any(p.e164 == phone.e164 for p in phones):
            continue
        phones.append(phone)
    if phones:
        primary, *others = phones
        result.value = {
            "primaryPhoneNumber": primary.number,
            "primaryPhoneCountryCode": primary.country_code,
            "primaryPhoneCallingCode": primary.calling_code,
            "additionalPhones": [
                {"number": p.number, "countryCode": p.country_code, "callingCode": p.calling_code} for p in others
            ] or None,
        }
    return result


# -- emails ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EmailCheck:
    email: str | None  # lower-cased address when usable
    problem: str | None  # None | "missing" | "malformed"


def check_email(text: str | None) -> EmailCheck:
    """An email cell → a usable lower-case address, or why not.

    `n/a`, `none`, `-` and friends mean "no email" (missing), not a broken address; anything else
    that is not an address by the validation rule (`john.smith@`, `jsmith at gmail.com`) is
    malformed. Twenty lower-cases addresses itself; doing it here keeps the ownership rule (one
    primary per address) and the payload hash exact.
    """
    raw = clean(text)
    if raw is None or raw.lower() in EMAIL_NULLS:
        return EmailCheck(None, "missing")
    candidate = raw.removeprefix("mailto:").strip().strip("<>").rstrip(".").lower()
    if EMAIL.match(candidate):
        return EmailCheck(candidate, None)
    return EmailCheck(None, "malformed")


def placeholder_email(source_key: str, domain: str) -> str:
    """The opt-in placeholder for a person without email: unique per record, on a domain that cannot deliver."""
    local = re.sub(r"[^a-z0-9.\-]+", "-", source_key.lower()).strip("-.") or "record"
    return f"{local}@{domain}"


# -- addresses -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StateCheck:
    value: str | None
    status: str  # valid | repaired | invalid | empty


def _subdivision_name(region: Region, suffix: str) -> str:
    sub = pycountry.subdivisions.get(code=f"{region.value}-{suffix}")
    name = sub.name if sub else suffix
    return name.removeprefix("Greater ")


def _state_output(region: Region, suffix: str, raw: str | None) -> str:
    """AU and US addresses write the abbreviation (`NSW`, `CA`); NZ addresses name the region in words."""
    if region is Region.NZ:
        if raw and raw.strip().lower().rstrip(".") != suffix.lower():
            return raw.strip()
        return _subdivision_name(region, suffix)
    return suffix


def check_state(raw: str | None, region: Region | str) -> StateCheck:
    """A state cell, validated against the region's subdivisions (codes and names, as validation reads them).

    Valid spellings (`nsw`, `Vic.`, `Victoria`) give the canonical form. Spellings that are clearly
    one state (`N.S.W`, `Q'ld`, `Vict`, `Calif`, `Aukland`) are repaired — punctuation dropped, a
    unique prefix of a state name, or one close match to a state *name* — and flagged for review;
    anything else (`XX`, `Chch`, `NSWW`: a code plus a letter could be a typo of several) is kept as
    written and flagged invalid, never guessed. `compose_address` can still correct an AU state
    from the postcode.
    """
    text = clean(raw)
    reg = as_region(region)
    if text is None:
        return StateCheck(None, "empty")
    accepted = region_subdivisions(reg)
    folded = text.lower().rstrip(".")
    if folded in accepted:
        return StateCheck(_state_output(reg, accepted[folded], text), "valid")
    compact = re.sub(r"[^a-z]", "", folded)
    if compact in accepted:
        return StateCheck(_state_output(reg, accepted[compact], None), "repaired")
    names = {k: v for k, v in accepted.items() if len(k) > 3}
    if len(compact) >= 3:
        prefixed = {v for k, v in names.items() if re.sub(r"[^a-z]", "", k).startswith(compact)}
        if len(prefixed) == 1:
            return StateCheck(_state_output(reg, prefixed.pop(), None), "repaired")
        close = difflib.get_close_matches(folded, list(names), n=3, cutoff=0.85)
        suffixes = {accepted[c] for c in close}
        if len(suffixes) == 1:
            return StateCheck(_state_output(reg, suffixes.pop(), None), "repaired")
    return StateCheck(text, "invalid")


@dataclass(frozen=True)
class PostcodeCheck:
    value: str | None
    status: str  # valid | repaired | invalid | empty


def check_postcode(raw: str | None, region: Region | str) -> PostcodeCheck:
    """A domestic postcode, with the leading zero a spreadsheet ate put back (`800` → `0800`, `2134` → `02134`).

    AU and NZ postcodes are 4 digits, US ZIP codes 5 (optionally `-1234`). A number Excel turned into
    `800.0` is read as `800`. What is still not a postcode after that is kept as written and flagged.
    """
    text = clean(raw)
    reg = as_region(region)
    if text is None:
        return PostcodeCheck(None, "empty")
    value = re.sub(r"\s+", "", text)
    value = re.sub(r"^(\d+)\.0+$", r"\1", value)
    width = POSTCODE_DIGITS[reg]
    plus4 = ""
    if reg is Region.US:
        match = re.fullmatch(r"(\d{1,5})(-\d{4})?", value)
        if not match:
            return PostcodeCheck(text, "invalid")
        value, plus4 = match.group(1), match.group(2) or ""
    if not value.isdigit() or len(value) > width:
        return PostcodeCheck(text, "invalid")
    if len(value) < width:
        return PostcodeCheck(value.zfill(width) + plus4, "repaired")
    return PostcodeCheck(value + plus4, "valid")


AU_POSTCODE_STATES = (
    (200, 299, "ACT"), (800, 999, "NT"), (1000, 2599, "NSW"), (2600, 2618, "ACT"), (2619, 2899, "NSW"),
    (2900, 2920, "ACT"), (2921, 2999, "NSW"), (3000, 3999, "VIC"), (4000, 4999, "QLD"), (5000, 5999, "SA"),
    (6000, 6999, "WA"), (7000, 7999, "TAS"), (8000, 8999, "VIC"), (9000, 9999, "QLD"),
)
"""Australia Post's postcode ranges per state: an AU postcode names its state (border towns aside)."""


def au_state_for_postcode(postcode: str | None) -> str | None:
    """The state an AU postcode belongs to (`6230` → `WA`), None when it is not a 4-digit postcode."""
    if not postcode or not re.fullmatch(r"\d{4}", postcode):
        return None
    number = int(postcode)
    return next((state for low, high, state in AU_POSTCODE_STATES if low <= number <= high), None)


@dataclass
class AddressResult:
    value: dict | None
    reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    international: bool = False


def country_of(raw: str | None) -> str | None:
    """A country cell (`Australia`, `AU`, `aus`, `United Kingdom`) → ISO 3166 alpha-2, None if unknown."""
    text = clean(raw)
    if text is None:
        return None
    code = country_alpha2(text)
    if code is None and text.upper() in ("UK", "U.K.", "ENGLAND", "SCOTLAND", "WALES"):
        return "GB"
    if code is None and text.upper() in ("USA", "U.S.A.", "U.S."):
        return "US"
    return code


def compose_address(*, street1: str | None, street2: str | None, city: str | None, state: str | None,
                    postcode: str | None, country: str | None, region: Region | str,
                    column_prefix: str = "", suburb: str | None = None) -> AddressResult:
    """Address columns → Twenty ADDRESS, read by the rules of the address's own country.

    A row without a country is domestic (Core Practice leaves it empty for local patients). An address in a
    country of the region table (AU, NZ, US) has its state checked against that country's list and its postcode
    repaired to that country's width, whatever the export's region (an AU address in an NZ export keeps `0870`);
    one elsewhere keeps its state and postcode as written. A suburb is the locality where the country says so
    (AU: the city field) and a line above the town elsewhere (NZ: street line 2, the town or city stays the
    city). An address abroad is noted `international_address`. `column_prefix` names the columns in the reasons
    (`patient_`): review reasons say which field, never the value.
    """
    reg = as_region(region)
    parts = {k: clean(v) for k, v in (("street1", street1), ("street2", street2), ("city", city),
                                      ("state", state), ("postcode", postcode), ("country", country),
                                      ("suburb", suburb))}
    if not any(parts.values()):
        return AddressResult(None)
    result = AddressResult(None)
    code = country_of(parts["country"]) if parts["country"] else reg.value
    if parts["country"] and code is None:
        result.reasons.append(f"country_unrecognised:{column_prefix}country")
    domestic = code == reg.value or (code is None and parts["country"] is None)
    # an address is read by its own country's rules where the region table has them (an AU address in an NZ
    # export: AU states, 4-digit postcodes, suburb as locality), else as written
    own = reg if domestic else (Region(code) if code in REGION_FACTS else None)
    if parts["suburb"]:
        locality = REGION_FACTS[own or reg].suburb_is_locality
        if locality:
            parts["city"] = parts["suburb"]
        else:
            if parts["suburb"] != parts["city"]:
                parts["street2"] = ", ".join(p for p in (parts["street2"], parts["suburb"]) if p)
            parts["city"] = parts["city"] or parts["suburb"]
    state_value, postcode_value = parts["state"], parts["postcode"]
    if own is not None:
        postcode_check = check_postcode(parts["postcode"], own)
        postcode_value = postcode_check.value
        state_check = check_state(parts["state"], own)
        state_value = state_check.value
        status = state_check.status
        if status in ("repaired", "invalid") and own is Region.AU:
            # a state typed wrong but a postcode that names one: the postcode is the better witness
            from_postcode = au_state_for_postcode(postcode_value if postcode_check.status != "invalid" else None)
            if from_postcode and from_postcode != state_value:
                state_value, status = from_postcode, "from_postcode"
        if status in ("repaired", "invalid", "from_postcode"):
            result.reasons.append(f"state_{status}:{column_prefix}state")
        if postcode_check.status in ("repaired", "invalid"):
            result.reasons.append(f"postcode_{postcode_check.status}:{column_prefix}postcode")
    if not domestic and code is not None:
        result.international = True
        result.notes.append("international_address")
    result.value = {
        "addressStreet1": parts["street1"],
        "addressStreet2": parts["street2"],
        "addressCity": parts["city"],
        "addressState": state_value,
        "addressPostcode": postcode_value,
        "addressCountry": code,
    }
    return result


# -- money -----------------------------------------------------------------------------------------


def region_currency(region: Region | str) -> str:
    """The currency a region's exports are in when a row does not say (AUD, NZD, USD)."""
    return REGION_FACTS[as_region(region)].currency


def currency_code(cell: str | None, region: Region | str) -> str:
    """A currency cell (`aud`, `NZD`) → ISO 4217; empty or unknown → the region's currency."""
    text = clean(cell)
    if text and pycountry.currencies.get(alpha_3=text.upper()):
        return text.upper()
    return region_currency(region)


def to_micros(amount: float | Decimal | str | int) -> int:
    """An amount → Twenty's amountMicros (× 1 000 000), exact: `1234.5` → 1234500000 (no float drift)."""
    value = Decimal(str(amount)) * MICROS
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def parse_amount(text: str | None) -> Decimal | None:
    """A money cell (`1,234.50`, `$80`, `(12.00)`) → Decimal, by the rule of `values.parse_money`."""
    number = parse_money(clean(text))
    if number is None:
        return None
    try:
        return Decimal(str(number))
    except InvalidOperation:  # pragma: no cover - parse_money only returns finite floats
        return None


# -- dates -----------------------------------------------------------------------------------------


def iso_date(text: str | None, region: Region | str, reference: date | None = None,
             past: bool = False) -> str | None:
    """A date cell in the region's order, ISO or an Excel serial → `YYYY-MM-DD` (Twenty DATE).

    `reference` and `past` say how a two-digit year is read (`MappingOptions.date_reading`)."""
    parsed = parse_datetime(clean(text), DATE_ORDER[as_region(region)], reference, past)
    return parsed.date().isoformat() if parsed else None




def practice_timezone(region: Region | str, state: str | None = None) -> ZoneInfo:
    """The time zone a practice's appointment book is kept in, from its region and state.

    Core Practice writes local wall-clock times without an offset; Twenty stores instants. Sending
    `09:00` without a zone would put a Perth appointment three hours off, so the practice's state
    decides (AU and US span several zones; NZ has one). Unknown state → the region's main zone.
    """
    reg = as_region(region)
    check = check_state(state, reg) if state else StateCheck(None, "empty")
    code = check.value if check.status in ("valid", "repaired") else None
    facts = REGION_FACTS[reg]
    return ZoneInfo(facts.state_timezones.get(code or "", facts.timezone))


def iso_datetime(text: str | None, region: Region | str, tz: tzinfo | None = None, reference: date | None = None,
                 past: bool = False) -> str | None:
    """A date-time cell (local wall-clock time) → ISO 8601 in UTC (`2025-03-04T22:30:00Z`) for DATE_TIME.

    Without `tz` the value is read in the region's main zone. A cell with a date only is midnight local.
    """
    reg = as_region(region)
    parsed = parse_datetime(clean(text), DATE_ORDER[reg], reference, past)
    if parsed is None:
        return None
    local = parsed.replace(tzinfo=tz or ZoneInfo(REGION_FACTS[reg].timezone))
    return local.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def local_iso_datetime(text: str | None, region: Region | str, reference: date | None = None,
                       past: bool = False) -> str | None:
    """A date-time cell → ISO local time without an offset, for RAW_JSON summaries read by people."""
    parsed = parse_datetime(clean(text), DATE_ORDER[as_region(region)], reference, past)
    return parsed.isoformat(timespec="minutes") if parsed else None


def boolean(text: str | None) -> bool | None:
    return parse_bool(clean(text))


# -- status and enum maps --------------------------------------------------------------------------


def canonical(source_object: str, column: str, raw: str | None) -> str | None:
    """A value-set cell in any accepted spelling (`FTA`, `no show`) → its canonical value (`No-Show`)."""
    text = clean(raw)
    if text is None:
        return None
    return EXPORT_SPEC[source_object].column(column).canonical_value(text)


# -- rich text -------------------------------------------------------------------------------------


_MD_ESCAPE = re.compile(r"([\\`*_\[\]<>|])")
_MD_LINE_START = re.compile(r"^(\s*)([#>+\-])(\s|$)")
_MD_ORDERED = re.compile(r"^(\s*\d+)([.)])(\s|$)")


def plain_text_markdown(text: str | None) -> str | None:
    """Plain text (a clinical note) → markdown that renders as the same text in Twenty's RICH_TEXT_V2.

    Characters markdown would read as formatting are escaped, and every line of the original
    becomes its own paragraph, so the clinician's line breaks survive Twenty's markdown → blocks
    conversion. The words are not changed.
    """
    if text is None:
        return None
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out = []
    for line in lines:
        escaped = _MD_ESCAPE.sub(r"\\\1", line.rstrip())
        escaped = _MD_LINE_START.sub(r"\1\\\2\3", escaped)
        escaped = _MD_ORDERED.sub(r"\1\\\2\3", escaped)
        out.append(escaped)
    paragraphs = [line for line in out if line.strip()]
    return "\n\n".join(paragraphs) if paragraphs else None

