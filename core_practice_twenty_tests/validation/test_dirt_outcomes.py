"""Driven by the generator's manifest: every injected fault is found with its rule, and nothing else is."""

import json
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest

from core_practice_twenty.source.dirt import DIRT_KINDS
from core_practice_twenty.source.export_spec import EXPORT_SPEC
from core_practice_twenty.source.generator import generate_export
from core_practice_twenty.source.values import Region
from core_practice_twenty.store.issues import object_counts, replace_issues
from core_practice_twenty.store.raw import land_object
from core_practice_twenty.validation.context import ValidationContext
from core_practice_twenty.validation.cross_table import cross_table_issues
from core_practice_twenty.validation.run import row_issues_of

EXPORT_DATE = date(2026, 11, 24)


def validate_export(export: Path, warehouse, region: Region) -> tuple[dict, dict]:
    for spec in EXPORT_SPEC.values():
        land_object(warehouse, spec, export, wave="w", snapshot_id=export.name)
    ctx = ValidationContext.for_export(export, region, EXPORT_DATE)
    found: dict[tuple[str, str], set[str]] = defaultdict(set)
    with warehouse.connect() as conn:
        issues = [i for spec in EXPORT_SPEC.values() for i in row_issues_of(conn, spec, "w", ctx)]
        replace_issues(conn, "w", "row", issues, EXPORT_SPEC)
        cross = list(cross_table_issues(conn, "w", ctx))
        replace_issues(conn, "w", "cross", cross, EXPORT_SPEC)
        issues += cross
        counts = {name: object_counts(conn, spec, "w") for name, spec in EXPORT_SPEC.items()}
    for issue in issues:
        found[(issue.object, issue.source_key)].add(issue.rule)
    return found, counts


def manifest(export: Path) -> list[dict]:
    lines = (export / "_generator_manifest.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if json.loads(line)["kind"] == "dirt"]


@pytest.mark.parametrize("region", ["AU", "NZ", "US"])
def test_a_clean_export_raises_nothing(tmp_path: Path, warehouse, region: str) -> None:
    export = generate_export(tmp_path / "clean", region=region, practices=4, patients=150, seed=3, dirt="none",
                             export_date=EXPORT_DATE)
    found, counts = validate_export(export, warehouse, Region(region))
    assert dict(found) == {}
    assert all(c["read"] == c["accepted"] and c["rejected"] == 0 for c in counts.values())
    assert counts["patients"]["read"] == 150


@pytest.mark.parametrize(("region", "fmt"), [("AU", "csv"), ("US", "xlsx")])
def test_every_injected_fault_is_found_with_its_rule_and_nothing_else(tmp_path: Path, warehouse, region: str,
                                                                      fmt: str) -> None:
    export = generate_export(tmp_path / "dirty", region=region, practices=5, patients=400, seed=9,
                             dirt="realistic", format=fmt, export_date=EXPORT_DATE)
    faults = manifest(export)
    assert {f["dirt"] for f in faults} == set(DIRT_KINDS), "realistic dirt covers every kind"
    found, counts = validate_export(export, warehouse, Region(region))

    expected: dict[tuple[str, str], set[str]] = defaultdict(set)
    for fault in faults:
        rule = DIRT_KINDS[fault["dirt"]].rule
        if rule:
            expected[(fault["object"], fault["source_key"])].add(rule)
            if "other" in fault:  # a pair (a duplicate and its first registration): flagged on both lines
                expected[(fault["object"], fault["other"])].add(rule)
    missed = {row: rules - found.get(row, set()) for row, rules in expected.items() if rules - found.get(row, set())}
    assert missed == {}, "injected faults not found"
    unexpected = {row: rules - expected.get(row, set()) for row, rules in found.items()
                  if rules - expected.get(row, set())}
    assert unexpected == {}, "rules fired on rows the generator did not make dirty"
    for name, c in counts.items():
        assert c["read"] == c["accepted"] + c["rejected"], name
    assert counts["patients"]["rejected"] > 0 and counts["documents"]["rejected"] > 0
