"""Lifecycle test helpers: a wave of staged companies and people loaded the way the pipeline loads them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path

from core_practice_twenty.lifecycle.objects import lineage_sorted
from core_practice_twenty.mapping.target_model import TARGET_OBJECTS
from core_practice_twenty.model.staged import StagedRecord, make_staged_record, ref
from core_practice_twenty.store.staging import read_id_map, record_outcomes, write_staged
from core_practice_twenty.store.warehouse import Warehouse
from core_practice_twenty.twenty.client import TwentyClient
from core_practice_twenty.twenty.load_wave import delta_before_states
from core_practice_twenty.twenty.loader import LoadReport, load_records, read_pre_existing


def practice(key: str, domain: str | None = None) -> StagedRecord:
    return make_staged_record(source_key=key, payload={
        "name": f"Smile Dental {key}", "cpPracticeId": key,
        "domainName": {"primaryLinkUrl": domain, "primaryLinkLabel": None, "secondaryLinks": None},
        "address": {"addressStreet1": "1 Main St", "addressCity": "Geelong", "addressState": "VIC",
                    "addressPostcode": "3220", "addressCountry": "AU"},
    })


def patient(key: str, practice_key: str, email: str | None, last: str = "Lee", **extra) -> StagedRecord:
    payload = {
        "name": {"firstName": "Ann", "lastName": f"{last}{key}"},
        "emails": {"primaryEmail": email, "additionalEmails": None},
        "phones": {"primaryPhoneNumber": "491570156", "primaryPhoneCountryCode": "AU",
                   "primaryPhoneCallingCode": "+61", "additionalPhones": None},
        "companyId": ref("companies", practice_key),
        "personType": "PATIENT", "cpPatientId": key, "patientStatus": "ACTIVE", "dateOfBirth": "1980-02-01",
    }
    payload.update(extra)
    return make_staged_record(source_key=key, payload=payload)


def load_wave(client: TwentyClient, warehouse: Warehouse, wave: str,
              staged: Mapping[str, list[StagedRecord]], *, run_id: str | None = None) -> dict[str, LoadReport]:
    """Stage and load each object in lineage order, references resolved from the id map (as the load assets do)."""
    if not _registered(warehouse, wave):
        warehouse.register_wave(wave, Path("."), wave, region="AU", export_date=date(2025, 3, 1))
    metadata = {o["namePlural"]: o for o in client.list_objects()}
    reports = {}
    for obj in lineage_sorted(staged):
        write_staged(warehouse, obj, wave, staged[obj])
        ids = {(o, k): e.twenty_id for o in TARGET_OBJECTS for k, e in read_id_map(warehouse, o).items()}
        target = TARGET_OBJECTS[obj]
        known = read_id_map(warehouse, obj)
        reports[obj] = load_records(
            client, target, staged[obj], known,
            before_states=delta_before_states(warehouse, client, target, staged[obj], known),
            on_batch=lambda outcomes, o=obj: record_outcomes(warehouse, o, wave, run_id or f"run-{wave}", outcomes),
            lookup=lambda o, k, ids=ids: ids.get((o, k)),
            pre_existing=read_pre_existing(client, target, metadata.get(obj)),
        )
        assert reports[obj].held_back == 0, reports[obj]
    return reports


def _registered(warehouse: Warehouse, wave: str) -> bool:
    with warehouse.connect() as conn:
        return conn.execute("select count(*) from migration_waves where wave = ?", [wave]).fetchone()[0] > 0
