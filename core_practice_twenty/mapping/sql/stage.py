"""Stage the compiled objects of a wave, one plan after another on one connection (each insert commits on its own:
store/mapping_sql.py), their counts and hold-backs returned as the `MappingResult` the Python mappers return, so
the wave's summary and reports read both alike."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import duckdb

from core_practice_twenty.mapping.field_map.model import FieldMap
from core_practice_twenty.mapping.objects import CoreMapping
from core_practice_twenty.mapping.objects.common import MappingResult
from core_practice_twenty.mapping.objects.people import PatientDecisions
from core_practice_twenty.mapping.options import MappingOptions
from core_practice_twenty.mapping.sql import COMPILED_OBJECTS
from core_practice_twenty.mapping.sql.activities import appointments_plan, clinical_notes_plan
from core_practice_twenty.mapping.sql.billing import insurance_claims_plan, invoices_plan
from core_practice_twenty.mapping.sql.compile import ObjectPlan
from core_practice_twenty.mapping.sql.context import mapping_context
from core_practice_twenty.mapping.sql.people import decision_tables, patients_plan
from core_practice_twenty.mapping.sql.treatment import treatment_plans_plan
from core_practice_twenty.model.progress import Progress
from core_practice_twenty.store.mapping_sql import lookup_table, plan_session, registered, run_plan

_PLAN_OF = {"patients": patients_plan, "treatment_plans": treatment_plans_plan, "invoices": invoices_plan,
            "insurance_claims": insurance_claims_plan, "appointments": appointments_plan,
            "clinical_notes": clinical_notes_plan}
PLANS = {name: _PLAN_OF[name] for name in COMPILED_OBJECTS}
"""Source object → its compiled plan, in the order they are staged (a plan reads what earlier ones staged)."""
COMPILED_SOURCES = (*COMPILED_OBJECTS, "invoice_lines", "payments")
"""Every source object the compiled plans read (lines and payments are folded into their invoice)."""


def stage_plan(conn: duckdb.DuckDBPyConnection, wave: str, plan: ObjectPlan) -> tuple[MappingResult, dict[str, int]]:
    """Run one plan on `conn` (inside `plan_session`, staging tables cleared by the caller): its result, counted
    as the Python mapper counts, and the records written per Twenty object."""
    result = MappingResult(target=plan.target, source_object=plan.source_object)
    lookups = {name: lookup_table(conn, wave, lk.source_object, lk.alias, lk.cells, lk.read)
               for cells in plan.cells for name, lk in cells.lookups.items()}
    with registered(conn, lookups):
        written, held, counts = run_plan(conn, wave, plan.target, plan.rows,
                                         [(s.target, s.select) for s in plan.staged], plan.holds, plan.counts)
    if plan.excluded_all:
        rows = counts[f"{plan.source_object}.rows"]
        result.count(f"{plan.source_object}.rows", rows)
        result.count(f"{plan.source_object}.excluded", rows)
        result.decisions.append({"kind": f"{plan.source_object}_excluded", "rows": rows})
        return result, written
    for name, n in counts.items():
        if n or name.endswith(".rows"):
            result.count(name, n)
    for obj, key, line, reason in held:
        result.hold(obj, key, line, reason)
    return result, written


def stage_compiled(conn: duckdb.DuckDBPyConnection, wave: str, core: CoreMapping, options: MappingOptions, *,
                   field_map: FieldMap | None = None, target_field_names: Mapping[str, str] | None = None,
                   only: Mapping[str, set[str]] | None = None,
                   decided: PatientDecisions,
                   log: Callable[[str], None] = lambda _m: None) -> dict[str, tuple[MappingResult, dict[str, int]]]:
    """Every compiled object of the wave (`mapping.sql.COMPILED_OBJECTS`), after the core is staged on `conn`."""
    context = mapping_context(core, options, only)
    staged = {}
    progress = Progress(f"mapping of wave {wave} in the warehouse", len(COMPILED_OBJECTS), log, unit="objects")
    with plan_session(conn, {**context.tables, **decision_tables(decided)}, COMPILED_SOURCES):
        for name in COMPILED_OBJECTS:
            staged[name] = stage_plan(conn, wave, PLANS[name](wave, options, context, field_map, target_field_names))
            progress.advance(1, f"{name}: {sum(staged[name][1].values()):,} records staged")
    staged["patients"][0].decisions += decided.decisions
    return staged
