"""`confirm` (who and when) and `check_gate`: may this export be loaded with this map?"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from core_practice_twenty.mapping.field_map.checks import validate
from core_practice_twenty.mapping.field_map.file import load_map
from core_practice_twenty.mapping.field_map.fingerprint import (
    column_changes,
    columns_digest,
    combine_digests,
    map_digest,
)
from core_practice_twenty.mapping.field_map.headers import export_headers
from core_practice_twenty.mapping.field_map.model import (
    Confirmation,
    ConfirmRefused,
    FieldMap,
    FieldMapError,
    GateResult,
    ObjectMap,
)


def _propose_cmd(export_dir: Path, map_path: Path | None) -> str:
    out = f" --out {map_path}" if map_path is not None else ""
    return f"`cpt map propose --export {export_dir}{out}`"


def _confirm_cmd(export_dir: Path, map_path: Path | None) -> str:
    return f"`cpt map confirm --map {map_path or 'FILE'} --export {export_dir} --by NAME`"


def confirm(field_map: FieldMap, export_dir: Path, by: str, *, accept_all: bool = False,
            now: datetime | None = None, map_path: Path | None = None) -> FieldMap:
    """Lock the map for this export: who, when (UTC), fingerprint; status confirmed.

    Refuses (ConfirmRefused, every reason listed) while the map is unusable, describes other columns
    than the export has, or any entry still needs a decision, unless `accept_all` (recorded).
    """
    problems: list[str] = []
    if not by.strip():
        problems.append("say who confirms (--by NAME)")
    problems += validate(replace(field_map, status="confirmed"))
    headers = export_headers(export_dir)
    changes = column_changes(field_map, headers)
    if changes:
        problems.append(f"the export's columns differ from the map ({'; '.join(changes)}); run "
                        f"{_propose_cmd(export_dir, map_path)} again and review the new map")
    undecided = field_map.undecided()
    if undecided and not accept_all:
        listed = ", ".join(f"{name} {e.label}" for name, e in undecided[:10])
        more = f" and {len(undecided) - 10} more" if len(undecided) > 10 else ""
        problems.append(f"{len(undecided)} entr{'y' if len(undecided) == 1 else 'ies'} still need a decision: "
                        f"{listed}{more}. Edit each in the map (fix targets/transform, then set "
                        f"needs_decision: false), or pass --accept-all to accept every proposal as it is")
    if problems:
        raise ConfirmRefused(problems)
    objects = {
        name: ObjectMap(obj.file, [replace(e, needs_decision=False) for e in obj.columns])
        for name, obj in field_map.objects.items()
    }
    confirmed = replace(field_map, status="confirmed", objects=objects)
    m_sha, c_sha = map_digest(confirmed), columns_digest(headers)
    at = (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")
    confirmed.confirmation = Confirmation(confirmed_by=by.strip(), confirmed_at=at,
                                          fingerprint=combine_digests(m_sha, c_sha), map_digest=m_sha,
                                          columns_digest=c_sha, accepted_all=bool(undecided))
    return confirmed


def check_gate(map_path: Path, export_dir: Path) -> GateResult:
    """May this export be loaded with this map? Only a confirmed map whose fingerprint matches the export.

    Every problem says what changed (status, which file's columns were added or removed, the map edited
    after confirmation) and what to run. Reads header rows only.
    """
    map_path, export_dir = Path(map_path), Path(export_dir)
    try:
        field_map = load_map(map_path)
    except FieldMapError as exc:
        return GateResult(False, [f"{exc} Then review it and run {_confirm_cmd(export_dir, map_path)}."])
    problems = [f"{map_path}: {p}" for p in validate(field_map)]
    if not export_dir.is_dir():
        problems.append(f"{export_dir}: export folder not found")
        return GateResult(False, problems, field_map)
    headers = export_headers(export_dir)
    changes = column_changes(field_map, headers)
    if field_map.status != "confirmed":
        undecided = len(field_map.undecided())
        pending = f"; {undecided} entr{'y' if undecided == 1 else 'ies'} still need a decision" if undecided else ""
        problems.append(f"{map_path}: status is {field_map.status!r}, not confirmed{pending}. Review "
                        f"field-map-review.md (in the reports folder) and the map, then run "
                        f"{_confirm_cmd(export_dir, map_path)}")
        if changes:
            problems.append(f"the export's columns differ from the proposed map ({'; '.join(changes)}); run "
                            f"{_propose_cmd(export_dir, map_path)} again")
        return GateResult(False, problems, field_map)
    conf = field_map.confirmation
    if not (conf.fingerprint and conf.confirmed_by and conf.confirmed_at):
        problems.append(f"{map_path}: status says confirmed but there is no confirmation record (set by hand?). "
                        f"Run {_confirm_cmd(export_dir, map_path)}")
        return GateResult(False, problems, field_map)
    who = f"{conf.confirmed_by} at {conf.confirmed_at}"
    m_sha, c_sha = map_digest(field_map), columns_digest(headers)
    if conf.fingerprint != combine_digests(m_sha, c_sha):
        if conf.map_digest != m_sha:
            problems.append(f"{map_path}: the map was edited after {who} confirmed it (its fingerprint no longer "
                            f"matches). Review the change, then run {_confirm_cmd(export_dir, map_path)} again")
        if conf.columns_digest != c_sha or changes:
            detail = "; ".join(changes) or "the header set changed"
            problems.append(f"{export_dir}: the export's columns changed since {who} confirmed the map ({detail}). "
                            f"Run {_propose_cmd(export_dir, map_path)}, review, then "
                            f"{_confirm_cmd(export_dir, map_path)}")
        if conf.map_digest == m_sha and conf.columns_digest == c_sha:
            problems.append(f"{map_path}: the confirmation block was edited (fingerprint does not match). Run "
                            f"{_confirm_cmd(export_dir, map_path)} again")
    return GateResult(not problems, problems, field_map)
