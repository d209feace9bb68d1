"""Documents as Windows and Macs name them: a listing written on Windows (`xrays\\Scan 2019.png`), a folder copied
through a Mac (names in NFD), a name typed in another case; and files that are empty or cut off.

Made by hand in the test, the way a practice's copy makes them. Validation and the upload share one resolver
(`source/documents.py`), so a document validation accepts is the file the upload sends.
"""

from __future__ import annotations

import csv
import hashlib
import unicodedata
from datetime import date
from pathlib import Path

from core_practice_twenty.source.documents import DocumentFolder
from core_practice_twenty.source.export_spec import EXPORT_SPEC
from core_practice_twenty.source.values import Region
from core_practice_twenty.store.raw import land_object
from core_practice_twenty.validation.context import ValidationContext
from core_practice_twenty.validation.cross_table import document_rules

PNG = b"\x89PNG\r\n\x1a\n" + b"x" * 200


def _export(tmp_path: Path) -> tuple[Path, dict[str, tuple[str, bytes | None, int | None]]]:
    """(document id → path as listed, bytes on disk or None, size as listed or None)."""
    export = tmp_path / "snap"
    docs = export / "documents"
    on_disk = {
        "xrays/Scan 2019.png": PNG,
        unicodedata.normalize("NFD", "José/Radiographie été.png"): PNG,  # copied through a Mac
        "Consents/Consent FORM.pdf": b"%PDF consent",
        "twins/a.png": PNG, "twins/A.png": PNG + b"y",  # two files one name apart by case (Linux allows it)
        "cut/empty.png": b"",
        "cut/half.png": PNG[:100],
    }
    for relative, content in on_disk.items():
        (docs / relative).parent.mkdir(parents=True, exist_ok=True)
        (docs / relative).write_bytes(content)
    listed = {
        "D1": ("xrays\\Scan 2019.png", PNG, len(PNG)),  # Windows separators
        "D2": ("José\\Radiographie été.png", PNG, len(PNG)),  # NFC in the listing, NFD on disk
        "D3": ("consents/consent form.PDF", b"%PDF consent", None),  # another case; exactly one file fits
        "D4": ("twins\\a.PNG", PNG, len(PNG)),  # two files fit: which one is not guessed
        "D5": ("cut/empty.png", b"", 40_960),  # 0 bytes where the listing says 40 KB
        "D6": ("cut/half.png", PNG[:100], len(PNG)),  # a copy cut off: the size is not the listed one
        "D7": ("..\\..\\Windows\\win.ini", None, None),  # the path rules still come first
    }
    with (export / "documents.csv").open("w", newline="", encoding="cp1252") as handle:  # as Excel saves it
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(["Document ID", "Patient ID", "File Name", "Relative Path", "Size Bytes", "SHA256"])
        for key, (relative, content, size) in listed.items():
            digest = hashlib.sha256(content).hexdigest() if content is not None else ""
            writer.writerow([key, "P1", relative.replace("\\", "/").rsplit("/", 1)[-1], relative,
                             "" if size is None else size, digest])
    return export, listed


def test_documents_are_found_as_windows_and_macs_name_them_and_cut_off_copies_are_refused(tmp_path: Path,
                                                                                          warehouse) -> None:
    export, _ = _export(tmp_path)
    land_object(warehouse, EXPORT_SPEC["documents"], export, wave="w", snapshot_id="s")
    ctx = ValidationContext.for_export(export, Region.AU, date(2026, 11, 24))
    with warehouse.connect() as conn:
        found: dict[str, set[str]] = {}
        for issue in document_rules(conn, "w", ctx):
            found.setdefault(issue.source_key, set()).add(issue.rule)
    assert found == {"D4": {"document_ambiguous"}, "D5": {"size_mismatch"}, "D6": {"size_mismatch"},
                     "D7": {"path_traversal"}}  # D1, D2, D3 found, with the listed checksum


def test_the_upload_sends_the_file_validation_found(tmp_path: Path) -> None:
    export, listed = _export(tmp_path)
    folder = DocumentFolder(str(export / "documents"))
    for key in ("D1", "D2", "D3"):
        relative, content, _ = listed[key]
        hit = folder.find(relative)
        assert hit.problem is None and Path(hit.path).read_bytes() == content, key
    assert folder.find(listed["D2"][0]).relative == unicodedata.normalize("NFD", "José/Radiographie été.png")
    assert folder.find("twins/a.png").relative == "twins/a.png"  # an exact name is itself, never a case guess
