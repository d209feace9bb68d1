"""The Dagster definitions load, and the graph has the shape the migration depends on."""

import dagster as dg

from core_practice_twenty.definitions import defs
from core_practice_twenty.mapping.target_model import LOAD_STAGES, TARGET_OBJECTS, load_parents
from core_practice_twenty.source.export_spec import EXPORT_SPEC


def test_definitions_load_and_validate() -> None:
    definitions = defs()
    dg.Definitions.validate_loadable(definitions)
    graph = definitions.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    assert {"raw_practices", "twenty_schema"} <= keys
    for plural in TARGET_OBJECTS:  # one staging table and one load asset per Twenty object
        assert {f"stg_twenty_{plural}", f"twenty_{plural}"} <= keys


def test_lineage_enforces_import_order() -> None:
    graph = defs().resolve_asset_graph()
    parents = {
        key.to_user_string(): {p.to_user_string() for p in graph.get(key).parent_keys}
        for key in graph.get_all_asset_keys()
    }
    landing = {f"raw_{name}" for name in EXPORT_SPEC}
    # landing reads the map file (header spellings, options): the graph shows it
    assert landing <= set(parents) and all(parents[name] == {"field_map_file"} for name in landing)
    assert parents["field_map_file"] == set()  # edited and confirmed by a person, outside Dagster
    assert parents["validated_export"] == landing | {"field_map_file"}  # the whole export; the map's held-out columns
    assert parents["field_map"] == {"validated_export", "field_map_file"}
    # nothing reaches Twenty before the map gate, and the baseline is taken before the first write
    assert parents["twenty_baseline"] == {"field_map"}
    assert parents["twenty_schema"] == {"field_map", "twenty_baseline"}
    assert parents["sample_selection"] == {"validated_export"}
    assert parents["wave_diff"] == {f"twenty_{p}" for p in TARGET_OBJECTS}  # diffed once everything loaded
    for plural in TARGET_OBJECTS:
        # mapping reads the workspace (members, join-field names) the schema step prepared, and the sample
        assert parents[f"stg_twenty_{plural}"] == {"validated_export", "field_map", "twenty_schema",
                                                   "sample_selection"}
        loads_first = {f"twenty_{p}" for p in load_parents(plural)}
        assert parents[f"twenty_{plural}"] == {f"stg_twenty_{plural}", "twenty_schema"} | loads_first
    assert parents["twenty_companies"] == {"stg_twenty_companies", "twenty_schema"}
    assert "twenty_companies" in parents["twenty_people"] and "twenty_invoices" in parents["twenty_insuranceClaims"]
    # every lineage stage waits for the whole stage before it
    for before, after in zip(LOAD_STAGES, LOAD_STAGES[1:], strict=False):
        for plural in after:
            assert {f"twenty_{p}" for p in before} <= parents[f"twenty_{plural}"]


def test_landing_check_blocks_and_loads_share_one_api_pool() -> None:
    definitions = defs()
    graph = definitions.resolve_asset_graph()
    check_keys = {k.to_user_string(): k for k in graph.asset_check_keys}
    for name in EXPORT_SPEC:
        assert graph.get_check_spec(check_keys[f"raw_{name}:row_rules"]).blocking is True
    for check in ("validated_export:rows_accounted", "validated_export:cross_table_rules",
                  "field_map:confirmed_for_export", "sample_selection:sample_accepted"):
        assert graph.get_check_spec(check_keys[check]).blocking is True
    for plural in TARGET_OBJECTS:
        load = definitions.resolve_assets_def(f"twenty_{plural}")
        assert load.op.pool == "twenty_api"
        assert load.partitions_def is not None and load.partitions_def.name == "waves"
        assert load.op.retry_policy is None  # transient faults are retried in the client only (twenty/retry.py)
        assert graph.get_check_spec(check_keys[f"twenty_{plural}:{plural}_reconciled"]) is not None


def test_rollback_job_and_delta_sensor_are_defined() -> None:
    definitions = defs()
    assert definitions.resolve_job_def("rollback_migration").op_selection is None
    sensor = definitions.resolve_sensor_def("delta_pickup")
    assert sensor.job_name == "migrate_wave"
