"""Identifiers that must never reach a CRM by default: per country, the headers they go by and a value check.

A column of the practice's own whose header names one, or whose filled cells mostly pass one's check, is proposed
as excluded (mapping/proposer.py): a US "Social Security #" column, or SSNs under a header like "Other ID", stays
out even when a hurried person confirms with --accept-all. The checks look at shape and, where the number has one,
its check digit (TFN, Medicare, NHI, IRD), so a phone number or an invoice number rarely passes by chance.
Values are only ever tested here, never kept, logged or shown.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass


def _digits(value: str) -> str:
    return re.sub(r"[\s\-]", "", value)


def us_ssn(value: str) -> bool:
    """US Social Security / ITIN number: ddd-dd-dddd or nine digits; area not 000 or 666, group and serial not 0."""
    found = re.fullmatch(r"(\d{3})-?(\d{2})-?(\d{4})", value.strip())
    if not found:
        return False
    area, group, serial = found.groups()
    return area not in ("000", "666") and group != "00" and serial != "0000"


def au_tfn(value: str) -> bool:
    """Australian tax file number: nine digits (eight for old ones) whose weighted sum is a multiple of 11."""
    digits = _digits(value)
    weights = {9: (1, 4, 3, 7, 5, 8, 6, 9, 10), 8: (10, 7, 8, 4, 6, 3, 5, 1)}.get(len(digits))
    if not digits.isdigit() or weights is None:
        return False
    return sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11 == 0


def au_medicare(value: str) -> bool:
    """Medicare card number: ten digits (eleven with the person's number), first 2-6, check digit the ninth."""
    digits = _digits(value)
    if not digits.isdigit() or len(digits) not in (10, 11) or digits[0] not in "23456":
        return False
    total = sum(int(d) * w for d, w in zip(digits[:8], (1, 3, 7, 9, 1, 3, 7, 9), strict=True))
    return total % 10 == int(digits[8])


def nz_nhi(value: str) -> bool:
    """New Zealand National Health Index number, the AAANNNN form: three letters (no I or O), four digits, mod 11."""
    text = value.strip().upper()
    if not re.fullmatch(r"[A-HJ-NP-Z]{3}\d{4}", text):
        return False
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # A=1 … Z=24, without I and O
    numbers = [letters.index(c) + 1 for c in text[:3]] + [int(c) for c in text[3:6]]
    remainder = sum(n * w for n, w in zip(numbers, (7, 6, 5, 4, 3, 2), strict=True)) % 11
    check = 11 - remainder
    return remainder != 0 and check % 10 == int(text[6])


def nz_ird(value: str) -> bool:
    """New Zealand IRD number: eight or nine digits in 10,000,000-150,000,000, mod-11 check with two weight sets."""
    digits = _digits(value)
    if not digits.isdigit() or len(digits) not in (8, 9) or not 10_000_000 <= int(digits) <= 150_000_000:
        return False
    base, check = digits.zfill(9)[:8], int(digits[-1])
    for weights in ((3, 2, 7, 6, 5, 4, 3, 2), (7, 4, 3, 2, 5, 2, 7, 6)):
        remainder = sum(int(d) * w for d, w in zip(base, weights, strict=True)) % 11
        expected = 0 if remainder == 0 else 11 - remainder
        if expected != 10:
            return expected == check
    return False


@dataclass(frozen=True)
class Identifier:
    name: str
    regions: tuple[str, ...]
    headers: tuple[str, ...]
    """Header phrases (lower case, words separated by spaces) that name it."""
    check: Callable[[str], bool] | None = None
    token: str | None = None
    """How one is written inside free text (a regular expression in the subset Python and DuckDB's RE2 share),
    tried with `check` on every match: a practice's "Notes 2" column or a note that quotes a number."""


SENSITIVE_IDENTIFIERS: tuple[Identifier, ...] = (
    Identifier("US Social Security number", ("US",), ("ssn", "social security", "soc sec", "ss no", "ss number",
                                                       "itin", "taxpayer id"), us_ssn, r"\d{3}-?\d{2}-?\d{4}"),
    Identifier("insurance subscriber or member id", ("US", "AU", "NZ"),
               ("subscriber id", "subscriber no", "subscriber number", "member id", "member no", "member number",
                "policy number", "policy no", "group number")),
    Identifier("AU tax file number", ("AU",), ("tfn", "tax file"), au_tfn, r"\d{3} ?\d{3} ?\d{2,3}"),
    Identifier("AU Medicare number", ("AU",), ("medicare",), au_medicare, r"[2-6]\d{3} ?\d{5} ?\d{1,2}"),
    Identifier("AU DVA number", ("AU",), ("dva", "veterans affairs")),
    Identifier("AU Individual Healthcare Identifier", ("AU",), ("ihi", "healthcare identifier")),
    Identifier("NZ National Health Index number", ("NZ",), ("nhi", "national health index"), nz_nhi,
               r"[A-HJ-NP-Za-hj-np-z]{3}\d{4}"),
    Identifier("NZ IRD number", ("NZ",), ("ird", "inland revenue"), nz_ird, r"\d{2,3}-?\d{3}-?\d{3}"),
    Identifier("driver's licence number", ("US", "AU", "NZ"), ("driver", "drivers", "driving licence",
                                                              "driving license", "dl number")),
    Identifier("passport number", ("US", "AU", "NZ"), ("passport",)),
)
"""Every country's identifiers are checked in every export: a practice near a border, or a patient from abroad,
brings another country's numbers."""

MOSTLY = 0.6
"""Share of a column's filled sampled cells that must pass an identifier's check for the column to count as one."""


def identifier_named(header_words: list[str]) -> Identifier | None:
    """The identifier a header names (its words, lower case, in order), if any."""
    text = f" {' '.join(header_words)} "
    return next((i for i in SENSITIVE_IDENTIFIERS if any(f" {h} " in text for h in i.headers)), None)


def identifier_in_values(values: list[str]) -> Identifier | None:
    """The identifier most of a column's filled cells are (by check digit or shape), if any."""
    filled = [v for v in values if v and v.strip()]
    if len(filled) < 3:
        return None
    for identifier in SENSITIVE_IDENTIFIERS:
        if identifier.check and sum(identifier.check(v) for v in filled) >= MOSTLY * len(filled):
            return identifier
    return None


def _bounded(pattern: str) -> str:
    return rf"\b(?:{pattern})\b"


TEXT_CANDIDATE = "|".join(_bounded(i.token) for i in SENSITIVE_IDENTIFIERS if i.token)
"""Any identifier's written form inside text: the prefilter DuckDB runs over every free-text cell, so only the
few rows with a candidate come back to be checked (`identifiers_in_text`)."""


def identifiers_in_text(text: str) -> list[Identifier]:
    """The identifiers written somewhere in `text` that pass their check (shape and check digit), in table order."""
    found = []
    for identifier in SENSITIVE_IDENTIFIERS:
        if identifier.token and identifier.check and any(
                identifier.check(match.group(0)) for match in re.finditer(_bounded(identifier.token), text)):
            found.append(identifier)
    return found
