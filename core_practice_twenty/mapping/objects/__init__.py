"""Per-object mapping: accepted source rows → staged Twenty records, held-back rows and recorded decisions.

One module per Twenty object family (companies, people, treatment_plans, billing, tasks, notes,
attachments, workflows); `map_export` runs them all in dependency order, each one told what the
earlier ones staged and held back, so that a record depending on a held-back one is held back too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
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
from core_practice_twenty.validation.context import DEFAULT_MAX_UPLOAD_BYTES

__all__ = [
    "DEFAULT_TARGET_FIELDS", "Available", "DoctorMatch", "HeldBack", "MappingResult", "map_appointments",
    "map_clinical_notes", "map_companies", "map_documents", "map_export", "map_insurance_claims", "map_invoices",
    "map_patients", "map_providers", "map_treatment_plans", "match_doctors", "patient_companies",
    "practice_timezones", "primary_practices", "provider_display_names", "provider_emails", "provider_source_key",
    "write_workflow_references",
]


def map_export(tables: Mapping[str, Sequence[Row]], warnings: Warnings | None = None,
               options: MappingOptions | None = None, *, members: Iterable[Mapping[str, object]] = (),
               target_field_names: Mapping[str, str] | None = None, reports_dir: Path | None = None,
               max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES) -> dict[str, MappingResult]:
    """Map a whole wave: `tables` is source object → accepted rows (all 13 keys optional).

    Returns one result per mapper, keyed by the source object that drives it (`practices`,
    `patients`, `providers`, `treatment_plans`, `invoices`, `insurance_claims`, `appointments`,
    `clinical_notes`, `documents`, and `workflows` when `reports_dir` is given). Note that `patients`
    and `providers` both stage `people`: their staged lists go to the same staging table.
    """
    options = options or MappingOptions()

    def rows(name: str) -> Sequence[Row]:
        return tables.get(name, ())

    results: dict[str, MappingResult] = {}
    available = Available()
    results["practices"] = companies = map_companies(rows("practices"), warnings, options)
    available.add(companies)
    doctors = match_doctors(rows("providers"), members, options)
    results["providers"] = providers = map_providers(rows("providers"), warnings, options, available=available,
                                                     match=doctors)
    results["patients"] = patients = map_patients(rows("patients"), rows("patient_practices"), warnings, options,
                                                  available=available, taken_emails=provider_emails(providers))
    available.add(providers)
    available.add(patients)
    homes = patient_companies(patients)
    zones = practice_timezones(rows("practices"), options)
    results["treatment_plans"] = map_treatment_plans(rows("treatment_plans"), warnings, options, available, homes)
    results["invoices"] = invoices = map_invoices(rows("invoices"), rows("invoice_lines"), rows("payments"),
                                                  warnings, options, available)
    available.add(invoices)
    results["insurance_claims"] = map_insurance_claims(rows("insurance_claims"), warnings, options, available)
    results["appointments"] = map_appointments(rows("appointments"), warnings, options, available, doctors,
                                               target_field_names, zones, homes)
    results["clinical_notes"] = map_clinical_notes(rows("clinical_notes"), warnings, options, available,
                                                   provider_display_names(rows("providers")), target_field_names,
                                                   zones, homes)
    results["documents"] = map_documents(rows("documents"), warnings, options, available, target_field_names,
                                         max_upload_bytes)
    if reports_dir is not None:
        results["workflows"] = write_workflow_references(rows("workflows"), reports_dir, options)
    return results
