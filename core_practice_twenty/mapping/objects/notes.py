"""Clinical notes → Twenty notes, each with a note target to the patient.

Note bodies are the most sensitive cells of the export. The map keeps them (the practice asked for
them) but one option excludes them entirely: then no note is staged at all and every row is counted
as excluded, so the counts still add up.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import tzinfo

from core_practice_twenty.mapping.objects.common import (
    DEFAULT_TARGET_FIELDS,
    Available,
    Cells,
    MappingResult,
    Row,
    Warnings,
    apply_extra_columns,
    first_missing,
    zone_for,
)
from core_practice_twenty.mapping.objects.tasks import target_key
from core_practice_twenty.mapping.options import MappingOptions
from core_practice_twenty.mapping.target_model import NOTE_TARGETS, NOTES, PEOPLE
from core_practice_twenty.mapping.transforms import plain_text_markdown
from core_practice_twenty.model.staged import make_staged_record, ref

SOURCE = "clinical_notes"


def note_title(note_type: str | None, note_date: str | None) -> str:
    """`Clinical note 2025-03-04`: the kind and the day, never words from the body."""
    kind = (note_type or "Clinical").strip()
    title = kind if kind.lower().endswith("note") else f"{kind} note"
    return f"{title} {note_date}" if note_date else title


def map_clinical_notes(rows: Sequence[Row], warnings: Warnings | None = None, options: MappingOptions | None = None,
                       available: Available | None = None, provider_names: Mapping[str, str] | None = None,
                       target_field_names: Mapping[str, str] | None = None,
                       timezones: Mapping[str, tzinfo] | None = None,
                       patient_practice: Mapping[str, str] | None = None) -> MappingResult:
    """Accepted clinical note rows → notes (`staged`) and note targets (`linked["noteTargets"]`).

    `bodyV2.markdown` is the full body as plain text (escaped so it renders as written);
    `authorDoctor` is the provider's display name (`provider_names`, from `provider_display_names`);
    `originalCreatedAt` is the note date in UTC, read in the patient's practice zone. Nothing is
    staged when `options.include_clinical_notes` is off.
    """
    options = options or MappingOptions()
    fields = {**DEFAULT_TARGET_FIELDS, **(target_field_names or {})}
    result = MappingResult(target=NOTES.name_plural, source_object=SOURCE)
    result.count(f"{SOURCE}.rows", len(rows))
    targets = result.linked.setdefault(NOTE_TARGETS.name_plural, [])
    if not options.include_clinical_notes:
        result.count(f"{SOURCE}.excluded", len(rows))
        result.decisions.append({"kind": "clinical_notes_excluded", "rows": len(rows)})
        return result
    for row in rows:
        cells = Cells(row, SOURCE, options)
        key = str(row["note_id"])
        patient = cells["patient_id"]
        missing = first_missing(available, [(PEOPLE.name_plural, patient)])
        if missing:
            result.hold(SOURCE, key, cells.line, missing)
            continue
        zone = zone_for(timezones, (patient_practice or {}).get(patient or ""), options)
        provider = cells["provider_id"]
        body = plain_text_markdown(cells["body"])
        payload: dict = {
            NOTES.source_key_field: key,
            "title": note_title(cells["note_type"], cells.date("note_date")),
            "bodyV2": {"markdown": body} if body else None,
            "originalCreatedAt": cells.instant("note_date", zone),
            "authorDoctor": (provider_names or {}).get(provider) if provider else None,
        }
        cells.stamp(payload, "created_at", zone)  # Twenty's Notes tab orders a person's notes by createdAt
        if "createdAt" not in payload and cells.included("created_at"):  # no creation time: the note's date
            cells.stamp(payload, "note_date", zone)
        apply_extra_columns(payload, cells, NOTES.name_plural)
        result.stage(SOURCE, make_staged_record(source_key=key, source_line=cells.line, payload=payload))
        targets.append(make_staged_record(
            source_key=target_key(key, "person"), source_line=cells.line,
            payload={"noteId": ref(NOTES.name_plural, key), fields["person"]: ref(PEOPLE.name_plural, patient)}))
    return result
