"""Migration waves: `sample`, `full`, `delta-…`; one key per export snapshot migrated."""

import dagster as dg

waves = dg.DynamicPartitionsDefinition(name="waves")


def wave_check(context: dg.AssetCheckExecutionContext, *, passed: bool, description: str | None = None,
               metadata: dict | None = None, **kwargs: object) -> dg.AssetCheckResult:
    """A check's result that names its wave: in the UI's check history a result of `sample` and one of `full` read
    alike otherwise (the partition is not shown beside a check evaluation)."""
    wave = context.op_execution_context.partition_key
    said = f"wave {wave!r}: {description}" if description else f"wave {wave!r}"
    return dg.AssetCheckResult(passed=passed, description=said, metadata={"wave": wave, **(metadata or {})},
                               **kwargs)
