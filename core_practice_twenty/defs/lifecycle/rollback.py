"""The rollback job: undo waves from the audit log, newest first, then prove the baseline.

An op job, not an asset: a rollback is an action on Twenty, not data the pipeline produces. Launch it
from the UI (Jobs → rollback_migration → Launchpad) or with `cpt rollback`.
"""

import dagster as dg

from core_practice_twenty.defs.resources import TwentyResource, WarehouseResource
from core_practice_twenty.lifecycle.rollback import RollbackBlockedError, plan_rollback, rollback


class RollbackConfig(dg.Config):
    waves: list[str] = []
    """Waves to undo; empty = every wave the migration wrote."""
    remove_schema: bool = False
    """Also delete the custom objects and fields the migration created (only once every wave is undone)."""
    preview_only: bool = False


@dg.op(pool="twenty_api", tags={"kind": "twenty"})
def rollback_waves(context: dg.OpExecutionContext, config: RollbackConfig, warehouse: WarehouseResource,
                   twenty: TwentyResource) -> dg.Output[None]:
    """Destroy what the migration created, restore what it changed, prove Twenty is back to its baseline."""
    store = warehouse.warehouse()
    plan = plan_rollback(store, config.waves or None)
    context.log.info(plan.preview())
    if config.preview_only:
        return dg.Output(None, metadata={"preview": dg.MetadataValue.json(plan.summary())})
    try:
        with twenty.client() as client:
            result = rollback(client, store, config.waves or None, run_id=context.run_id,
                              remove_schema=config.remove_schema, log=context.log.info)
    except RollbackBlockedError as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from exc
    summary = result.summary()
    if not result.ok:
        raise dg.Failure(description=f"rollback incomplete: {result.summary()['failed']} record(s) failed, "
                                     f"back to baseline: {summary['back_to_baseline']}; run it again to resume",
                         metadata={"summary": dg.MetadataValue.json(summary)})
    return dg.Output(None, metadata={"summary": dg.MetadataValue.json(summary),
                                     "back_to_baseline": bool(summary["back_to_baseline"])})


@dg.job(description="Undo migration waves (newest first) from the audit log and prove Twenty is back to baseline.")
def rollback_migration() -> None:
    rollback_waves()
