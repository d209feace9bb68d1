"""The loader against the local Twenty over real HTTP: idempotent, isolating, counting."""


import time

import httpx
import pytest

from core_practice_twenty.mapping.target_model import COMPANIES, PEOPLE, TASK_TARGETS, TASKS
from core_practice_twenty.model.staged import make_staged_record, ref
from core_practice_twenty.store.staging import IdMapEntry, WriteOutcome
from core_practice_twenty.twenty.loader import load_records, read_pre_existing, record_id, rounds
from core_practice_twenty.twenty.metadata import object_metadata, sync_schema


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
    sent: list[str] = []  # the intents the warehouse keeps; the outcomes are lost with the crash
    load_records(client, COMPANIES, staged_companies(4), {}, on_batch=lambda _o: None, on_send=sent.extend)
    rerun = load_records(client, COMPANIES, staged_companies(4), {}, on_batch=lambda _o: None, sent_before=sent)
    # the migration's own records (they carry its key): still "created" by it, so rollback destroys them
    assert (rerun.created, rerun.updated, rerun.recovered) == (4, 0, 4)
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


def test_parents_of_the_same_object_load_first_and_references_resolve(twenty_sandbox) -> None:
    client = twenty_sandbox.client(batch_cap=60)
    sync_schema(client, [COMPANIES])
    group = make_staged_record(source_key="group:smile", payload={"cpPracticeId": "group:smile", "name": "Smile"})
    locations = [make_staged_record(source_key=f"P{i}", payload={
        "cpPracticeId": f"P{i}", "name": f"Smile {i}", "parentCompanyId": ref("companies", "group:smile")})
        for i in (1, 2)]
    staged = [*locations, group]  # the parent listed last: the loader still sends it first
    assert [[r.source_key for r in g] for g in rounds(COMPANIES, staged)] == [["group:smile"], ["P1", "P2"]]
    outcomes: list[WriteOutcome] = []
    report = load_records(client, COMPANIES, staged, {}, on_batch=outcomes.extend)
    assert (report.created, report.batches) == (3, 2)
    ids = {o.source_key: o.twenty_id for o in outcomes}
    for key in ("P1", "P2"):
        assert client.find_one("companies", ids[key])["parentCompanyId"] == ids["group:smile"]


def test_a_record_whose_parent_is_not_in_twenty_is_held_back_not_sent(twenty_sandbox) -> None:
    client = twenty_sandbox.client()
    sync_schema(client, [COMPANIES, PEOPLE])
    companies: list[WriteOutcome] = []
    load_records(client, COMPANIES, staged_companies(1), {}, on_batch=companies.extend)
    lookup = {("companies", o.source_key): o.twenty_id for o in companies}
    people = [make_staged_record(source_key=key, payload={"cpPatientId": key, "companyId": ref("companies", practice)})
              for key, practice in (("PT1", "P1"), ("PT2", "P9"))]  # P9 was rejected or held back upstream
    outcomes: list[WriteOutcome] = []
    report = load_records(client, PEOPLE, people, {}, on_batch=outcomes.extend,
                          lookup=lambda obj, key: lookup.get((obj, key)))
    assert (report.created, report.held_back) == (1, 1)
    (held,) = [o for o in outcomes if o.action == "hold"]
    assert held.source_key == "PT2" and held.message == "dependency_not_loaded: companies:P9"
    assert client.count("people") == 1


def test_a_person_created_by_hand_is_updated_not_duplicated_and_its_before_state_kept(twenty_sandbox) -> None:
    client = twenty_sandbox.client()
    sync_schema(client, [COMPANIES, PEOPLE])
    (by_hand,) = client.create_many("people", [{"name": {"firstName": "Ann", "lastName": "Lee"},
                                                "emails": {"primaryEmail": "ann@example.org"}, "jobTitle": "VIP"}])
    staged = [make_staged_record(source_key=key, payload={"cpPatientId": key, "emails": {"primaryEmail": email}})
              for key, email in (("PT1", "Ann@Example.org"), ("PT2", "bob@example.org"))]
    pre = read_pre_existing(client, PEOPLE, object_metadata(client, "person"))
    outcomes: list[WriteOutcome] = []
    report = load_records(client, PEOPLE, staged, {}, on_batch=outcomes.extend, pre_existing=pre)
    assert (report.created, report.updated) == (1, 1)
    (update,) = [o for o in outcomes if o.action == "update"]
    assert update.source_key == "PT1" and update.twenty_id == by_hand["id"]
    assert update.before_state["jobTitle"] == "VIP" and update.before_state.get("cpPatientId") is None
    assert client.count("people") == 2


def test_links_an_interrupted_run_wrote_are_recovered_not_duplicated(twenty_sandbox) -> None:
    """Task targets have no key of ours: the stable id (uuid5 of the source key) is what Twenty's upsert matches."""
    client = twenty_sandbox.client()
    sync_schema(client, [COMPANIES, PEOPLE, TASKS])
    (person,) = client.create_many("people", [{"cpPatientId": "PT1"}])
    tasks = client.create_many("tasks", [{"cpAppointmentId": f"A{i}", "title": f"Visit {i}"} for i in (1, 2)])
    lookup = {("people", "PT1"): person["id"],
              **{("tasks", f"A{i}"): t["id"] for i, t in zip((1, 2), tasks, strict=True)}}
    links = [make_staged_record(source_key=f"A{i}:person", payload={"taskId": ref("tasks", f"A{i}"),
                                                                    "targetPersonId": ref("people", "PT1")})
             for i in (1, 2)]
    sent: list[str] = []  # the intent is kept before the batch goes ...
    first = load_records(client, TASK_TARGETS, links[:1], {}, on_batch=lambda _o: None,
                         lookup=lambda o, k: lookup.get((o, k)), on_send=sent.extend)
    assert first.created == 1 and sent == ["A1:person"]  # ... and the run dies before its id map is written
    outcomes: list[WriteOutcome] = []
    again = load_records(client, TASK_TARGETS, links, {}, on_batch=outcomes.extend,
                         lookup=lambda o, k: lookup.get((o, k)), sent_before=sent)
    assert (again.created, again.recovered) == (2, 1)
    assert client.count("taskTargets") == 2
    assert {o.twenty_id for o in outcomes} == {record_id(TASK_TARGETS, link.source_key) for link in links}


def test_the_report_tells_the_loaders_own_work_from_waiting_for_twenty(twenty_sandbox) -> None:
    """A Twenty that takes 0.25 s per answer: the load's time is mostly waiting, and its own work says so (what a
    person compares with the pacing interval to see whether the client or Twenty sets the pace)."""
    client = twenty_sandbox.client(batch_cap=2)
    sync_schema(client, [COMPANIES])
    httpx.post(f"{twenty_sandbox.url}/_sandbox/faults", json={"latency_ms": 250},
               headers={"Authorization": f"Bearer {twenty_sandbox.api_key}"}, timeout=10).raise_for_status()
    report = load_records(client, COMPANIES, staged_companies(6), {}, on_batch=lambda _o: None)
    assert (report.created, report.batches) == (6, 3)
    assert report.seconds >= 0.75  # three batches, each answered after 0.25 s
    assert 0 < report.own_seconds < report.seconds - 0.7
    assert report.as_metadata()["own_work_s_per_batch"] == round(report.own_seconds / 3, 3)


def test_a_load_that_stops_has_recorded_every_batch_twenty_answered(twenty_sandbox) -> None:
    """Outcomes are written on a thread while the next batch goes: when the load then stops (here a document that
    cannot be read for a reason the loader does not know), what Twenty answered before is still recorded."""
    client = twenty_sandbox.client(batch_cap=2)
    sync_schema(client, [COMPANIES])
    recorded: list[WriteOutcome] = []

    def slow_write(outcomes: list[WriteOutcome]) -> None:
        time.sleep(0.2)  # a warehouse slower than Twenty: the last write is still going when the load stops
        recorded.extend(outcomes)

    def prepare(record):
        if record.source_key == "P5":
            raise OSError("disk gone")
        return {}

    with pytest.raises(OSError, match="disk gone"):
        load_records(client, COMPANIES, staged_companies(6), {}, on_batch=slow_write, prepare=prepare)
    assert sorted(o.source_key for o in recorded) == ["P1", "P2", "P3", "P4"]
    assert client.count("companies") == 4


def test_a_failed_outcome_write_stops_the_load(twenty_sandbox) -> None:
    """The warehouse refusing a batch's outcomes stops the load at the next batch, not after the whole object:
    at most one more batch reaches Twenty with nothing recorded, and the error is the warehouse's."""
    client = twenty_sandbox.client(batch_cap=2)
    sync_schema(client, [COMPANIES])
    intents: list[str] = []

    def failing_write(_outcomes: list[WriteOutcome]) -> None:
        raise RuntimeError("warehouse full")

    with pytest.raises(RuntimeError, match="warehouse full"):
        load_records(client, COMPANIES, staged_companies(10), {}, on_batch=failing_write, on_send=intents.extend)
    assert client.count("companies") in (2, 4)
    assert sorted(intents) == sorted(f"P{i}" for i in range(1, 11))  # every key sent was an intent first
