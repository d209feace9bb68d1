"""What a confirmed field map tells the transforms: the choices a person made, in one small value.

The map file (data/mapping/*.yaml) is the person-facing form; `MappingOptions` is what the mapping
functions read, so they stay pure and testable without a map file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from core_practice_twenty.model.regions import DEFAULT_REGION
from core_practice_twenty.source.export_spec import PAST_ONLY


@dataclass(frozen=True)
class ExtraColumnTarget:
    """A column the default map does not know (e.g. a practice's own), sent to a Twenty field as text."""

    source_object: str
    source_column: str  # the header as written in the export (raw tables keep it in `extra`)
    twenty_object: str  # plural API name, e.g. "people"
    twenty_field: str


@dataclass(frozen=True)
class MappingOptions:
    excluded: frozenset[tuple[str, str]] = frozenset()
    """(source object, canonical column) pairs a person excluded: never sent to Twenty."""
    extra_columns: tuple[ExtraColumnTarget, ...] = ()
    email_placeholder: bool = False
    """Give patients without an email a generated placeholder address (off by default: null + needsReview)."""
    placeholder_domain: str = "no-email.invalid"
    include_clinical_notes: bool = True
    include_fund_numbers: bool = False
    """Health fund member numbers and Medicare numbers are sensitive: kept out unless a person opts in."""
    fallback_owner_email: str | None = None
    """Workspace member who owns a doctor's tasks when the doctor has no matching member."""
    region: str = DEFAULT_REGION.value
    export_date: date | None = None
    """The day the export was taken (the wave's registration): what a two-digit year is read against."""
    extra: dict = field(default_factory=dict)

    def date_reading(self, column: str) -> dict:
        """How a date cell of `column` is read (`values.parse_datetime`): against the export date, and as
        something that has happened when the column records one (`PAST_ONLY`: a birth, a payment) — as
        validation read it."""
        return {"reference": self.export_date or date.today(), "past": column in PAST_ONLY}

    def includes(self, source_object: str, column: str) -> bool:
        return (source_object, column) not in self.excluded
