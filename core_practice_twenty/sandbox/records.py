"""The record engine: create / upsert / find / update / delete / restore for any object.

Driven only by metadata (:class:`ObjectMeta`), so there is no code per object. Semantics follow
twenty-api.md §2, §3 and §9:

* create-many is all-or-nothing, capped at ``batch_cap`` (common-create-many-query-runner.service.ts);
* unique values live in ``unique_values`` including soft-deleted rows (issues #24227, #26216);
* upsert matches on ``id`` + every unique field, searching soft-deleted rows too, updates only the
  supplied fields, restores soft-deleted matches and refuses ambiguous matches
  (utils/get-conflicting-fields.util.ts, utils/get-matching-record-id.util.ts);
* find-many uses keyset cursors over the sort values (common-find-many-query-runner.service.ts);
* ``depth=1`` puts the related records next to the join columns (MANY_TO_ONE) and lists the related
  records of ONE_TO_MANY relations, capped like Twenty's nested fetch (rest-api-core-find-one spec);
* objects marked read-only (workspace members) refuse API writes with 403, as Twenty does for members
  (https://github.com/twentyhq/twenty/issues/15841).

Every public method runs under the database lock and one transaction per request.
"""

from __future__ import annotations

import copy
import json
import sqlite3
import uuid
from collections.abc import Iterable
from typing import Any

from core_practice_twenty.sandbox.db import Database, FieldMeta, ObjectMeta
from core_practice_twenty.sandbox.errors import ApiError, bad_request, forbidden, not_found
from core_practice_twenty.sandbox.query import (
    compile_filter,
    decode_cursor,
    encode_cursor,
    keyset_sql,
    mentions_deleted_at,
    order_sql,
    parse_depth,
    parse_filter,
    parse_limit,
    parse_order_by,
)
from core_practice_twenty.sandbox.values import (
    UNIQUE_SUBFIELDS,
    default_literal,
    empty_composite,
    invalid,
    is_uuid,
    normalize_composite_input,
    normalize_scalar,
    now_iso,
)

SQL_CHUNK = 500  # stay far below SQLite's host-parameter limit
API_ACTOR = {"source": "API", "workspaceMemberId": None, "name": "API", "context": {}}
_MISSING = object()


def _chunks(items: list[Any], size: int = SQL_CHUNK) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def _cap(name: str) -> str:
    return name[:1].upper() + name[1:]


def _duplicate(obj: ObjectMeta, path: str) -> ApiError:
    """Twenty's duplicate wording (create-one/create-many tests; issue #26216). No values: the
    message may end up in logs, and values here can be patient emails."""
    return bad_request(
        f"A duplicate entry was detected: a {obj.singular} with the same {path} already exists "
        f"(unique constraint on {obj.singular}.{path} was violated)"
    )


def unique_subfields(field: FieldMeta) -> list[str]:
    """The sub-fields a composite's unique index is over: the field's own (a unique PHONES field of a version
    with PR #20261 carries number, country and calling code), else the type's."""
    return list(field.dto.get("_uniqueSubfields") or UNIQUE_SUBFIELDS.get(field.type, []))


def unique_key_paths(field: FieldMeta) -> list[str]:
    """Record paths forming a field's unique index, e.g. ``["emails.primaryEmail"]``."""
    if field.is_composite:
        return [f"{field.name}.{sub}" for sub in unique_subfields(field)]
    return [field.record_key or field.name]


def unique_value(field: FieldMeta, data: dict[str, Any]) -> str | None:
    """The indexed text of a field's unique value in ``data``, or None when not fully present.

    Works on full records and on partial upsert inputs alike (a key only counts when every part is
    present and non-null — get-matching-record-id.util.ts). Empty strings count as absent so blank
    values never collide.
    """
    if field.is_composite:
        subs = unique_subfields(field)
        composite = data.get(field.name)
        if not subs or not isinstance(composite, dict):
            return None
        parts = [composite.get(s) for s in subs]
        if any(p is None or p == "" for p in parts):
            return None
        return parts[0] if len(parts) == 1 and isinstance(parts[0], str) else json.dumps(parts)
    value = data.get(field.record_key or field.name)
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else json.dumps(value)


class RecordEngine:
    """Record operations over one :class:`Database`."""

    def __init__(self, db: Database, batch_cap: int, default_page_size: int) -> None:
        self.db = db
        self.batch_cap = batch_cap
        self.default_page_size = default_page_size

    # =========================================================================================
    # Input preparation
    # =========================================================================================
    def prepare_input(self, obj: ObjectMeta, raw: Any) -> dict[str, Any]:
        """Validate and normalise a client record; unknown fields are rejected like Twenty does."""
        if not isinstance(raw, dict):
            raise bad_request("Each record must be a JSON object")
        out: dict[str, Any] = {}
        for key, value in raw.items():
            field = obj.by_key.get(key)
            if field is None:
                named = obj.by_name.get(key)
                if named is not None and named.join_column:
                    raise bad_request(f'Relation field "{key}" cannot be written directly; set "{named.join_column}"')
                raise bad_request(f'Object {obj.singular} doesn\'t have any "{key}" field.')
            if field.is_composite:
                out[key] = normalize_composite_input(field.type, value, key, domain=bool(field.dto.get("_domain")))
            elif field.type == "RELATION":
                out[key] = normalize_scalar("UUID", value, key)
            else:
                out[key] = normalize_scalar(field.type, value, key, field.option_values)
        if "id" in out and out["id"] is None:
            raise invalid(None, "id")
        if "position" in out and out["position"] is None:
            del out["position"]  # position stays non-null: it backs the default order and cursors
        return out

    def _defaults(self, field: FieldMeta) -> Any:
        if field.is_composite:
            base = empty_composite(field.type)
            default = field.dto.get("defaultValue")
            if isinstance(default, dict):
                base.update({k: default_literal(v) for k, v in default.items() if k in base})
            return base
        return default_literal(field.dto.get("defaultValue"))

    def _build_new(self, obj: ObjectMeta, prepared: dict[str, Any], position: float, now: str) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for field in obj.fields:
            key = field.record_key
            if key is None:
                continue
            supplied = prepared.get(key, _MISSING)
            if field.is_composite:
                value = self._defaults(field)
                if field.name in ("createdBy", "updatedBy"):
                    value = dict(API_ACTOR)
                if supplied is None:
                    value = empty_composite(field.type)
                elif supplied is not _MISSING:
                    value.update(supplied)
                data[key] = value
            elif supplied is not _MISSING:
                data[key] = supplied
            else:
                data[key] = self._defaults(field)
        data["id"] = prepared.get("id") or str(uuid.uuid4())
        data["createdAt"] = prepared.get("createdAt") or now
        data["updatedAt"] = prepared.get("updatedAt") or now
        data["deletedAt"] = prepared.get("deletedAt")
        if prepared.get("position") is None:
            data["position"] = position
        return data

    @staticmethod
    def _merge(obj: ObjectMeta, existing: dict[str, Any], changes: dict[str, Any], now: str) -> dict[str, Any]:
        data = copy.deepcopy(existing)
        if "updatedBy" in obj.by_key and "updatedBy" not in changes:
            data["updatedBy"] = dict(API_ACTOR)
        for key, value in changes.items():
            field = obj.by_key[key]
            if field.is_composite:
                current = data.get(key) if isinstance(data.get(key), dict) else empty_composite(field.type)
                data[key] = empty_composite(field.type) if value is None else {**current, **value}
            else:
                data[key] = value
        if "updatedAt" not in changes:
            data["updatedAt"] = now
        return data

    # =========================================================================================
    # Output
    # =========================================================================================
    def materialize(self, obj: ObjectMeta, data: dict[str, Any]) -> dict[str, Any]:
        """Record as Twenty returns it at depth 0: every field present, composites with all
        sub-fields, relations as join columns, fields added after the record got their default."""
        out: dict[str, Any] = {}
        for field in obj.fields:
            key = field.record_key
            if key is None:
                continue
            if key in data:
                value = data[key]
                if field.is_composite:
                    shape = empty_composite(field.type)
                    if isinstance(value, dict):
                        shape.update({k: v for k, v in value.items() if k in shape})
                    value = shape
                out[key] = value
            else:
                out[key] = self._defaults(field)
        return out

    def render(self, obj: ObjectMeta, datas: list[dict[str, Any]], depth: int) -> list[dict[str, Any]]:
        """Stored records → response records at ``depth`` 0 or 1."""
        records = [self.materialize(obj, data) for data in datas]
        if depth and records:
            with self.db.lock:
                self._expand(obj, records)
        return records

    def _expand(self, obj: ObjectMeta, records: list[dict[str, Any]]) -> None:
        """depth=1: the related record (depth 0) next to each MANY_TO_ONE join column, and the list of
        related records (at most ``batch_cap``, by position) under each ONE_TO_MANY relation."""
        for field in obj.fields:
            target = self.db.objects_by_id.get(field.target_object_id or "")
            if target is None or not target.dto.get("isActive", True):
                continue
            if field.relation_type == "MANY_TO_ONE":
                ids = sorted({r[field.join_column] for r in records if r.get(field.join_column)})
                found = {
                    rid: self.materialize(target, data)
                    for rid, data in self._load(target, ids, include_deleted=False).items()
                }
                for record in records:
                    record[field.name] = found.get(record.get(field.join_column or ""))
            elif field.relation_type == "ONE_TO_MANY":
                inverse = self.db.fields_by_id.get(field.dto.get("relationTargetFieldMetadataId") or "")
                join = inverse.join_column if inverse is not None else None
                if not join:
                    continue
                grouped: dict[str, list[dict[str, Any]]] = {r["id"]: [] for r in records}
                expr = f"json_extract(data, '$.{join}')"
                for chunk in _chunks(list(grouped)):
                    marks = ",".join("?" * len(chunk))
                    rows = self.db.conn.execute(
                        f"SELECT data FROM records WHERE object_id = ? AND deleted_at IS NULL AND {expr} IN ({marks}) "
                        "ORDER BY position, id",
                        [target.id, *chunk],
                    )
                    for (text,) in rows:
                        data = json.loads(text)
                        children = grouped.get(data.get(join))
                        if children is not None and len(children) < self.batch_cap:
                            children.append(self.materialize(target, data))
                for record in records:
                    record[field.name] = grouped[record["id"]]

    # =========================================================================================
    # Storage helpers
    # =========================================================================================
    def _load(self, obj: ObjectMeta, ids: list[str], *, include_deleted: bool) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        deleted = "" if include_deleted else " AND deleted_at IS NULL"
        for chunk in _chunks(list(ids)):
            marks = ",".join("?" * len(chunk))
            rows = self.db.conn.execute(
                f"SELECT id, data FROM records WHERE object_id = ? AND id IN ({marks}){deleted}",
                [obj.id, *chunk],
            )
            out.update((rid, json.loads(data)) for rid, data in rows)
        return out

    def _existing_ids(self, object_id: str, ids: list[str]) -> set[str]:
        found: set[str] = set()
        for chunk in _chunks(ids):
            marks = ",".join("?" * len(chunk))
            found.update(
                r[0]
                for r in self.db.conn.execute(
                    f"SELECT id FROM records WHERE object_id = ? AND id IN ({marks})", [object_id, *chunk]
                )
            )
        return found

    def _unique_owners(self, obj: ObjectMeta, field_key: str, values: list[str]) -> dict[str, str]:
        owners: dict[str, str] = {}
        for chunk in _chunks(values):
            marks = ",".join("?" * len(chunk))
            owners.update(
                self.db.conn.execute(
                    "SELECT value, record_id FROM unique_values WHERE object_id = ? AND field_key = ? "
                    f"AND value IN ({marks})",
                    [obj.id, field_key, *chunk],
                ).fetchall()
            )
        return owners

    def _check_unique(self, obj: ObjectMeta, records: list[dict[str, Any]]) -> None:
        """Reject writes whose unique values are held by another record (soft-deleted included)."""
        touched = {r["id"] for r in records}
        for field in obj.unique_fields:
            path = ", ".join(unique_key_paths(field))
            claims: dict[str, str] = {}
            for record in records:
                value = unique_value(field, record)
                if value is None:
                    continue
                if claims.get(value, record["id"]) != record["id"]:
                    raise _duplicate(obj, path)
                claims[value] = record["id"]
            for value, owner in self._unique_owners(obj, field.name, list(claims)).items():
                # a touched record that no longer claims the value is releasing it in this write
                if owner != claims[value] and owner not in touched:
                    raise _duplicate(obj, path)

    def _check_relations(self, obj: ObjectMeta, records: list[dict[str, Any]]) -> None:
        """Join columns must point at existing records (Twenty's tables carry foreign keys)."""
        for field in obj.many_to_one:
            wanted = sorted({r[field.join_column] for r in records if r.get(field.join_column)})
            if not wanted:
                continue
            target = self.db.objects_by_id.get(field.target_object_id or "")
            if target is None:
                continue
            found = self._existing_ids(target.id, wanted)
            if target.id == obj.id:
                found |= {r["id"] for r in records}
            missing = [w for w in wanted if w not in found]
            if missing:
                raise bad_request(
                    f"Invalid value '{missing[0]}' for field \"{field.join_column}\": "
                    f"no {target.singular} record has this id"
                )

    @staticmethod
    def check_writable(obj: ObjectMeta) -> None:
        """Workspace members are created by invitation in Twenty's UI; API writes are refused."""
        if obj.read_only:
            raise forbidden("Entity performing the request does not have permission")

    def _check_files(self, obj: ObjectMeta, records: list[dict[str, Any]]) -> None:
        """FILES values must name uploaded files; a referenced file stops being temporary."""
        file_ids = sorted(
            {
                item["fileId"]
                for field in obj.fields
                if field.type == "FILES"
                for record in records
                for item in record.get(field.name) or []
            }
        )
        if not file_ids:
            return
        found: set[str] = set()
        for chunk in _chunks(file_ids):
            marks = ",".join("?" * len(chunk))
            found.update(r[0] for r in self.db.conn.execute(f"SELECT id FROM files WHERE id IN ({marks})", chunk))
        missing = [f for f in file_ids if f not in found]
        if missing:
            raise bad_request(f"File '{missing[0]}' not found: upload it first")
        self.db.conn.executemany("UPDATE files SET temporary = 0 WHERE id = ?", [(f,) for f in file_ids])

    def _write(self, obj: ObjectMeta, new: list[dict[str, Any]], updated: list[dict[str, Any]]) -> None:
        conn = self.db.conn
        try:
            conn.executemany(
                "INSERT INTO records(object_id, id, position, deleted_at, data) VALUES (?, ?, ?, ?, ?)",
                [(obj.id, r["id"], r.get("position"), r.get("deletedAt"), _dumps(r)) for r in new],
            )
            conn.executemany(
                "UPDATE records SET position = ?, deleted_at = ?, data = ? WHERE object_id = ? AND id = ?",
                [(r.get("position"), r.get("deletedAt"), _dumps(r), obj.id, r["id"]) for r in updated],
            )
            conn.executemany(
                "DELETE FROM unique_values WHERE object_id = ? AND record_id = ?",
                [(obj.id, r["id"]) for r in updated],
            )
            conn.executemany(
                "INSERT INTO unique_values(object_id, field_key, value, record_id) VALUES (?, ?, ?, ?)",
                [
                    (obj.id, field.name, value, r["id"])
                    for r in [*new, *updated]
                    for field in obj.unique_fields
                    if (value := unique_value(field, r)) is not None
                ],
            )
        except sqlite3.IntegrityError:
            raise bad_request("A duplicate entry was detected") from None

    def _destroy(self, obj: ObjectMeta, ids: list[str]) -> None:
        """Hard delete plus the relations' onDelete (SET_NULL or CASCADE) on referencing records."""
        if not ids:
            return
        conn = self.db.conn
        for chunk in _chunks(ids):
            marks = ",".join("?" * len(chunk))
            conn.execute(f"DELETE FROM records WHERE object_id = ? AND id IN ({marks})", [obj.id, *chunk])
            conn.execute(f"DELETE FROM unique_values WHERE object_id = ? AND record_id IN ({marks})", [obj.id, *chunk])
        for other in self.db.objects_by_id.values():
            for field in other.many_to_one:
                if field.target_object_id != obj.id:
                    continue
                expr = f"json_extract(data, '$.{field.join_column}')"
                for chunk in _chunks(ids):
                    marks = ",".join("?" * len(chunk))
                    if field.on_delete == "CASCADE":
                        children = [
                            r[0]
                            for r in conn.execute(
                                f"SELECT id FROM records WHERE object_id = ? AND {expr} IN ({marks})",
                                [other.id, *chunk],
                            )
                        ]
                        self._destroy(other, children)
                    else:
                        conn.execute(
                            f"UPDATE records SET data = json_set(data, '$.{field.join_column}', NULL) "
                            f"WHERE object_id = ? AND {expr} IN ({marks})",
                            [other.id, *chunk],
                        )

    def _next_position(self, obj: ObjectMeta) -> float:
        row = self.db.conn.execute("SELECT MAX(position) FROM records WHERE object_id = ?", (obj.id,)).fetchone()
        top = row[0] if row[0] is not None else 0
        return (int(top) if float(top).is_integer() else top) + 1

    # =========================================================================================
    # Create / upsert
    # =========================================================================================
    def create_many(
        self, obj: ObjectMeta, rows: Any, *, upsert: bool, depth: int = 0, internal: bool = False
    ) -> list[dict[str, Any]]:
        """``POST /rest/batch/{plural}`` (and create-one with a single row): atomic, capped, upsert-able.

        ``internal`` lets the sandbox itself write read-only objects (seeding workspace members)."""
        if not internal:
            self.check_writable(obj)
        if not isinstance(rows, list):
            raise bad_request("Body must be an array")
        if not rows:
            raise bad_request("Input must not be empty")
        # Twenty validates and processes every record before its runner counts them
        # (common-create-many-query-runner.service.ts: validate → processArgs → run's QUERY_MAX_RECORDS check)
        prepared = [self.prepare_input(obj, row) for row in rows]
        if len(rows) > self.batch_cap:
            raise bad_request(f"Maximum number of records to upsert is {self.batch_cap}.")
        with self.db.transaction():
            now = now_iso()
            matches = self._match(obj, prepared) if upsert else [None] * len(prepared)
            existing = self._load(obj, [m for m in matches if m], include_deleted=True)
            position = self._next_position(obj)
            new: list[dict[str, Any]] = []
            updated: dict[str, dict[str, Any]] = {}
            order: list[dict[str, Any] | str] = []
            for row, match in zip(prepared, matches, strict=True):
                if match is None:
                    record = self._build_new(obj, row, position, now)
                    position += 1
                    new.append(record)
                    order.append(record)
                else:
                    changes = {k: v for k, v in row.items() if k not in ("id", "createdBy")}
                    record = self._merge(obj, updated.get(match) or existing[match], changes, now)
                    record["deletedAt"] = None  # upsert restores a soft-deleted match (§9)
                    updated[match] = record
                    order.append(match)
            new_ids = [r["id"] for r in new]
            if len(set(new_ids)) != len(new_ids) or self._existing_ids(obj.id, new_ids):
                raise _duplicate(obj, "id")
            self._check_unique(obj, [*new, *updated.values()])
            self._check_relations(obj, [*new, *updated.values()])
            self._check_files(obj, [*new, *updated.values()])
            self._write(obj, new, list(updated.values()))
        self.db.note_written(len(new) + len(updated))
        return self.render(obj, [item if isinstance(item, dict) else updated[item] for item in order], depth)

    def _match(self, obj: ObjectMeta, prepared: list[dict[str, Any]]) -> list[str | None]:
        """For each input row, the one existing record (soft-deleted included) it conflicts with."""
        ids = [row["id"] for row in prepared if row.get("id")]
        known_ids = self._existing_ids(obj.id, ids)
        owners_by_field = {
            field.name: self._unique_owners(
                obj, field.name, [v for row in prepared if (v := unique_value(field, row)) is not None]
            )
            for field in obj.unique_fields
        }
        result: list[str | None] = []
        for row in prepared:
            found: list[str] = []
            described: list[str] = []
            if row.get("id"):
                described.append(f"id (id: {row['id']})")
                if row["id"] in known_ids:
                    found.append(row["id"])
            for field in obj.unique_fields:
                value = unique_value(field, row)
                if value is None:
                    continue
                paths = unique_key_paths(field)
                shown = ", ".join(f"{p}: {self._path_value(row, p)}" for p in paths)
                described.append(f"{field.name} ({shown})")
                owner = owners_by_field[field.name].get(value)
                if owner is not None:
                    found.append(owner)
            distinct = list(dict.fromkeys(found))
            if len(distinct) > 1:
                raise bad_request(
                    "Multiple records found with the same unique field values for "
                    f"{'; '.join(described)}. Cannot determine which record to update."
                )
            result.append(distinct[0] if distinct else None)
        return result

    @staticmethod
    def _path_value(row: dict[str, Any], path: str) -> Any:
        head, _, sub = path.partition(".")
        value = row.get(head)
        return value.get(sub) if sub and isinstance(value, dict) else value

    # =========================================================================================
    # Read
    # =========================================================================================
    def _where(self, obj: ObjectMeta, filter_text: str | None, *, deleted: str = "auto") -> tuple[str, list[Any]]:
        if not is_uuid(obj.id):  # inlined below so partial indexes apply; ids are ours, but be safe
            raise bad_request("invalid object id")
        where = [f"object_id = '{obj.id}'"]
        params: list[Any] = []
        node = parse_filter(filter_text) if filter_text else None
        if deleted == "only":
            where.append("deleted_at IS NOT NULL")
        elif deleted == "auto" and (node is None or not mentions_deleted_at(node)):
            where.append("deleted_at IS NULL")
        if node is not None:
            sql, node_params = compile_filter(obj, node)
            where.append(f"({sql})")
            params.extend(node_params)
        return " AND ".join(where), params

    def find_many(self, obj: ObjectMeta, params: dict[str, str]) -> dict[str, Any]:
        """``GET /rest/{plural}`` → ``{data: {plural: [...]}, totalCount, pageInfo}``."""
        limit = parse_limit(params.get("limit"), self.default_page_size, self.batch_cap)
        depth = parse_depth(params.get("depth"))
        terms = parse_order_by(obj, params.get("order_by"))
        after = params.get("starting_after") or None
        before = params.get("ending_before") or None
        if after and before:
            raise bad_request("Cannot provide both starting_after and ending_before")
        with self.db.lock:
            where, where_params = self._where(obj, params.get("filter"))
            total = self.db.conn.execute(f"SELECT COUNT(*) FROM records WHERE {where}", where_params).fetchone()[0]
            forward = before is None
            cursor = after or before
            if cursor:
                keyset, keyset_params = keyset_sql(terms, decode_cursor(cursor, terms), forward)
                where = f"{where} AND {keyset}"
                where_params = [*where_params, *keyset_params]
            columns = ", ".join(t.column.sql for t in terms)
            rows = self.db.conn.execute(
                f"SELECT data, {columns} FROM records WHERE {where} "
                f"ORDER BY {order_sql(terms, forward, filtered=bool(params.get('filter')))} LIMIT ?",
                [*where_params, limit + 1],
            ).fetchall()
        has_more = len(rows) > limit
        rows = rows[:limit]
        if not forward:
            rows.reverse()
        records = self.render(obj, [json.loads(row[0]) for row in rows], depth)
        cursors = [encode_cursor(list(row[1:])) for row in rows]
        page_info = {
            "hasNextPage": has_more if forward else bool(before),
            "hasPreviousPage": bool(after) if forward else has_more,
            "startCursor": cursors[0] if cursors else None,
            "endCursor": cursors[-1] if cursors else None,
        }
        return {"data": {obj.plural: records}, "totalCount": total, "pageInfo": page_info}

    def find_one(self, obj: ObjectMeta, record_id: str, params: dict[str, str]) -> dict[str, Any]:
        """``GET /rest/{plural}/{id}`` → ``{data: {singular: {...}}}``; soft-deleted rows are not found."""
        depth = parse_depth(params.get("depth"))
        self._check_id(record_id)
        with self.db.lock:
            data = self._load(obj, [record_id], include_deleted=False).get(record_id)
            if data is None:
                raise not_found()
            record = self.render(obj, [data], depth)[0]
        return {"data": {obj.singular: record}}

    @staticmethod
    def _check_id(record_id: str) -> None:
        if not is_uuid(record_id):
            raise bad_request(f"'{record_id}' is not a valid UUID")

    # =========================================================================================
    # Update / delete / restore
    # =========================================================================================
    def update_one(self, obj: ObjectMeta, record_id: str, body: Any, params: dict[str, str]) -> dict[str, Any]:
        """``PATCH /rest/{plural}/{id}``: partial update, untouched fields kept."""
        depth = parse_depth(params.get("depth"))
        self._check_id(record_id)
        self.check_writable(obj)
        if not isinstance(body, dict):
            raise bad_request("Body must be an object")
        changes = self.prepare_input(obj, body)
        changes.pop("id", None)
        with self.db.transaction():
            data = self._load(obj, [record_id], include_deleted=False).get(record_id)
            if data is None:
                raise not_found()
            record = self._merge(obj, data, changes, now_iso())
            self._check_unique(obj, [record])
            self._check_relations(obj, [record])
            self._check_files(obj, [record])
            self._write(obj, [], [record])
        return {"data": {f"update{_cap(obj.singular)}": self.render(obj, [record], depth)[0]}}

    def _matching_ids(self, obj: ObjectMeta, filter_text: str, deleted: str) -> list[str]:
        where, params = self._where(obj, filter_text, deleted=deleted)
        return [
            r[0] for r in self.db.conn.execute(f"SELECT id FROM records WHERE {where} ORDER BY position, id", params)
        ]

    def update_many(self, obj: ObjectMeta, params: dict[str, str], body: Any) -> dict[str, Any]:
        """``PATCH /rest/{plural}?filter=…``: the same changes on every matching record."""
        depth = parse_depth(params.get("depth"))
        self.check_writable(obj)
        if not params.get("filter"):
            raise bad_request("Filters are mandatory for bulk update operations")
        if not isinstance(body, dict):
            raise bad_request("Body must be an object")
        changes = self.prepare_input(obj, body)
        changes.pop("id", None)
        with self.db.transaction():
            ids = self._matching_ids(obj, params["filter"], "auto")
            if len(ids) > self.batch_cap:
                raise bad_request(f"Cannot update more than {self.batch_cap} records at once")
            now = now_iso()
            loaded = self._load(obj, ids, include_deleted=True)
            records = [self._merge(obj, loaded[i], changes, now) for i in ids]
            self._check_unique(obj, records)
            self._check_relations(obj, records)
            self._check_files(obj, records)
            self._write(obj, [], records)
        return {"data": {f"update{_cap(obj.plural)}": self.render(obj, records, depth)}}

    def delete_one(self, obj: ObjectMeta, record_id: str, *, soft: bool) -> dict[str, Any]:
        """``DELETE /rest/{plural}/{id}``: destroy by default, soft delete with ``soft_delete=true``."""
        self._check_id(record_id)
        self.check_writable(obj)
        key = f"delete{_cap(obj.singular)}"
        with self.db.transaction():
            data = self._load(obj, [record_id], include_deleted=not soft).get(record_id)
            if data is None:
                raise not_found()
            if not soft:
                self._destroy(obj, [record_id])
                return {"data": {key: {"id": record_id}}}
            now = now_iso()
            data["deletedAt"] = now
            data["updatedAt"] = now
            self._write(obj, [], [data])
        return {"data": {key: self.materialize(obj, data)}}

    def delete_many(self, obj: ObjectMeta, params: dict[str, str], *, soft: bool) -> dict[str, Any]:
        """``DELETE /rest/{plural}?filter=…``: filter mandatory, more than the cap → nothing deleted."""
        verb = "delete" if soft else "destroy"
        self.check_writable(obj)
        if not params.get("filter"):
            raise bad_request(f"Filters are mandatory for bulk {verb} operations")
        with self.db.transaction():
            ids = self._matching_ids(obj, params["filter"], "auto" if soft else "any")
            if len(ids) > self.batch_cap:
                raise bad_request(f"Cannot {verb} more than {self.batch_cap} records at once")
            loaded = self._load(obj, ids, include_deleted=True)
            records = [loaded[i] for i in ids]
            if soft:
                now = now_iso()
                for record in records:
                    record["deletedAt"] = now
                    record["updatedAt"] = now
                self._write(obj, [], records)
            else:
                self._destroy(obj, ids)
        return {"data": {f"delete{_cap(obj.plural)}": [self.materialize(obj, r) for r in records]}}

    def restore_one(self, obj: ObjectMeta, record_id: str) -> dict[str, Any]:
        """``PATCH /rest/{plural}/{id}/restore``: clears deletedAt, all fields come back."""
        self._check_id(record_id)
        self.check_writable(obj)
        with self.db.transaction():
            data = self._load(obj, [record_id], include_deleted=True).get(record_id)
            if data is None:
                raise not_found()
            data["deletedAt"] = None
            data["updatedAt"] = now_iso()
            self._write(obj, [], [data])
        return {"data": {f"restore{_cap(obj.singular)}": self.materialize(obj, data)}}

    def restore_many(self, obj: ObjectMeta, params: dict[str, str]) -> dict[str, Any]:
        """``PATCH /rest/{plural}/restore?filter=…``."""
        self.check_writable(obj)
        if not params.get("filter"):
            raise bad_request("Filters are mandatory for bulk restore operations")
        with self.db.transaction():
            ids = self._matching_ids(obj, params["filter"], "only")
            if len(ids) > self.batch_cap:
                raise bad_request(f"Cannot restore more than {self.batch_cap} records at once")
            loaded = self._load(obj, ids, include_deleted=True)
            now = now_iso()
            records = []
            for i in ids:
                record = loaded[i]
                record["deletedAt"] = None
                record["updatedAt"] = now
                records.append(record)
            self._write(obj, [], records)
        return {"data": {f"restore{_cap(obj.plural)}": [self.materialize(obj, r) for r in records]}}

    # =========================================================================================
    # Metadata hook
    # =========================================================================================
    def rebuild_unique(self, obj: ObjectMeta, field: FieldMeta) -> None:
        """Index (or un-index) one field's values after ``isUnique`` changed; caller holds the
        transaction. Existing collisions make turning uniqueness on fail, as a Postgres index would."""
        conn = self.db.conn
        conn.execute("DELETE FROM unique_values WHERE object_id = ? AND field_key = ?", (obj.id, field.name))
        if not field.is_unique:
            return
        rows = []
        seen: set[str] = set()
        for rid, data in conn.execute("SELECT id, data FROM records WHERE object_id = ?", (obj.id,)):
            value = unique_value(field, json.loads(data))
            if value is None:
                continue
            if value in seen:
                raise _duplicate(obj, ", ".join(unique_key_paths(field)))
            seen.add(value)
            rows.append((obj.id, field.name, value, rid))
        conn.executemany("INSERT INTO unique_values(object_id, field_key, value, record_id) VALUES (?, ?, ?, ?)", rows)
