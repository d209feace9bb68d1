"""Render docs/export-spec.md from the export spec, so the docs cannot drift from the code.

`python -m core_practice_twenty.source.spec_doc > docs/export-spec.md`; a test fails when the
committed file differs from what this renders.
"""

from __future__ import annotations

from core_practice_twenty.source.export_spec import EXPORT_SPEC, NULL_MARKERS


def render() -> str:
    lines = [
        "# Export spec (generated)",
        "",
        "Generated from `core_practice_twenty/source/export_spec.py` by",
        "`python -m core_practice_twenty.source.spec_doc > docs/export-spec.md`. Do not edit by hand.",
        "",
        "Headers are matched after folding case, spaces and punctuation (`First Name` = `first_name`).",
        "A report title or banner above the header is skipped. Columns not listed are kept as extras",
        "for the field-map proposer. Cells meaning null: "
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
            "| column | type | required | accepted header spellings |",
            "|---|---|---|---|",
        ]
        for column in spec.columns:
            aliases = ", ".join(f"`{a}`" for a in column.aliases) or "-"
            lines.append(f"| `{column.name}` | {column.type.value} | {'yes' if not column.nullable else 'no'} "
                         f"| {aliases} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(), end="")
