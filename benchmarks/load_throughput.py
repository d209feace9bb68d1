"""Benchmark: how close the load gets to the server's ceiling of requests/min × *the server's* batch cap.

    .venv/bin/python benchmarks/load_throughput.py [--twenty-version 2.47] [--rate-limiter legacy]
        [--patients 5000] [--rpm 100] [--baseline-records 30] [--group-patients 250000] [--check]

What it does, end to end over real HTTP on loopback, for each Twenty version of sandbox/versions.py (or the
one named), with no TWENTY_BATCH_CAP set: the client learns the cap from the server, and the ratio is taken
against the cap the *server* has (its `/_sandbox/info`), so a client that sends smaller batches than the
server takes shows up as a low ratio instead of hiding behind its own setting.

1. starts a sandbox Twenty (that version, its own batch cap) in a child process with a rate limit of
   `--rpm` requests per minute (long bucket; Twenty's default short bucket 100/s stays), so the client's
   memory is measured apart from the server's;
2. generates a clean export (`generate_export`, `--patients` patients), lands every object
   in a scratch DuckDB and stages it with `stage_wave` and the proposed map (the companies and people are loaded);
3. syncs the schema (`sync_schema` with `SCHEMA_OBJECTS`) and loads companies (untimed);
4. empties the workspace's rate-limit bucket (one minute's burst, so the figures are the steady state a
   long migration runs at, not the first minute's burst), then times `load_records` for people:
   * **first load** (`known={}`): every record new;
   * **delta**: every record already in the id map but changed, after `--edited-share` (1 %) of them were
     edited in Twenty: before-states from one paged read of what Twenty changed since the wave plus the
     payloads the migration sent (load_wave.delta_before_states), no read per batch;
   * **baseline**: the same client with `batch_cap=1` on `--baseline-records` people.

Prints, per run, records/min achieved ÷ (requests/min × the server's cap) — the goal is ≥ 0.95 — with the
requests, 429s and retries spent, the client process's CPU per batch (the loader's own work, which must stay
well under the pacing interval: goal ≤ 100 ms per 200-record batch), and the peak resident memory of this
(client) process. Then, per version,
the requests a `--group-patients` group's full load draws on the throttle and the hours they take at 100
requests/min (the self-hosted default): record batches at the server's cap, plus one request per document
where the upload flow is charged to the throttle (the legacy `uploadFile`; the /metadata flows are not,
twenty/facts.py). The group's staging counts are this run's `--patients` export mapped in full and scaled
linearly (said so in the output), or a generated group's (`benchmarks/map_memory.py --patients 250000
--counts-out group.json`, then `--group-counts group.json [--project-only]`).
`--check` exits 1 when any first load is below 0.95.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import secrets
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from core_practice_twenty.mapping.proposer import propose
from core_practice_twenty.mapping.target_model import COMPANIES, PEOPLE, SCHEMA_OBJECTS, TARGET_OBJECTS
from core_practice_twenty.mapping.wave import stage_wave
from core_practice_twenty.model.staged import StagedRecord
from core_practice_twenty.model.twenty import FLOW_LEGACY
from core_practice_twenty.sandbox import RateLimitConfig, SandboxConfig
from core_practice_twenty.sandbox.server import serve
from core_practice_twenty.sandbox.versions import LIMITERS, VERSIONS
from core_practice_twenty.source.export_spec import EXPORT_SPEC
from core_practice_twenty.source.generator import generate_export
from core_practice_twenty.store.raw import land_object
from core_practice_twenty.store.staging import IdMapEntry, WriteOutcome, read_staged
from core_practice_twenty.store.warehouse import Warehouse
from core_practice_twenty.twenty.client import TwentyClient, forget_learned
from core_practice_twenty.twenty.loader import BeforeStates, LoadReport, load_records
from core_practice_twenty.twenty.metadata import sync_schema

GOAL = 0.95
WAVE = "bench"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_sandbox(db: Path, key: str, rpm: int, played: str, limiter: str) -> tuple[multiprocessing.Process, str]:
    """The sandbox in its own process (so ru_maxrss here is the client's), Twenty's 429s on."""
    port = free_port()
    limits = RateLimitConfig(short_limit=100, short_window_ms=1000, long_limit=rpm, long_window_ms=60_000)
    config = SandboxConfig(db_path=db, api_key=key, port=port, twenty_version=played, rate_limiter=limiter,
                           rate_limit=limits)
    process = multiprocessing.get_context("spawn").Process(target=serve, args=(config,), daemon=True)
    process.start()
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    process.terminate()
    raise SystemExit("sandbox did not start")


def staged_export(tmp: Path, patients: int) -> dict[str, list[StagedRecord]]:
    """Every object's payloads the way the pipeline stages them (landing → the plans the proposed map compiles)."""
    export = generate_export(tmp / "export", practices=8, patients=patients, dirt="none", seed=20261124)
    warehouse = Warehouse(tmp / "warehouse.duckdb")
    for spec in EXPORT_SPEC.values():
        land_object(warehouse, spec, export, wave=WAVE, snapshot_id=export.name)
    field_map = propose(export)
    field_map.options.region = "AU"
    stage_wave(warehouse, WAVE, field_map)
    return {plural: read_staged(warehouse, plural, WAVE) for plural in TARGET_OBJECTS}


def staging_counts(staged: dict[str, list[StagedRecord]]) -> tuple[dict[str, int], int]:
    """Records per object, and documents whose file is uploaded."""
    uploads = sum(1 for r in staged.get("attachments", []) if (r.payload.get("$file") or {}).get("upload"))
    return {plural: len(rows) for plural, rows in staged.items()}, uploads


def group_projection(counts: dict[str, int], uploads: int, scale: float, cap: int, uploads_on_throttle: bool,
                     plan_rpm: float = 100.0) -> tuple[int, int, float]:
    """(records, requests on the throttle, hours at `plan_rpm`) of a full load of `counts` × `scale`."""
    records = requests = 0
    for count in counts.values():
        scaled = round(count * scale)
        records += scaled
        requests += -(-scaled // cap)
    if uploads_on_throttle:
        requests += round(uploads * scale)
    return records, requests, requests / plan_rpm / 60


def drain_bucket(client: TwentyClient) -> None:
    """Spend the workspace's burst so the timed run starts from an empty bucket (the steady state): until a request
    has to wait for its token. (Counting the tokens left never ended once the limiter kept a reserve back.)"""
    waited = client.stats.waited_s
    while client.stats.waited_s - waited < 0.01:
        client.count("companies")


def server_cap(url: str, key: str) -> int:
    """The batch cap the server has (not the one the client chose)."""
    return int(httpx.get(f"{url}/_sandbox/info", headers={"Authorization": f"Bearer {key}"}).json()["batchCap"])


def server_429s(url: str, key: str) -> int:
    response = httpx.get(f"{url}/_sandbox/rate-limit", headers={"Authorization": f"Bearer {key}"})
    return int(response.json()["throttled"])


def edit_in_twenty(client: TwentyClient, ids: dict[str, str], share: float) -> int:
    """Someone edits `share` of the people in Twenty after the wave (a receptionist fixing names)."""
    edited = list(ids.values())[: max(1, round(len(ids) * share))]
    for twenty_id in edited:
        client.update_one(PEOPLE.name_plural, twenty_id, {"jobTitle": "edited at the front desk"})
    return len(edited)


def before_states_of(client: TwentyClient, records: list[StagedRecord], clock: str) -> BeforeStates:
    """What load_wave.delta_before_states builds from the warehouse: the payloads last sent, and one paged read
    of what Twenty changed since the migration's clock (the latest updatedAt of its writes)."""
    since = {r["id"]: r for r in client.find_many(PEOPLE.name_plural, filter=f"updatedAt[gt]:{clock}",
                                                   with_deleted=True)}
    return BeforeStates(since, {r.source_key: r.payload for r in records})


class Collect:
    """on_batch: keeps source key → Twenty id of everything written."""

    def __init__(self) -> None:
        self.ids: dict[str, str] = {}
        self.outcomes = 0
        self.clock = ""  # the latest updatedAt Twenty answered the writes with

    def __call__(self, outcomes: list[WriteOutcome]) -> None:
        self.outcomes += len(outcomes)
        for outcome in outcomes:
            if outcome.twenty_id:
                self.ids[outcome.source_key] = outcome.twenty_id
            self.clock = max(self.clock, outcome.server_time or "")


def timed_load(label: str, client: TwentyClient, records: list[StagedRecord], known: dict[str, IdMapEntry],
               lookup: Callable[[str, str], str | None], rpm: int, url: str, key: str,
               before_states: Callable[[], BeforeStates] | None = None) -> tuple[float, Collect]:
    drain_bucket(client)
    before = (client.stats.requests, client.stats.throttled, client.stats.retries, server_429s(url, key))
    collect = Collect()
    started, cpu_started = time.perf_counter(), time.process_time()
    states = before_states() if before_states else None  # its read is part of the delta's time
    report: LoadReport = load_records(client, PEOPLE, records, known, on_batch=collect, lookup=lookup,
                                      before_states=states)
    seconds = time.perf_counter() - started
    cpu_ms = (time.process_time() - cpu_started) * 1000 / max(1, report.batches)
    sent = report.created + report.updated + report.rejected
    per_min = sent / seconds * 60
    ratio = per_min / (rpm * server_cap(url, key))
    requests = client.stats.requests - before[0]
    print(f"{label:<48} cap {client.batch_cap:>3}  {sent:>6,} records  {requests:>5} requests  "
          f"{seconds:7.1f}s  {per_min:>9,.0f} rec/min  ratio {ratio:5.3f}  "
          f"(429s {client.stats.throttled - before[1]} client / {server_429s(url, key) - before[3]} server, "
          f"retries {client.stats.retries - before[2]}, rejected {report.rejected}, held {report.held_back}); "
          f"the loader's own work {cpu_ms:.0f} ms CPU per batch (goal ≤ 100)")
    return ratio, collect


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--twenty-version", choices=list(VERSIONS), default=None, help="default: every version")
    parser.add_argument("--rate-limiter", choices=list(LIMITERS), default="legacy")
    parser.add_argument("--patients", type=int, default=5000)
    parser.add_argument("--rpm", type=int, default=100, help="the workspace plan: requests per minute (self-hosted "
                                                               "default 100)")
    parser.add_argument("--baseline-records", type=int, default=30, help="people sent one per request")
    parser.add_argument("--group-patients", type=int, default=250_000, help="the group the projection is for")
    parser.add_argument("--group-counts", type=Path,
                        help="staging counts of a generated group (benchmarks/map_memory.py --counts-out)")
    parser.add_argument("--project-only", action="store_true",
                        help="only the group projection from --group-counts, per version (no loads)")
    parser.add_argument("--skip-delta", action="store_true", help="skip the delta re-load")
    parser.add_argument("--edited-share", type=float, default=0.01,
                        help="share of the loaded people edited in Twenty before the delta")
    parser.add_argument("--check", action="store_true", help=f"exit 1 if a first load's ratio is below {GOAL}")
    args = parser.parse_args()
    if os.environ.pop("TWENTY_BATCH_CAP", None):
        print("TWENTY_BATCH_CAP is ignored here: the client learns the server's cap")

    if args.group_counts:  # a generated group mapped in full (benchmarks/map_memory.py --counts-out)
        group = json.loads(args.group_counts.read_text())
        group_counts, group_uploads = group["counts"], group["uploads"]
        group_scale = args.group_patients / group["patients"]
        group_source = f"staging counts of a generated {group['patients']:,}-patient group"
        if group_scale != 1:
            group_source += f" scaled ×{group_scale:,.2f}"
    if args.project_only:
        if not args.group_counts:
            parser.error("--project-only needs --group-counts")
        print(f"a {args.group_patients:,}-patient group's full load ({group_source}):")
        for played in [args.twenty_version] if args.twenty_version else list(VERSIONS):
            row = VERSIONS[played]
            legacy_upload = not row.direct_upload  # the only flow the client paces (see the module docstring)
            records, requests, hours = group_projection(group_counts, group_uploads, group_scale, row.batch_cap,
                                                        legacy_upload)
            print(f"  Twenty {played}: cap {row.batch_cap}: {records:,} records, {requests:,} requests on the "
                  f"throttle, {hours:.1f} h at 100 requests/min")
        return 0

    key = secrets.token_urlsafe(16)
    firsts: dict[str, float] = {}
    deltas: dict[str, float] = {}
    projections: list[str] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        started = time.perf_counter()
        staged = staged_export(tmp, args.patients)
        companies, people = staged["companies"], staged["people"]
        print(f"export of {args.patients:,} patients → {sum(map(len, staged.values())):,} records staged "
              f"({len(people):,} people) in {time.perf_counter() - started:.1f}s")
        if not args.group_counts:
            group_counts, group_uploads = staging_counts(staged)
            group_scale = args.group_patients / args.patients
            group_source = f"staging counts of {args.patients:,} patients scaled ×{group_scale:,.0f}"
        for played in [args.twenty_version] if args.twenty_version else list(VERSIONS):
            forget_learned()
            process, url = start_sandbox(tmp / f"twenty-{played}.sqlite", key, args.rpm, played, args.rate_limiter)
            try:
                client = TwentyClient(url, key, requests_per_minute=args.rpm)
                facts = client.learn()
                cap = server_cap(url, key)
                print(f"\nTwenty {played} ({args.rate_limiter} limiter) at {url}: {args.rpm} requests/min, server cap "
                      f"{cap}, client learned {client.batch_cap}; ceiling {args.rpm * cap:,} records/min")
                sync_schema(client, SCHEMA_OBJECTS)
                company_ids = Collect()
                load_records(client, COMPANIES, companies, {}, on_batch=company_ids)

                def lookup(obj: str, source_key: str, ids: Collect = company_ids) -> str | None:
                    return ids.ids.get(source_key) if obj == COMPANIES.name_plural else None

                first, loaded = timed_load("first load (known={})", client, people, {}, lookup, args.rpm, url, key)
                firsts[played] = first
                if not args.skip_delta:
                    edited = edit_in_twenty(client, loaded.ids, args.edited_share)
                    stale = {k: IdMapEntry(v, "changed") for k, v in loaded.ids.items()}
                    delta, _ = timed_load(
                        f"delta (all changed; {edited} edited in Twenty since)", client, people, stale, lookup,
                        args.rpm, url, key, lambda c=client, done=loaded: before_states_of(c, people, done.clock))
                    deltas[played] = delta
                if args.baseline_records:
                    one = TwentyClient(url, key, requests_per_minute=args.rpm, batch_cap=1)
                    subset = people[: args.baseline_records]
                    base, _ = timed_load("baseline, one record per request", one, subset, {}, lookup, args.rpm, url,
                                         key)
                    print(f"one record per request reaches {base:.4f} of the batched ceiling (rpm × {cap}); "
                          f"batching is ×{first / base:.0f} faster")
                records, requests, hours = group_projection(group_counts, group_uploads, group_scale, cap,
                                                            facts.upload_flow == FLOW_LEGACY)
                projections.append(f"  Twenty {played}: cap {cap}, upload flow {facts.upload_flow}: {records:,} "
                                   f"records, {requests:,} requests on the throttle, {hours:.1f} h at 100 requests/min")
            finally:
                process.terminate()
                process.join(10)

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sandbox_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"\npeak memory: client process {peak_mb:,.0f} MB (generation, landing, mapping and load), "
          f"sandbox process {sandbox_mb:,.0f} MB")
    print(f"\na {args.group_patients:,}-patient group's full load ({group_source}):")
    print("\n".join(projections))
    print("first load ratio (records/min ÷ (requests/min × the server's cap)), goal ≥ "
          f"{GOAL}: " + ", ".join(f"{v} {r:.3f}" for v, r in firsts.items()))
    if deltas:
        print(f"delta ratio ({args.edited_share:.0%} edited in Twenty since the wave), goal ≥ {GOAL}: "
              + ", ".join(f"{v} {r:.3f}" for v, r in deltas.items()))
    return 1 if args.check and min(firsts.values()) < GOAL else 0


if __name__ == "__main__":
    sys.exit(main())
