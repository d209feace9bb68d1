"""Outcomes of a batch reach the audit log in the order the loader listed them, and move the id map."""

from __future__ import annotations

import json

from core_practice_twenty.store.staging import WriteOutcome, read_id_map, record_outcomes


def test_outcomes_keep_their_order_and_only_writes_move_the_id_map(warehouse) -> None:
    first = [WriteOutcome(f"P{i}", "create", f"id-{i}", f"h{i}") for i in range(300)]
    first.append(WriteOutcome("P-bad", "reject", message="Twenty said no"))
    first.append(WriteOutcome("P-orphan", "hold", message="companies:PR9 is not in Twenty"))
    record_outcomes(warehouse, "people", "full", "run-1", first)
    before = {"name": {"firstName": "José", "lastName": "Núñez"}, "emails": None}
    record_outcomes(warehouse, "people", "delta-1", "run-2",
                    [WriteOutcome("P7", "update", "id-7", "h7b", before_state=before)])

    with warehouse.connect() as conn:
        rows = conn.execute("select source_key, action, before_state, message from audit_log order by seq").fetchall()
    assert [r[0] for r in rows] == [o.source_key for o in first] + ["P7"]
    assert rows[-3][1:] == ("reject", None, "Twenty said no")
    assert json.loads(rows[-1][2]) == before  # accents intact, as JSON
    id_map = read_id_map(warehouse, "people")
    assert len(id_map) == 300 and "P-bad" not in id_map and "P-orphan" not in id_map
    assert (id_map["P7"].twenty_id, id_map["P7"].payload_hash) == ("id-7", "h7b")
