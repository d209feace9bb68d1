"""What a Twenty server can do, learned from the server itself at the start of a run.

Twenty changes between versions in ways a migration meets (sandbox/versions.py has the table): the upload
mutations, the batch cap (`QUERY_MAX_RECORDS`), the shape of a 429. Nothing here needs a setting: each fact
comes from an answer Twenty gives without writing anything.

* **Upload flow**: `attachment.file` (a FILES field) exists from Files v2 (1.18); which upload mutations
  `/metadata` serves comes from GraphQL validation — a document naming a mutation the schema lacks is
  refused with `Cannot query field "X" on type "Mutation"` before anything runs, and one whose required
  arguments are left out is refused naming them. One request, no token (the throttle is charged only by
  the record query runners, common-base-query-runner.service.ts), nothing written.
* **Batch cap**: `POST /rest/batch/people` with one more record than a cap, every record carrying the same
  id. Twenty validates and processes every record, then its runner counts them ("Maximum number of
  records to upsert is N.", common-create-many-query-runner.service.ts) before any write; a server whose
  cap is larger refuses the batch as a duplicate id (the batch is one statement). Either way nothing is
  written; one token each, two at most.
* **Limiter**: the first 429 shows it (headers and `RATE_LIMITED`: the usage engine; a bare "Limit
  reached": the legacy throttler); until then it is "not met".
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from core_practice_twenty.model.twenty import FLOW_BY_ID, FLOW_BY_UID, FLOW_DIRECT, FLOW_LEGACY

PREFERENCE = (("createFileUpload", FLOW_DIRECT), ("uploadFilesFieldFile", FLOW_BY_ID),
              ("uploadFilesFieldFileByUniversalIdentifier", FLOW_BY_UID))
"""Best first: the direct flow streams the bytes to storage and survives the removal of the others."""

PROBE_QUERY = "mutation Probe { " + " ".join(f"{name} {{ __typename }}" for name, _ in PREFERENCE) + " }"

CAP_PROBES = (201, 10_001)
"""Batch sizes one above each cap Twenty has had (60 and 200; 10 000 in one stored version)."""

PROBE_ID = str(uuid.UUID("0c9f3a7e-5b1d-4e2a-9c47-2f8b6d1e0a55"))


@dataclass
class ServerFacts:
    """What this Twenty offers; safe to log (no names, no values)."""

    upload_flow: str
    batch_cap: int | None
    batch_cap_source: str
    limiter: str = "not met"
    file_field_id: str | None = None
    file_field_uid: str | None = None
    morph_targets: bool = True

    @property
    def version_range(self) -> str:
        """The Twenty versions these facts fit (sandbox/versions.py), for people reading a report."""
        if self.upload_flow == FLOW_LEGACY:
            return "1.17 or older" if self.morph_targets else "1.16 or older"
        if self.upload_flow == FLOW_BY_ID:
            return "1.18 to 2.39"
        return "2.40 or newer"

    def as_metadata(self) -> dict[str, str | int]:
        return {"twenty_version": self.version_range, "upload_flow": self.upload_flow,
                "batch_cap": self.batch_cap or 0, "batch_cap_source": self.batch_cap_source,
                "rate_limiter": self.limiter}

    def header(self) -> str:
        """One line for the reconciliation header."""
        return (f"Twenty {self.version_range}: upload flow {self.upload_flow}, batch cap {self.batch_cap} "
                f"({self.batch_cap_source}), rate limiter {self.limiter}")


def flow_from_probe(errors: list[str]) -> str | None:
    """The best upload mutation the validation errors do not call missing (None: none of them)."""
    missing = {name for name, _ in PREFERENCE for message in errors
               if f'Cannot query field "{name}"' in message}
    return next((flow for name, flow in PREFERENCE if name not in missing), None)


def cap_probe_body(size: int) -> list[dict[str, str]]:
    """`size` records that pass validation and can never be written together (one id, `size` times)."""
    return [{"id": PROBE_ID} for _ in range(size)]
