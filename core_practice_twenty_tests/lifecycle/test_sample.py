"""The sample wave's records: every object, status value and fired rule, with all related records."""

from __future__ import annotations

import json
from datetime import date

from core_practice_twenty.lifecycle.sample import choose_sample, reference_edges
from core_practice_twenty.source.export_spec import EXPORT_SPEC
from core_practice_twenty.source.values import Region
from core_practice_twenty.store.issues import replace_issues
from core_practice_twenty.store.raw import land_object, raw_table
from core_practice_twenty.store.raw_reads import source_key_sql
from core_practice_twenty.validation.context import ValidationContext
from core_practice_twenty.validation.cross_table import cross_table_issues
from core_practice_twenty.validation.run import row_issues_of


def land_and_validate(export, warehouse, wave: str = "sample") -> None:
    for spec in EXPORT_SPEC.values():
        land_object(warehouse, spec, export, wave=wave, snapshot_id=export.name)
    ctx = ValidationContext.for_export(export, Region("AU"), date(2025, 3, 1))
    with warehouse.connect() as conn:
        issues = [i for spec in EXPORT_SPEC.values() for i in row_issues_of(conn, spec, wave, ctx)]
        replace_issues(conn, wave, "row", issues, EXPORT_SPEC)
        replace_issues(conn, wave, "cross", cross_table_issues(conn, wave, ctx), EXPORT_SPEC)


def test_the_sample_covers_every_object_value_and_rule_with_its_related_records(sample_export, warehouse) -> None:
    land_and_validate(sample_export, warehouse)
    with warehouse.connect() as conn:
        capped = choose_sample(conn, "sample", seed=1)
        assert 100 <= capped.coverage.total <= 500, capped.coverage.as_metadata()
        assert choose_sample(conn, "sample", seed=1).keys == capped.keys  # deterministic for a seed
        # what does not fit under the cap is reported, never silently dropped; counted in Twenty records
        # (invoice lines, payments and practice links ride along), everything fits in this export
        labels = capped.coverage.covered + capped.coverage.absent_from_export + capped.coverage.did_not_fit
        assert len(capped.coverage.covered) > 80 and len(labels) == len(set(labels))
        assert capped.coverage.did_not_fit == [] and capped.coverage.rows > capped.coverage.total
        tight = choose_sample(conn, "sample", seed=1, max_records=150).coverage
        assert tight.did_not_fit and tight.total <= 150  # a cap too small says what it left out

        choice = choose_sample(conn, "sample", seed=1, max_records=1500)
        rules = {r for (r,) in conn.execute("select distinct rule from validation_issues where wave = 'sample'")
                 .fetchall()}
        coverage = choice.coverage
        assert coverage.did_not_fit == [] and set(labels) == set(coverage.covered + coverage.absent_from_export)
        assert all(choice.keys[name] for name in EXPORT_SPEC), coverage.selected
        for name, spec in EXPORT_SPEC.items():  # every value of every enum column the export holds
            for column in spec.columns:
                if not column.values:
                    continue
                cells = conn.execute(f'select distinct "{column.name}" from {raw_table(spec)} where wave = ? and '
                                     f'list_contains(?, {source_key_sql(spec)})',
                                     ["sample", choice.keys[name]]).fetchall()
                shown = {column.canonical_value(c) for (c,) in cells}
                for value in column.values:
                    label = f"{name}.{column.name} = {value}"
                    assert value in shown or label in coverage.absent_from_export, label
        assert {f.split(" on ")[0].removeprefix("rule ") for f in coverage.covered if f.startswith("rule ")} == rules

        # closure: every reference of a chosen row points inside the sample
        # patients whose records were chosen (not family heads pulled in as a parent) have all of them
        anchored = sorted({pid for edge in reference_edges() if edge.parent == "patients" and edge.child != "patients"
                           for (pid,) in conn.execute(
                               f'select distinct "{edge.column}" from {raw_table(EXPORT_SPEC[edge.child])} where '
                               f'wave = ? and list_contains(?, {source_key_sql(EXPORT_SPEC[edge.child])})',
                               ["sample", choice.keys[edge.child]]).fetchall() if pid})
        exported = {k for (k,) in conn.execute("select patient_id from raw_patients where wave = 'sample'").fetchall()}
        anchored = [pid for pid in anchored if pid in exported]  # dirt: references to patients not exported
        assert anchored and set(anchored) <= set(choice.keys["patients"])
        for edge in reference_edges():
            child, parent = EXPORT_SPEC[edge.child], EXPORT_SPEC[edge.parent]
            dangling = conn.execute(
                f'select count(*) from {raw_table(child)} c where wave = ? and list_contains(?, '
                f'{source_key_sql(child)}) and c."{edge.column}" is not null '
                f'and c."{edge.column}" in (select "{edge.parent_column}" from {raw_table(parent)} where wave = ?) '
                f'and c."{edge.column}" not in (select "{edge.parent_column}" from {raw_table(parent)} where wave = ? '
                f'and list_contains(?, {source_key_sql(parent)}))',
                ["sample", choice.keys[edge.child], "sample", "sample", choice.keys[edge.parent]]).fetchone()[0]
            assert dangling == 0, edge
            if edge.parent == "patients" and edge.child != "patients":  # family members are not pulled in
                left_out = conn.execute(
                    f'select count(*) from {raw_table(child)} where wave = ? and list_contains(?, "{edge.column}") '
                    f'and not list_contains(?, {source_key_sql(child)})',
                    ["sample", anchored, choice.keys[edge.child]]).fetchone()[0]
                assert left_out == 0, edge
    assert "@" not in json.dumps(capped.coverage.as_metadata())
