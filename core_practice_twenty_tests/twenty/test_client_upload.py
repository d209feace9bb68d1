"""File upload through each Twenty version's flow (sandbox/versions.py), the flow learned from the server.

2.38 and 2.47: `createFileUpload` → PUT → `completeFileUpload` (direct), then an attachment whose `file`
FILES field references it; 1.18–2.37 (no `createFileUpload` yet): `uploadFilesFieldFile` multipart on
/metadata; 1.16: `uploadFile` on /graphql, then an attachment with `fullPath`. None of the /metadata calls
is charged to the API throttle, so none is paced (`stats.requests` counts only paced ones).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from core_practice_twenty.model.twenty import FLOW_BY_ID, FLOW_BY_UID, FLOW_DIRECT, FLOW_LEGACY
from core_practice_twenty.sandbox import RateLimitConfig, SandboxConfig, SandboxServer
from core_practice_twenty.twenty.client import FileTooLargeError, TwentyClient

KEY = "upload-test-key"
FLOWS = {"1.16": FLOW_LEGACY, "2.38": FLOW_DIRECT, "2.47": FLOW_DIRECT}


def serve(tmp_path: Path, played: str, **config) -> SandboxServer:
    return SandboxServer(SandboxConfig(db_path=tmp_path / f"{played}.sqlite", api_key=KEY, port=0,
                                       twenty_version=played, rate_limit=RateLimitConfig.disabled(), **config))


@pytest.fixture(params=list(FLOWS))
def profile_server(request, tmp_path: Path) -> Iterator[tuple[str, SandboxServer]]:
    with serve(tmp_path, request.param) as server:
        yield FLOWS[request.param], server


@pytest.fixture
def xray(tmp_path: Path) -> Path:
    path = tmp_path / "scan-0001.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40)
    return path


def download(server: SandboxServer, attachment: dict) -> bytes:
    """The bytes Twenty serves for an attachment (files-field by id, or legacy by path)."""
    auth = {"Authorization": f"Bearer {KEY}"}
    if attachment.get("file"):
        url = f"{server.url}/files-field/{attachment['file'][0]['fileId']}"
    else:
        url = f"{server.url}/files/{attachment['fullPath']}"
    response = httpx.get(url, headers=auth)
    response.raise_for_status()
    return response.content


def test_upload_then_attach_in_each_generation(profile_server, xray: Path) -> None:
    flow, server = profile_server
    client = TwentyClient(server.url, KEY, requests_per_minute=0)
    assert client.upload_flow() == flow

    person = client.create_many("people", [{"name": {"firstName": "A", "lastName": "B"}}])[0]
    fields = client.upload_file(xray, filename="scan-0001.png", mime_type="image/png")
    if flow != FLOW_LEGACY:
        assert set(fields) == {"file"}
        assert fields["file"][0]["label"] == "scan-0001.png"
        target = {"targetPersonId": person["id"]}
    else:
        assert set(fields) == {"fullPath"}
        target = {"personId": person["id"]}
    attachment = client.create_many("attachments", [{"name": "scan-0001.png", **fields, **target}])[0]

    assert download(server, attachment) == xray.read_bytes()


def test_flow_is_read_once_per_client_and_uploads_are_not_paced(profile_server, xray: Path) -> None:
    flow, server = profile_server
    client = TwentyClient(server.url, KEY, requests_per_minute=0)
    client.upload_flow()
    before, unpaced = client.stats.requests, client.stats.unpaced_requests
    client.upload_file(xray, filename="a.png", mime_type="image/png")
    client.upload_file(xray, filename="b.png", mime_type="image/png")
    if flow == FLOW_DIRECT:  # create, PUT, complete: none of them on the throttle
        assert (client.stats.requests, client.stats.unpaced_requests) == (before, unpaced + 6)
    else:  # the legacy /graphql upload stays paced: nothing shows what Twenty charges there
        assert client.stats.requests == before + 2


@pytest.mark.parametrize("flow", [FLOW_BY_ID, FLOW_BY_UID])
def test_the_multipart_flows_of_servers_without_direct_upload(tmp_path: Path, xray: Path, flow: str) -> None:
    """1.18–2.37 have only `uploadFilesFieldFile`; 2.43's client still sends the by-universal-id one."""
    with serve(tmp_path, "2.38") as server:
        client = TwentyClient(server.url, KEY, requests_per_minute=0)
        client.upload_flow()
        client._upload_flow = flow  # what upload_flow() answers on such a server (see test_sandbox_versions)
        person = client.create_many("people", [{"name": {"firstName": "A", "lastName": "B"}}])[0]
        fields = client.upload_file(xray, filename="scan.png", mime_type="image/png")
        attachment = client.create_many("attachments", [{"name": "scan.png", "targetPersonId": person["id"],
                                                         **fields}])[0]
        assert download(server, attachment) == xray.read_bytes()


def test_a_pre_2_40_server_is_asked_for_its_flow_not_assumed(tmp_path: Path) -> None:
    """2.47 has no `uploadFilesFieldFile`: the client does not try it, it learns `direct` from validation."""
    with serve(tmp_path, "2.47") as server:
        client = TwentyClient(server.url, KEY, requests_per_minute=0)
        facts = client.learn()
        assert (facts.upload_flow, facts.batch_cap, facts.version_range) == (FLOW_DIRECT, 200, "2.40 or newer")
        assert client.batch_cap == 200
        assert client.count("people") == 0  # the cap probe wrote nothing


def test_a_file_over_the_limit_is_refused_without_sending(tmp_path: Path, xray: Path) -> None:
    with serve(tmp_path, "2.47") as server:
        client = TwentyClient(server.url, KEY, requests_per_minute=0, max_upload_bytes=1000)
        client.upload_flow()
        before = client.stats.requests + client.stats.unpaced_requests
        with pytest.raises(FileTooLargeError) as error:
            client.upload_file(xray, filename="scan-0001.png", mime_type="image/png")
        assert client.stats.requests + client.stats.unpaced_requests == before  # nothing sent
        assert (error.value.size_bytes, error.value.limit_bytes) == (xray.stat().st_size, 1000)
        assert "scan-0001" not in str(error.value)  # a file name can identify a patient: not in logs


def test_legacy_default_limit_is_ten_megabytes(tmp_path: Path) -> None:
    big = tmp_path / "big.pdf"
    with big.open("wb") as fh:
        fh.truncate(10 * 1024 * 1024 + 1)
    with serve(tmp_path, "1.16") as server:
        client = TwentyClient(server.url, KEY, requests_per_minute=0)
        with pytest.raises(FileTooLargeError):
            client.upload_file(big, filename="big.pdf", mime_type="application/pdf")
        assert (client.stats.requests, client.stats.unpaced_requests) == (0, 1)  # the metadata read, no upload


def test_a_server_with_a_smaller_limit_teaches_the_client(tmp_path: Path, xray: Path) -> None:
    """Configured limit too generous: the server's 413 becomes FileTooLargeError and the limit is learned."""
    with serve(tmp_path, "2.47", max_upload_bytes=2000) as server:
        client = TwentyClient(server.url, KEY, requests_per_minute=0)
        with pytest.raises(FileTooLargeError) as error:
            client.upload_file(xray, filename="scan.png", mime_type="image/png")
        assert error.value.limit_bytes == 2000
        assert client.upload_limit() == 2000
        sent = client.stats.unpaced_requests
        with pytest.raises(FileTooLargeError):
            client.upload_file(xray, filename="scan.png", mime_type="image/png")
        assert client.stats.unpaced_requests == sent  # the second time nothing is sent


def test_an_explicit_field_id_uploads_to_that_files_field(tmp_path: Path, xray: Path) -> None:
    with serve(tmp_path, "2.47") as server:
        client = TwentyClient(server.url, KEY, requests_per_minute=0)
        attachment = next(o for o in client.list_objects() if o["nameSingular"] == "attachment")
        field_id = next(f["id"] for f in attachment["fields"] if f["name"] == "file")
        other = TwentyClient(server.url, KEY, requests_per_minute=0)
        fields = other.upload_file(xray, filename="x.png", mime_type="image/png", field_metadata_id=field_id)
        assert other.stats.requests == 0  # neither the metadata read nor the upload draws on the throttle
        assert fields["file"][0]["fileId"]


def test_a_lost_answer_to_complete_file_upload_still_attaches_the_file(tmp_path: Path, xray: Path) -> None:
    """completeFileUpload applied, its answer lost (a connection reset): the retry is refused as already
    completed, and the file it completed is the one the attachment names. (Fault injection is the sandbox's own:
    a reset after the write is a shape a local server cannot produce otherwise.)"""
    faults = {"script": ["ok", "lost_response"], "path_prefixes": ["/metadata"]}
    with serve(tmp_path, "2.47", faults=faults) as server:
        client = TwentyClient(server.url, KEY, requests_per_minute=0)
        client.upload_flow()  # the flow probe is a /metadata request too: the script starts after it
        httpx.post(f"{server.url}/_sandbox/faults", json=faults, headers={"Authorization": f"Bearer {KEY}"})
        fields = client.upload_file(xray, filename="scan.png", mime_type="image/png")
        assert client.stats.retries == 1
        person = client.create_many("people", [{"name": {"firstName": "A", "lastName": "B"}}])[0]
        attachment = client.create_many("attachments", [{"name": "scan.png", "targetPersonId": person["id"],
                                                         **fields}])[0]
        assert download(server, attachment) == xray.read_bytes()
