"""Practices → company payloads."""

from core_practice_twenty.mapping.companies import (
    group_key,
    normalise_domain,
    parent_company,
)
from core_practice_twenty.mapping.objects import map_companies


def map_practices(rows):
    return map_companies(rows).staged


def test_domains_are_reduced_to_bare_hosts() -> None:
    assert normalise_domain("https://WWW.Smile.com.au/book?x=1") == "smile.com.au"
    assert normalise_domain("smile.com.au/") == "smile.com.au"
    assert normalise_domain("http://localhost") is None
    assert normalise_domain(None) is None


def test_a_shared_group_domain_goes_to_one_location_only() -> None:
    rows = [
        {"practice_id": "PR10", "practice_name": "B", "website": "https://www.group.com.au", "source_line": 3},
        {"practice_id": "PR2", "practice_name": "A", "website": "group.com.au/", "source_line": 4},
        {"practice_id": "PR3", "practice_name": "C", "website": None, "source_line": 5},
    ]
    staged = {r.source_key: r for r in map_practices(rows)}
    assert staged["PR2"].payload["domainName"] == {"primaryLinkUrl": "group.com.au"}
    assert "domainName" not in staged["PR10"].payload
    assert staged["PR10"].notes == ("domain_shared_with_another_location",)
    assert staged["PR3"].notes == ()
    assert staged["PR2"].payload["cpPracticeId"] == "PR2"
    assert staged["PR2"].source_line == 4


def test_payload_hash_changes_only_with_the_payload() -> None:
    row = {"practice_id": "P1", "practice_name": "A", "city": "Fitzroy", "source_line": 2}
    first, again = map_practices([row])[0], map_practices([dict(row, source_line=9)])[0]
    changed = map_practices([dict(row, city="Geelong")])[0]
    assert first.payload_hash == again.payload_hash
    assert first.payload_hash != changed.payload_hash


def test_group_names_fold_to_one_parent_key() -> None:
    assert group_key("Smile Dental Group") == "group:smile-dental-group"
    assert group_key("  smile  dental GROUP ") == "group:smile-dental-group"
    assert group_key("Smith & Jones Dental") == group_key("Smith and Jones Dental") == "group:smith-and-jones-dental"
    assert group_key("Clínica Dental Sur") == "group:clinica-dental-sur"
    assert group_key(None) is None and group_key("  ") is None and group_key("!!") is None
    assert parent_company(" Smile  Dental Group ", "group:smile-dental-group") == {
        "cpPracticeId": "group:smile-dental-group", "name": "Smile Dental Group"}
