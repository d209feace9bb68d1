"""Mapping: staged Twenty payloads, one staging table per Twenty object."""


from collections import Counter

import dagster as dg

from core_practice_twenty.defs.partitions import waves
from core_practice_twenty.defs.resources import WarehouseResource
from core_practice_twenty.defs.validation.assets import validated_export
from core_practice_twenty.mapping.companies import map_practices
from core_practice_twenty.mapping.target_model import COMPANIES
from core_practice_twenty.source.export_spec import PRACTICES
from core_practice_twenty.store.issues import accepted_rows_sql
from core_practice_twenty.store.staging import staging_table, write_staged


@dg.asset(
    name=staging_table(COMPANIES.name_plural),
    group_name="mapping",
    kinds={"duckdb"},
    partitions_def=waves,
    deps=[validated_export],
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
