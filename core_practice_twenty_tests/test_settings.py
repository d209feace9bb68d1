"""The settings: one table (settings.py) that README.md shows, read once, and a value that cannot be used stops a
command by naming the variable, before anything runs."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from core_practice_twenty.cli import main
from core_practice_twenty.model.twenty import UPLOAD_LIMIT_BY_FLOW
from core_practice_twenty.sandbox.versions import NEWEST, OLDEST
from core_practice_twenty.settings import Settings, SettingsError, settings_table
from core_practice_twenty.source.export_spec import EXPORT_SPEC
from core_practice_twenty.source.generator import generate_export
from core_practice_twenty.source.values import Region
from core_practice_twenty.store.raw import land_object
from core_practice_twenty.validation.context import ValidationContext
from core_practice_twenty.validation.cross_table import cross_table_issues

README = Path(__file__).resolve().parents[1] / "README.md"


def _readme_rows() -> list[tuple[str, str, str]]:
    text = README.read_text(encoding="utf-8")
    table = text[text.index("| variable | default | meaning |"):].split("\n\n", 1)[0].splitlines()[2:]
    rows = []
    for line in table:
        name, default, meaning = (cell.strip() for cell in line.strip("|").split(" | ", 2))
        rows.append((name.strip("`"), default, meaning))
    return rows


def test_the_readme_lists_exactly_the_settings_with_their_defaults() -> None:
    assert _readme_rows() == settings_table()


def test_every_variable_the_code_reads_is_in_the_table() -> None:
    """No module reads the environment by itself: a name outside the table would have its own default."""
    package = Path(__file__).resolve().parents[1] / "core_practice_twenty"
    known = {name for name, _, _ in settings_table()}
    readers = {}
    for path in package.rglob("*.py"):
        if "sandbox" in path.parts or path.name == "settings.py":
            continue  # the stand-in Twenty has its own command-line options
        text = path.read_text(encoding="utf-8")
        if re.search(r"os\.environ(\.get|\[)|os\.getenv", text.replace('os.environ["DAGSTER_HOME"] =', "")):
            readers[path.relative_to(package).as_posix()] = True
        for name in re.findall(r"\b(?:CPT|TWENTY)_[A-Z_]+\b", text):
            assert name in known or name.startswith(("CPT_CONFORMANCE",)), f"{path.name} names {name}, not a setting"
    # the CLI copies the environment into the sandbox and demo child processes; nothing else reads it
    assert all(path.startswith("cli/") for path in readers), readers


def test_defaults_are_what_the_readme_promises() -> None:
    settings = Settings.from_env({})
    assert settings.requests_per_minute == 100 and settings.batch_cap is None and settings.max_upload_bytes is None
    assert settings.warehouse == Path("data/warehouse.duckdb") and settings.sample_gate is True
    assert "twenty_api_key" not in repr(Settings.from_env({"TWENTY_API_KEY": "sk-secret"}))


@pytest.mark.parametrize(("env", "message"), [
    ({"TWENTY_BATCH_CAP": "ten"}, "TWENTY_BATCH_CAP='ten' cannot be read: expected a whole number"),
    ({"CPT_MAX_SHRINK": "20%"}, "CPT_MAX_SHRINK='20%' cannot be read: expected a share between 0 and 1"),
    ({"CPT_MAX_REJECT_RATE": "10"}, "CPT_MAX_REJECT_RATE='10' cannot be used: expected a share between 0 and 1"),
    ({"CPT_SAMPLE_GATE": "maybe"}, "CPT_SAMPLE_GATE='maybe' cannot be read: expected on or off"),
    ({"CPT_UPLOAD_CONCURRENCY": "0"}, "CPT_UPLOAD_CONCURRENCY='0' cannot be used: expected a whole number, 1"),
    ({"CPT_MAX_UPLOAD_BYTES": "52428800"}, "CPT_MAX_UPLOAD_BYTES is no longer read: set TWENTY_MAX_UPLOAD_MB"),
])
def test_a_value_that_cannot_be_used_stops_every_command_naming_the_variable(env, message, monkeypatch,
                                                                             capsys) -> None:
    with pytest.raises(SettingsError, match=re.escape(message)):
        Settings.from_env(env)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["issues", "--wave", "full"]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_the_api_key_is_never_quoted(monkeypatch, capsys) -> None:
    monkeypatch.setenv("TWENTY_API_KEY", "sk-live-secret")
    monkeypatch.setenv("TWENTY_REQUESTS_PER_MINUTE", "fast")
    assert main(["issues", "--wave", "full"]) == 2
    err = capsys.readouterr().err
    assert "TWENTY_REQUESTS_PER_MINUTE='fast'" in err and "sk-live-secret" not in err


@pytest.mark.parametrize("twenty_version", [NEWEST, OLDEST])
def test_a_50_mb_xray_is_flagged_only_for_a_twenty_that_refuses_it(twenty_sandbox, twenty_version, tmp_path,
                                                                  warehouse) -> None:
    """The limit documents are judged by is the one of the Twenty the wave writes to (learned from its upload
    flow), not a constant: 100 MB from Files v2 on, 10 MB before."""
    with twenty_sandbox.client() as client:
        facts = client.learn()
        limit = client.upload_limit()
    assert limit == UPLOAD_LIMIT_BY_FLOW[facts.upload_flow] == (100 if twenty_version == NEWEST else 10) * 1024 ** 2
    export = generate_export(tmp_path / "export", practices=2, patients=20, dirt="none")
    xray = sorted((export / "documents").rglob("*.png"))[0]
    with xray.open("r+b") as handle:  # a CBCT-sized file, sparse on disk: only its size matters here
        handle.truncate(50 * 1024 * 1024)
    listing = (export / "documents.csv").read_text(encoding="utf-8-sig").splitlines(keepends=True)
    header = next(csv.reader([listing[1]]))  # under the report's banner line
    rows = [next(csv.reader([line])) for line in listing[2:]]
    for row in rows:  # the listing says what is on disk, as Core Practice's would
        if row[header.index("relative_path")].endswith(xray.name):
            row[header.index("size_bytes")] = str(50 * 1024 * 1024)
    with (export / "documents.csv").open("w", encoding="utf-8", newline="") as handle:
        handle.write(listing[0])
        csv.writer(handle, lineterminator="\r\n").writerows([header, *rows])
    ctx = ValidationContext.for_export(export, Region.AU, max_upload_bytes=limit)
    for spec in EXPORT_SPEC.values():
        land_object(warehouse, spec, export, wave="full", snapshot_id="s1")
    with warehouse.connect() as conn:
        flagged = [i.source_key for i in cross_table_issues(conn, "full", ctx) if i.rule == "document_too_large"]
    assert len(flagged) == (0 if twenty_version == NEWEST else 1)  # uploaded / flagged, referenced, not uploaded


def test_dagster_sees_the_same_settings_and_a_run_may_override_them(monkeypatch, tmp_path) -> None:
    """Every resource reads the one SettingsResource: a run's override reaches the warehouse and Twenty too."""
    from core_practice_twenty.defs.resources import SettingsResource, TwentyResource, WarehouseResource

    monkeypatch.setenv("CPT_DIFF_SLICE", "7")
    assert SettingsResource().get().diff_slice == 7
    assert SettingsResource(overrides={"CPT_DIFF_SLICE": "3"}).get().diff_slice == 3
    with pytest.raises(SettingsError, match="CPT_MAX_SHRINK='lots'"):
        SettingsResource(overrides={"CPT_MAX_SHRINK": "lots"}).get()
    run_settings = SettingsResource(overrides={"CPT_WAREHOUSE": str(tmp_path / "run.duckdb"),
                                               "TWENTY_RETRY_BASE_S": "0.25"})
    assert WarehouseResource(settings=run_settings).warehouse().path == tmp_path / "run.duckdb"
    twenty = TwentyResource(settings=run_settings, api_url="http://127.0.0.1:9", api_key="k")
    assert twenty.settings.get().retry_base_s == 0.25


def test_domain_modules_take_settings_as_arguments() -> None:
    """The environment is read where a command or a step starts (cli/, defs/, launcher.py); the domain gets values.
    A Twenty client built without settings reads them (tests and benchmarks build clients directly)."""
    package = Path(__file__).resolve().parents[1] / "core_practice_twenty"
    entry_points = ("cli/", "defs/", "launcher.py", "settings.py", "twenty/transport.py", "sandbox/")
    readers = sorted(
        path.relative_to(package).as_posix() for path in package.rglob("*.py")
        if not path.relative_to(package).as_posix().startswith(entry_points)
        and re.search(r"Settings\.from_env\(|\bfield_map_path\(\)|\breports_dir\(\)", path.read_text(encoding="utf-8"))
    )
    assert readers == []
