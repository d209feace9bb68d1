"""The one Twenty client every write goes through: auth, pacing, retries, paging, batches.

No Dagster here; the Dagster resource in defs/ only builds it from configuration. The API key comes
from the environment and is never logged; error summaries carry status and Twenty's error name only.
"""

from __future__ import annotations

from core_practice_twenty.twenty.errors import FileTooLargeError, TwentyApiError, TwentyConfigError, server_batch_cap
from core_practice_twenty.twenty.facts import ServerFacts
from core_practice_twenty.twenty.files import FilesApi
from core_practice_twenty.twenty.records import RecordsApi

__all__ = ["FileTooLargeError", "TwentyApiError", "TwentyClient", "TwentyConfigError", "forget_learned",
           "server_batch_cap"]

_LEARNED: dict[tuple[str, str], ServerFacts] = {}
"""What each workspace (URL, key hash) offers, learned once per process (`TwentyClient.learn`)."""


def forget_learned() -> None:
    """Ask every workspace again (a test that replaces the server behind a URL)."""
    _LEARNED.clear()


class TwentyClient(RecordsApi, FilesApi):
    """A Twenty workspace over REST, as an API key sees it: records (records.py), documents (files.py) and
    objects and fields (metadata_api.py) over one transport (transport.py), and what this server offers."""

    def learn(self) -> ServerFacts:
        """Ask this Twenty what it offers (twenty/facts.py): upload flow, batch cap; adopt both. Once per client.

        The batch cap becomes the server's (a TWENTY_BATCH_CAP or `batch_cap` given to the client is a
        ceiling that still wins). Nothing is written; at most two requests draw on the throttle."""
        if self.facts is not None:
            return self.facts
        cached = _LEARNED.get(self._workspace_key)
        if cached is not None:  # one process asks once per workspace: every step's client adopts the answer
            self.facts = ServerFacts(**{**cached.__dict__, "limiter": self.limiter.kind_seen})
            self._upload_flow = cached.upload_flow
            if cached.batch_cap is not None:
                self.batch_cap = min(cached.batch_cap, self.cap_ceiling) if self.cap_ceiling else cached.batch_cap
            return self.facts
        flow = self.upload_flow()
        cap, source = self._probe_batch_cap()
        if cap is not None:
            self.batch_cap = min(cap, self.cap_ceiling) if self.cap_ceiling else cap
            if self.cap_ceiling and self.cap_ceiling < cap:
                source += f"; TWENTY_BATCH_CAP {self.cap_ceiling} used"
        task_target = next((o for o in self._objects() if o.get("nameSingular") == "taskTarget"), {})
        morph = any(f.get("name") == "targetPerson" for f in task_target.get("fields") or [])
        self.facts = ServerFacts(flow, cap, source, self.limiter.kind_seen, self._file_field_id,
                                 self._file_field_uid, morph)
        _LEARNED[self._workspace_key] = self.facts
        return self.facts

