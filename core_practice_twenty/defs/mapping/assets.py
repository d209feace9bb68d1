"""Mapping: staged Twenty payloads, one staging table per Twenty object."""


from collections.abc import Iterator

import dagster as dg

from core_practice_twenty.defs.mapping.map_file import field_map_file
from core_practice_twenty.defs.partitions import wave_check, waves
from core_practice_twenty.defs.resources import SettingsResource, TwentyResource, WarehouseResource
from core_practice_twenty.defs.validation.assets import validated_export
from core_practice_twenty.lifecycle.acceptance import read_sample, sample_gate
from core_practice_twenty.lifecycle.changes import GUARDED_FIELDS, change_gate, plan_changes, write_change_report
from core_practice_twenty.mapping.field_map import check_gate
from core_practice_twenty.mapping.target_model import TARGET_OBJECTS
from core_practice_twenty.mapping.wave import stage_wave
from core_practice_twenty.settings import field_map_path, reports_dir
from core_practice_twenty.store.staging import staging_table
from core_practice_twenty.twenty.metadata import target_field_names


@dg.asset(
    group_name="mapping",
    kinds={"yaml"},
    partitions_def=waves,
    deps=[validated_export, field_map_file],
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
    return wave_check(context, passed=gate.ok, description=None if gate.ok else gate.message,
                               metadata={"problems": len(gate.problems)})


def _staging_specs() -> list[dg.AssetSpec]:
    """One staging table per Twenty object (a function: module-level specs would be loaded twice)."""
    return [dg.AssetSpec(
        key=staging_table(target.name_plural),
        group_name="mapping",
        kinds={"duckdb"},
        partitions_def=waves,
        deps=[validated_export, field_map, dg.AssetKey("twenty_schema"), dg.AssetKey("sample_selection")],
        description=f"One row per Twenty {target.name_singular} to send: source key, payload, payload hash and "
                    f"the records it depends on. {target.description}",
    ) for target in TARGET_OBJECTS.values()]


@dg.multi_asset(specs=_staging_specs(), name="stg_twenty", can_subset=False)
def stg_twenty(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
               twenty: TwentyResource, settings: SettingsResource) -> Iterator[dg.MaterializeResult]:
    """Map the whole wave at once: the mappers depend on each other (a patient on its practice, a claim
    on its invoice), so a record whose parent is held back is held back too, with the reason."""
    store = warehouse.warehouse()
    wave = context.partition_key
    export = store.wave_export(wave)
    gate = check_gate(field_map_path(), export.export_dir)
    if not gate.ok or gate.field_map is None:
        raise dg.Failure(description=f"field map gate: {gate.message}", allow_retries=False)
    blocked = sample_gate(store, wave, enabled=settings.get().sample_gate)
    if blocked:
        raise dg.Failure(description=f"sample gate: {blocked}", allow_retries=False)
    with twenty.client() as client:
        members = list(client.find_many("workspaceMembers"))
        field_names = target_field_names(client)
        upload_limit = client.upload_limit()  # TWENTY_MAX_UPLOAD_MB, else what this Twenty's upload flow takes
    result = stage_wave(store, wave, gate.field_map, members=members, target_field_names=field_names,
                        reports_dir=reports_dir(), max_upload_bytes=upload_limit,
                        only=read_sample(store, wave), log=context.log.info)
    if result.unbalanced:
        raise dg.Failure(description=f"mapping lost rows: {result.unbalanced}", allow_retries=False)
    context.log.info(f"mapping: staged {sum(result.staged.values())} records across {len(result.staged)} "
                     f"objects; held back {sum(sum(c.values()) for c in result.held_back.values())} rows")
    for target in TARGET_OBJECTS.values():
        source = target.source_object
        yield dg.MaterializeResult(
            asset_key=staging_table(target.name_plural),
            metadata={
                "dagster/row_count": result.staged.get(target.name_plural, 0),
                "source_object": source,
                "source_rows": result.rows.get(source, 0),
                "held_back_by_reason": dg.MetadataValue.json(result.held_back.get(source, {})),
                "excluded": result.excluded.get(source, 0),
                "decisions": dg.MetadataValue.json(result.decisions),
                "reports": dg.MetadataValue.json(result.reports),
            },
        )


def _changes_check(plural: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(staging_table(plural)),
        name="changes_approved",
        blocking=True,
        description="Records already in Twenty whose name, birth date, email or phone this wave would change: "
                    "above CPT_MAX_CHANGE_RATE, or any that look garbled, the load waits for `cpt wave "
                    "approve-changes` (preview: changes-<wave>.md in the reports folder).",
    )
    def _check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource,
               settings: SettingsResource) -> dg.AssetCheckResult:
        store = warehouse.warehouse()
        plan = plan_changes(store, context.op_execution_context.partition_key)
        _, report = write_change_report(plan, reports_dir())
        reason = change_gate(store, plan, settings.get().max_change_rate)
        if reason:
            context.log.error(reason)
        return wave_check(context, passed=reason is None, description=reason,
                                   metadata={**plan.as_metadata(), "report": str(report)})

    return _check


CHANGE_CHECKS = [_changes_check(plural) for plural in GUARDED_FIELDS]
