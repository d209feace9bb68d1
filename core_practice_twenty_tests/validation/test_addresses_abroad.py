"""An address is held to its own country's rules where the region table has them, in validation as in mapping.

A hand-made NZ patients report, as a practice near the Tasman writes one: Australian patients with their states and
Excel-shortened postcodes, NZ regions by their pre-2019 names, a UK address.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from core_practice_twenty.source.export_spec import EXPORT_SPEC
from core_practice_twenty.source.values import Region
from core_practice_twenty.store.raw import land_object
from core_practice_twenty.validation.context import ValidationContext
from core_practice_twenty.validation.run import row_issues_of

ROWS = {  # patient → (suburb, town/city, region or state, postcode, country)
    "P1": ("", "Darwin", "NT", "800", "Australia"),  # AU postcode that lost its zero: AU's width, not NZ's
    "P2": ("", "Sydney", "XX", "2000", "Australia"),  # not an AU state
    "P3": ("Hokowhitu", "Palmerston North", "Manawatu-Wanganui", "4410", "New Zealand"),  # the pre-2019 name
    "P4": ("", "London", "", "SW1A 1AA", "United Kingdom"),  # as written
    "P5": ("Karori", "Wellington", "Wgtn", "601", ""),  # an NZ address of the NZ export
}


def test_each_address_is_held_to_its_own_countrys_rules(tmp_path: Path, warehouse) -> None:
    export = tmp_path / "snap"
    export.mkdir()
    with (export / "patients.csv").open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(["Patient ID", "First Name", "Last Name", "Date of Birth", "Practice ID", "Status",
                         "Suburb", "Town/City", "Region", "Postcode", "Country"])
        for key, address in ROWS.items():
            writer.writerow([key, "Aroha", "Ngata", "02/03/1980", "L1", "Active", *address])
    spec = EXPORT_SPEC["patients"]
    land_object(warehouse, spec, export, wave="w", snapshot_id="s")
    ctx = ValidationContext.for_export(export, Region.NZ, date(2026, 12, 7))
    with warehouse.connect() as conn:
        found = {(i.source_key, i.rule) for i in row_issues_of(conn, spec, "w", ctx)
                 if i.rule.startswith(("invalid_state", "postcode", "international"))}
    assert found == {
        ("P1", "postcode_lost_zero:patient_postal_code"), ("P1", "international_address"),
        ("P2", "invalid_state:patient_state"), ("P2", "international_address"),
        ("P4", "international_address"),  # P3: a valid NZ address of the NZ export, nothing to say
        ("P5", "invalid_state:patient_state"), ("P5", "postcode_lost_zero:patient_postal_code"),
    }
