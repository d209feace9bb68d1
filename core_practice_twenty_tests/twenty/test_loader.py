"""The loader against the local Twenty over real HTTP: idempotent, isolating, counting."""

from core_practice_twenty.mapping.staging import make_staged_record
from core_practice_twenty.mapping.target_model import COMPANIES
from core_practice_twenty.store.staging import IdMapEntry, WriteOutcome
from core_practice_twenty.twenty.loader import load_records
from core_practice_twenty.twenty.metadata import sync_schema


def staged_companies(n: int, **overrides):
    return [
        make_staged_record(source_key=f"P{i}", source_line=i + 1,
                           payload={"cpPracticeId": f"P{i}", "name": overrides.get(f"P{i}", f"Practice {i}")})
        for i in range(1, n + 1)
    ]


def as_known(outcomes: list[WriteOutcome]) -> dict[str, IdMapEntry]:
    return {o.source_key: IdMapEntry(o.twenty_id, o.payload_hash) for o in outcomes if o.twenty_id}


def test_load_then_reload_sends_nothing_and_changes_are_updates(twenty_sandbox) -> None:
    client = twenty_sandbox.client(batch_cap=2)
    sync_schema(client, [COMPANIES])
    written: list[WriteOutcome] = []

    first = load_records(client, COMPANIES, staged_companies(5), {}, on_batch=written.extend)
    assert (first.created, first.updated, first.unchanged, first.rejected, first.batches) == (5, 0, 0, 0, 3)
    assert client.count("companies") == 5

    requests_before = client.stats.requests
    again = load_records(client, COMPANIES, staged_companies(5), as_known(written), on_batch=written.extend)
    assert (again.created, again.unchanged) == (0, 5)
    assert client.stats.requests == requests_before  # nothing sent at all

    changed: list[WriteOutcome] = []
    third = load_records(client, COMPANIES, staged_companies(5, P3="Renamed"), as_known(written),
                         on_batch=changed.extend)
    assert (third.created, third.updated, third.unchanged) == (0, 1, 4)
    (update,) = [o for o in changed if o.action == "update"]
    assert update.source_key == "P3"
    assert update.before_state["name"] == "Practice 3"  # kept for rollback
    assert client.count("companies") == 5


def test_lost_id_map_never_duplicates(twenty_sandbox) -> None:
    """A crash after Twenty wrote a batch but before the id map did: the re-run upserts by source key."""
    client = twenty_sandbox.client()
    sync_schema(client, [COMPANIES])
    load_records(client, COMPANIES, staged_companies(4), {}, on_batch=lambda _o: None)
    rerun = load_records(client, COMPANIES, staged_companies(4), {}, on_batch=lambda _o: None)
    assert (rerun.created, rerun.updated) == (0, 4)
    assert client.count("companies") == 4


def test_one_bad_record_does_not_sink_its_batch(twenty_sandbox) -> None:
    client = twenty_sandbox.client(batch_cap=60)
    sync_schema(client, [COMPANIES])
    records = staged_companies(7)
    records[4] = make_staged_record(source_key="P5", payload={"cpPracticeId": "P5", "notAField": "x"})
    outcomes: list[WriteOutcome] = []
    report = load_records(client, COMPANIES, records, {}, on_batch=outcomes.extend)
    assert (report.created, report.rejected) == (6, 1)
    (reject,) = [o for o in outcomes if o.action == "reject"]
    assert reject.source_key == "P5"
    assert reject.message.startswith("400")
    assert client.count("companies") == 6
