"""Validation across the whole export: references, duplicates, shared emails, documents; and the counts."""


import dagster as dg

from core_practice_twenty.defs.landing.assets import field_map_file, landing_assets, validation_context
from core_practice_twenty.defs.partitions import wave_check, waves
from core_practice_twenty.defs.resources import SettingsResource, TwentyResource, WarehouseResource
from core_practice_twenty.lifecycle.acceptance import SAMPLE_WAVE
from core_practice_twenty.lifecycle.cutover import shrunk_files
from core_practice_twenty.source.export_spec import EXPORT_SPEC
from core_practice_twenty.store.issues import object_counts, replace_issues, rule_counts
from core_practice_twenty.validation.cross_table import cross_table_issues
from core_practice_twenty.validation.duplicate_review import write_duplicate_review


@dg.asset(
    group_name="validation",
    kinds={"duckdb"},
    partitions_def=waves,
    deps=[*landing_assets, field_map_file],  # the map's held-out columns are not searched for identifiers
    description="Cross-table rules over the landed export; every row ends accepted (maybe flagged) or rejected.",
)
def validated_export(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                     settings: SettingsResource, twenty: TwentyResource) -> dg.MaterializeResult:
    wave = context.partition_key
    ctx = validation_context(warehouse, settings, wave, twenty=twenty)
    with warehouse.warehouse().connect() as conn:
        issues = cross_table_issues(conn, wave, ctx)
        replace_issues(conn, wave, "cross", issues, EXPORT_SPEC)
        counts = {name: object_counts(conn, spec, wave) for name, spec in EXPORT_SPEC.items()}
        rules = {name: rule_counts(conn, wave, name, "cross") for name in EXPORT_SPEC}
        review, pending = write_duplicate_review(conn, wave, settings.get().reports)
    if pending:
        context.log.info(f"{pending} likely duplicate pair(s) wait for a decision: {review.name}")
    table = "| object | read | accepted | rejected | flagged |\n|---|---|---|---|---|\n" + "\n".join(
        f"| {name} | {c['read']} | {c['accepted']} | {c['rejected']} | {c['warned']} |" for name, c in counts.items()
    )
    context.log.info("validation: " + ", ".join(f"{n} {c['accepted']}/{c['read']}" for n, c in counts.items()))
    return dg.MaterializeResult(
        metadata={
            "rows_read": sum(c["read"] for c in counts.values()),
            "rows_accepted": sum(c["accepted"] for c in counts.values()),
            "rows_rejected": sum(c["rejected"] for c in counts.values()),
            "counts": dg.MetadataValue.md(table),
            "cross_table_rules": dg.MetadataValue.json({k: v for k, v in rules.items() if v}),
            "likely_duplicate_pairs_to_decide": pending,
            "likely_duplicates_review": dg.MetadataValue.path(str(review)),
        }
    )


@dg.asset_check(
    asset=validated_export,
    blocking=True,
    description="For every object: rows read = rows accepted + rows rejected, and every issue names a real row.",
)
def rows_accounted(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
    wave = context.op_execution_context.partition_key
    with warehouse.warehouse().connect() as conn:
        counts = {name: object_counts(conn, spec, wave) for name, spec in EXPORT_SPEC.items()}
    broken = [
        name for name, c in counts.items()
        if c["read"] != c["accepted"] + c["rejected"] or c["issues_without_row"]
    ]
    return wave_check(
        context,
        passed=not broken,
        description=f"counts do not add up for {', '.join(broken)}" if broken else "every row accounted for",
        metadata={"by_object": dg.MetadataValue.json(counts)},
    )


@dg.asset_check(
    asset=validated_export,
    blocking=True,
    description="Blocks when cross-table rejects (e.g. records of patients missing from the export) exceed the limit.",
)
def cross_table_rules(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource,
                      settings: SettingsResource) -> dg.AssetCheckResult:
    wave = context.op_execution_context.partition_key
    ctx = validation_context(warehouse, settings, wave)
    with warehouse.warehouse().connect() as conn:
        counts = {name: object_counts(conn, spec, wave) for name, spec in EXPORT_SPEC.items()}
        rules = {name: rule_counts(conn, wave, name, "cross") for name in EXPORT_SPEC}
    over = [
        f"{name} ({c['rejected']}/{c['read']})" for name, c in counts.items()
        if c["read"] and c["rejected"] / c["read"] > ctx.max_reject_rate
    ]
    return wave_check(
        context,
        passed=not over,
        description=(f"reject rate above {ctx.max_reject_rate:.1%}: {', '.join(over)}" if over
                     else "reject rates within the limit"),
        metadata={"failures_by_rule": dg.MetadataValue.json({k: v for k, v in rules.items() if v})},
    )


@dg.asset_check(
    asset=validated_export,
    blocking=True,
    description="A delta's file that lost more than CPT_MAX_SHRINK (20 %) of the previous snapshot's rows stops the "
                "wave: a cut-short or wrong report, not deletions.",
)
def no_file_shrunk(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource,
                   settings: SettingsResource) -> dg.AssetCheckResult:
    wave = context.op_execution_context.partition_key
    store = warehouse.warehouse()
    previous = store.previous_wave(wave, skip=(SAMPLE_WAVE,))
    if previous is None or wave == SAMPLE_WAVE:
        return wave_check(context, passed=True, description="no earlier snapshot to compare with")
    max_share = settings.get().max_shrink
    with store.connect() as conn:
        shrunk = shrunk_files(conn, previous, wave, max_share)
    description = (f"compared with wave {previous!r}: " + "; ".join(s.describe() for s in shrunk)
                   + ". Export those files again (or check the report chosen), then run the wave again"
                   if shrunk else f"no file lost more than {max_share:.0%} of wave {previous!r}'s rows")
    if shrunk:
        context.log.error(description)
    return wave_check(context, passed=not shrunk, description=description, metadata={
        "previous_wave": previous,
        "shrunk": dg.MetadataValue.json({s.object: [s.rows_before, s.rows_now] for s in shrunk})})
