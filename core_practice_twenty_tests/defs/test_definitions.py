"""The Dagster definitions load, and the graph has the shape the migration depends on."""

import dagster as dg

from core_practice_twenty.definitions import defs
from core_practice_twenty.source.export_spec import EXPORT_SPEC


def test_definitions_load_and_validate() -> None:
    definitions = defs()
    dg.Definitions.validate_loadable(definitions)
    graph = definitions.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    assert {"raw_practices", "stg_twenty_companies", "twenty_schema", "twenty_companies"} <= keys


def test_lineage_enforces_import_order() -> None:
    graph = defs().resolve_asset_graph()
    parents = {
        key.to_user_string(): {p.to_user_string() for p in graph.get(key).parent_keys}
        for key in graph.get_all_asset_keys()
    }
    landing = {f"raw_{name}" for name in EXPORT_SPEC}
    assert landing <= set(parents) and all(parents[name] == set() for name in landing)
    assert parents["validated_export"] == landing  # cross-table rules see the whole export
    assert parents["field_map"] == {"validated_export"}
    assert parents["stg_twenty_companies"] == {"validated_export", "field_map"}
    assert parents["twenty_schema"] == {"field_map"}  # nothing reaches Twenty before the map gate
    assert parents["twenty_companies"] == {"stg_twenty_companies", "twenty_schema"}


def test_landing_check_blocks_and_loads_share_one_api_pool() -> None:
    definitions = defs()
    graph = definitions.resolve_asset_graph()
    check_keys = {k.to_user_string(): k for k in graph.asset_check_keys}
    for name in EXPORT_SPEC:
        assert graph.get_check_spec(check_keys[f"raw_{name}:row_rules"]).blocking is True
    for check in ("validated_export:rows_accounted", "validated_export:cross_table_rules",
                  "field_map:confirmed_for_export"):
        assert graph.get_check_spec(check_keys[check]).blocking is True
    load = definitions.resolve_assets_def("twenty_companies")
    assert load.op.pool == "twenty_api"
    assert load.partitions_def is not None and load.partitions_def.name == "waves"
