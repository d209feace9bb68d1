"""Landing: one asset per Core Practice object, export file → DuckDB raw table, plus its blocking check."""


import dagster as dg

from core_practice_twenty.defs.partitions import waves
from core_practice_twenty.defs.resources import WarehouseResource
from core_practice_twenty.source.export_spec import EXPORT_SPEC, ObjectSpec
from core_practice_twenty.source.readers import ExportStructureError
from core_practice_twenty.store.raw import land_object, raw_table, read_raw
from core_practice_twenty.validation.schemas import validate_raw


def build_landing(spec: ObjectSpec) -> tuple[dg.AssetsDefinition, dg.AssetChecksDefinition]:
    @dg.asset(
        name=raw_table(spec),
        group_name="landing",
        kinds={"duckdb"},
        partitions_def=waves,
        description=f"{spec.description} Rows as exported, with wave, snapshot, file, line and row hash.",
    )
    def landing_asset(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        store = warehouse.warehouse()
        wave = context.partition_key
        export_dir, snapshot_id = store.wave_export(wave)
        try:
            stats = land_object(store, spec, export_dir, wave=wave, snapshot_id=snapshot_id)
        except ExportStructureError as exc:
            raise dg.Failure(description=str(exc)) from exc
        context.log.info(f"{spec.name}: landed {stats.rows_read} rows from {stats.source_file} "
                         f"({stats.encoding}, header on line {stats.header_line})")
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": stats.rows_read,
                "dagster/column_schema": dg.TableSchema(
                    columns=[dg.TableColumn(name, "varchar") for name in stats.columns_mapped]
                ),
                "snapshot_id": snapshot_id,
                "source_file": stats.source_file,
                "encoding": stats.encoding,
                "header_line": stats.header_line,
                "columns_missing": dg.MetadataValue.json(stats.columns_missing),
                "extra_columns": len(stats.extra_columns),
                "null_rates": dg.MetadataValue.json(stats.null_rates()),
            }
        )

    @dg.asset_check(
        asset=landing_asset,
        name="row_rules",
        blocking=True,
        description=f"Pandera row rules of {spec.name} from the export spec; failing rows block the load.",
    )
    def row_rules_check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        wave = _check_partition(context)
        report = validate_raw(read_raw(warehouse.warehouse(), spec, wave), spec)
        if not report.passed:
            context.log.error(f"{spec.name} ({wave}): {report.describe()}")
        return dg.AssetCheckResult(
            passed=report.passed,
            severity=dg.AssetCheckSeverity.ERROR,
            description=None if report.passed else report.describe(),
            metadata={
                "rows_checked": report.rows_checked,
                "failing_rows": len({f.source_line for f in report.failures}),
                "failures_by_rule": dg.MetadataValue.json(report.counts_by_rule()),
            },
        )

    return landing_asset, row_rules_check


def _check_partition(context: dg.AssetCheckExecutionContext) -> str:
    return context.op_execution_context.partition_key


_built = [build_landing(spec) for spec in EXPORT_SPEC.values()]
landing_assets = [asset for asset, _ in _built]
landing_checks = [check for _, check in _built]

defs = dg.Definitions(assets=landing_assets, asset_checks=landing_checks)
