"""One rule failing on one row: what validation finds, the warehouse keeps and reports count.

It carries the rule, the file, line and source key of the row; never the value, which may be health data.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    REJECT = "reject"
    WARN = "warn"


@dataclass(frozen=True)
class Issue:
    """One rule failing on one row."""

    object: str
    source_key: str | None
    source_file: str | None
    source_line: int | None
    rule: str
    column: str | None
    severity: Severity
