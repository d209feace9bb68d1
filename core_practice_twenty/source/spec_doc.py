"""Render docs/export-spec.md from the export spec, so the docs cannot drift from the code.

`python -m core_practice_twenty.source.spec_doc > docs/export-spec.md`; a test fails when the
committed file differs from what this renders.
"""

from __future__ import annotations

from core_practice_twenty.source.dirt import DIRT_KINDS
from core_practice_twenty.source.export_spec import EXPORT_SPEC, NULL_MARKERS


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
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(), end="")
