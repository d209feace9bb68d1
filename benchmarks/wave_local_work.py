"""Benchmark: a whole wave's own work, with Twenty answering at once (no rate limit).

    .venv/bin/python benchmarks/wave_local_work.py [--practices 8] [--patients 200] [--seed 7] [--rpm 0]

Generates the test suite's sample export, confirms its map, and runs `cpt migrate` for the full wave
through Dagster against a local Twenty (its own process, as Twenty is; unthrottled) with a fresh warehouse and Dagster
home. At a real plan's rate limit the requests dominate a wave; what is left here is the pipeline's own
work — landing, validation, mapping, Dagster's bookkeeping, the warehouse writes of every batch — which the
test loop and every delta pay. Prints the wave's seconds, the records loaded, how many DuckDB
connections were opened (each costs 20-40 ms), and the loader's own work per batch (a load's time less its
waits for Twenty's answers and the pacing; goal ≤ 0.1 s, a sixth of the 0.6 s between requests at 100/min).
Compare two checkouts with `farm-bench --vs` (PYTHONPATH=<other checkout>).
"""

from __future__ import annotations

import argparse
import os
import secrets
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--practices", type=int, default=8)
    parser.add_argument("--patients", type=int, default=200)
    parser.add_argument("--rpm", type=int, default=0,
                        help="Twenty's rate limit and the client's pace (0: unthrottled, the pipeline's own work)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--in-process", action="store_true",
                        help="run the local Twenty in a thread of this process (it then shares the pipeline's GIL)")
    args = parser.parse_args()

    import duckdb

    from core_practice_twenty.source.generator import generate_export

    opened = 0
    real_connect = duckdb.connect

    def counting_connect(*a, **k):
        nonlocal opened
        opened += 1
        return real_connect(*a, **k)

    duckdb.connect = counting_connect
    from core_practice_twenty.twenty import load_wave

    reports = []
    real_load = load_wave.load_records

    def recording_load(*a, **k):
        report = real_load(*a, **k)
        reports.append(report)
        return report

    load_wave.load_records = recording_load
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        with local_twenty(root, args.rpm, in_process=args.in_process) as (url, key):
            os.environ.update(DAGSTER_HOME=str(root / "dagster_home"), CPT_WAREHOUSE=str(root / "wh.duckdb"),
                              TWENTY_API_URL=url, TWENTY_API_KEY=key, TWENTY_REQUESTS_PER_MINUTE=str(args.rpm),
                              CPT_FIELD_MAP=str(root / "mapping" / "field-map.yaml"), CPT_REPORTS=str(root / "r"),
                              CPT_SAMPLE_GATE="off")
            export = generate_export(root / "exports" / "snap", practices=args.practices, patients=args.patients,
                                     seed=args.seed)
            from core_practice_twenty.mapping.field_map import confirm, save_map
            from core_practice_twenty.mapping.proposer import propose
            from core_practice_twenty.settings import field_map_path

            save_map(confirm(propose(export), export, "benchmark", map_path=field_map_path()), field_map_path())
            from core_practice_twenty.cli import migrate

            started = time.monotonic()
            code = migrate(export, "full")
            seconds = time.monotonic() - started
            with server_client(url, key) as client:
                records = sum(client.count(o["namePlural"]) for o in client.list_objects()
                              if o["namePlural"] in RECORD_OBJECTS)
    print(f"\nwave: exit {code}, {seconds:.1f} s, {records} records in Twenty, {records / seconds:.0f} records/s, "
          f"{opened} DuckDB connections opened")
    batches = sum(r.batches for r in reports)
    own = sum(r.own_seconds for r in reports)
    if batches:
        worst = max((r for r in reports if r.batches), key=lambda r: r.own_seconds / r.batches)
        print(f"loader's own work: {own:.1f} s over {batches} batches, {own / batches:.3f} s per batch (goal ≤ 0.1 s; "
              f"ratio to the 0.6 s between requests at 100/min: {own / batches / 0.6:.2f}); worst object "
              f"{worst.object}: {worst.own_seconds / worst.batches:.3f} s per batch")
    if args.rpm:
        print(f"at {args.rpm} requests/min: {seconds / 3600:.2f} h for {args.patients:,} patients; a 250,000-patient "
              f"group at this pace: {seconds / 3600 * 250_000 / args.patients:.1f} h")


RECORD_OBJECTS = {"companies", "people", "opportunities", "treatmentPlans", "invoices", "insuranceClaims", "tasks",
                  "taskTargets", "notes", "noteTargets", "attachments"}


@contextmanager
def local_twenty(root: Path, rpm: int, *, in_process: bool) -> Iterator[tuple[str, str]]:
    """The local Twenty in its own process, as Twenty and `make demo` run it (or in a thread, to compare)."""
    if not in_process:
        from core_practice_twenty.cli.sandbox import sandbox_process

        limits = ["--rate-limit-short", "100/1000", "--rate-limit-long", f"{rpm}/60000"] if rpm else ["--no-rate-limit"]
        with sandbox_process(root / "twenty.sqlite", options=limits) as (url, key):
            yield url, key
        return
    from core_practice_twenty.sandbox import RateLimitConfig, SandboxConfig, SandboxServer

    key = secrets.token_urlsafe(16)
    limit = (RateLimitConfig(short_limit=100, short_window_ms=1000, long_limit=rpm, long_window_ms=60_000)
             if rpm else RateLimitConfig.disabled())
    server = SandboxServer(SandboxConfig(db_path=root / "twenty.sqlite", api_key=key, port=0, rate_limit=limit))
    server.start()
    try:
        yield server.url, key
    finally:
        server.stop()


def server_client(url: str, key: str):
    from core_practice_twenty.twenty.client import TwentyClient

    return TwentyClient(url, key, requests_per_minute=0)


if __name__ == "__main__":
    main()
