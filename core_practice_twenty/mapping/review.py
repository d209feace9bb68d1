"""The field-map review sheet: what a person reads, in minutes, before confirming a map.

Two forms of the same rows under data/reports/: a CSV to sort and filter, and a Markdown page to
read. The choices that need a person come first (lowest confidence first), then every column grouped
by object in export order. Only what the map holds is written (headers, targets, shares and counts),
so the sheet carries no export value.
"""

from __future__ import annotations

import csv
from pathlib import Path

from core_practice_twenty.mapping.field_map import ColumnEntry, FieldMap, schema_summary
from core_practice_twenty.mapping.field_map.checks import identifier_of
from core_practice_twenty.source.export_spec import EXPORT_SPEC

REVIEW_STEM = "field-map-review"
PROFILE_COUNTS = ("sampled", "filled", "distinct")
CSV_COLUMNS = ("needs_decision", "object", "file", "header", "column", "targets", "transform", "confidence",
               "reason", "next_best", "filled", "looks_like")


def _looks_like(entry: ColumnEntry) -> str:
    shares = {("known values" if k == "value_set" else k): v for k, v in entry.profile.items()
              if k not in PROFILE_COUNTS and isinstance(v, int | float)}
    return ", ".join(f"{kind} {share:.0%}" for kind, share in shares.items())


def _filled(entry: ColumnEntry) -> str:
    if "sampled" not in entry.profile:
        return ""
    return f"{entry.profile.get('filled', 0)}/{entry.profile['sampled']}"


def _ordered(field_map: FieldMap) -> list[tuple[str, ColumnEntry]]:
    """Decisions first (lowest confidence first), then everything else by object in export order."""
    order = {name: i for i, name in enumerate(EXPORT_SPEC)}
    entries = list(enumerate(field_map.entries()))
    decisions = sorted((x for x in entries if x[1][1].needs_decision),
                       key=lambda x: (x[1][1].confidence, order.get(x[1][0], 99), x[0]))
    rest = sorted((x for x in entries if not x[1][1].needs_decision), key=lambda x: (order.get(x[1][0], 99), x[0]))
    return [pair for _, pair in decisions + rest]


def _row(field_map: FieldMap, name: str, entry: ColumnEntry) -> dict[str, str]:
    return {
        "needs_decision": "yes" if entry.needs_decision else "",
        "object": name,
        "file": field_map.objects[name].file or "",
        "header": entry.header if entry.header is not None else "",
        "column": "+".join(entry.column),
        "targets": " ".join(entry.targets),
        "transform": entry.transform,
        "confidence": f"{entry.confidence:.2f}",
        "reason": entry.reason,
        "next_best": "; ".join(entry.alternatives),
        "filled": _filled(entry),
        "looks_like": _looks_like(entry),
    }


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_table(rows: list[dict[str, str]], with_object: bool) -> list[str]:
    head = (["object"] if with_object else []) + ["header", "column", "→ Twenty", "transform", "conf.", "why",
                                                   "next best"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = ([r["object"]] if with_object else []) + [
            f"`{r['header']}`" if r["header"] else "—", r["column"] or "(own column)",
            r["targets"].replace(" ", "<br>") or "—", r["transform"],
            ("**" + r["confidence"] + "**") if r["needs_decision"] else r["confidence"], r["reason"],
            r["next_best"].replace("; ", "<br>") or "—"]
        lines.append("| " + " | ".join(_md(c) for c in cells) + " |")
    return lines


def _identifier_lines(field_map: FieldMap) -> list[str]:
    """The first thing a person reads: which columns hold identifiers that never go to a CRM by default, which
    stay out, and which a named person chose to send."""
    held, sent = [], []
    for name, entry in field_map.entries():
        kind = identifier_of(entry)
        if kind is None:
            continue
        if entry.excluded:
            held.append(f"{name} `{entry.header}` ({kind})")
        else:
            by = (entry.identifier_opt_in or {}).get("by") or "nobody yet: confirm will refuse"
            sent.append(f"{name} `{entry.header}` ({kind}) → {', '.join(entry.targets)}, opted in by **{_md(by)}**")
    if not held and not sent:
        return []
    lines = ["**Identifiers**: " + (f"{len(held)} column(s) hold identifiers that never go to a CRM by default and "
                                    f"stay out: {'; '.join(held)}." if held else "none stays out.")]
    if sent:
        lines.append(f"**Sent to Twenty all the same** ({len(sent)}): {'; '.join(sent)}.")
    lines.append("To send one anyway, a person names the column and themselves in the entry's `identifier_opt_in` "
                 "(docs/field-map.md); `--accept-all` never does.")
    return [*lines, ""]


def _remembered_lines(field_map: FieldMap) -> list[str]:
    """What the proposal kept from the previous confirmed map, so a person knows what was not asked again."""
    kept = field_map.remembered
    if not kept:
        return []
    return [f"**{kept['entries']} entries keep what {kept['by']} confirmed on {str(kept['at'])[:10]}** (the same "
            f"header in the same file, and the options); {kept['new']} columns are new to this export and proposed "
            "afresh. To be asked about every column again, propose with `--fresh`.", ""]


def render_markdown(field_map: FieldMap, *, map_path: Path | None = None) -> str:
    ordered = _ordered(field_map)
    rows = [_row(field_map, name, e) for name, e in ordered]
    decisions = [r for r in rows if r["needs_decision"]]
    own = sum(1 for _, e in field_map.entries() if e.header is not None and not e.column)
    missing_files = [n for n, o in field_map.objects.items() if o.file is None]
    map_arg = map_path or "data/mapping/field-map.yaml"
    export = field_map.export_name or "DIR"
    opts = field_map.options
    lines = [
        "# Field map review",
        "",
        f"Export `{export}`, proposed {field_map.proposed_at}, status **{field_map.status}**. "
        f"{len(rows)} entries: **{len(decisions)} need a decision**, {own} are the practice's own columns.",
        "",
        *_remembered_lines(field_map),
        *_identifier_lines(field_map),
        "How to finish: open the map file, and for every entry below with needs_decision: true, correct",
        "`targets`/`transform` if the proposal is wrong (`transform: excluded` with `targets: []` keeps a column",
        "out), then set `needs_decision: false`. Then run",
        f"`cpt map confirm --map {map_arg} --export <export dir> --by \"Your Name\"`.",
        "",
        f"Options: region **{opts.region}**, email placeholder **{'on' if opts.email_placeholder else 'off'}**, "
        f"clinical notes **{'in' if opts.include_clinical_notes else 'out'}**, fund/Medicare numbers "
        f"**{'in' if opts.include_fund_numbers else 'out'}**, fallback owner "
        f"**{opts.fallback_owner_email or 'not set'}**.",
        "",
    ]
    if missing_files:
        lines += [f"Files not in this export: {', '.join(missing_files)}.", ""]
    lines += ["## Decide first", ""]
    lines += _md_table(decisions, with_object=True) if decisions else ["Nothing: every choice is confident."]
    for name, obj in field_map.objects.items():
        object_rows = [r for r in rows if r["object"] == name and r["header"]]
        absent = [r["column"] for r in rows if r["object"] == name and not r["header"]]
        lines += ["", f"## {name} ({obj.file or 'file missing'})", ""]
        if object_rows:
            lines += _md_table(object_rows, with_object=False)
        if absent:
            lines += ["", f"Not in this export: {', '.join(absent)}."]
    schema = schema_summary(field_map)
    new_fields = [f"{plural}.{f['name']}" for plural, fs in schema["fields"].items() for f in fs if f.get("new")]
    lines += [
        "", "## What Twenty needs", "",
        "Custom objects: " + (", ".join(o["name"] for o in schema["custom_objects"]) or "none") + ".",
        "Custom fields: " + ", ".join(f"{plural} {len(fs)}" for plural, fs in schema["fields"].items()) + ".",
        "New fields for the practice's own columns: " + (", ".join(new_fields) or "none") + ".",
        "Relations: " + (", ".join(f"{r['object']}.{r['field']} → {r['target']}" for r in schema["relations"])
                         or "none") + ".",
        "",
    ]
    return "\n".join(lines)


def write_review(field_map: FieldMap, reports_dir: Path, *, map_path: Path | None = None) -> tuple[Path, Path]:
    """Write field-map-review.csv and .md under `reports_dir`; returns both paths."""
    reports_dir.mkdir(parents=True, exist_ok=True)
    csv_path = reports_dir / f"{REVIEW_STEM}.csv"
    md_path = reports_dir / f"{REVIEW_STEM}.md"
    with csv_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for name, entry in _ordered(field_map):
            writer.writerow(_row(field_map, name, entry))
    md_path.write_text(render_markdown(field_map, map_path=map_path), encoding="utf-8")
    return csv_path, md_path
