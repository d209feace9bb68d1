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


def test_an_identifier_goes_to_twenty_only_when_a_person_names_the_column_and_themselves(tmp_path) -> None:
    """Flipping an excluded identifier column to a field is refused until the entry names the column and a
    person; the review sheet's first lines say which identifiers stay out and who chose to send one."""
    from dataclasses import replace

    from core_practice_twenty.mapping.field_map import ConfirmRefused
    from core_practice_twenty.mapping.review import render_markdown

    export = generate_export(tmp_path / "export", region="US", practices=1, patients=12, seed=4, dirt="none")
    edit_file(export / "patients.csv", add={"Social Security #": lambda n, _: SSNS[n % len(SSNS)],
                                            "Other ID": lambda n, _: SSNS[n % len(SSNS)]})
    proposed = propose(export)
    head = "\n".join(render_markdown(proposed).splitlines()[:8])
    assert "**Identifiers**: 2 column(s)" in head and "`Social Security #` (US Social Security number)" in head
    assert "`Other ID` (US Social Security number)" in head and not any(v in head for v in SSNS)

    def flipped(opt_in: dict | None, *, forget_kind: bool = False):
        columns = [replace(e, transform="rename", targets=("people.cpSocialSecurity",), needs_decision=False,
                           identifier=None if forget_kind else e.identifier, identifier_opt_in=opt_in)
                   if e.header == "Social Security #" else e for e in proposed.objects["patients"].columns]
        return replace(proposed, objects={**proposed.objects,
                                          "patients": replace(proposed.objects["patients"], columns=columns)})

    for opt_in, forget, says in [
        (None, False, "add identifier_opt_in: {column: 'Social Security #', by: <your name>}"),
        (None, True, "holds US Social Security numbers"),  # the proposer's note removed: the header still names it
        ({"column": "Other ID", "by": "Dr Ana Ruiz"}, False, "must name this column exactly"),
        ({"column": "Social Security #", "by": " "}, False, "the person who decides"),
    ]:
        with pytest.raises(ConfirmRefused) as refused:
            confirm(flipped(opt_in, forget_kind=forget), export, "A hurried person", accept_all=True)
        assert any("patients 'Social Security #'" in p and says in p for p in refused.value.problems), says
    confirmed = confirm(flipped({"column": "Social Security #", "by": "Dr Ana Ruiz"}), export, "Dr Ana Ruiz",
                        accept_all=True)
    sent = [c.source_column for c in to_options(confirmed).extra_columns]
    assert "Social Security #" in sent and "Other ID" not in sent
    head = "\n".join(render_markdown(confirmed).splitlines()[:10])
    assert "**Sent to Twenty all the same** (1): patients `Social Security #`" in head and "**Dr Ana Ruiz**" in head


def test_a_person_opts_in_by_editing_the_map_file_and_cpt_confirms_it(tmp_path, capsys) -> None:
    """The same through the file a person edits and the command they run: YAML keeps the kind and the opt-in."""
    import yaml

    from core_practice_twenty.cli import main

    export = generate_export(tmp_path / "export", region="US", practices=1, patients=12, seed=4, dirt="none")
    edit_file(export / "patients.csv", add={"SSN": lambda n, _: SSNS[n % len(SSNS)]})
    out, reports = tmp_path / "map.yaml", tmp_path / "reports"
    assert main(["map", "propose", "--export", str(export), "--out", str(out), "--reports", str(reports)]) == 0
    data = yaml.safe_load(out.read_text(encoding="utf-8"))
    entry = next(e for e in data["objects"]["patients"]["columns"] if e["header"] == "SSN")
    assert entry["identifier"] == "US Social Security number" and entry["transform"] == "excluded"
    entry.update(transform="rename", targets=["people.cpSsn"], needs_decision=False)
    out.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    capsys.readouterr()
    confirm_args = ["map", "confirm", "--map", str(out), "--export", str(export), "--by", "Dr Lee", "--accept-all"]
    assert main(confirm_args) != 0
    assert "identifier_opt_in: {column: 'SSN', by: <your name>}" in capsys.readouterr().err
    entry["identifier_opt_in"] = {"column": "SSN", "by": "Dr Lee"}
    out.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    assert main(confirm_args) == 0
    assert yaml.safe_load(out.read_text(encoding="utf-8"))["objects"]["patients"]["columns"][
        [e["header"] for e in data["objects"]["patients"]["columns"]].index("SSN")]["identifier_opt_in"] == {
        "column": "SSN", "by": "Dr Lee"}


def test_a_known_column_whose_cells_are_identifiers_is_held_out_too(tmp_path) -> None:
    """A US office that keeps SSNs as the chart number: the canonical column is recognised, and excluded."""
    export = generate_export(tmp_path / "export", region="US", practices=1, patients=12, seed=4, dirt="none")
    edit_file(export / "patients.csv", change={"patient_no": lambda n, _: SSNS[n % len(SSNS)]},
              rename={"patient_no": "Chart No"})
    field_map = propose(export)
    entry = next(e for e in field_map.objects["patients"].columns if e.header == "Chart No")
    assert entry.column == ("patient_no",) and entry.excluded and entry.identifier == "US Social Security number"
    confirmed = confirm(field_map, export, "A hurried person", accept_all=True)
    assert ("patients", "patient_no") in to_options(confirmed).excluded
