"""Migration lifecycle: the baseline, the sample and its acceptance, field-level diffs, source changes.

Wiring only: the logic lives in `core_practice_twenty.lifecycle`.
"""


import dagster as dg

from core_practice_twenty.defs.mapping.assets import field_map
from core_practice_twenty.defs.partitions import wave_check, waves
from core_practice_twenty.defs.resources import SettingsResource, TwentyResource, WarehouseResource
from core_practice_twenty.defs.validation.assets import validated_export
from core_practice_twenty.lifecycle.acceptance import (
    SAMPLE_WAVE,
    current_acceptance,
    latest_diff,
    record_diff,
    sample_gate,
    save_sample,
)
from core_practice_twenty.lifecycle.baseline import take_baseline
from core_practice_twenty.lifecycle.cutover import gone_from_source
from core_practice_twenty.lifecycle.diff import diff_wave, write_reports
from core_practice_twenty.lifecycle.sample import choose_sample
from core_practice_twenty.mapping.target_model import TARGET_OBJECTS
from core_practice_twenty.settings import reports_dir
from core_practice_twenty.twenty.preflight import PreflightError, check_twenty


@dg.asset(
    group_name="twenty",
    kinds={"twenty"},
    partitions_def=waves,
    pool="twenty_api",
    deps=[field_map],
    description="Twenty as it was before the migration's first write: counts and record fingerprints per object "
                "(taken once, kept). Rollback proves the workspace is back to it.",
)
def twenty_baseline(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                    twenty: TwentyResource) -> dg.MaterializeResult:
    try:  # the run's first step that needs Twenty: one paragraph, not a connection error's traceback
        check_twenty(twenty.api_url, twenty.api_key, settings=twenty.settings.get())
    except PreflightError as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from None
    with twenty.client() as client:
        baseline = take_baseline(client, warehouse.warehouse())
        facts = client.learn()
    context.log.info(f"baseline: {'taken now' if baseline.taken_now else 'kept from before the first wave'}, "
                     f"{len(baseline.objects)} objects")
    context.log.info(facts.header())  # what this Twenty offers, learned from it (twenty/facts.py)
    return dg.MaterializeResult(metadata={
        **facts.as_metadata(),
        "taken_now": baseline.taken_now,
        "objects": dg.MetadataValue.json(baseline.summary()),
    })


@dg.asset(
    group_name="mapping",
    kinds={"duckdb"},
    partitions_def=waves,
    deps=[validated_export],
    description="For the `sample` wave: 100–500 source records covering every object, status and edge case, "
                "with all their related records. Other waves migrate every record.",
)
def sample_selection(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                     settings: SettingsResource) -> dg.MaterializeResult:
    wave = context.partition_key
    if wave != SAMPLE_WAVE:
        return dg.MaterializeResult(metadata={"sample": False, "note": "not the sample wave: every record"})
    store = warehouse.warehouse()
    with store.connect() as conn:
        choice = choose_sample(conn, wave, seed=settings.get().sample_seed)
    saved = save_sample(store, wave, choice)
    coverage = choice.coverage.as_metadata()
    context.log.info(f"sample: {choice.coverage.total} records ({saved} source rows with their lines and links); "
                     f"{len(choice.coverage.did_not_fit)} requirement(s) did not fit")
    return dg.MaterializeResult(metadata={"sample": True, "records": choice.coverage.total, "source_rows": saved,
                                          "did_not_fit": len(choice.coverage.did_not_fit),
                                          "coverage": dg.MetadataValue.json(coverage)})


@dg.asset_check(
    asset=sample_selection,
    blocking=True,
    description="Waves other than `sample` map and load only after a person accepted the sample's diff "
                "(`cpt sample accept`).",
)
def sample_accepted(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource,
                    settings: SettingsResource) -> dg.AssetCheckResult:
    wave = context.op_execution_context.partition_key
    store = warehouse.warehouse()
    enabled = settings.get().sample_gate
    blocked = sample_gate(store, wave, enabled=enabled)
    if blocked:
        context.log.error(blocked)
    accepted = current_acceptance(store)
    return wave_check(context, passed=blocked is None, description=blocked, metadata={
        "gate": "on" if enabled else "off (CPT_SAMPLE_GATE)",
        "accepted_by": accepted.accepted_by if accepted else "",
        "accepted_at": accepted.accepted_at.isoformat() if accepted else "",
    })


@dg.asset(
    group_name="verify",
    kinds={"twenty"},
    partitions_def=waves,
    deps=[f"twenty_{plural}" for plural in TARGET_OBJECTS],
    description="Field-level diff of the wave against Twenty: for every mapped field, expected and actual value. "
                "The whole sample; a random slice per object of other waves. Reports under data/reports/.",
)
def wave_diff(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
              twenty: TwentyResource, settings: SettingsResource) -> dg.MaterializeResult:
    wave = context.partition_key
    store = warehouse.warehouse()
    given = settings.get()
    slice_size = None if wave == SAMPLE_WAVE else given.diff_slice  # the sample is diffed whole
    with twenty.client() as client:
        diff = diff_wave(client, store, wave, sample_size=slice_size, seed=given.sample_seed,
                         map_path=given.field_map, log=context.log.info)
    paths = write_reports(diff, reports_dir())
    summary = diff.summary()
    record_diff(store, wave, context.run.run_id, summary)
    context.log.info(f"diff of wave {wave}: {summary.unexpected} unexpected difference(s); report {paths['markdown']}")
    return dg.MaterializeResult(metadata={
        **summary.as_metadata(),
        "slice_per_object": slice_size if slice_size is not None else "all",
        "report": dg.MetadataValue.path(str(paths["markdown"])),
        "report_csv": dg.MetadataValue.path(str(paths["csv"])),
        "report_html": dg.MetadataValue.path(str(paths["html"])),
    })


@dg.asset_check(asset=wave_diff, description="No unexpected difference between what was sent and what Twenty holds.")
def no_unexpected_differences(context: dg.AssetCheckExecutionContext,
                              warehouse: WarehouseResource) -> dg.AssetCheckResult:
    latest = latest_diff(warehouse.warehouse(), context.op_execution_context.partition_key)
    passed = bool(latest and latest["passed"])
    return wave_check(context, passed=passed, metadata={
        "records_diffed": int(latest["records"]) if latest else 0,
        "unexpected_differences": int(latest["unexpected"]) if latest else 0,
    })


@dg.asset(
    group_name="verify",
    kinds={"duckdb"},
    partitions_def=waves,
    deps=[validated_export],
    description="Records in the previous wave's export that this snapshot no longer has: reported, never deleted "
                "in Twenty (a person decides).",
)
def source_changes(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    wave = context.partition_key
    store = warehouse.warehouse()
    previous = store.previous_wave(wave, skip=(SAMPLE_WAVE,))
    if previous is None:
        return dg.MaterializeResult(metadata={"previous_wave": "", "gone_from_source": dg.MetadataValue.json({})})
    with store.connect() as conn:
        gone = gone_from_source(conn, previous, wave)
    report = reports_dir() / f"gone-from-source-{wave}.csv"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text("object,source_key\n" + "".join(f"{obj},{key}\n" for obj, keys in gone.items() for key in keys),
                      encoding="utf-8")
    context.log.info(f"{sum(len(k) for k in gone.values())} record(s) of wave {previous} are gone from {wave}")
    return dg.MaterializeResult(metadata={
        "previous_wave": previous,
        "gone_from_source": dg.MetadataValue.json({obj: len(keys) for obj, keys in gone.items()}),
        "report": dg.MetadataValue.path(str(report)),
    })
