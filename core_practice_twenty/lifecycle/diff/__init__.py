"""Field-level diff: what the migration meant to write (staged payload) vs. what Twenty holds now.

For every record and every mapped field (each key of the staged payload) one row: object, source
key, field, source value, expected, actual, match. Expected is the staged payload with its `$ref`s
resolved from the id map, exactly what the loader sent. The source value is the export's cell(s)
that fed the field, as landed in the raw table: which columns those are comes from the confirmed
field map (the same table of truth the mappers read), so a person can tell a transform's doing
(`0491 570 156` → `+61 491570156`) from a load's. A field no column feeds (needsReview, personType,
join ids the mapper computes) has no source value.

Twenty legitimately rewrites some values, so both sides are normalised by the field's type (read
from the workspace's metadata, so a custom field is compared by what it is) before comparing:

* composites come back with every sub-field (EMAILS `additionalEmails`, PHONES country/calling
  codes, ADDRESS lat/lng, LINKS label/secondary links): only the sub-fields the payload set are
  compared, and a composite the payload left empty must come back empty;
* EMAILS are lower-cased, trailing dot stripped; PHONES compared as calling code + digits (a country
  code only when the payload gave one); LINKS by scheme-less, lower-case host and path (company
  `domainName` by host only, as current Twenty stores it);
* CURRENCY `amountMicros` as an integer whether Twenty answers a number or a string;
* DATE_TIME as UTC instants (`+10:00` in, `…Z` out), DATE by calendar day;
* RICH_TEXT_V2 by its markdown (Twenty fills `blocknote` itself), RAW_JSON by structure;
* null, `''` and `[]` mean the same (Twenty fills TEXT with `''`).

Anything else that differs is a mismatch. The report files (CSV, Markdown, HTML) hold values and
stay on the practice's machine; `DiffSummary` holds counts only, for logs and Dagster metadata.
"""

from __future__ import annotations

from core_practice_twenty.lifecycle.diff.compare import FieldDiff, diff_record, field_matches
from core_practice_twenty.lifecycle.diff.provenance import SourceColumn, read_source_rows, source_columns
from core_practice_twenty.lifecycle.diff.report import write_reports
from core_practice_twenty.lifecycle.diff.run import DiffSummary, diff_wave

__all__ = ["DiffSummary", "FieldDiff", "SourceColumn", "diff_record", "diff_wave", "field_matches",
           "read_source_rows", "source_columns", "write_reports"]
