"""What a confirmed field map tells the transforms: the choices a person made, in one small value.

The map file (data/mapping/*.yaml) is the person-facing form; `MappingOptions` is what the mapping
functions read, so they stay pure and testable without a map file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core_practice_twenty.model.regions import DEFAULT_REGION


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
    export_date: str | None = None  # ISO date of the export, for "open" and "overdue" decisions
    extra: dict = field(default_factory=dict)

    def includes(self, source_object: str, column: str) -> bool:
        return (source_object, column) not in self.excluded
