"""The field map's model: entries, objects, options, confirmation; where the map and the reports live."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core_practice_twenty.model.regions import DEFAULT_REGION

MAP_VERSION = 1
STATUSES = ("proposed", "confirmed")
DECISION_THRESHOLD = 0.8
"""A choice below this confidence is marked needs_decision: a person looks at it before confirming."""
FUND_NUMBER_COLUMNS = (("patients", "health_fund_member_no"), ("patients", "medicare_no"))
CLINICAL_NOTE_BODY = ("clinical_notes", "body")


class FieldMapError(Exception):
    """The map file cannot be read (missing, not YAML, wrong shape); the message says what to do."""


class ConfirmRefused(Exception):
    """`confirm` would not lock the map; `problems` lists every reason, one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems




@dataclass
class ColumnEntry:
    """One column of one export file and where it goes.

    `header` is the column's header as written in the export (None: a canonical column this export
    lacks); `column` the canonical name(s) it was recognised as (empty for a practice's own column;
    two for a `Last, First` column). `profile` holds shares and counts only, never a value.
    """

    header: str | None
    column: tuple[str, ...]
    targets: tuple[str, ...]
    transform: str
    confidence: float
    reason: str
    needs_decision: bool = False
    profile: dict[str, Any] = field(default_factory=dict)
    identifier: str | None = None
    """The kind of identifier the column holds (model/identifiers.py), found by the proposer by header or value."""
    identifier_opt_in: dict[str, str] | None = None
    """`{column: <the header>, by: <a person>}`: who decided that this identifier goes to Twenty all the same."""
    alternatives: tuple[str, ...] = ()
    """The next-best canonical columns the proposer weighed for this header (`name 80%, values 95%`), best first:
    what a person looks at when the choice is wrong."""
    values: dict[str, dict[str, str | None]] | None = None
    """A status entry's own value map, per target: `{tasks.appointmentStatus: {No-Show: CANCELLED}}` sends a
    No-Show as CANCELLED there; values not named keep the entry's status map (null: nothing is sent)."""

    @property
    def label(self) -> str:
        """How a person finds the entry: the header, or the canonical name when the export lacks it."""
        return repr(self.header) if self.header is not None else f"({'+'.join(self.column)}: not in export)"

    @property
    def excluded(self) -> bool:
        return self.transform == "excluded"


@dataclass
class ObjectMap:
    """The entries of one source object (one export file)."""

    file: str | None
    columns: list[ColumnEntry] = field(default_factory=list)

    @property
    def headers(self) -> list[str]:
        return [e.header for e in self.columns if e.header is not None]


@dataclass
class MapOptions:
    """The choices of the map that are not per column (they become MappingOptions)."""

    email_placeholder: bool = False
    include_clinical_notes: bool = True
    include_fund_numbers: bool = False
    fallback_owner_email: str | None = None
    region: str = DEFAULT_REGION.value
    allow_cp1252_lines: bool = False
    """Lines of a UTF-8 export file that are not UTF-8 load as Windows-1252, flagged `cp1252_line`, instead
    of being rejected as `not_utf8` (source/encodings.py). Read at landing."""


_LATER_OPTIONS = {"allow_cp1252_lines": False}
"""Options added after maps were first confirmed: left out of the fingerprint at their default, so a map
confirmed before them stays confirmed."""


@dataclass
class Confirmation:
    """Who locked the map, when, and to what (fingerprint = map digest + export columns digest)."""

    confirmed_by: str | None = None
    confirmed_at: str | None = None
    fingerprint: str | None = None
    map_digest: str | None = None
    columns_digest: str | None = None
    accepted_all: bool = False


@dataclass
class FieldMap:
    status: str
    objects: dict[str, ObjectMap]
    options: MapOptions = field(default_factory=MapOptions)
    confirmation: Confirmation = field(default_factory=Confirmation)
    proposed_at: str | None = None
    export_name: str | None = None
    version: int = MAP_VERSION
    remembered: dict[str, Any] | None = None
    """`{by, at, entries, new}`: this proposal kept the decisions of the map `by` confirmed `at` for `entries`
    columns it found again; `new` columns were proposed afresh. Informative: not part of the fingerprint."""

    def entries(self) -> list[tuple[str, ColumnEntry]]:
        return [(name, e) for name, obj in self.objects.items() for e in obj.columns]

    def undecided(self) -> list[tuple[str, ColumnEntry]]:
        return [(name, e) for name, e in self.entries() if e.needs_decision]


@dataclass
class GateResult:
    """The gate's answer. `ok` False: nothing may load; `problems` say what changed and what to run."""

    ok: bool
    problems: list[str]
    field_map: FieldMap | None = None

    @property
    def message(self) -> str:
        return "field map gate passed" if self.ok else "field map gate refused:\n- " + "\n- ".join(self.problems)


