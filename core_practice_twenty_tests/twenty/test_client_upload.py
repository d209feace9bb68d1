"""File upload through each Twenty generation's flow, against the sandbox's `current` and `legacy` profiles.

current: `uploadFilesFieldFile` multipart GraphQL on /metadata, then an attachment whose `file` FILES
field references it; legacy: `uploadFile` on /graphql, then an attachment with `fullPath`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from core_practice_twenty.sandbox import RateLimitConfig, SandboxConfig, SandboxServer
from core_practice_twenty.twenty.client import FileTooLargeError, TwentyClient

KEY = "upload-test-key"


def serve(tmp_path: Path, profile: str, **config) -> SandboxServer:
    return SandboxServer(SandboxConfig(db_path=tmp_path / f"{profile}.sqlite", api_key=KEY, port=0,
                                       profile=profile, rate_limit=RateLimitConfig.disabled(), **config))


@pytest.fixture(params=["current", "legacy"])
def profile_server(request, tmp_path: Path) -> Iterator[tuple[str, SandboxServer]]:
    with serve(tmp_path, request.param) as server:
        yield request.param, server


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
    profile, server = profile_server
    client = TwentyClient(server.url, KEY, requests_per_minute=0)
    assert client.upload_flow() == profile

    person = client.create_many("people", [{"name": {"firstName": "A", "lastName": "B"}}])[0]
    fields = client.upload_file(xray, filename="scan-0001.png", mime_type="image/png")
    if profile == "current":
        assert set(fields) == {"file"}
        assert fields["file"][0]["label"] == "scan-0001.png"
        target = {"targetPersonId": person["id"]}
    else:
        assert set(fields) == {"fullPath"}
        target = {"personId": person["id"]}
    attachment = client.create_many("attachments", [{"name": "scan-0001.png", **fields, **target}])[0]

    assert download(server, attachment) == xray.read_bytes()


def test_flow_is_read_once_per_client(profile_server, xray: Path) -> None:
    _profile, server = profile_server
    client = TwentyClient(server.url, KEY, requests_per_minute=0)
    client.upload_flow()
    before = client.stats.requests
    client.upload_file(xray, filename="a.png", mime_type="image/png")
    client.upload_file(xray, filename="b.png", mime_type="image/png")
    assert client.stats.requests == before + 2


def test_a_file_over_the_limit_is_refused_without_sending(tmp_path: Path, xray: Path) -> None:
    with serve(tmp_path, "current") as server:
        client = TwentyClient(server.url, KEY, requests_per_minute=0, max_upload_bytes=1000)
        client.upload_flow()
        before = client.stats.requests
        with pytest.raises(FileTooLargeError) as error:
            client.upload_file(xray, filename="scan-0001.png", mime_type="image/png")
        assert client.stats.requests == before  # nothing sent
        assert (error.value.size_bytes, error.value.limit_bytes) == (xray.stat().st_size, 1000)
        assert "scan-0001" not in str(error.value)  # a file name can identify a patient: not in logs


def test_legacy_default_limit_is_ten_megabytes(tmp_path: Path) -> None:
    big = tmp_path / "big.pdf"
    with big.open("wb") as fh:
        fh.truncate(10 * 1024 * 1024 + 1)
    with serve(tmp_path, "legacy") as server:
        client = TwentyClient(server.url, KEY, requests_per_minute=0)
        with pytest.raises(FileTooLargeError):
            client.upload_file(big, filename="big.pdf", mime_type="application/pdf")
        assert client.stats.requests == 1  # the metadata read that chose the flow, no upload


def test_a_server_with_a_smaller_limit_teaches_the_client(tmp_path: Path, xray: Path) -> None:
    """Configured limit too generous: the server's 413 becomes FileTooLargeError and the limit is learned."""
    with serve(tmp_path, "current", max_upload_bytes=2000) as server:
        client = TwentyClient(server.url, KEY, requests_per_minute=0)
        with pytest.raises(FileTooLargeError) as error:
            client.upload_file(xray, filename="scan.png", mime_type="image/png")
        assert error.value.limit_bytes == 2000
        assert client.upload_limit() == 2000
        sent = client.stats.requests
        with pytest.raises(FileTooLargeError):
            client.upload_file(xray, filename="scan.png", mime_type="image/png")
        assert client.stats.requests == sent  # the second time nothing is sent


def test_an_explicit_field_id_uploads_to_that_files_field(tmp_path: Path, xray: Path) -> None:
    with serve(tmp_path, "current") as server:
        client = TwentyClient(server.url, KEY, requests_per_minute=0)
        attachment = next(o for o in client.list_objects() if o["nameSingular"] == "attachment")
        field_id = next(f["id"] for f in attachment["fields"] if f["name"] == "file")
        other = TwentyClient(server.url, KEY, requests_per_minute=0)
        fields = other.upload_file(xray, filename="x.png", mime_type="image/png", field_metadata_id=field_id)
        assert other.stats.requests == 1  # no metadata read needed
        assert fields["file"][0]["fileId"]
