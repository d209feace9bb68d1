"""The region table: what a practice's country decides about its export and its records, one row per region.

Readers (date order), validation (postcode digits), transforms (currency, time zones, calling code), the
generator (which writes exports the way a region does) and the CLI (choices and default) all read this table;
states and their codes come from ISO 3166-2 through pycountry (`source/values.region_subdivisions`), calling codes
and phone plans from phonenumbers: what a well-kept library knows is not restated here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Region(StrEnum):
    AU = "AU"
    NZ = "NZ"
    US = "US"


class DateOrder(StrEnum):
    DMY = "DMY"
    MDY = "MDY"


@dataclass(frozen=True)
class CodeSystem:
    """How a region's practices number procedures: a prefix and a fixed count of digits.

    A spreadsheet saves a code as a number (`022` → 22, `D0120` → 120) and front offices leave the prefix off
    (`1110`); the code can be restored when digits alone fit it (`values.procedure_code`)."""

    name: str
    prefix: str
    digits: int
    lowest: int
    """The lowest code in use: fewer digits than that are not a code that lost its zeros."""


ADA_ITEM_NUMBERS = CodeSystem("ADA item number", "", 3, 11)
CDT_CODES = CodeSystem("CDT code", "D", 4, 100)


@dataclass(frozen=True)
class RegionFacts:
    region: Region
    country: str
    """Country name as the region's exports write it (and Twenty's address country)."""
    date_order: DateOrder
    """How an ambiguous date like 03/04/2025 is read."""
    postcode_digits: int
    """Digits of a postcode: a shorter number lost its leading zeros (0870 saved by Excel as 870)."""
    currency: str
    """ISO 4217 code of amounts when a row does not say."""
    timezone: str
    """The region's main IANA zone: appointment times of a practice whose state names no other."""
    state_timezones: dict[str, str] = field(default_factory=dict)
    """State code → IANA zone, where the region spans several zones."""
    procedure_codes: CodeSystem = ADA_ITEM_NUMBERS
    """The coding system of procedure codes (Australian Dental Association items in AU and NZ, CDT in the US)."""
    suburb_is_locality: bool = False
    """True where an address's suburb is its locality (AU: `Karingal VIC 3199`); elsewhere the suburb is a line
    above the town or city (NZ: `Karori`, then `Wellington 6012`)."""


_US_ZONE_STATES = {
    "America/New_York": "CT DE DC FL GA IN KY ME MD MA MI NH NJ NY NC OH PA RI SC VT VA WV",
    "America/Chicago": "AL AR IL IA KS LA MN MS MO NE ND OK SD TN TX WI",
    "America/Denver": "CO MT NM UT WY ID",
    "America/Phoenix": "AZ",
    "America/Los_Angeles": "CA NV OR WA",
    "America/Anchorage": "AK",
    "Pacific/Honolulu": "HI",
}

REGION_FACTS: dict[Region, RegionFacts] = {
    Region.AU: RegionFacts(
        Region.AU, "Australia", DateOrder.DMY, 4, "AUD", "Australia/Sydney",
        {"NSW": "Australia/Sydney", "ACT": "Australia/Sydney", "VIC": "Australia/Melbourne", "TAS": "Australia/Hobart",
         "QLD": "Australia/Brisbane", "SA": "Australia/Adelaide", "NT": "Australia/Darwin", "WA": "Australia/Perth"},
        suburb_is_locality=True),
    Region.NZ: RegionFacts(Region.NZ, "New Zealand", DateOrder.DMY, 4, "NZD", "Pacific/Auckland"),
    Region.US: RegionFacts(
        Region.US, "United States", DateOrder.MDY, 5, "USD", "America/New_York",
        {state: zone for zone, states in _US_ZONE_STATES.items() for state in states.split()}, CDT_CODES),
}

DEFAULT_REGION = Region.AU
"""Core Practice is sold in Australia first: the region when neither a person nor the export says otherwise."""

REGION_CODES: tuple[str, ...] = tuple(region.value for region in Region)
