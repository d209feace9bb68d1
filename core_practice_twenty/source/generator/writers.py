"""The 13 report files written as a practice's PC writes them: CSV or XLSX, banner row, BOM, CRLF."""

from __future__ import annotations

import csv
import os
import re
import shutil
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from core_practice_twenty.source.export_spec import ObjectSpec
from core_practice_twenty.source.generator.vocabulary import BANNERS, BOOL_STYLE, YES_NO
from core_practice_twenty.source.regions import (
    RegionProfile,
)


class ReportTable:
    """One export file being written: the title row, the spec's header, then typed rows as they come.

    Values are typed (date, datetime, Decimal, int, bool, str, None) and rendered per format: CSV gets the
    region's text forms, XLSX gets date and number cells, as Excel-saved reports do. A `str` is written
    as is, which is how injected dirt (`31/02/1985`, `n/a`) reaches the file untouched.
    """

    def __init__(self, spec: ObjectSpec, folder: Path, fmt: str, region: RegionProfile) -> None:
        self.spec = spec
        self.names = spec.column_names
        self.fmt = fmt
        self.region = region
        self.rows = 0
        self.true, self.false = BOOL_STYLE.get(spec.name, YES_NO)
        self._dates: dict[date, str] = {}
        self._times: dict[tuple[int, int], str] = {}
        date_format, time_format = region.date_format, region.datetime_format[len(region.date_format) + 1:]
        assert region.datetime_format == f"{date_format} {time_format}"
        self._time_format = time_format
        self._render = {str: _same, datetime: self._datetime, date: self._date, Decimal: _decimal,
                        bool: lambda v: self.true if v else self.false, int: str, type(None): lambda v: ""}
        self.path = folder / f"{spec.name}.{fmt}"
        banner = BANNERS.get(spec.name, f"Core Practice - {spec.name.replace('_', ' ').title()} Report")
        if fmt == "csv":
            self._handle = self.path.open("w", encoding="utf-8-sig", newline="", buffering=1 << 20)
            self._csv = csv.writer(self._handle, lineterminator="\r\n")
            self._csv.writerow([banner])
            self._csv.writerow(self.names)
        else:
            import openpyxl

            self._book = openpyxl.Workbook(write_only=True)
            self._sheet = self._book.create_sheet(title=spec.name[:31])
            self._sheet.append([banner])
            self._sheet.append(list(self.names))

    def _date(self, value: date) -> str:
        text = self._dates.get(value)
        if text is None:  # a few thousand distinct days: format each once
            text = self._dates[value] = value.strftime(self.region.date_format)
        return text

    def _datetime(self, value: datetime) -> str:
        clock = (value.hour, value.minute)
        text = self._times.get(clock)
        if text is None:
            text = self._times[clock] = value.strftime(self._time_format)
        return f"{self._date(value.date())} {text}"

    def _cell(self, value: Any) -> Any:
        if isinstance(value, bool):
            return self.true if value else self.false
        if isinstance(value, Decimal):
            return float(value)
        return value

    def write(self, row: dict[str, Any]) -> None:
        self.rows += 1
        if self.fmt == "csv":
            render = self._render
            self._csv.writerow([render[type(value)](value) for value in map(row.get, self.names)])
        else:
            cell = self._cell
            self._sheet.append([cell(row.get(name)) for name in self.names])

    def close(self, stamp: datetime) -> None:
        if self.fmt == "csv":
            self._handle.close()
            return
        self._book.properties.creator = "Core Practice"
        self._book.properties.created = stamp
        self._book.save(self.path)
        _normalise_xlsx(self.path, stamp)


def _same(value: str) -> str:
    return value


def _decimal(value: Decimal) -> str:
    return f"{value:.2f}"


def _normalise_xlsx(path: Path, stamp: datetime) -> None:
    """Make an openpyxl file byte-identical across runs: fixed zip entry times and document timestamps."""
    when = (stamp.year, stamp.month, stamp.day, 0, 0, 0)
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=when)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            if info.filename == "docProps/core.xml":
                xml = zin.read(info).decode("utf-8")
                xml = re.sub(r"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)", rf"\g<1>{iso}\g<2>", xml)
                zout.writestr(entry, xml.encode("utf-8"))
                continue
            with zin.open(info) as src, zout.open(entry, "w", force_zip64=True) as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
    os.replace(tmp, path)


class FileWriter:
    """Writes document files on two background threads while the generator keeps producing rows.

    Creating a file costs a few hundred microseconds of kernel time on most filesystems; a group export
    has a hundred thousand documents, so the writes overlap with row generation instead of adding to it.
    The queue is bounded, so memory stays flat; the first error is raised at `close`.
    """

    def __init__(self, workers: int = 2, depth: int = 256) -> None:
        import queue
        import threading

        self._queue: queue.Queue[tuple[Path, bytes] | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._threads = [threading.Thread(target=self._work, daemon=True) for _ in range(workers)]
        for thread in self._threads:
            thread.start()

    def _work(self) -> None:
        while (item := self._queue.get()) is not None:
            path, content = item
            try:
                path.write_bytes(content)
            except BaseException as error:  # noqa: BLE001 - handed to the caller in close()
                self._error = self._error or error

    def write(self, path: Path, content: bytes) -> None:
        if self._error:
            raise self._error
        self._queue.put((path, content))

    def close(self) -> None:
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join()
        if self._error:
            raise self._error

