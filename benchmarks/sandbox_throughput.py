"""Benchmark: how fast the local Twenty sandbox takes batch writes over real HTTP on loopback.

    .venv/bin/python benchmarks/sandbox_throughput.py [--records 12000] [--existing 30000] [--check]

Starts a sandbox (rate limiting off, so the sandbox itself is measured, not Twenty's throttle) and,
over one keep-alive httpx connection like the pipeline's client, times:

* batch creates of realistic people (name, e-mail, international phone — parsed like Twenty does —,
  city, job title) at the legacy cap (60 per request) and the current cap (200);
* upserts of 200 by a custom unique source key into a workspace already holding ``--existing`` people,
  half updates and half inserts, as a re-run of a wave does;
* four clients creating at once (the server serialises writes on one SQLite connection).

Prints records/s and the ratio to the issue-3 goal of 2,000 records/s. ``--check`` exits 1 when the
batch-create figure is below the goal.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from core_practice_twenty.sandbox import RateLimitConfig, SandboxConfig, SandboxServer

GOAL = 2000.0


def person(n: int, tag: str) -> dict:
    return {
        "name": {"firstName": f"Pat{n}", "lastName": f"Smith{tag}"},
        "emails": {"primaryEmail": f"pat{n}.{tag}@example.org"},
        "phones": {"primaryPhoneNumber": f"+61 4{n % 100:02d} {n // 100 % 1000:03d} {n % 1000:03d}"},
        "city": "Perth",
        "jobTitle": "Patient",
    }


def timed_batches(client: httpx.Client, rows: list[dict], size: int, params: dict | None = None) -> float:
    """Seconds to send ``rows`` in batches of ``size``; every batch must succeed."""
    started = time.perf_counter()
    for start in range(0, len(rows), size):
        response = client.post("/rest/batch/people", params=params or {}, json=rows[start : start + size])
        if response.status_code != 201:
            raise SystemExit(f"batch failed: {response.status_code} {response.text[:200]}")
    return time.perf_counter() - started


def report(label: str, records: int, seconds: float) -> float:
    rate = records / seconds
    print(f"{label:<58} {records:>7,} records {seconds:7.2f}s {rate:9,.0f} rec/s  ×{rate / GOAL:5.1f} of goal")
    return rate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=12_000, help="records per create measurement")
    parser.add_argument("--existing", type=int, default=30_000, help="people already in the workspace for upserts")
    parser.add_argument("--check", action="store_true", help="exit 1 if batch create is below 2,000 records/s")
    args = parser.parse_args()

    key = secrets.token_urlsafe(16)
    with tempfile.TemporaryDirectory() as tmp:
        config = SandboxConfig(
            db_path=Path(tmp) / "bench.sqlite", api_key=key, batch_cap=200, rate_limit=RateLimitConfig.disabled()
        )
        with SandboxServer(config) as server:
            headers = {"Authorization": f"Bearer {key}"}
            with httpx.Client(base_url=server.url, headers=headers, timeout=120) as client:
                print(f"sandbox {server.url} (profile {server.profile}), goal {GOAL:,.0f} records/s\n")
                rate_60 = report(
                    "batch create, 60 per request (legacy cap)",
                    args.records,
                    timed_batches(client, [person(n, "a") for n in range(args.records)], 60),
                )
                rate_200 = report(
                    "batch create, 200 per request (current cap)",
                    args.records,
                    timed_batches(client, [person(n, "b") for n in range(args.records)], 200),
                )

                field = {"name": "cpPatientId", "label": "CP Patient Id", "type": "TEXT", "isUnique": True}
                objects = client.get("/rest/metadata/objects").json()["data"]["objects"]
                field["objectMetadataId"] = next(o["id"] for o in objects if o["nameSingular"] == "person")
                assert client.post("/rest/metadata/fields", json=field).status_code == 201
                keyed = [{**person(n, "c"), "cpPatientId": f"PT{n}"} for n in range(args.existing)]
                timed_batches(client, keyed, 200)
                half = args.records // 2
                rerun = [{**person(n, "c"), "cpPatientId": f"PT{n}", "city": "Bunbury"} for n in range(half)]
                rerun += [{**person(n, "d"), "cpPatientId": f"NEW{n}"} for n in range(args.records - half)]
                total = client.get("/rest/people", params={"limit": "1"}).json()["totalCount"]
                rate_upsert = report(
                    f"upsert 200 per request by cpPatientId into {total:,} people",
                    len(rerun),
                    timed_batches(client, rerun, 200, {"upsert": "true"}),
                )

            def worker(index: int) -> None:
                with httpx.Client(base_url=server.url, headers=headers, timeout=120) as own:
                    timed_batches(own, [person(n, f"w{index}") for n in range(args.records // 4)], 200)

            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=4) as pool:
                list(pool.map(worker, range(4)))
            rate_parallel = report(
                "batch create, 200 per request, 4 clients at once",
                args.records // 4 * 4,
                time.perf_counter() - started,
            )

    print(
        f"\nslowest figure {min(rate_60, rate_200, rate_upsert, rate_parallel):,.0f} rec/s; "
        f"batch create at the legacy cap is ×{rate_60 / GOAL:.1f} the 2,000 records/s goal"
    )
    return 1 if args.check and min(rate_60, rate_200) < GOAL else 0


if __name__ == "__main__":
    sys.exit(main())
