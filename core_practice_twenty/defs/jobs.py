"""The wave job: every asset and check of the migration for one wave, in lineage order."""

import dagster as dg

migrate_wave = dg.define_asset_job(
    name="migrate_wave",
    selection=dg.AssetSelection.all(),
    description="Land, validate, map and load one wave. Blocking checks stop the load in the same run.",
)
