"""Bad input as a practice or an engineer produces it: a clear message naming file, line or variable and
what to do, exit 2 before any work, no traceback, and Twenty unchanged.

Each case runs `cpt` as a person does (the real command in its own process, so what it prints is what
the person reads), against the local Twenty on loopback.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core_practice_twenty.store.warehouse import Warehouse


def cpt(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "core_practice_twenty.cli", *args], capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, timeout=timeout)


def assert_clean_refusal(result: subprocess.CompletedProcess, *expected: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr + result.stdout
    for text in expected:
        assert text in result.stderr, (text, result.stderr)


def _twenty_unchanged(sandbox) -> int:
    with sandbox.client() as client:
        return client.count("people")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the block ends: nothing listens there


def test_twenty_unreachable_is_named_with_its_url_within_seconds(pipeline_env, sample_export) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    started = time.monotonic()
    result = cpt("migrate", "--export", str(sample_export), "--wave", "full", env={"TWENTY_API_URL": url})
    assert time.monotonic() - started < 30  # seconds, not a landing and validation first
    assert_clean_refusal(result, f"Twenty is not reachable at {url}", "TWENTY_API_URL")
    assert not Path(os.environ["CPT_WAREHOUSE"]).exists()  # nothing ran


def test_a_wrong_api_key_names_the_variable(pipeline_env, sample_export) -> None:
    result = cpt("migrate", "--export", str(sample_export), "--wave", "full", env={"TWENTY_API_KEY": "wrong-key"})
    assert_clean_refusal(result, "refused the API key (HTTP 401)", "TWENTY_API_KEY")
    assert "wrong-key" not in result.stderr + result.stdout  # a secret is never echoed
    assert _twenty_unchanged(pipeline_env) == 0


def test_an_empty_folder_is_refused_before_anything_runs(pipeline_env, tmp_path) -> None:
    empty = tmp_path / "empty-export"
    empty.mkdir()
    result = cpt("migrate", "--export", str(empty), "--wave", "full")
    assert_clean_refusal(result, "the folder is empty")
    assert not Path(os.environ["CPT_WAREHOUSE"]).exists()  # no wave registered, no run


def test_missing_files_are_all_named_and_a_parent_folder_is_spotted(pipeline_env, sample_export) -> None:
    (sample_export / "payments.csv").unlink()
    (sample_export / "workflows.csv").unlink()
    result = cpt("map", "propose", "--export", str(sample_export))
    assert_clean_refusal(result, "2 of 13 export files missing: payments, workflows")
    parent = cpt("migrate", "--export", str(sample_export.parent), "--wave", "full")
    assert_clean_refusal(parent, "13 of 13 export files missing", "is the export one level down?")


def test_a_cut_off_file_stops_the_run_naming_file_and_line(pipeline_env, sample_export) -> None:
    path = sample_export / "patients.csv"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # an interrupted download
    line = data[: len(data) // 2].count(b"\n") + 1
    result = cpt("migrate", "--export", str(sample_export), "--wave", "full")
    assert_clean_refusal(result, f"patients.csv, line {line}: the file looks cut off")
    assert _twenty_unchanged(pipeline_env) == 0


def test_a_registered_wave_is_not_silently_repointed(pipeline_env, sample_export, tmp_path) -> None:
    other = tmp_path / "exports" / "snap-002"
    shutil.copytree(sample_export, other)
    assert cpt("wave", "add", "--export", str(sample_export), "--wave", "full").returncode == 0
    moved = cpt("wave", "add", "--export", str(other), "--wave", "full")
    assert_clean_refusal(moved, "wave 'full' migrates", "--replace")
    warehouse = Warehouse(Path(os.environ["CPT_WAREHOUSE"]))
    assert warehouse.wave_export("full").export_dir == sample_export.resolve()
    assert cpt("wave", "add", "--export", str(other), "--wave", "full", "--replace").returncode == 0
    assert warehouse.wave_export("full").export_dir == other.resolve()
    with warehouse.connect() as conn:
        (action, message) = conn.execute("select action, message from audit_log where object = 'migration_waves'"
                                          ).fetchone()
    assert action == "repoint" and str(other.resolve()) in message


def test_an_unexpected_error_prints_one_line_and_a_log_file(pipeline_env, tmp_path) -> None:
    (tmp_path / "not-a-warehouse").mkdir()  # a folder where the warehouse file should be
    result = cpt("issues", "--wave", "full", env={"CPT_WAREHOUSE": str(tmp_path / "not-a-warehouse"),
                                                 "CPT_LOGS": str(tmp_path / "logs")})
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    (log,) = (tmp_path / "logs").glob("cpt-issues-*.log")
    assert str(log) in result.stderr and "Traceback" in log.read_text()


@pytest.mark.parametrize("command", [["rollback", "--all", "--yes"]])
def test_rollback_checks_twenty_first_too(pipeline_env, command) -> None:
    result = cpt(*command, env={"TWENTY_API_KEY": "wrong-key"})
    assert_clean_refusal(result, "TWENTY_API_KEY")


def _mojibake(text: str) -> str:
    return text.encode("utf-8").decode("cp1252", errors="replace")


@pytest.mark.e2e(seconds=90)
def test_a_delta_read_with_the_wrong_encoding_never_overwrites_names_in_twenty(pipeline_env, sample_export,
                                                                                 confirm_map, tmp_path) -> None:
    """The night this was found: a delta after a clean full wave garbled accented names already in Twenty."""
    from core_practice_twenty.cli import migrate

    confirm_map(sample_export)
    assert migrate(sample_export, "full") == 0
    with pipeline_env.client() as client:
        before = {p["cpPatientId"]: p["name"] for p in client.find_many("people") if p.get("cpPatientId")}
    accented = [key for key, name in before.items() if not f"{name['firstName']}{name['lastName']}".isascii()]
    assert len(accented) >= 3

    delta = tmp_path / "exports" / "delta-1"
    shutil.copytree(sample_export, delta)
    path = delta / "patients.csv"
    lines = path.read_bytes().decode("utf-8").split("\n")
    edited = [i for i, line in enumerate(lines) if i > 1 and not line.isascii()]
    raw = [line.encode("utf-8") for line in lines]
    raw[edited[0]] = lines[edited[0]].encode("cp1252")  # one row saved back by a Windows program
    for i in edited[1:]:
        raw[i] = _mojibake(lines[i]).encode("utf-8")  # the rest garbled upstream (read as cp1252, saved as UTF-8)
    path.write_bytes(b"\n".join(raw))

    result = cpt("migrate", "--export", str(delta), "--wave", "delta-1")
    assert result.returncode == 3, result.stderr[-2000:]
    assert "changes_approved" in result.stderr and "wrong encoding" in result.stderr
    assert "Traceback" not in result.stderr
    assert not any(_mojibake(before[k]["firstName"]) in result.stderr + result.stdout for k in accented
                   if not before[k]["firstName"].isascii())  # values stay out of the terminal
    with pipeline_env.client() as client:
        after = {p["cpPatientId"]: p["name"] for p in client.find_many("people") if p.get("cpPatientId")}
    assert after == before  # not one name in Twenty changed
    issues = cpt("issues", "--wave", "delta-1", "--object", "patients")
    assert "not_utf8" in issues.stdout and str(edited[0] + 1) in issues.stdout  # the line, by number
    report = Path(os.environ["CPT_REPORTS"]) / "changes-delta-1.md"
    assert "| people |" in report.read_text(encoding="utf-8")


def test_every_command_says_what_it_does_with_an_example_and_cpt_knows_its_version(capsys) -> None:
    """A night-shift engineer's first questions: `cpt --version`, and `cpt <command> --help`."""
    from core_practice_twenty.cli import EXAMPLES, build_parser, commands, main

    found = commands(build_parser())
    assert sorted(found) == sorted(EXAMPLES)  # a new command needs its example
    for words, (command, _) in found.items():
        text = command.format_help()
        assert command.description and len(command.description) > 20, words
        assert f"Example: cpt {words}" in text, words
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out.startswith("cpt 0.")
