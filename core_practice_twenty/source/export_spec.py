"""The Core Practice export spec: the one table of truth for files, columns, types and aliases.

Readers, pandera schemas, the sample generator and the docs all derive from `EXPORT_SPEC`; nothing
else in the code base may restate a column list. Issue 4 grows it to all 13 objects; the shape here
is already the final one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum


class ColumnType(StrEnum):
    """How a source column is read; landing keeps the raw text, validation checks the type."""

    TEXT = "text"
    ID = "id"
    INTEGER = "integer"
    DATE = "date"
    DATETIME = "datetime"
    BOOLEAN = "boolean"
    MONEY = "money"
    EMAIL = "email"
    PHONE = "phone"
    URL = "url"
    POSTCODE = "postcode"
    COUNTRY = "country"
    STATE = "state"


@dataclass(frozen=True)
class ColumnSpec:
    """One canonical column; `aliases` are the header spellings real exports use."""

    name: str
    type: ColumnType = ColumnType.TEXT
    nullable: bool = True
    aliases: tuple[str, ...] = ()
    values: tuple[str, ...] | None = None
    description: str = ""


@dataclass(frozen=True)
class ObjectSpec:
    """One export file (one Core Practice object)."""

    name: str
    key: tuple[str, ...]
    columns: tuple[ColumnSpec, ...]
    description: str = ""
    file_stems: tuple[str, ...] = field(default=())

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> ColumnSpec:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def stems(self) -> tuple[str, ...]:
        """File names (without extension) this object may be exported as."""
        return self.file_stems or (self.name,)


def normalise_header(header: str) -> str:
    """Fold a header spelling to a comparable form: `First Name`, `first-name`, `FIRST_NAME` → `first_name`."""
    text = header.strip().lstrip("\ufeff").strip().lower()
    text = re.sub(r"[^a-z0-9]+", "_", text)
    return text.strip("_")


def _c(name: str, type_: ColumnType = ColumnType.TEXT, *aliases: str, nullable: bool = True,
       values: tuple[str, ...] | None = None, description: str = "") -> ColumnSpec:
    return ColumnSpec(name=name, type=type_, nullable=nullable, aliases=tuple(aliases), values=values,
                      description=description)


T = ColumnType

PRACTICES = ObjectSpec(
    name="practices",
    key=("practice_id",),
    description="A practice location. One company in Twenty per location.",
    file_stems=("practices", "practice_locations", "locations"),
    columns=(
        _c("practice_id", T.ID, "Practice ID", "PracticeID", "Location ID", "location_id", "Clinic ID",
           nullable=False, description="Core Practice's id of the location; the upsert key in Twenty."),
        _c("practice_name", T.TEXT, "Practice Name", "Practice", "Location Name", "Clinic Name", "Name",
           nullable=False),
        _c("group_name", T.TEXT, "Group Name", "Group", "Practice Group", "Organisation", "Organization"),
        _c("address_line1", T.TEXT, "Address Line 1", "Address1", "Address", "Street", "Street Address"),
        _c("address_line2", T.TEXT, "Address Line 2", "Address2", "Suite"),
        _c("city", T.TEXT, "City", "Suburb", "Town", "Suburb/Town"),
        _c("state", T.STATE, "State", "State/Territory", "Region", "Province"),
        _c("postcode", T.POSTCODE, "Postcode", "Post Code", "Postal Code", "Zip", "Zip Code"),
        _c("country", T.COUNTRY, "Country", "Country Code"),
        _c("phone", T.PHONE, "Phone", "Phone Number", "Telephone", "Ph"),
        _c("email", T.EMAIL, "Email", "E-mail", "Email Address"),
        _c("website", T.URL, "Website", "Web", "URL", "Web Site"),
        _c("created_at", T.DATETIME, "Created", "Created At", "Date Created"),
        _c("updated_at", T.DATETIME, "Updated", "Updated At", "Last Modified", "Modified"),
    ),
)

EXPORT_SPEC: dict[str, ObjectSpec] = {spec.name: spec for spec in (PRACTICES,)}
"""Every object the pipeline lands, by name. Issue 4 adds the other twelve."""

NULL_MARKERS: frozenset[str] = frozenset({"", "n/a", "-"})
"""Cell values that mean "no value" in Core Practice reports (compared case-insensitively, trimmed)."""
