"""Twenty: the schema step, then one load asset per Twenty object in lineage order, one writer at a time."""


import dagster as dg

from core_practice_twenty.defs.lifecycle.assets import twenty_baseline
from core_practice_twenty.defs.mapping.assets import field_map
from core_practice_twenty.defs.partitions import wave_check, waves
from core_practice_twenty.defs.resources import SettingsResource, TwentyResource, WarehouseResource
from core_practice_twenty.lifecycle.acceptance import sample_gate
from core_practice_twenty.lifecycle.changes import change_gate, plan_changes
from core_practice_twenty.mapping.field_map import check_gate, schema_fields
from core_practice_twenty.mapping.target_model import TARGET_OBJECTS, TargetObject, load_parents
from core_practice_twenty.settings import field_map_path
from core_practice_twenty.store.lifecycle import record_schema_changes
from core_practice_twenty.store.staging import staging_table
from core_practice_twenty.twenty.load_wave import load_object, reconcile_object
from core_practice_twenty.twenty.metadata import sync_schema


def _gate(context: dg.AssetExecutionContext, warehouse: WarehouseResource, settings: SettingsResource, *,
          sample: bool = True):
    """Blocking checks gate only their own run: a step launched alone must stop here too."""
    store = warehouse.warehouse()
    gate = check_gate(field_map_path(), store.wave_export(context.partition_key).export_dir)
    if not gate.ok or gate.field_map is None:
        raise dg.Failure(description=f"field map gate: {gate.message}", allow_retries=False)
    blocked = sample_gate(store, context.partition_key, enabled=settings.get().sample_gate) if sample else None
    if blocked:
        raise dg.Failure(description=f"sample gate: {blocked}", allow_retries=False)
    if sample:  # the schema step changes no record
        changes = change_gate(store, plan_changes(store, context.partition_key), settings.get().max_change_rate)
        if changes:
            raise dg.Failure(description=f"change guard: {changes}", allow_retries=False)
    return gate.field_map


@dg.asset(
    group_name="twenty",
    kinds={"twenty"},
    partitions_def=waves,
    pool="twenty_api",
    deps=[field_map, twenty_baseline],
    description="Custom objects, fields, SELECT options and relations the confirmed map needs, created in Twenty "
                "if missing (idempotent: a re-run changes nothing).",
)
def twenty_schema(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                  twenty: TwentyResource, settings: SettingsResource) -> dg.MaterializeResult:
    confirmed = _gate(context, warehouse, settings, sample=False)  # the sample wave needs the schema too
    fields = schema_fields(confirmed)
    targets = [TARGET_OBJECTS[plural] for plural in fields]
    with twenty.client() as client:
        result = sync_schema(client, targets, fields)
    record_schema_changes(warehouse.warehouse(), context.partition_key, result)  # rollback may remove them
    context.log.info(f"schema: created {len(result.objects_created)} object(s), {len(result.created)} field(s), "
                     f"{len(result.options_added)} option(s); {len(result.existing)} field(s) already right")
    return dg.MaterializeResult(
        metadata={
            "objects_created": dg.MetadataValue.json(result.objects_created),
            "fields_created": dg.MetadataValue.json(result.created),
            "options_added": dg.MetadataValue.json(result.options_added),
            "fields_existing": len(result.existing),
            "changed": result.changed,
        }
    )


def load_asset_name(target: TargetObject) -> str:
    return f"twenty_{target.name_plural}"


def _load_asset(target: TargetObject) -> dg.AssetsDefinition:
    @dg.asset(
        name=load_asset_name(target),
        group_name="twenty",
        kinds={"twenty"},
        partitions_def=waves,
        pool="twenty_api",
        deps=[staging_table(target.name_plural), twenty_schema,
              *(load_asset_name(TARGET_OBJECTS[p]) for p in load_parents(target.name_plural))],
        description=f"{target.label_plural or target.name_plural} upserted into Twenty"
                    f"{' by ' + target.source_key_field if target.source_key_field else ''}; every write in the "
                    f"id map and audit log.",
    )
    def _load(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
              twenty: TwentyResource, settings: SettingsResource) -> dg.MaterializeResult:
        _gate(context, warehouse, settings)
        store = warehouse.warehouse()
        wave = context.partition_key
        # Transient faults were retried inside the client (twenty/retry.py: the one retry policy); what
        # reaches here fails the step, and a re-run resumes from the id map.
        with twenty.client() as client:
            report = load_object(store, client, target, wave, context.run.run_id,
                                 export_dir=store.wave_export(wave).export_dir, log=context.log.info,
                                 upload_concurrency=settings.get().upload_concurrency)
            facts = client.learn().as_metadata() | {"rate_limiter": client.limiter.kind_seen}
        context.log.info(
            f"{target.name_plural}: created {report.created}, updated {report.updated}, unchanged "
            f"{report.unchanged}, rejected {report.rejected}, held back {report.held_back} in {report.requests} "
            f"requests ({report.throttled} throttled)"
        )
        return dg.MaterializeResult(metadata={
            **report.as_metadata(),
            **facts,
            "reject_reasons": dg.MetadataValue.json(report.reject_reasons),
            "held_back_reasons": dg.MetadataValue.json(report.held_back_reasons),
        })

    return _load


def _reconciled_check(target: TargetObject, asset: dg.AssetsDefinition) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=asset,
        name=f"{target.name_plural}_reconciled",
        description="Every staged record has an outcome (created, updated, unchanged, rejected, held back) and "
                    "Twenty holds exactly the id map's records.",
    )
    def _check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource,
               twenty: TwentyResource) -> dg.AssetCheckResult:
        with twenty.client() as client:
            result = reconcile_object(warehouse.warehouse(), client, target,
                                      context.op_execution_context.partition_key)
        return wave_check(context, passed=result.passed, metadata=result.as_metadata())

    return _check


LOAD_ASSETS = [_load_asset(target) for target in TARGET_OBJECTS.values()]
RECONCILED_CHECKS = [_reconciled_check(target, asset) for target, asset in zip(TARGET_OBJECTS.values(), LOAD_ASSETS,
                                                                                 strict=True)]
