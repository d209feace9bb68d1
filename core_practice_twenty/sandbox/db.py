"""SQLite persistence and the in-memory view of the workspace metadata.

Layout (one file = one workspace):

* ``meta(key, value)`` — profile the file was seeded with, schema version.
* ``objects(id, seq, name_singular, name_plural, body)`` and ``fields(id, seq, object_id, name, body)``
  — object and field metadata; ``body`` is the metadata DTO as JSON so new metadata attributes need
  no schema change.
* ``records(object_id, id, position, deleted_at, data)`` — every record of every object; ``data`` is
  the record as JSON (composites nested, relations as ``<name>Id`` join columns).
* ``unique_values(object_id, field_key, value, record_id)`` with a primary key on the first three —
  the unique indexes of Twenty (non-partial: soft-deleted rows keep their values, twenty-api.md §9).
* ``files(id, path, …, data)`` — uploaded files (bytes included) so attachments can be read back.

One connection guarded by one re-entrant lock: the sandbox is a test double, correctness under
concurrent requests matters more than parallel throughput.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from core_practice_twenty.sandbox.values import COMPOSITE_TYPES, UNIQUE_SUBFIELDS, UUID_RE

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS objects (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    name_singular TEXT NOT NULL UNIQUE,
    name_plural TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS fields (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    object_id TEXT NOT NULL REFERENCES objects(id),
    name TEXT NOT NULL,
    body TEXT NOT NULL,
    UNIQUE (object_id, name)
);
CREATE TABLE IF NOT EXISTS records (
    object_id TEXT NOT NULL,
    id TEXT NOT NULL,
    position REAL,
    deleted_at TEXT,
    data TEXT NOT NULL,
    PRIMARY KEY (object_id, id)
);
CREATE INDEX IF NOT EXISTS records_live ON records (object_id, deleted_at, position, id);
CREATE TABLE IF NOT EXISTS unique_values (
    object_id TEXT NOT NULL,
    field_key TEXT NOT NULL,
    value TEXT NOT NULL,
    record_id TEXT NOT NULL,
    PRIMARY KEY (object_id, field_key, value)
);
CREATE INDEX IF NOT EXISTS unique_values_by_record ON unique_values (object_id, record_id);
CREATE TABLE IF NOT EXISTS files (
    id TEXT PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    mime_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    field_id TEXT,
    temporary INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS pending_uploads (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    size INTEGER NOT NULL,
    field_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    data BLOB
);
"""


class FieldMeta:
    """Read-only view of one field's metadata DTO with the derived facts the engine needs."""

    __slots__ = ("dto",)

    def __init__(self, dto: dict[str, Any]) -> None:
        self.dto = dto

    @property
    def id(self) -> str:
        return self.dto["id"]

    @property
    def name(self) -> str:
        return self.dto["name"]

    @property
    def type(self) -> str:
        return self.dto["type"]

    @property
    def is_unique(self) -> bool:
        return bool(self.dto.get("isUnique"))

    @property
    def is_active(self) -> bool:
        return self.dto.get("isActive", True) is not False

    @property
    def is_composite(self) -> bool:
        return self.type in COMPOSITE_TYPES

    @property
    def option_values(self) -> list[str]:
        return [o["value"] for o in self.dto.get("options") or []]

    @property
    def relation_type(self) -> str | None:
        if self.type != "RELATION":
            return None
        return (self.dto.get("settings") or {}).get("relationType")

    @property
    def join_column(self) -> str | None:
        if self.relation_type != "MANY_TO_ONE":
            return None
        return (self.dto.get("settings") or {}).get("joinColumnName") or f"{self.name}Id"

    @property
    def target_object_id(self) -> str | None:
        return self.dto.get("relationTargetObjectMetadataId")

    @property
    def on_delete(self) -> str:
        return (self.dto.get("settings") or {}).get("onDelete") or "SET_NULL"

    @property
    def record_key(self) -> str | None:
        """Key of this field in a record: the join column for MANY_TO_ONE, none for ONE_TO_MANY."""
        if self.type == "RELATION":
            return self.join_column
        return self.name


class ObjectMeta:
    """Read-only view of one object and its active fields."""

    def __init__(self, dto: dict[str, Any], fields: list[FieldMeta]) -> None:
        self.dto = dto
        self.all_fields = fields
        self.fields = [f for f in fields if f.is_active]
        self.by_name = {f.name: f for f in self.fields}
        self.by_key = {f.record_key: f for f in self.fields if f.record_key}
        self.unique_fields = [f for f in self.fields if f.is_unique and f.name != "id"]
        self.many_to_one = [f for f in self.fields if f.relation_type == "MANY_TO_ONE"]

    @property
    def id(self) -> str:
        return self.dto["id"]

    @property
    def singular(self) -> str:
        return self.dto["nameSingular"]

    @property
    def plural(self) -> str:
        return self.dto["namePlural"]

    @property
    def read_only(self) -> bool:
        """Readable but not writable through the API (workspace members: invited in Twenty's UI)."""
        return bool(self.dto.get("_readOnly"))


def _capitalize(name: str) -> str:
    return name[:1].upper() + name[1:]


class Database:
    """The SQLite file plus the metadata cache; all access goes through :attr:`lock`."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.lock = threading.RLock()
        self.conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        # Postgres LIKE is case-sensitive; Twenty's `like` vs `ilike` depends on that.
        self.conn.execute("PRAGMA case_sensitive_like=ON")
        self.conn.executescript(SCHEMA)
        self.objects_by_id: dict[str, ObjectMeta] = {}
        self.objects_by_plural: dict[str, ObjectMeta] = {}
        self.objects_by_singular: dict[str, ObjectMeta] = {}
        self.fields_by_id: dict[str, FieldMeta] = {}
        self.closed = False
        self._rows_since_analyze = 0
        # Bounded ANALYZE keeps planner stats cheap to refresh; without stats SQLite prefers the
        # generic (object_id, deleted_at) index over the unique-field expression indexes.
        self.conn.execute("PRAGMA analysis_limit=400")
        self.conn.execute("ANALYZE")

    def note_written(self, rows: int) -> None:
        """Refresh planner statistics after every ~1,000 written rows (a few ms each time)."""
        self._rows_since_analyze += rows
        if self._rows_since_analyze >= 1000:
            self._rows_since_analyze = 0
            with self.lock:
                self.conn.execute("ANALYZE")

    # -- transactions ---------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic unit: a request's writes commit together or not at all."""
        with self.lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    def wipe(self) -> None:
        """Drop every object, field, record and file (``/_sandbox/reset`` re-seeds afterwards)."""
        with self.lock:
            sql = "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'ix_%'"
            indexes = [r[0] for r in self.conn.execute(sql)]
            with self.transaction() as conn:
                for name in indexes:
                    conn.execute(f'DROP INDEX IF EXISTS "{name}"')
                for table in ("records", "unique_values", "fields", "objects", "files", "pending_uploads", "meta"):
                    conn.execute(f"DELETE FROM {table}")
            self.reload_metadata()

    def close(self) -> None:
        with self.lock:
            if not self.closed:
                self.closed = True
                self.conn.close()

    # -- meta key/values ------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    # -- metadata rows --------------------------------------------------------------------------
    def insert_object(self, dto: dict[str, Any]) -> None:
        seq = self.conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM objects").fetchone()[0]
        self.conn.execute(
            "INSERT INTO objects(id, seq, name_singular, name_plural, body) VALUES(?, ?, ?, ?, ?)",
            (dto["id"], seq, dto["nameSingular"], dto["namePlural"], json.dumps(dto)),
        )

    def update_object(self, dto: dict[str, Any]) -> None:
        self.conn.execute(
            "UPDATE objects SET name_singular = ?, name_plural = ?, body = ? WHERE id = ?",
            (dto["nameSingular"], dto["namePlural"], json.dumps(dto), dto["id"]),
        )

    def insert_field(self, dto: dict[str, Any]) -> None:
        seq = self.conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM fields").fetchone()[0]
        self.conn.execute(
            "INSERT INTO fields(id, seq, object_id, name, body) VALUES(?, ?, ?, ?, ?)",
            (dto["id"], seq, dto["objectMetadataId"], dto["name"], json.dumps(dto)),
        )

    def update_field(self, dto: dict[str, Any]) -> None:
        self.conn.execute(
            "UPDATE fields SET name = ?, body = ? WHERE id = ?", (dto["name"], json.dumps(dto), dto["id"])
        )

    def reload_metadata(self) -> None:
        """Rebuild the in-memory metadata maps after any metadata write (cheap: tens of rows)."""
        fields_by_object: dict[str, list[FieldMeta]] = {}
        self.fields_by_id = {}
        for (body,) in self.conn.execute("SELECT body FROM fields ORDER BY seq"):
            meta = FieldMeta(json.loads(body))
            self.fields_by_id[meta.id] = meta
            fields_by_object.setdefault(meta.dto["objectMetadataId"], []).append(meta)
        self.objects_by_id = {}
        for (body,) in self.conn.execute("SELECT body FROM objects ORDER BY seq"):
            dto = json.loads(body)
            self.objects_by_id[dto["id"]] = ObjectMeta(dto, fields_by_object.get(dto["id"], []))
        self._ensure_unique_field_indexes()
        active = [o for o in self.objects_by_id.values() if o.dto.get("isActive", True)]
        self.objects_by_plural = {o.plural: o for o in active}
        self.objects_by_singular = {o.singular: o for o in active}

    def _ensure_unique_field_indexes(self) -> None:
        """Partial expression index per unique path, so ``cpPatientId[in]:[…]`` lookups (the loader's
        find-before-upsert) stay fast on large workspaces. Queries inline the object id literally so
        SQLite can match the partial index's WHERE clause."""
        for obj in self.objects_by_id.values():
            if not UUID_RE.match(obj.id):
                continue
            for field in obj.unique_fields:
                subs = (field.dto.get("_uniqueSubfields") or UNIQUE_SUBFIELDS.get(field.type, [])
                        if field.is_composite else [None])
                for sub in subs:
                    path = f"{field.record_key}.{sub}" if sub else field.record_key
                    name = f"ix_{field.id.replace('-', '')}_{sub or 'value'}"
                    self.conn.execute(
                        f'CREATE INDEX IF NOT EXISTS "{name}" ON records '
                        f"(json_extract(data, '$.{path}')) WHERE object_id = '{obj.id}'"
                    )

    # -- naming helpers -------------------------------------------------------------------------
    @staticmethod
    def capitalize(name: str) -> str:
        """``company`` → ``Company`` for response keys like ``createCompany`` (twenty-api.md §1)."""
        return _capitalize(name)
