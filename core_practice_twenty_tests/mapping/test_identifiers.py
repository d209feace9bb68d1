"""Identifiers that must never reach a CRM stay out of the map, by header and by value, even through --accept-all.

The columns are hand-made in the test (added to a generated export the way a practice's own report adds them),
with each country's numbers valid and invalid; a column's cells are only tested, never shown.
"""

from __future__ import annotations

import pytest
from test_proposer import edit_file

from core_practice_twenty.mapping.field_map import confirm, to_options
from core_practice_twenty.mapping.proposer import propose
from core_practice_twenty.model.identifiers import au_medicare, au_tfn, nz_ird, nz_nhi, us_ssn
from core_practice_twenty.source.generator import generate_export

SSNS = ("078-05-1120", "219-09-9999", "457555462", "536-22-1234", "123-45-6789")
TFNS = ("123 456 782", "876 543 210", "459 599 230")
NHIS = ("ZZZ0016", "ZZZ0024", "ZAA0067")
IRDS = ("49091850", "35901981", "49098576", "136410132")


def test_each_countrys_checks_accept_valid_numbers_and_refuse_near_misses() -> None:
    assert all(map(us_ssn, SSNS)) and not any(map(us_ssn, ("000-12-3456", "666-12-3456", "12-345-6789",
                                                           "0491 570 156")))
    assert all(map(au_tfn, TFNS)) and not any(map(au_tfn, ("123 456 789", "12345678", "abc")))
    assert au_medicare("2123 45670 1") and au_medicare("21234567011") and not au_medicare("2123456711")
    assert not au_medicare("7123456701")  # a Medicare number starts with 2-6
    assert all(map(nz_nhi, NHIS)) and not any(map(nz_nhi, ("ZZZ0017", "ZIO0016", "ZZ00016")))
    assert all(map(nz_ird, IRDS)) and not any(map(nz_ird, ("49091851", "9999999", "150000001")))


@pytest.mark.parametrize(("region", "columns"), [
    ("US", {"Social Security #": SSNS, "Other ID": SSNS, "Subscriber ID": ("XJ1", "XJ2", "XJ3", "XJ4", "XJ5"),
            "Driver's Licence": ("D123", "D456", "D789")}),
    ("AU", {"Tax File No": TFNS + TFNS, "Card": ("2123456701", "2123456711", "3123456701", "2123456701",
                                                   "2123456701", "2123456701")}),
    ("NZ", {"NHI": NHIS + NHIS, "Ref": IRDS + IRDS}),
])
def test_identifier_columns_are_excluded_even_when_everything_is_accepted(tmp_path, region, columns) -> None:
    export = generate_export(tmp_path / "export", region=region, practices=1, patients=12, seed=4, dirt="none")
    edit_file(export / "patients.csv", add={header: (lambda n, _, v=values: v[n % len(v)])
                                            for header, values in columns.items()})
    field_map = propose(export)
    entries = {e.header: e for e in field_map.objects["patients"].columns if e.header in columns}
    for header, entry in entries.items():
        assert entry.excluded and entry.targets == (), header
        assert "never go to a CRM by default" in entry.reason
        assert not any(v in entry.reason for v in columns[header])  # the reason names the kind, never a value
    confirmed = confirm(field_map, export, "A hurried person", accept_all=True)
    assert all(e.excluded for e in confirmed.objects["patients"].columns if e.header in columns)
    sent = [c for c in to_options(confirmed).extra_columns if c.source_column in columns]
    assert sent == []  # none of them becomes a field of a Twenty record


def test_an_ordinary_column_of_the_practices_own_is_still_offered(tmp_path) -> None:
    export = generate_export(tmp_path / "export", region="US", practices=1, patients=12, seed=4, dirt="none")
    edit_file(export / "patients.csv", add={"Loyalty Tier": lambda n, _: ("Gold", "Silver")[n % 2],
                                            "Preferred Day": lambda n, _: ("Monday", "Friday")[n % 2]})
    field_map = propose(export)
    own = ("Loyalty Tier", "Preferred Day")
    offered = {e.header: e for e in field_map.objects["patients"].columns if e.header in own}
    assert set(offered) == set(own) and all(not e.excluded and e.targets for e in offered.values())
