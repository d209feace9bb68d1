"""The cutover lifecycle against the oldest Twenty the sandbox plays (1.16: `personId` targets, `fullPath`
attachments through `uploadFile`, RICH_TEXT_V2, the legacy throttler's world): sample → acceptance → full →
rollback → full again, as test_lifecycle.py runs it against the newest. The client learns the difference
from the server; nothing is configured for it."""

from __future__ import annotations

import httpx
import pytest
from test_lifecycle import sample_full_rollback_again

from core_practice_twenty.sandbox.versions import OLDEST

pytestmark = pytest.mark.e2e(seconds=140)


@pytest.fixture
def gated(pipeline_env, monkeypatch):
    monkeypatch.setenv("CPT_SAMPLE_GATE", "on")
    return pipeline_env


@pytest.mark.parametrize("twenty_version", [OLDEST])
def test_the_lifecycle_on_the_oldest_twenty(gated, sample_export, confirm_map, capsys) -> None:
    with gated.client() as client:
        facts = client.learn()
        assert (facts.upload_flow, facts.morph_targets) == ("legacy", False)
    sample_full_rollback_again(gated, sample_export, confirm_map, capsys)
    with gated.client() as client:  # the attachments of the wave went up the 1.16 way, and are there
        uploaded = [a for a in client.find_many("attachments") if a["fullPath"]]
    assert uploaded and all("file" not in a for a in uploaded)
    for attachment in uploaded[:5]:
        stored = httpx.get(f"{gated.url}/files/{attachment['fullPath']}",
                           headers={"Authorization": f"Bearer {gated.api_key}"})
        assert stored.status_code == 200 and stored.content
