"""The migration lifecycle around the loads: sample choice, field-level diff, baseline, rollback, cutover.

Plain domain code, no Dagster: `defs/` wires it. Every function that reports to logs or metadata
returns counts, ids and hashes only; values appear only in report files under the reports folder.
"""
