"""Landing: one asset per Core Practice object (export file → DuckDB raw table) and its row rules."""

import dagster as dg

from core_practice_twenty.defs.mapping.map_file import field_map_file
from core_practice_twenty.defs.partitions import wave_check, waves
from core_practice_twenty.defs.resources import SettingsResource, TwentyResource, WarehouseResource
from core_practice_twenty.mapping.field_map import map_allows_cp1252_lines, map_header_overrides, map_held_out
from core_practice_twenty.source.export_spec import EXPORT_SPEC, ObjectSpec
from core_practice_twenty.source.readers import ExportStructureError
from core_practice_twenty.source.values import DATE_ORDER, Region
from core_practice_twenty.store.raw import land_object, raw_table
from core_practice_twenty.validation.context import ValidationContext
from core_practice_twenty.validation.run import validate_rows


def validation_context(warehouse: WarehouseResource, settings: SettingsResource, wave: str, *,
                       twenty: TwentyResource | None = None) -> ValidationContext:
    """The wave's export and the settings' limits: a file with more than CPT_MAX_REJECT_RATE rejected rows blocks
    the wave; given `twenty`, documents over what that Twenty accepts (TWENTY_MAX_UPLOAD_MB, else learned from it)
    are flagged, referenced and not uploaded."""
    export = warehouse.warehouse().wave_export(wave)
    upload_limit = None
    if twenty is not None:
        with twenty.client() as client:
            upload_limit = client.upload_limit()
    values = settings.get()
    return ValidationContext.for_export(export.export_dir, Region(export.region), export.export_date,
                                        max_upload_bytes=upload_limit, max_reject_rate=values.max_reject_rate,
                                        held_out=map_held_out(values.field_map))


def build_landing(spec: ObjectSpec) -> tuple[dg.AssetsDefinition, dg.AssetChecksDefinition]:
    @dg.asset(
        name=raw_table(spec),
        group_name="landing",
        kinds={"duckdb"},
        partitions_def=waves,
        deps=[field_map_file],  # header spellings the map chose, and its allow_cp1252_lines
        description=f"{spec.description} Rows as exported, with wave, snapshot, file, line and row hash.",
    )
    def landing_asset(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                      settings: SettingsResource) -> dg.MaterializeResult:
        store = warehouse.warehouse()
        export = store.wave_export(context.partition_key)
        map_path = settings.get().field_map
        try:
            stats = land_object(store, spec, export.export_dir, wave=export.wave, snapshot_id=export.snapshot_id,
                                header_overrides=map_header_overrides(spec.name, map_path),
                                allow_cp1252_lines=map_allows_cp1252_lines(map_path), log=context.log.info)
        except ExportStructureError as exc:
            raise dg.Failure(description=str(exc), allow_retries=False) from exc
        context.log.info(f"{spec.name}: landed {stats.rows_read} rows from {stats.source_file} "
                         f"({stats.encoding}, header on line {stats.header_line}, {stats.path} path)")
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": stats.rows_read,
                "dagster/column_schema": dg.TableSchema(
                    columns=[dg.TableColumn(name, spec.column(name).type.value) for name in stats.columns_mapped]
                ),
                "ambiguous_dates": dg.MetadataValue.json(stats.ambiguous_dates),
                "snapshot_id": export.snapshot_id,
                "source_file": stats.source_file,
                "encoding": stats.encoding,
                "encoding_evidence": dg.MetadataValue.json(stats.encoding_evidence),
                "header_line": stats.header_line,
                "reader": stats.path,
                "region": export.region,
                "date_order": DATE_ORDER[Region(export.region)].value,
                "columns_missing": dg.MetadataValue.json(stats.columns_missing),
                "extra_columns": dg.MetadataValue.json(stats.extra_columns),
                "null_rates": dg.MetadataValue.json(stats.null_rates()),
            }
        )

    @dg.asset_check(
        asset=landing_asset,
        name="row_rules",
        blocking=True,
        description=(f"Pandera row rules of {spec.name}, derived from the export spec. Failing rows go to "
                     f"validation_issues (reject or warn); blocks on duplicate keys or too many rejects."),
    )
    def row_rules_check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource,
                        settings: SettingsResource) -> dg.AssetCheckResult:
        wave = context.op_execution_context.partition_key
        ctx = validation_context(warehouse, settings, wave)
        with warehouse.warehouse().connect() as conn:
            result = validate_rows(conn, spec, wave, ctx)  # writes the issues to validation_issues
        blocking = result.blocking_reasons(ctx.max_reject_rate)
        if result.issue_count:
            log = context.log.error if blocking else context.log.info
            log(f"{spec.name} ({wave}): {result.describe()}")
        return wave_check(
            context,
            passed=not blocking,
            severity=dg.AssetCheckSeverity.ERROR,
            description=(f"blocked: {', '.join(blocking)}. {result.describe()}" if blocking
                         else result.describe() or "all rows pass"),
            metadata={
                "rows_checked": result.rows_checked,
                "rejected_rows": result.rejected_rows,
                "reject_rate": round(result.reject_rate, 4),
                "failures_by_rule": dg.MetadataValue.json(result.counts_by_rule()),
            },
        )

    return landing_asset, row_rules_check


_built = [build_landing(spec) for spec in EXPORT_SPEC.values()]
landing_assets = [asset for asset, _ in _built]
landing_checks = [check for _, check in _built]

defs = dg.Definitions(assets=landing_assets, asset_checks=landing_checks)
