"""Stage the compiled objects of a wave: each plan run in one transaction, its counts and hold-backs returned as
the `MappingResult` the Python mappers return, so the wave's summary and reports read both alike."""

from __future__ import annotations

from collections.abc import Mapping

import duckdb

from core_practice_twenty.mapping.field_map.model import FieldMap
from core_practice_twenty.mapping.objects import CoreMapping
from core_practice_twenty.mapping.objects.common import MappingResult
from core_practice_twenty.mapping.options import MappingOptions
from core_practice_twenty.mapping.sql.context import mapping_context
from core_practice_twenty.mapping.sql.plans import COMPILED, PLANS, ObjectPlan
from core_practice_twenty.store.mapping_sql import lookup_table, registered, run_plan


def stage_plan(conn: duckdb.DuckDBPyConnection, wave: str, plan: ObjectPlan,
               tables: Mapping[str, Mapping[str, list]]) -> tuple[MappingResult, dict[str, int]]:
    """Run one plan on `conn` (inside the caller's transaction, staging tables cleared by it): its result and the
    records written per Twenty object."""
    result = MappingResult(target=plan.target, source_object=plan.source_object)
    lookups = {name: lookup_table(conn, wave, lk.source_object, lk.column, lk.read)
               for name, lk in (plan.cells.lookups.items() if plan.cells else ())}
    counted = [plan.unknown_status] if plan.unknown_status else []
    with registered(conn, {**tables, **lookups}):
        written, held, counts = run_plan(conn, wave, plan.rows, [(s.target, s.select) for s in plan.staged],
                                         counted)
    obj = plan.source_object
    result.count(f"{obj}.rows", counts["rows"])
    if plan.excluded_all:
        result.count(f"{obj}.excluded", counts["rows"])
        result.decisions.append({"kind": f"{obj}_excluded", "rows": counts["rows"]})
        return result, written
    for key, line, reason in held:
        result.hold(obj, key, line, reason)
    result.count(f"{obj}.staged", written.get(plan.target, 0))
    if plan.unknown_status and counts[plan.unknown_status]:
        result.count("unknown_status", counts[plan.unknown_status])
    return result, written


def stage_compiled(conn: duckdb.DuckDBPyConnection, wave: str, core: CoreMapping, options: MappingOptions, *,
                   field_map: FieldMap | None = None, target_field_names: Mapping[str, str] | None = None,
                   only: Mapping[str, set[str]] | None = None) -> dict[str, tuple[MappingResult, dict[str, int]]]:
    """Every compiled object of the wave (mapping/sql/plans.COMPILED), after the core is staged on `conn`."""
    context = mapping_context(core, options, only)
    return {name: stage_plan(conn, wave, PLANS[name](wave, options, context, field_map, target_field_names),
                             context.tables)
            for name in COMPILED}
