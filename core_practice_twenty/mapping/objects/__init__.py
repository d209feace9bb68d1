"""Per-object mapping: accepted source rows → staged Twenty records, held-back rows and recorded decisions.

One module per Twenty object family (companies, people, treatment_plans, billing, tasks, notes,
attachments, workflows); `map_export` runs them all in dependency order, each one told what the
earlier ones staged and held back, so that a record depending on a held-back one is held back too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from core_practice_twenty.mapping.objects.attachments import map_documents
from core_practice_twenty.mapping.objects.billing import map_insurance_claims, map_invoices
from core_practice_twenty.mapping.objects.common import (
    DEFAULT_TARGET_FIELDS,
    Available,
    HeldBack,
    MappingResult,
    Row,
    Warnings,
    practice_timezones,
)
from core_practice_twenty.mapping.objects.companies import map_companies
from core_practice_twenty.mapping.objects.notes import map_clinical_notes
from core_practice_twenty.mapping.objects.people import (
    DoctorMatch,
    map_patients,
    map_providers,
    match_doctors,
    primary_practices,
    provider_display_names,
    provider_emails,
    provider_source_key,
)
from core_practice_twenty.mapping.objects.tasks import map_appointments
from core_practice_twenty.mapping.objects.treatment_plans import map_treatment_plans, patient_companies
from core_practice_twenty.mapping.objects.workflows import write_workflow_references
from core_practice_twenty.mapping.options import MappingOptions
from core_practice_twenty.source.export_spec import EXPORT_SPEC
from core_practice_twenty.validation.context import DEFAULT_MAX_UPLOAD_BYTES

__all__ = [
    "CORE_SOURCES", "DEFAULT_TARGET_FIELDS", "PATIENT_SOURCES", "Available", "CoreMapping", "DoctorMatch",
    "HeldBack", "MappingResult", "map_appointments", "map_clinical_notes", "map_companies", "map_core",
    "map_documents", "map_export", "map_insurance_claims", "map_invoices", "map_patient_records", "map_patients",
    "map_providers", "map_treatment_plans", "match_doctors", "patient_companies", "practice_timezones",
    "primary_practices", "provider_display_names", "provider_emails", "provider_source_key",
    "write_workflow_references",
]


CORE_SOURCES = ("practices", "providers", "patients", "patient_practices", "workflows")
"""Read and mapped whole: household companies, shared emails and doctor matches are decided across all their
rows (workflows only become reference files)."""
PATIENT_SOURCES = tuple(name for name in EXPORT_SPEC if name not in CORE_SOURCES)
"""Mapped per patient: a row needs only its own patient's rows and the core's decisions, so a large wave can
be mapped a chunk of patients at a time (`mapping.wave`)."""


@dataclass
class CoreMapping:
    """The core objects' results and the decisions the per-patient mappers read."""

    results: dict[str, MappingResult]
    available: Available
    doctors: DoctorMatch
    homes: dict[str, str]
    zones: dict
    provider_names: dict[str, str]


def map_core(tables: Mapping[str, Sequence[Row]], warnings: Warnings | None = None,
             options: MappingOptions | None = None, *, members: Iterable[Mapping[str, object]] = (),
             patients: bool = True, providers: bool = True, practices: bool = True) -> CoreMapping:
    """Practices, providers and patients (with their practice links), in dependency order.

    `practices=False`, `patients=False`, `providers=False`: those are staged another way (mapping/sql's compiled
    plans); the providers are still matched with the workspace's members and named for their notes here."""
    options = options or MappingOptions()

    def rows(name: str) -> Sequence[Row]:
        return tables.get(name, ())

    results: dict[str, MappingResult] = {}
    available = Available()
    zones = practice_timezones(rows("practices"), options)
    if practices:
        results["practices"] = map_companies(rows("practices"), warnings, options)
        available.add(results["practices"])
    doctors = match_doctors(rows("providers"), members, options)
    if providers:
        results["providers"] = map_providers(rows("providers"), warnings, options, available=available,
                                             match=doctors, timezones=zones)
    homes: dict[str, str] = {}
    if patients:
        results["patients"] = staged = map_patients(rows("patients"), rows("patient_practices"), warnings, options,
                                                    available=available,
                                                    taken_emails=provider_emails(results["providers"]),
                                                    timezones=zones)
        homes = patient_companies(staged)
    if providers:
        available.add(results["providers"])
    if patients:
        available.add(staged)
    return CoreMapping(results, available, doctors, homes, zones, provider_display_names(rows("providers")))


def map_patient_records(core: CoreMapping, tables: Mapping[str, Sequence[Row]], warnings: Warnings | None = None,
                        options: MappingOptions | None = None, *,
                        target_field_names: Mapping[str, str] | None = None,
                        max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
                        skip: frozenset[str] = frozenset()) -> dict[str, MappingResult]:
    """The per-patient objects of `tables` (all patients, or one chunk with every row of its patients).

    Works on a copy of the core's `Available`: what one chunk stages is only ever a parent within that chunk.
    `skip`: source objects staged another way (mapping/sql's compiled plans).
    """
    options = options or MappingOptions()
    available = core.available.copy()

    def rows(name: str) -> Sequence[Row]:
        return tables.get(name, ())

    results: dict[str, MappingResult] = {}
    homes, zones = core.homes, core.zones
    if "treatment_plans" not in skip:
        results["treatment_plans"] = map_treatment_plans(rows("treatment_plans"), warnings, options, available,
                                                         homes, zones)
    if "invoices" not in skip:
        results["invoices"] = invoices = map_invoices(rows("invoices"), rows("invoice_lines"), rows("payments"),
                                                      warnings, options, available, zones, homes)
        available.add(invoices)
    if "insurance_claims" not in skip:
        results["insurance_claims"] = map_insurance_claims(rows("insurance_claims"), warnings, options, available,
                                                           zones, homes)
    if "appointments" not in skip:
        results["appointments"] = map_appointments(rows("appointments"), warnings, options, available, core.doctors,
                                                   target_field_names, zones, homes)
    if "clinical_notes" not in skip:
        results["clinical_notes"] = map_clinical_notes(rows("clinical_notes"), warnings, options, available,
                                                       core.provider_names, target_field_names, zones, homes)
    if "documents" not in skip:
        results["documents"] = map_documents(rows("documents"), warnings, options, available, target_field_names,
                                             max_upload_bytes)
    return results


def map_export(tables: Mapping[str, Sequence[Row]], warnings: Warnings | None = None,
               options: MappingOptions | None = None, *, members: Iterable[Mapping[str, object]] = (),
               target_field_names: Mapping[str, str] | None = None, reports_dir: Path | None = None,
               max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES) -> dict[str, MappingResult]:
    """Map a whole wave in memory: `tables` is source object → accepted rows (all 13 keys optional).

    Returns one result per mapper, keyed by the source object that drives it (`practices`,
    `patients`, `providers`, `treatment_plans`, `invoices`, `insurance_claims`, `appointments`,
    `clinical_notes`, `documents`, and `workflows` when `reports_dir` is given). Note that `patients`
    and `providers` both stage `people`: their staged lists go to the same staging table.
    """
    options = options or MappingOptions()
    core = map_core(tables, warnings, options, members=members)
    results = {**core.results, **map_patient_records(core, tables, warnings, options,
                                                     target_field_names=target_field_names,
                                                     max_upload_bytes=max_upload_bytes)}
    if reports_dir is not None:
        results["workflows"] = write_workflow_references(tables.get("workflows", ()), reports_dir, options)
    return results
