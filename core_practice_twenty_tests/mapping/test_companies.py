"""Practices → company payloads."""

from core_practice_twenty.mapping.companies import (
    group_key,
    normalise_domain,
)
from core_practice_twenty_tests.mapping.hand_made import FIRST_LINE, stage_hand_made
from core_practice_twenty_tests.mapping.test_records import practice


def test_domains_are_reduced_to_bare_hosts() -> None:
    assert normalise_domain("https://WWW.Smile.com.au/book?x=1") == "smile.com.au"
    assert normalise_domain("smile.com.au/") == "smile.com.au"
    assert normalise_domain("http://localhost") is None
    assert normalise_domain(None) is None


def test_a_shared_group_domain_goes_to_one_location_only(tmp_path, warehouse) -> None:
    rows = [practice("PR10", website="https://www.group.com.au"), practice("PR2", website="group.com.au/"),
            practice("PR3", website="")]
    staged = stage_hand_made(warehouse, tmp_path, {"practices": rows}).records["companies"]
    assert staged["PR2"].payload["domainName"] == {"primaryLinkUrl": "group.com.au"}  # the first by id, as read
    assert "domainName" not in staged["PR10"].payload
    assert staged["PR10"].notes == ["domain_shared_with_another_location"]
    assert staged["PR3"].notes == [] and "domainName" not in staged["PR3"].payload
    assert staged["PR2"].payload["cpPracticeId"] == "PR2"
    assert staged["PR2"].line == FIRST_LINE + 1


def test_payload_hash_changes_only_with_the_payload(tmp_path, warehouse) -> None:
    row = practice("P1", city="Fitzroy")
    first = stage_hand_made(warehouse, tmp_path, {"practices": [row]}, wave="first").records["companies"]["P1"]
    again = stage_hand_made(warehouse, tmp_path, {"practices": [practice("P0"), row]}, wave="again")
    changed = stage_hand_made(warehouse, tmp_path, {"practices": [dict(row, city="Geelong")]}, wave="changed")
    assert again.records["companies"]["P1"].line == FIRST_LINE + 1  # another line, the same payload
    assert first.payload_hash == again.records["companies"]["P1"].payload_hash
    assert first.payload_hash != changed.records["companies"]["P1"].payload_hash


def test_group_names_fold_to_one_parent_key() -> None:
    assert group_key("Smile Dental Group") == "group:smile-dental-group"
    assert group_key("  smile  dental GROUP ") == "group:smile-dental-group"
    assert group_key("Smith & Jones Dental") == group_key("Smith and Jones Dental") == "group:smith-and-jones-dental"
    assert group_key("Clínica Dental Sur") == "group:clinica-dental-sur"
    assert group_key(None) is None and group_key("  ") is None and group_key("!!") is None
