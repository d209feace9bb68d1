"""Records over Twenty's REST API: paging, batch writes at the batch cap, destroy, restore, counts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from core_practice_twenty.twenty import facts as server_facts
from core_practice_twenty.twenty.errors import TwentyApiError, _is_not_found, server_batch_cap
from core_practice_twenty.twenty.transport import Transport

PROBE_PAGE_SIZE = 100_000
"""A page size above any Twenty's QUERY_MAX_RECORDS (60, 200, 10 000), for `discover_batch_cap`."""


def _only_value(body: dict) -> Any:
    """The one value under `data` (`person`, `updatePerson`, `deletePeople`, …: names vary by object)."""
    data = body.get("data") or {}
    if len(data) != 1:
        raise TwentyApiError(200, "UnexpectedResponse", [f"expected one key under data, got {len(data)}"])
    return next(iter(data.values()))


def _quoted_list(values: list[str]) -> str:
    return "[" + ",".join(json.dumps(v) for v in values) + "]"


def _with_deleted_filter(filter: str | None, *, with_deleted: bool, only_deleted: bool) -> str | None:
    if only_deleted:
        extra = "deletedAt[is]:NOT_NULL"
    elif with_deleted:
        extra = "or(deletedAt[is]:NULL,deletedAt[is]:NOT_NULL)"
    else:
        return filter
    return f"{filter},{extra}" if filter else extra


class RecordsApi(Transport):
    """Records over REST: paging, batches (create/upsert many) at the cap, destroy and restore."""

    def find_many(self, plural: str, *, filter: str | None = None, order_by: str | None = None,
                  page_size: int | None = None, with_deleted: bool = False,
                  only_deleted: bool = False) -> Iterator[dict]:
        """Every record matching `filter`, following `pageInfo.endCursor` until the last page.

        Twenty hides soft-deleted rows unless the filter itself mentions `deletedAt`, so
        `only_deleted` adds `deletedAt[is]:NOT_NULL` and `with_deleted` adds a `deletedAt` condition
        that is always true (live and soft-deleted rows both come back). Rollback and reconciliation
        need those rows: a soft-deleted record still holds its unique values.
        """
        params: dict[str, Any] = {"limit": page_size or self.batch_cap}
        combined = _with_deleted_filter(filter, with_deleted=with_deleted, only_deleted=only_deleted)
        if combined:
            params["filter"] = combined
        if order_by:
            params["order_by"] = order_by
        while True:
            body = self.request("GET", f"/rest/{plural}", params=params)
            yield from body["data"][plural]
            page = body.get("pageInfo") or {}
            if not page.get("hasNextPage") or not page.get("endCursor"):
                return
            params["starting_after"] = page["endCursor"]

    def find_one(self, plural: str, record_id: str) -> dict | None:
        """The record with this id, or None when Twenty answers "Record not found".

        Newer servers answer 404; some older ones 400 with the same message. Soft-deleted records
        are not found (as in Twenty); list them with `find_many(..., only_deleted=True)`.
        """
        try:
            body = self.request("GET", f"/rest/{plural}/{record_id}")
        except TwentyApiError as exc:
            if _is_not_found(exc):
                return None
            raise
        return _only_value(body)

    def update_one(self, plural: str, record_id: str, data: dict) -> dict:
        """Partial update (PATCH): fields not in `data` keep their values. Returns the record."""
        return _only_value(self.request("PATCH", f"/rest/{plural}/{record_id}", json=data))

    def destroy_one(self, plural: str, record_id: str) -> bool:
        """Hard-delete one record (soft-deleted or not); False if it was already gone.

        DELETE without `soft_delete=true` destroys in Twenty. A retried DELETE whose first answer
        was lost finds nothing and returns False although this client destroyed it: either way the
        record is gone.
        """
        try:
            self.request("DELETE", f"/rest/{plural}/{record_id}")
        except TwentyApiError as exc:
            if _is_not_found(exc):
                return False
            raise
        return True

    def destroy_many(self, plural: str, ids: list[str]) -> int:
        """Hard-delete records by id, `batch_cap` ids per request; returns how many Twenty destroyed.

        Twenty refuses (and destroys nothing) when a filter matches more than its cap, hence the
        chunks. Ids already gone are not counted.
        """
        destroyed = 0
        start = 0
        while start < len(ids):
            chunk = ids[start:start + self.batch_cap]
            try:
                body = self.request("DELETE", f"/rest/{plural}", params={"filter": f"id[in]:{_quoted_list(chunk)}"})
            except TwentyApiError as exc:
                if self._lower_cap_from(exc, len(chunk)):
                    continue  # nothing was destroyed: Twenty checks the count first
                raise
            destroyed += len(_only_value(body) or [])
            start += len(chunk)
        return destroyed

    def restore_one(self, plural: str, record_id: str) -> dict:
        """Bring back a soft-deleted record with all its fields (PATCH /{plural}/{id}/restore)."""
        return _only_value(self.request("PATCH", f"/rest/{plural}/{record_id}/restore"))

    def count(self, plural: str, *, filter: str | None = None) -> int:
        """Twenty's totalCount for a filter (one request)."""
        params: dict[str, Any] = {"limit": 1}
        if filter:
            params["filter"] = filter
        return int(self.request("GET", f"/rest/{plural}", params=params)["totalCount"])

    def create_many(self, plural: str, records: list[dict], *, upsert: bool = False) -> list[dict]:
        """Create (or upsert) `records`: one result per input record, in input order.

        Sent `batch_cap` records per request. When Twenty refuses a batch as above its cap
        (`Maximum number of records to upsert is N.`, common-create-many-query-runner.service.ts;
        nothing of that batch is written), `batch_cap` drops to N and the same records are re-split,
        so callers never see it. Batches are atomic one by one, not together: if a later batch fails,
        the earlier ones are in Twenty; with `upsert=True` sending everything again is harmless.
        """
        results: list[dict] = []
        params = {"upsert": "true"} if upsert else None
        start = 0
        while start < len(records):
            chunk = records[start:start + self.batch_cap]
            try:
                body = self.request("POST", f"/rest/batch/{plural}", params=params, json=chunk)
            except TwentyApiError as exc:
                if self._lower_cap_from(exc, len(chunk)):
                    continue
                raise
            results.extend(_only_value(body))
            start += len(chunk)
        return results

    def _lower_cap_from(self, exc: TwentyApiError, sent: int) -> bool:
        """If `exc` is Twenty's "batch above my cap" 400, adopt its cap and say so."""
        cap = server_batch_cap(exc)
        if cap is None or cap >= sent or cap < 1:
            return False
        self.batch_cap = cap
        self.stats.add("batch_cap_lowered")
        return True

    def discover_batch_cap(self, plural: str, *, adopt: bool = True) -> int | None:
        """The server's cap read from one list request, if the object holds more records than it.

        Twenty silently clamps `limit` to its `QUERY_MAX_RECORDS` (the same constant as the batch
        cap; parse-limit-rest-request.util.ts), so asking for far more than any cap and getting a
        full, shorter page with `hasNextPage` reveals it. Read-only; None when the object has too
        few records to tell. With `adopt`, `batch_cap` becomes that value (up or down).
        """
        body = self.request("GET", f"/rest/{plural}", params={"limit": PROBE_PAGE_SIZE})
        page = body["data"][plural]
        if not (body.get("pageInfo") or {}).get("hasNextPage") or not page or len(page) >= PROBE_PAGE_SIZE:
            return None
        if adopt:
            self.batch_cap = len(page)
        return len(page)

    def _probe_batch_cap(self) -> tuple[int | None, str]:
        for size in server_facts.CAP_PROBES:
            try:
                self.request("POST", "/rest/batch/people", json=server_facts.cap_probe_body(size))
            except TwentyApiError as exc:
                if exc.status in (401, 403):
                    raise  # the key may not write records: nothing the migration does would work
                cap = server_batch_cap(exc)
                if cap is not None:
                    return cap, "learned from Twenty"
                if exc.status == 400 and any("duplicate" in m.lower() for m in exc.messages):
                    continue  # above this size: try the next
                return None, f"not learned (Twenty answered {exc.status}); {self.batch_cap} used"
            else:  # a server that wrote a batch of one id: it cannot happen on any Twenty we know
                return None, "not learned (the probe was accepted); " + str(self.batch_cap) + " used"
        return server_facts.CAP_PROBES[-1] - 1, "learned from Twenty (at least)"

