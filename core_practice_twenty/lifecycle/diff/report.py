"""The diff as files a person opens: markdown summary and CSV of every field (values only here, never in logs)."""

from __future__ import annotations

import csv
import html
import json
import re
from pathlib import Path
from typing import Any

from core_practice_twenty.lifecycle.diff.compare import UNEXPECTED
from core_practice_twenty.lifecycle.diff.run import WaveDiff


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def write_reports(diff: WaveDiff, reports_dir: Path, *, max_listed: int = 500) -> dict[str, Path]:
    """Write `diff-<wave>.csv` (every row), `.md` and `.html` (summary + the differences) under `reports_dir`.

    These files hold record values: they stay on the practice's machine, next to the warehouse.
    """
    reports_dir.mkdir(parents=True, exist_ok=True)
    stem = f"diff-{re.sub(r'[^A-Za-z0-9_.-]+', '_', diff.wave)}"
    paths = {"csv": reports_dir / f"{stem}.csv", "markdown": reports_dir / f"{stem}.md",
             "html": reports_dir / f"{stem}.html"}
    with paths["csv"].open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["object", "source_key", "source_line", "field", "source_value", "expected", "actual",
                         "match", "status"])
        for row in diff.rows:
            writer.writerow([row.object, row.source_key, row.source_line if row.source_line is not None else "",
                             row.field, _cell(row.source), _cell(row.expected), _cell(row.actual), row.match,
                             row.status])

    summary = diff.summary()
    header = ["object", "records", "fields compared", "matched", "mismatched", "missing in Twenty", "not loaded"]
    table = [[name, c.records, c.fields, c.matched, c.mismatched, c.missing_in_twenty, c.not_loaded]
             for name, c in summary.objects.items()]
    differences = [r for r in diff.rows if r.status in UNEXPECTED]
    listed = differences[:max_listed]
    verdict = ("No unexpected differences." if summary.passed
               else f"{summary.unexpected} unexpected difference(s).")

    md = [f"# Field-level diff, wave {diff.wave}", "", verdict, "",
          "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    md += ["| " + " | ".join(str(v) for v in line) + " |" for line in table]
    if listed:
        md += ["", "## Differences", "",
               "| object | source key | field | source value | expected | actual | status |",
               "|---|---|---|---|---|---|---|"]
        md += [f"| {r.object} | {r.source_key} | {r.field} | {_md(r.source)} | {_md(r.expected)} | {_md(r.actual)} "
               f"| {r.status} |" for r in listed]
        if len(differences) > len(listed):
            md.append(f"\n…and {len(differences) - len(listed)} more in {paths['csv'].name}.")
    paths["markdown"].write_text("\n".join(md) + "\n", encoding="utf-8")

    def html_table(head: list[str], body: list[list[Any]]) -> str:
        cells = "".join(f"<th>{html.escape(h)}</th>" for h in head)
        lines = "".join("<tr>" + "".join(f"<td>{html.escape(_cell(v) if not isinstance(v, int) else str(v))}</td>"
                                         for v in line) + "</tr>" for line in body)
        return f"<table><thead><tr>{cells}</tr></thead><tbody>{lines}</tbody></table>"

    page = [f"<!doctype html><meta charset='utf-8'><title>Diff {html.escape(diff.wave)}</title>",
            "<style>body{font-family:sans-serif}td,th{border:1px solid #ccc;padding:2px 6px}"
            "table{border-collapse:collapse}</style>",
            f"<h1>Field-level diff, wave {html.escape(diff.wave)}</h1><p>{html.escape(verdict)}</p>",
            html_table(header, table)]
    if listed:
        page += ["<h2>Differences</h2>", html_table(
            ["object", "source key", "field", "source value", "expected", "actual", "status"],
            [[r.object, r.source_key, r.field, r.source, r.expected, r.actual, r.status] for r in listed])]
    paths["html"].write_text("\n".join(page) + "\n", encoding="utf-8")
    return paths


def _md(value: Any) -> str:
    return _cell(value).replace("|", "\\|").replace("\n", " ")

