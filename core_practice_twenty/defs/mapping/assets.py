"""Mapping: staged Twenty payloads, one staging table per Twenty object."""


from collections import Counter

import dagster as dg

from core_practice_twenty.defs.partitions import waves
from core_practice_twenty.defs.resources import WarehouseResource
from core_practice_twenty.defs.validation.assets import validated_export
from core_practice_twenty.mapping.companies import map_practices
from core_practice_twenty.mapping.field_map import check_gate, field_map_path
from core_practice_twenty.mapping.target_model import COMPANIES
from core_practice_twenty.source.export_spec import PRACTICES
from core_practice_twenty.store.issues import accepted_rows_sql
from core_practice_twenty.store.staging import staging_table, write_staged


@dg.asset(
    group_name="mapping",
    kinds={"yaml"},
    partitions_def=waves,
    deps=[validated_export],
    description="The field map a person confirmed (CPT_FIELD_MAP, default data/mapping/field-map.yaml).",
)
def field_map(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    path = field_map_path()
    export = warehouse.warehouse().wave_export(context.partition_key)
    gate = check_gate(path, export.export_dir)
    loaded = gate.field_map
    conf = loaded.confirmation if loaded else None
    return dg.MaterializeResult(
        metadata={
            "path": str(path),
            "status": loaded.status if loaded else "missing",
            "confirmed_by": (conf.confirmed_by if conf else None) or "",
            "confirmed_at": (conf.confirmed_at if conf else None) or "",
            "fingerprint": ((conf.fingerprint if conf else None) or "")[:16],
            "entries": len(loaded.entries()) if loaded else 0,
            "open_decisions": len(loaded.undecided()) if loaded else 0,
        }
    )


@dg.asset_check(
    asset=field_map,
    blocking=True,
    description="Nothing is mapped or loaded unless the map is confirmed and locked to this export's columns.",
)
def confirmed_for_export(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
    export = warehouse.warehouse().wave_export(context.op_execution_context.partition_key)
    gate = check_gate(field_map_path(), export.export_dir)
    if not gate.ok:
        context.log.error(gate.message)
    return dg.AssetCheckResult(passed=gate.ok, description=None if gate.ok else gate.message,
                               metadata={"problems": len(gate.problems)})


@dg.asset(
    name=staging_table(COMPANIES.name_plural),
    group_name="mapping",
    kinds={"duckdb"},
    partitions_def=waves,
    deps=[validated_export, field_map],
    description="One Twenty company payload per practice location, keyed by practice_id.",
)
def stg_twenty_companies(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    store = warehouse.warehouse()
    wave = context.partition_key
    with store.connect() as conn:
        frame = conn.execute(accepted_rows_sql(PRACTICES), [wave, wave]).df().astype(object)
    rows = frame.where(frame.notna(), None).to_dict("records")
    staged = map_practices(rows)
    write_staged(store, COMPANIES.name_plural, wave, staged)
    notes = Counter(note for record in staged for note in record.notes)
    context.log.info(f"companies: staged {len(staged)} payloads from {len(rows)} practice rows")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(staged),
            "source_rows": len(rows),
            "notes": dg.MetadataValue.json(dict(notes)),
        }
    )
