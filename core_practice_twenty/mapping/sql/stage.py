"""Stage the compiled objects of a wave, one plan after another on one connection (each insert commits on its own:
store/mapping_sql.py), their counts and hold-backs returned as one `MappingResult` per plan for the wave's summary
and reports."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Mapping

import duckdb

from core_practice_twenty.mapping.core import CoreMapping
from core_practice_twenty.mapping.field_map.model import FieldMap
from core_practice_twenty.mapping.options import MappingOptions
from core_practice_twenty.mapping.result import MappingResult
from core_practice_twenty.mapping.sql import COMPILED_OBJECTS
from core_practice_twenty.mapping.sql.activities import appointments_plan, clinical_notes_plan
from core_practice_twenty.mapping.sql.billing import insurance_claims_plan, invoices_plan
from core_practice_twenty.mapping.sql.cells import SqlCells
from core_practice_twenty.mapping.sql.compile import ObjectPlan
from core_practice_twenty.mapping.sql.context import mapping_context
from core_practice_twenty.mapping.sql.documents import documents_plan
from core_practice_twenty.mapping.sql.people import patients_plan
from core_practice_twenty.mapping.sql.policies import TAKEN, patient_policies
from core_practice_twenty.mapping.sql.practices import practices_plan
from core_practice_twenty.mapping.sql.providers import provider_emails_sql, providers_plan
from core_practice_twenty.mapping.sql.treatment import treatment_plans_plan
from core_practice_twenty.model.progress import Progress
from core_practice_twenty.store.duplicates import merges
from core_practice_twenty.store.mapping_sql import (
    fetch,
    lookup_tables,
    plan_session,
    registered,
    run_plan,
    temp_tables,
)
from core_practice_twenty.store.warehouse import ticking
from core_practice_twenty.validation.context import DEFAULT_MAX_UPLOAD_BYTES

_PLAN_OF = {"practices": practices_plan, "providers": providers_plan, "patients": patients_plan,
            "treatment_plans": treatment_plans_plan, "invoices": invoices_plan,
            "insurance_claims": insurance_claims_plan, "appointments": appointments_plan,
            "clinical_notes": clinical_notes_plan, "documents": documents_plan}
PLANS = {name: _PLAN_OF[name] for name in COMPILED_OBJECTS}
"""Source object → its compiled plan, in the order they are staged (a plan reads what earlier ones staged)."""
COMPILED_SOURCES = (*COMPILED_OBJECTS, "invoice_lines", "payments", "patient_practices")
"""Every source object the compiled plans read (lines and payments are folded into their invoice; the patients'
practice links into their policies)."""
PYTHON_READS = ("practices", "providers", "workflows")
"""What Python reads of a compiled wave: the practices' states (their clocks), the providers it matches with
workspace members and names as note authors, the automations it writes as reference files."""


def _lookups(conn: duckdb.DuckDBPyConnection, wave: str, cells: list[SqlCells], what: str,
             log: Callable[[str], None]) -> contextlib.AbstractContextManager:
    """The lookup tables `cells` join, while the block runs; `log` hears how many are made."""
    lookups = [(name, lk.source_object, lk.alias, lk.cells, lk.read) for c in cells for name, lk in c.lookups.items()]
    return lookup_tables(conn, wave, lookups, Progress(f"mapping {what}: cells read once each", len(lookups), log,
                                                       unit="lookups", quiet_if_quick=True))


def stage_plan(conn: duckdb.DuckDBPyConnection, wave: str, plan: ObjectPlan,
               log: Callable[[str], None] = lambda _m: None) -> tuple[MappingResult, dict[str, int]]:
    """Run one plan on `conn` (inside `plan_session`, staging tables cleared by the caller): its result, counted
    per source object read (rows, staged, held back, excluded), and the records written per Twenty object."""
    result = MappingResult(target=plan.target, source_object=plan.source_object)
    with _lookups(conn, wave, plan.cells, plan.source_object, log):
        written, held, counts, decided = run_plan(conn, wave, plan.target, plan.rows,
                                                  [(s.target, s.select) for s in plan.staged], plan.holds,
                                                  plan.counts, plan.decisions, log, plan.source_object)
    result.decisions += [json.loads(text) for text in decided]
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
                   only: Mapping[str, set[str]] | None = None, max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
                   log: Callable[[str], None] = lambda _m: None) -> dict[str, tuple[MappingResult, dict[str, int]]]:
    """Every compiled object of the wave (`mapping.sql.COMPILED_OBJECTS`), after the practices are staged on `conn`;
    the patients' policies before the patients, once the providers (whose emails a patient may not take as
    primary) are staged."""
    context = mapping_context(core, options, only, max_upload_bytes, merges=merges(conn, wave))
    policies = patient_policies(wave, options, context.sample)
    staged = {}
    decisions: list[dict] = []
    progress = Progress(f"mapping of wave {wave} in the warehouse", len(COMPILED_OBJECTS), log, unit="objects")
    with plan_session(conn, context.tables, COMPILED_SOURCES), contextlib.ExitStack() as decided:
        for name in COMPILED_OBJECTS:
            if name == "patients":
                taken = sorted({str(e).casefold() for (e,) in fetch(conn, provider_emails_sql(wave)) if e})
                decided.enter_context(registered(conn, {TAKEN: {"email": taken}}))
                deciding = Progress("mapping patients: practices, hold-backs, shared emails, duplicates",
                                    len(policies.tables), log, unit="tables", quiet_if_quick=True)
                with _lookups(conn, wave, policies.cells, "patients' policies", log), ticking(deciding):
                    # the lookups only while the tables are made
                    decided.enter_context(temp_tables(conn, policies.tables, "people", deciding.advance))
                decisions = [json.loads(row[0]) for sql in policies.decisions.values() for row in fetch(conn, sql)]
            staged[name] = stage_plan(conn, wave, PLANS[name](wave, options, context, field_map, target_field_names),
                                      log)
            progress.advance(1, f"{name}: {sum(staged[name][1].values()):,} records staged")
    staged["patients"][0].decisions += decisions
    staged["providers"][0].decisions += core.doctors.decisions
    return staged
