"""What validation needs to know about the export besides its rows."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from core_practice_twenty.source.values import DATE_ORDER, DateOrder, Region

DEFAULT_MAX_UPLOAD_BYTES = 10 * 1024 * 1024
"""Twenty's multipart upload limit on older servers (10 MB; newer: 100 MB). Configurable."""

DEFAULT_MAX_REJECT_RATE = 0.10
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

    @classmethod
    def for_export(cls, export_dir: Path, region: Region, export_date: date | None = None) -> ValidationContext:
        return cls(
            region=region,
            export_dir=export_dir,
            export_date=export_date or date.today(),
            date_order=DATE_ORDER[region],
            max_upload_bytes=int(os.environ.get("CPT_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES)),
            max_reject_rate=float(os.environ.get("CPT_MAX_REJECT_RATE", DEFAULT_MAX_REJECT_RATE)),
        )
