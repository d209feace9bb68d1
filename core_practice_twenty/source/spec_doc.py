"""Render docs/export-spec.md from the export spec, so the docs cannot drift from the code.

`python -m core_practice_twenty.source.spec_doc > docs/export-spec.md`; a test fails when the
committed file differs from what this renders.
"""

from __future__ import annotations

from core_practice_twenty.model.regions import REGION_FACTS
from core_practice_twenty.source.dirt import DIRT_KINDS
from core_practice_twenty.source.export_spec import EXPORT_SPEC, NULL_MARKERS, PAST_ONLY, PROCEDURE_CODE_COLUMNS
from core_practice_twenty.source.values import WINDOW_BEFORE


def render() -> str:
    lines = [
        "# Export spec (generated)",
        "",
        "Generated from `core_practice_twenty/source/export_spec.py` by",
        "`python -m core_practice_twenty.source.spec_doc > docs/export-spec.md`. Do not edit by hand.",
        "",
        "Headers are matched after folding case, spaces and punctuation (`First Name` = `first_name`).",
        "Each report is a CSV file, an XLSX workbook (its first sheet) or JSON (an array of objects, or an object",
        "holding one; a nested value, such as a workflow's steps, is kept as JSON text; a record's line is the line",
        "its object starts on). Core Practice writes its workflow definitions as JSON.",
        "A report title or banner above the header is skipped. Columns not listed are kept as extras",
        "for the field-map proposer. A missing file or a missing required header stops landing with an error",
        "naming the file; an empty required cell rejects the row. Cells meaning null: "
        + ", ".join(f"`{m}`" if m else "empty" for m in sorted(NULL_MARKERS)) + ".",
        "",
    ]
    for spec in EXPORT_SPEC.values():
        lines += [
            f"## {spec.name}",
            "",
            spec.description,
            "",
            f"File: {', '.join(f'`{s}.csv`' for s in spec.stems)}. Key: `{', '.join(spec.key)}`.",
            "",
            "| column | type | header required | cell required | values / references | accepted header spellings |",
            "|---|---|---|---|---|---|",
        ]
        for column in spec.columns:
            aliases = ", ".join(f"`{a}`" for a in column.aliases) or "-"
            allowed = ", ".join(column.values) if column.values else (f"→ `{column.references}`"
                                                                      if column.references else "")
            lines.append(f"| `{column.name}` | {column.type.value} | {'yes' if column.required else 'no'} | "
                         f"{'yes' if not column.nullable else 'no'} | {allowed} | {aliases} |")
        lines.append("")
    lines += [
        "## Dirt and what happens to it",
        "",
        "Each kind of dirt real exports carry, the rule that finds it and what happens to the row: `reject` =",
        "recorded in `validation_issues` with file, line and key, not loaded; `warn` = loaded and flagged for the",
        "mapping and for review; no rule = a valid value the mapping normalises.",
        "",
        "| dirt | object | rule | outcome | example |",
        "|---|---|---|---|---|",
    ]
    for kind in DIRT_KINDS.values():
        lines.append(f"| {kind.name} | {kind.object} | {f'`{kind.rule}`' if kind.rule else '-'} | "
                     f"{kind.severity.value if kind.severity else 'normalised'} | {kind.description} |")
    lines += ["", *_reading_by_meaning(), ""]
    return "\n".join(lines)


def _reading_by_meaning() -> list[str]:
    """What is read by what it means rather than as written: two-digit years, codes, US spellings."""
    past = ", ".join(f"`{c}`" for c in sorted(PAST_ONLY))
    codes = ", ".join(f"`{o}.{c}`" for o, c in sorted(PROCEDURE_CODE_COLUMNS))
    systems = "; ".join(f"{facts.region.value}: {facts.procedure_codes.name}, "
                        + (f"`{facts.procedure_codes.prefix}` and " if facts.procedure_codes.prefix else "")
                        + f"{facts.procedure_codes.digits} digits" for facts in REGION_FACTS.values())
    return [
        "## Read by meaning",
        "",
        f"- **Two-digit years** (`6/19/52`): a date of something that has happened ({past}) is read in the latest "
        f"century that puts it on or before the export date (a birth date `6/19/52` is 1952); any other date "
        f"(appointments, recalls, due dates) within the {WINDOW_BEFORE} years before and "
        f"{100 - WINDOW_BEFORE} years after the export date. Each such cell is noted on its line "
        "(`two_digit_year:<column>`, warn) so a person can check it in `cpt issues`.",
        f"- **Procedure codes** ({codes}) are read in the region's coding system ({systems}). A code saved as a "
        "number or typed without its prefix is restored when the digits alone fit (`1110` → `D1110`, `120` → "
        "`D0120`, `22` → `022`); one that cannot be restored unambiguously (`D120`, `7`, `Exam`) is kept as "
        "written and flagged on its line (`procedure_code:<column>`, warn): never guessed.",
        "- **Workbooks** (`.xlsx`) are read with calamine: the first sheet, each row's line is the sheet's row "
        "number, a formula gives its cached value (as Excel last showed it), a date cell its ISO date. A cell "
        "merged down over several rows (an Invoice ID spanning its payments) gives its value to every row it "
        "spans; a horizontal merge in a data row keeps its value in its first cell. A name merged across several "
        "header columns names each column under it: `Address` over three columns reads as `Address`, "
        "`Address 2`, `Address 3` (the proposer matches them like any header). In any file, a value under an "
        "empty header cell (between named ones, or right of the last) is kept as the row's overflow and "
        "reported as a ragged row, never dropped. (Objects split across several files or sheets are not joined "
        "yet: keep one file per object.)",
        "- **Addresses by their own country**: a row's country (empty: the export's region) decides which states "
        "and regions are valid (NZ's pre-2019 names too), how wide a postcode is (`800` in an Australian address of "
        "an NZ export is `0800`) and what a suburb is: the locality in Australia (Twenty's city), a line above the "
        "town or city in New Zealand and the US (street line 2). A country outside the region table keeps its "
        "state and postcode as written.",
        "- **Document paths** as Windows and Macs write them: `\\` is a separator, names match in Unicode NFC "
        "(a folder copied through a Mac is NFD), and in any case where exactly one file fits (two that fit: "
        "`document_ambiguous`, reject). A file of 0 bytes, or not of the listed size, is `size_mismatch` (reject): "
        "a copy cut off or never finished. A path that leaves `documents/` (absolute, a drive, `..`, a symbolic "
        "link) is refused first. Validation and the upload use the same resolver (`source/documents.py`).",
        "- **US spellings** of value sets are accepted alongside the canonical ones (`Canceled`, `Check`), and the "
        "USPS military states `AA`, `AE`, `AP` of APO/FPO addresses are valid US states.",
    ]


if __name__ == "__main__":
    print(render(), end="")
