"""Twenty: the schema step and the load assets, in lineage order, one writer at a time."""


import dagster as dg
import httpx
from filelock import Timeout as LockTimeout

from core_practice_twenty.defs.mapping.assets import field_map, stg_twenty_companies
from core_practice_twenty.defs.partitions import waves
from core_practice_twenty.defs.resources import TwentyResource, WarehouseResource
from core_practice_twenty.mapping.field_map import check_gate, field_map_path
from core_practice_twenty.mapping.target_model import COMPANIES, SCHEMA_OBJECTS
from core_practice_twenty.store.staging import read_id_map, read_staged, record_outcomes
from core_practice_twenty.twenty.client import TwentyApiError
from core_practice_twenty.twenty.loader import load_records
from core_practice_twenty.twenty.metadata import sync_schema

LOAD_RETRY = dg.RetryPolicy(max_retries=3, delay=10, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)


def _transient(exc: BaseException) -> bool:
    """Worth a step retry: Twenty throttling or down, the network, or the warehouse lock held too long."""
    if isinstance(exc, TwentyApiError):
        return exc.retryable
    return isinstance(exc, httpx.TransportError | httpx.TimeoutException | LockTimeout)


def _no_retry_unless_transient(exc: Exception) -> dg.Failure:
    """A deterministic error (a bug, a refused schema) fails at once instead of burning retries."""
    return dg.Failure(description=f"{type(exc).__name__}: {exc}", allow_retries=False)


@dg.asset(
    group_name="twenty",
    kinds={"twenty"},
    partitions_def=waves,
    pool="twenty_api",
    deps=[field_map],
    description="Custom objects, fields, SELECT options and relations the migration needs, created in Twenty "
                "if missing (idempotent: a re-run changes nothing).",
)
def twenty_schema(context: dg.AssetExecutionContext, twenty: TwentyResource) -> dg.MaterializeResult:
    with twenty.client() as client:
        result = sync_schema(client, SCHEMA_OBJECTS)
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


@dg.asset(
    group_name="twenty",
    kinds={"twenty"},
    partitions_def=waves,
    pool="twenty_api",
    retry_policy=LOAD_RETRY,
    deps=[stg_twenty_companies, twenty_schema],
    description="Companies upserted into Twenty by cpPracticeId; every write in the id map and audit log.",
)
def twenty_companies(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                     twenty: TwentyResource) -> dg.MaterializeResult:
    store = warehouse.warehouse()
    wave = context.partition_key
    gate = check_gate(field_map_path(), store.wave_export(wave).export_dir)
    if not gate.ok:  # blocking checks gate only their own run: a load launched alone must stop here too
        raise dg.Failure(description=f"field map gate: {gate.message}", allow_retries=False)
    staged = read_staged(store, COMPANIES.name_plural, wave)
    known = read_id_map(store, COMPANIES.name_plural)
    try:
        with twenty.client() as client:
            report = load_records(
                client, COMPANIES, staged, known,
                on_batch=lambda outcomes: record_outcomes(store, COMPANIES.name_plural, wave, context.run.run_id,
                                                          outcomes),
                log=context.log.info,
            )
    except Exception as exc:
        if _transient(exc):
            raise
        raise _no_retry_unless_transient(exc) from exc
    context.log.info(
        f"companies: created {report.created}, updated {report.updated}, unchanged {report.unchanged}, "
        f"rejected {report.rejected} in {report.requests} requests"
    )
    return dg.MaterializeResult(
        metadata={
            "staged": report.staged,
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "rejected": report.rejected,
            "reject_reasons": dg.MetadataValue.json(report.reject_reasons),
            "requests": report.requests,
            "throttled_429": report.throttled,
            "records_per_minute": report.records_per_minute,
        }
    )


@dg.asset_check(
    asset=twenty_companies,
    description="Every staged practice is accounted for, and Twenty holds exactly the id map's companies.",
)
def companies_reconciled(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource,
                         twenty: TwentyResource) -> dg.AssetCheckResult:
    store = warehouse.warehouse()
    wave = context.op_execution_context.partition_key
    staged = len(read_staged(store, COMPANIES.name_plural, wave))
    with store.connect() as conn:
        accounted = conn.execute(
            "select count(distinct source_key) from audit_log where object = ? and wave = ? and run_id = ?",
            [COMPANIES.name_plural, wave, context.op_execution_context.run.run_id],
        ).fetchone()[0]
        mapped = conn.execute("select count(*) from id_map where object = ?", [COMPANIES.name_plural]).fetchone()[0]
    with twenty.client() as client:
        in_twenty = client.count(COMPANIES.name_plural, filter=f"{COMPANIES.source_key_field}[is]:NOT_NULL")
    passed = accounted == staged and in_twenty == mapped
    return dg.AssetCheckResult(
        passed=passed,
        metadata={"staged": staged, "accounted_in_audit_log": accounted, "id_map": mapped,
                  "twenty_total_count": in_twenty},
    )
