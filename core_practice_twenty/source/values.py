"""Reading typed values out of export text, the way the export's region writes them.

Landing keeps every cell as text; validation and mapping read it through these functions, so there
is one definition of what a date, an amount or a state means. Vectorised forms (over a pandas Series)
exist for the row rules, which run on millions of cells.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from datetime import date, datetime, timedelta

import pandas as pd
import pycountry

from core_practice_twenty.model.regions import REGION_FACTS, CodeSystem, DateOrder, Region  # noqa: F401 - re-exported
from core_practice_twenty.source.export_spec import FALSE_VALUES, TRUE_VALUES

DATE_ORDER = {region: facts.date_order for region, facts in REGION_FACTS.items()}
"""How a region writes an ambiguous date like 03/04/2025 (the region table, model/regions.py)."""

POSTCODE_DIGITS = {region: facts.postcode_digits for region, facts in REGION_FACTS.items()}
EXCEL_EPOCH = date(1899, 12, 30)
EXCEL_SERIAL = re.compile(r"^\d{5}(\.\d+)?$")
MONEY = re.compile(r"^-?\(?\$?-?\d{1,3}(,?\d{3})*(\.\d+)?\)?$")
INTEGER = re.compile(r"^-?\d+$")
EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[A-Za-z]{2,}$")


def _slashed_formats(order: DateOrder) -> list[str]:
    day_first = order is DateOrder.DMY
    base = ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y"] if day_first else ["%m/%d/%Y", "%m-%d-%Y", "%m/%d/%y"]
    return base


def slashed_date_formats(order: DateOrder) -> list[str]:
    """The region's slashed date formats (no time part), in the order `parse_datetime` tries them."""
    return _slashed_formats(order)


ISO_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M",
               "%Y/%m/%d"]
TIME_SUFFIXES = ["", " %H:%M", " %H:%M:%S", " %I:%M %p", " %I:%M:%S %p", " %I:%M%p"]


TWO_DIGIT_YEAR = re.compile(r"^(\s*\d{1,2}[/.\-]\d{1,2}[/.\-])(\d{2})(\s.*)?$")
"""A slashed date whose year has two digits (`6/19/52`); groups: what precedes the year, the year, a time part."""
WINDOW_BEFORE = 80
"""Two-digit years of dates that may lie ahead (appointments, recalls) fall within the 100 years from this many
years before the export date: a practice's records reach decades back, its bookings a few years ahead."""


def four_digit_year(two_digits: int, reference: date, past: bool) -> int:
    """The year a two-digit year most likely means: for something that has happened (`past`), the latest year
    ending in those digits that is not after `reference`'s year (the day is checked by the caller); otherwise
    the one within the window around it. One rule, stated once: `sql_values.parse_datetime_sql` compiles it."""
    if past:
        return reference.year - (reference.year - two_digits) % 100
    start = reference.year - WINDOW_BEFORE
    return start + (two_digits - start) % 100


@functools.lru_cache(maxsize=1 << 16)
def parse_datetime(text: str | None, order: DateOrder, reference: date | None = None,
                   past: bool = False) -> datetime | None:
    """ISO, the region's slashed order (with or without a time), or an Excel serial; None if none fits.

    A two-digit year is read by meaning when `reference` (the export date) is given: a date of something that
    has happened (`past`: a birth, a payment) in the latest century that puts it on or before `reference`,
    any other date within the window around it (`four_digit_year`). Without `reference`, Python's pivot reads
    it (`52` is 2052): only for guessing a column's format, never for a value that is sent.

    Cached: an export repeats its dates (a day's appointments, a patient's visits) and each miss tries up to a
    dozen formats, each failing with an exception."""
    if text is None:
        return None
    value = text.strip()
    if not value:
        return None
    if reference is not None and (two := TWO_DIGIT_YEAR.match(value)):
        head, digits, tail = two.group(1), int(two.group(2)), two.group(3) or ""
        year = four_digit_year(digits, reference, past)
        parsed = parse_datetime(f"{head}{year}{tail}", order)
        if past and parsed is not None and parsed.date() > reference:
            parsed = parse_datetime(f"{head}{year - 100}{tail}", order)
        return parsed
    if EXCEL_SERIAL.match(value):
        serial = float(value)
        if 1 <= serial < 80_000:
            return datetime.combine(EXCEL_EPOCH, datetime.min.time()) + timedelta(days=serial)
        return None
    likely = _likely_formats(value, order)
    if likely is not None:  # the formats the text's shape allows: a failed strptime costs an exception each
        parsed = _first_fit(value, likely)
        if parsed is not None:
            return parsed
    return _first_fit(value, [*ISO_FORMATS, *(b + s for b in _slashed_formats(order) for s in TIME_SUFFIXES)])


_SHAPE = re.compile(r"^\d{1,2}([/.\-])\d{1,2}\1(\d+)(.*)$")
_MERIDIEM = re.compile(r"[AaPp]\.?[Mm]")


def _first_fit(value: str, formats: list[str]) -> datetime | None:
    for fmt in formats:
        try:
            return datetime.strptime(value.upper() if fmt.endswith("%p") else value, fmt)
        except ValueError:
            continue
    return None


@functools.lru_cache(maxsize=256)
def _shaped_formats(order: DateOrder, separator: str, year_digits: int, colons: int, meridiem: bool,
                    timed: bool) -> list[str]:
    bases = [b for b in _slashed_formats(order) if b[2] == separator and b.endswith("%Y" if year_digits == 4 else "%y")]
    suffixes = [s for s in TIME_SUFFIXES if (s.count(":") == colons and s.endswith("%p") == meridiem) or not timed
                and s == ""]
    return [b + s for b in bases for s in suffixes]


def _likely_formats(value: str, order: DateOrder) -> list[str] | None:
    """The formats `parse_datetime` could match given the text's shape (ISO start, or separator, year digits and
    time part); None when the shape says nothing (then every format is tried, as before)."""
    if value[:4].isdigit() and value[4:5] in ("-", "/"):
        return ISO_FORMATS
    shape = _SHAPE.match(value)
    if shape is None or len(shape.group(2)) not in (2, 4):
        return None
    rest = shape.group(3)
    return _shaped_formats(order, shape.group(1), len(shape.group(2)), rest.count(":"),
                           bool(_MERIDIEM.search(rest)), bool(rest.strip()))


def parse_date(text: str | None, order: DateOrder) -> date | None:
    parsed = parse_datetime(text, order)
    return parsed.date() if parsed else None


def is_ambiguous_date(text: str | None) -> bool:
    """True for a slashed date whose day and month could swap (03/04/2025): the region decides it."""
    if not text:
        return False
    match = re.match(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-]\d{2,4}", text)
    return bool(match) and int(match.group(1)) <= 12 and int(match.group(2)) <= 12 and match.group(1) != match.group(2)


def detect_date_order(samples: list[str]) -> DateOrder | None:
    """The order a column's slashed dates must be in, if any sample proves it (a day above 12)."""
    day_first = month_first = False
    for text in samples:
        match = re.match(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-]\d{2,4}", text or "")
        if not match:
            continue
        first, second = int(match.group(1)), int(match.group(2))
        day_first |= first > 12 >= second
        month_first |= second > 12 >= first
    if day_first and not month_first:
        return DateOrder.DMY
    if month_first and not day_first:
        return DateOrder.MDY
    return None


CODE_SEPARATOR = re.compile(r"\s*[;,]\s*")
"""Between the codes of one cell (`011;114`, `D0120, D1110`)."""


def procedure_code(token: str, system: CodeSystem) -> str | None:
    """A code as written → the code in `system` (`1110` → `D1110`, 120 → `D0120`, 22 → `022`), or None when it
    cannot be restored unambiguously (`D120`, `7`, `Exam`): never a guess; validation flags those lines."""
    whole, digits = code_patterns(system)
    text = token.strip().upper()
    if re.fullmatch(whole, text):
        return text
    if re.fullmatch(digits, text) and int(text) >= system.lowest:
        return system.prefix + text.zfill(system.digits)
    return None


def code_patterns(system: CodeSystem) -> tuple[str, str]:
    """(a whole code, digits that may have lost the prefix and zeros): what `procedure_code` and the
    validation rule that flags the codes it cannot restore both read."""
    return rf"{re.escape(system.prefix)}\d{{{system.digits}}}", rf"\d{{1,{system.digits}}}"


def parse_money(text: str | None) -> float | None:
    """`1,234.50`, `$80`, `(12.00)` (a negative in accounting style) → float."""
    if text is None:
        return None
    value = text.strip().replace(" ", "")
    if not value or not MONEY.match(value):
        return None
    negative = value.startswith("(") or value.startswith("-") or "$-" in value
    number = float(re.sub(r"[^\d.]", "", value))
    return -number if negative else number


def parse_bool(text: str | None) -> bool | None:
    if text is None:
        return None
    folded = text.strip().lower()
    if folded in TRUE_VALUES:
        return True
    if folded in FALSE_VALUES:
        return False
    return None


NZ_REGIONS_BEFORE_2019 = {"manawatu-wanganui": "MWT", "manawatu wanganui": "MWT", "hawkes bay": "HKB",
                          "chatham islands": "CIT"}
"""NZ region names as ISO 3166-2 and the councils wrote them before the 2019 renaming (older records keep them)."""


def _without_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


USPS_MILITARY_STATES = {"AA": "Armed Forces Americas", "AE": "Armed Forces Europe", "AP": "Armed Forces Pacific"}
"""State codes of US military mail (APO/FPO/DPO): valid on a US address although no subdivision has them."""


def region_subdivisions(region: Region) -> dict[str, str]:
    """Accepted spellings of the region's states/territories (code and name, folded) → ISO code suffix."""
    accepted: dict[str, str] = {}
    for sub in pycountry.subdivisions.get(country_code=region.value):
        suffix = sub.code.split("-", 1)[1]
        accepted[suffix.lower()] = suffix
        accepted[sub.name.lower()] = suffix
        accepted[_without_accents(sub.name.lower())] = suffix  # Manawatu-Whanganui typed without its macron
    if region is Region.NZ:  # NZ addresses name the region without "Greater", or write the island city
        accepted.update({"wellington": "WGN", "auckland": "AUK"})
        accepted.update(NZ_REGIONS_BEFORE_2019)
    if region is Region.US:  # the USPS's military "states" of APO/FPO/DPO addresses (not ISO 3166-2 subdivisions)
        accepted.update({code.lower(): code for code in USPS_MILITARY_STATES})
        accepted.update({name.lower(): code for code, name in USPS_MILITARY_STATES.items()})
    return accepted


def postcode_lost_zero(text: str | None, region: Region) -> bool:
    """A postcode one or more digits short whose padding with zeros makes a valid one (800 → 0800)."""
    if not text:
        return False
    value = text.strip()
    width = POSTCODE_DIGITS[region]
    return value.isdigit() and 0 < len(value) < width


def country_alpha2(text: str | None) -> str | None:
    if not text:
        return None
    try:
        return pycountry.countries.lookup(text.strip()).alpha_2
    except LookupError:
        return None


# -- vectorised forms for the row rules ----------------------------------------------------------


def parse_datetime_series(values: pd.Series, order: DateOrder) -> pd.Series:
    """Vectorised `parse_datetime`: NaT where a present value does not parse."""
    text = values.astype("str").str.strip()
    result = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    pending = values.notna()
    serial = pending & text.str.fullmatch(EXCEL_SERIAL.pattern)
    if serial.any():
        numbers = pd.to_numeric(text[serial], errors="coerce")
        ok = (numbers >= 1) & (numbers < 80_000)
        result.loc[numbers[ok].index] = pd.Timestamp(EXCEL_EPOCH) + pd.to_timedelta(numbers[ok], unit="D")
        pending &= ~serial
    formats = ISO_FORMATS + [b + s for b in _slashed_formats(order) for s in TIME_SUFFIXES]
    for fmt in formats:
        if not pending.any():
            break
        candidate = text[pending]
        if fmt.endswith("%p"):
            candidate = candidate.str.upper()
        parsed = pd.to_datetime(candidate, format=fmt, errors="coerce")
        hit = parsed.notna()
        if hit.any():
            result.loc[parsed[hit].index] = parsed[hit]
            pending.loc[parsed[hit].index] = False
    return result
