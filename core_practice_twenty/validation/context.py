"""What validation needs to know about the export besides its rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from core_practice_twenty.model.twenty import SMALLEST_UPLOAD_BYTES
from core_practice_twenty.settings import Settings
from core_practice_twenty.source.values import DATE_ORDER, DateOrder, Region

DEFAULT_MAX_UPLOAD_BYTES = SMALLEST_UPLOAD_BYTES
"""Without the limit of the Twenty a wave writes to, documents are judged by what every Twenty accepts. A wave is
told its Twenty's limit (TWENTY_MAX_UPLOAD_MB, else learned from the server: 100 MB with Files v2)."""

DEFAULT_MAX_REJECT_RATE = Settings().max_reject_rate
"""Above this share of rejected rows in one object the export is judged broken and the load is blocked.

Real exports reject well under 1 % of rows; a tenth means a wrong file, a wrong region or a broken export.
"""


@dataclass(frozen=True)
class ValidationContext:
    region: Region
    export_dir: Path
    export_date: date
    date_order: DateOrder
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    max_reject_rate: float = DEFAULT_MAX_REJECT_RATE
    held_out: frozenset[tuple[str, str]] = frozenset()
    """(object, canonical column or the practice's own header) the confirmed map keeps out of Twenty: not searched
    for identifiers (what is not sent needs no warning)."""

    @classmethod
    def for_export(cls, export_dir: Path, region: Region, export_date: date | None = None, *,
                   max_upload_bytes: int | None = None, max_reject_rate: float = DEFAULT_MAX_REJECT_RATE,
                   held_out: frozenset[tuple[str, str]] = frozenset()) -> ValidationContext:
        return cls(
            region=region,
            export_dir=export_dir,
            export_date=export_date or date.today(),
            date_order=DATE_ORDER[region],
            max_upload_bytes=max_upload_bytes or DEFAULT_MAX_UPLOAD_BYTES,
            max_reject_rate=max_reject_rate,
            held_out=held_out,
        )
