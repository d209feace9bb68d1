"""Delta pickup: during the cutover window, each new export snapshot in the drop folder becomes a wave."""

from datetime import UTC, date, datetime

import dagster as dg

from core_practice_twenty.defs.jobs import migrate_wave
from core_practice_twenty.defs.partitions import waves
from core_practice_twenty.defs.resources import SettingsResource
from core_practice_twenty.lifecycle.cutover import CutoverWindow, find_new_snapshots, window_state
from core_practice_twenty.source.readers import detect_region
from core_practice_twenty.store.warehouse import Warehouse


@dg.sensor(job=migrate_wave, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.STOPPED,
           description="During the cutover window (CPT_CUTOVER_START, CPT_CUTOVER_HOURS), a new complete export "
                       "snapshot in CPT_DROP_DIR becomes wave delta-<folder>: only new and changed records are "
                       "sent. Outside the window it skips with the reason.")
def delta_pickup(context: dg.SensorEvaluationContext, settings: SettingsResource) -> dg.SensorResult | dg.SkipReason:
    given = settings.get()
    state = window_state(CutoverWindow.from_settings(given), datetime.now(UTC))
    if not state.open:
        return dg.SkipReason(state.reason)
    folder = given.drop_dir
    if not folder.is_dir():
        return dg.SkipReason(f"drop folder {folder} does not exist (CPT_DROP_DIR)")
    scan = find_new_snapshots(folder, context.cursor)
    if not scan.new:
        waiting = "; ".join(f"{name}: {why}" for name, why in scan.waiting.items())
        return dg.SkipReason(f"no new complete snapshot in {folder}" + (f" (waiting: {waiting})" if waiting else ""))
    store = Warehouse(given.warehouse)
    requests, new_waves = [], []
    for snapshot in scan.new:
        region, _reason = detect_region(snapshot.path)
        store.register_wave(snapshot.wave, snapshot.path, snapshot_id=snapshot.name, region=region,
                            export_date=date.fromtimestamp(snapshot.mtime))
        new_waves.append(snapshot.wave)
        requests.append(dg.RunRequest(run_key=snapshot.wave, partition_key=snapshot.wave,
                                      tags={"cpt/launched_by": "delta_pickup"}))
    return dg.SensorResult(run_requests=requests, cursor=scan.cursor,
                           dynamic_partitions_requests=[waves.build_add_request(new_waves)])
