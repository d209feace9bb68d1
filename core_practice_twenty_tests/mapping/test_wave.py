"""Mapping a wave a chunk of patients at a time stages exactly what mapping it whole does."""

from datetime import date
from pathlib import Path

from core_practice_twenty.mapping import wave as wave_module
from core_practice_twenty.mapping.proposer import propose
from core_practice_twenty.mapping.target_model import TARGET_OBJECTS
from core_practice_twenty.mapping.wave import stage_wave
from core_practice_twenty.source.export_spec import EXPORT_SPEC
from core_practice_twenty.source.generator import generate_export
from core_practice_twenty.source.values import Region
from core_practice_twenty.store.issues import replace_issues
from core_practice_twenty.store.raw import land_object
from core_practice_twenty.store.staging import read_staged
from core_practice_twenty.validation.context import ValidationContext
from core_practice_twenty.validation.cross_table import cross_table_issues
from core_practice_twenty.validation.run import validate_rows


def staged(warehouse, wave: str) -> dict[str, dict[str, tuple]]:
    return {plural: {r.source_key: (r.payload_hash, r.depends_on, r.notes)
                     for r in read_staged(warehouse, plural, wave)} for plural in TARGET_OBJECTS}


def held(warehouse, wave: str) -> list[tuple]:
    with warehouse.connect() as conn:
        return conn.execute("select source_object, source_key, reason from held_back where wave = ? "
                            "and stage = 'mapping' order by all", [wave]).fetchall()


def test_chunks_of_patients_stage_what_the_whole_wave_stages(tmp_path: Path, warehouse, monkeypatch) -> None:
    """The Python mappers (the reference the compiled plans are proven against) map per-patient rows a chunk of
    patients at a time: chunks stage what one whole chunk stages."""
    export = generate_export(tmp_path / "export", practices=3, patients=150, seed=21, dirt="realistic")
    for wave in ("whole", "chunked"):
        for spec in EXPORT_SPEC.values():
            land_object(warehouse, spec, export, wave=wave, snapshot_id=export.name)
        ctx = ValidationContext.for_export(export, Region.AU, date(2026, 11, 24))
        with warehouse.connect() as conn:
            for spec in EXPORT_SPEC.values():
                validate_rows(conn, spec, wave, ctx)
            replace_issues(conn, wave, "cross", cross_table_issues(conn, wave, ctx), EXPORT_SPEC)
    field_map = propose(export)

    whole = stage_wave(warehouse, "whole", field_map, compiled=False)
    chunks = []
    original = wave_module.map_patient_records

    def counted(core, tables, *args, **kwargs):
        chunks.append(len(tables["documents"]))
        return original(core, tables, *args, **kwargs)

    monkeypatch.setattr(wave_module, "PATIENTS_PER_CHUNK", 13)
    monkeypatch.setattr(wave_module, "map_patient_records", counted)
    chunked = stage_wave(warehouse, "chunked", field_map, compiled=False)

    assert len(chunks) == 12 and sum(chunks) == whole.rows["documents"]  # every document, in one chunk only
    assert staged(warehouse, "chunked") == staged(warehouse, "whole")
    assert sum(whole.staged.values()) > 1000
    assert held(warehouse, "chunked") == held(warehouse, "whole") and held(warehouse, "whole")
    assert (chunked.staged, chunked.rows, chunked.held_back, chunked.unbalanced) == (
        whole.staged, whole.rows, whole.held_back, whole.unbalanced)
    with warehouse.connect() as conn:  # the chunk assignment is working state, gone once the wave is mapped
        assert conn.execute("select count(*) from mapping_chunks").fetchall() == [(0,)]
