"""Conformance suite target: the local sandbox by default, a real Twenty only on explicit opt-in.

The same tests run against both, so a user with a real workspace can measure the sandbox's fidelity:

    CPT_CONFORMANCE_REAL=1 TWENTY_API_URL=https://crm.example.com TWENTY_API_KEY=… \\
        .venv/bin/pytest core_practice_twenty_tests/sandbox/conformance

Why the extra switch: a migration engineer may have TWENTY_API_URL / TWENTY_API_KEY pointing at the
practice's production workspace in the shell that runs ``make test``. Without ``CPT_CONFORMANCE_REAL=1``
those variables are ignored here and the suite talks to a throw-away sandbox. With it, every record,
field and object the suite creates is destroyed (hard) at the end of the test that created it; use a
scratch workspace anyway. Tests that need sandbox-only controls (faults, rate-limit settings, reset,
seeded members) are skipped against a real Twenty.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from core_practice_twenty.sandbox import SandboxServer

OPT_IN = "CPT_CONFORMANCE_REAL"
MAX_THROTTLE_WAIT_S = 75.0


@dataclass(frozen=True)
class TargetChoice:
    """Where the suite points: a real Twenty (url + key) or, when ``url`` is None, a local sandbox."""

    url: str | None
    api_key: str | None

    @property
    def is_real(self) -> bool:
        return self.url is not None


def choose_target(env: Mapping[str, str]) -> TargetChoice:
    """Real Twenty only with ``CPT_CONFORMANCE_REAL=1`` *and* both variables; otherwise the sandbox.

    TWENTY_API_URL / TWENTY_API_KEY alone never select a real server (they may be production's)."""
    if env.get(OPT_IN) != "1":
        return TargetChoice(None, None)
    url, key = env.get("TWENTY_API_URL", "").strip(), env.get("TWENTY_API_KEY", "").strip()
    if not url or not key:
        raise pytest.UsageError(f"{OPT_IN}=1 needs TWENTY_API_URL and TWENTY_API_KEY of a scratch workspace")
    return TargetChoice(url.rstrip("/"), key)


DUPLICATE_WORDINGS = ("A duplicate entry was detected", "Record already exists", "duplicate key value")


def is_duplicate_error(response: httpx.Response) -> bool:
    """400 BadRequestException with one of the duplicate wordings Twenty versions have used."""
    body = response.json()
    return (
        response.status_code == 400
        and body["error"] == "BadRequestException"
        and any(w in body["messages"][0] for w in DUPLICATE_WORDINGS)
    )


def created_ids(plural: str, body: Any) -> list[str]:
    """Record ids in a create / upsert response body (create-one or create-many envelope)."""
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        return []
    ids: list[str] = []
    for value in data.values():
        rows = value if isinstance(value, list) else [value]
        ids.extend(r["id"] for r in rows if isinstance(r, dict) and isinstance(r.get("id"), str))
    return ids


class TwentyClient(httpx.Client):
    """httpx client that waits out 429s (real Twenty: 100 requests/minute) and remembers every record,
    field and object it creates so the test can destroy them afterwards."""

    def __init__(self, base_url: str, api_key: str | None, **kwargs: Any) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        super().__init__(base_url=base_url, headers=headers, timeout=60, **kwargs)
        self.created_records: list[tuple[str, str]] = []
        self.created_fields: list[str] = []
        self.created_objects: list[str] = []

    def request(self, method: str, url: Any, *args: Any, **kwargs: Any) -> httpx.Response:  # type: ignore[override]
        deadline = time.monotonic() + MAX_THROTTLE_WAIT_S
        while True:
            response = super().request(method, url, *args, **kwargs)
            if response.status_code != 429 or time.monotonic() > deadline:
                break
            retry_after = response.headers.get("Retry-After")
            time.sleep(min(float(retry_after) if retry_after else 5.0, max(0.0, deadline - time.monotonic())))
        self._remember(method, str(response.request.url.path), response)
        return response

    def _remember(self, method: str, path: str, response: httpx.Response) -> None:
        if method != "POST" or response.status_code != 201:
            return
        body = response.json()
        parts = [p for p in path.split("/") if p]
        if parts[:3] == ["rest", "metadata", "objects"]:
            self.created_objects.append(body["data"]["createOneObject"]["id"])
        elif parts[:3] == ["rest", "metadata", "fields"]:
            self.created_fields.append(body["data"]["createOneField"]["id"])
        elif parts[:2] == ["rest", "batch"] and len(parts) == 3:
            self.created_records += [(parts[2], i) for i in created_ids(parts[2], body)]
        elif parts[:1] == ["rest"] and len(parts) == 2:
            self.created_records += [(parts[1], i) for i in created_ids(parts[1], body)]

    def cleanup(self) -> None:
        """Hard-destroy everything this client created (records, then fields, then objects)."""
        for plural, record_id in reversed(self.created_records):
            self.delete(f"/rest/{plural}/{record_id}")  # 404 when a cascade already removed it
        for field_id in reversed(self.created_fields):
            self.delete(f"/rest/metadata/fields/{field_id}")
        for object_id in reversed(self.created_objects):
            self.patch(f"/rest/metadata/objects/{object_id}", json={"isActive": False})
            self.delete(f"/rest/metadata/objects/{object_id}")
        self.created_records.clear()
        self.created_fields.clear()
        self.created_objects.clear()


class Target:
    """The server under test plus what the suite learnt about it (naming, batch cap)."""

    def __init__(self, url: str, api_key: str, server: SandboxServer | None) -> None:
        self.url = url
        self.api_key = api_key
        self.server = server
        with TwentyClient(url, api_key) as c:
            objects = c.get("/rest/metadata/objects", params={"limit": "1000"}).json()["data"]["objects"]
            self.objects = {o["nameSingular"]: o for o in objects}
            info = c.get("/_sandbox/info").json() if server is not None else {}
        task_target_fields = {f["name"] for f in self.objects["taskTarget"]["fields"]}
        self.profile = "current" if "targetPerson" in task_target_fields else "legacy"
        env_cap = os.environ.get("CPT_CONFORMANCE_BATCH_CAP")
        self.batch_cap = int(env_cap) if env_cap else int(info.get("batchCap", 200))
        self.limiter: str | None = info.get("rateLimiter")  # a real Twenty: told by the shape of its 429
        with TwentyClient(url, api_key) as c:  # GraphQL validation names a mutation the server lacks
            probe = c.post("/metadata", json={"query": "mutation { createFileUpload { fileId } }"}).json()
        self.direct_upload = "Cannot query field" not in json.dumps(probe)

    @property
    def is_sandbox(self) -> bool:
        return self.server is not None

    def require_sandbox(self, why: str) -> None:
        """Skip against a real Twenty: the test needs a sandbox-only control."""
        if not self.is_sandbox:
            pytest.skip(f"needs the sandbox: {why}")

    def target_column(self, singular: str) -> str:
        """Join column of a task/note target or attachment pointing at ``singular``."""
        return f"target{singular[0].upper()}{singular[1:]}Id" if self.profile == "current" else f"{singular}Id"

    def field(self, object_singular: str, name: str) -> dict[str, Any] | None:
        return next((f for f in self.objects[object_singular]["fields"] if f["name"] == name), None)
