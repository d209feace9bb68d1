"""A document that is a symbolic link (or sits in a linked folder) is refused as `path_outside_export`
before its target is opened: a link can point at any file on the machine, and a matching checksum proves
nothing about where it came from. Made by hand the way a practice's copy makes them."""

from __future__ import annotations

import csv
import hashlib
import os
from datetime import date
from pathlib import Path

from core_practice_twenty.source.export_spec import EXPORT_SPEC
from core_practice_twenty.source.values import Region
from core_practice_twenty.validation.context import ValidationContext
from core_practice_twenty.validation.cross_table import document_rules


def _export_with_documents(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    export = tmp_path / "snap"
    docs = export / "documents"
    (docs / "p1").mkdir(parents=True)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    secret = outside / "secret.pdf"
    secret.write_bytes(b"%PDF outside the export")
    (docs / "p1" / "real.pdf").write_bytes(b"%PDF inside")
    (docs / "p1" / "link.pdf").symlink_to(secret)  # same bytes as listed: the checksum would match
    os.symlink(outside, docs / "linked_folder")
    rows = {"D1": "p1/real.pdf", "D2": "p1/link.pdf", "D3": "linked_folder/secret.pdf"}
    spec = EXPORT_SPEC["documents"]
    with (export / "documents.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(spec.column_names)
        for key, relative in rows.items():
            digest = hashlib.sha256((docs / relative).read_bytes()).hexdigest()
            writer.writerow([{"document_id": key, "relative_path": relative, "sha256": digest}.get(c, "")
                             for c in spec.column_names])
    return export, rows


def test_links_to_files_or_folders_outside_documents_are_refused(tmp_path: Path, warehouse) -> None:
    from core_practice_twenty.store.raw import land_object

    export, _ = _export_with_documents(tmp_path)
    land_object(warehouse, EXPORT_SPEC["documents"], export, wave="w", snapshot_id="s")
    ctx = ValidationContext.for_export(export, Region.AU, date(2026, 11, 24))
    with warehouse.connect() as conn:
        found = {(i.source_key, i.rule) for i in document_rules(conn, "w", ctx)}
    assert ("D2", "path_outside_export") in found and ("D3", "path_outside_export") in found
    assert not {rule for key, rule in found if key in ("D2", "D3")} - {"path_outside_export"}
    assert not [rule for key, rule in found if key == "D1"]  # a real file inside documents/ is fine
