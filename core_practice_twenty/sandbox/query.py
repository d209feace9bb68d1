"""REST query parameters: ``filter``, ``order_by``, cursors, ``limit``, ``depth`` → SQL over ``records``.

Syntax follows Twenty's REST parsers (twenty-api.md §3):
packages/twenty-server/src/engine/api/rest/input-request-parsers/{filter,order-by,limit,depth,
starting-after}-parser-utils/*.ts. Paths are resolved against the object's metadata, so custom fields
are filterable the moment they exist.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any

from core_practice_twenty.sandbox.db import FieldMeta, ObjectMeta
from core_practice_twenty.sandbox.errors import ApiError, bad_request
from core_practice_twenty.sandbox.values import (
    COMPOSITE_TYPES,
    NUMERIC_TYPES,
    normalize_domain,
    normalize_email,
    normalize_url,
    parse_datetime,
)

DIRECTIONS = ("AscNullsFirst", "AscNullsLast", "DescNullsFirst", "DescNullsLast")
OPERATORS = {
    "eq", "neq", "in", "containsAny", "is", "gt", "gte", "lt", "lte",
    "startsWith", "endsWith", "like", "ilike",
}  # fmt: skip
COND_RE = re.compile(r"^([A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z][A-Za-z0-9]*)?)\[([A-Za-z]+)\]:(.*)$", re.S)
GROUP_RE = re.compile(r"^(and|or|not)\((.*)\)$", re.S)


# ---------------------------------------------------------------------------------------------
# Paths
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Column:
    """A resolved record path: SQL expression plus the scalar type its values have."""

    path: str
    sql: str
    scalar_type: str
    field: FieldMeta | None
    subfield: str | None
    never_null: bool = False  # id and position: lets ORDER BY ride the (object_id, deleted_at,
    # position, id) index instead of sorting every row


def resolve_path(obj: ObjectMeta, path: str, *, purpose: str = "filter") -> Column:
    """Map ``emails.primaryEmail`` / ``companyId`` / ``cpPracticeId`` to a JSON expression."""
    parts = path.split(".")
    head = parts[0]
    field = obj.by_key.get(head)
    if field is None:
        raise bad_request(f"field '{head}' does not exist in '{obj.singular}' object")
    if head == "id":
        if len(parts) != 1:
            raise bad_request(f"field '{path}' does not exist in '{obj.singular}' object")
        return Column(path, "id", "UUID", field, None, never_null=True)
    if head == "position" and len(parts) == 1:
        return Column(path, "position", "POSITION", field, None, never_null=True)
    if field.is_composite:
        if len(parts) != 2:
            if purpose == "order":
                raise bad_request(
                    f"order_by on composite field '{head}' requires a sub-field, e.g. '{head}."
                    f"{next(iter(COMPOSITE_TYPES[field.type]))}'"
                )
            raise bad_request(f"'filter' invalid for '{path}': composite field needs a sub-field")
        sub = parts[1]
        sub_type = COMPOSITE_TYPES[field.type].get(sub)
        if sub_type is None:
            raise bad_request(f"field '{path}' does not exist in '{obj.singular}' object")
        return Column(path, f"json_extract(data, '$.{head}.{sub}')", sub_type, field, sub)
    if len(parts) != 1:
        raise bad_request(f"field '{path}' does not exist in '{obj.singular}' object")
    scalar = "UUID" if field.type == "RELATION" else field.type
    return Column(path, f"json_extract(data, '$.{head}')", scalar, field, None)


def _convert(column: Column, raw: str) -> Any:
    """Filter value text → typed value comparable with what json_extract returns."""
    value = _unquote(raw)
    kind = column.scalar_type
    if kind in NUMERIC_TYPES:
        try:
            number = float(value)
        except ValueError:
            raise bad_request(f"'filter' invalid: '{value}' is not a number for field '{column.path}'") from None
        return int(number) if number.is_integer() else number
    if kind == "BOOLEAN":
        if value not in ("true", "false"):
            raise bad_request(f"'filter' invalid: '{value}' is not a boolean for field '{column.path}'")
        return value == "true"
    if kind == "DATE_TIME":
        try:
            return parse_datetime(value)
        except ValueError:
            return value
    if kind == "UUID":
        return value.lower()
    if column.field is not None and column.field.type == "EMAILS" and column.subfield == "primaryEmail":
        return normalize_email(value)
    if column.field is not None and column.field.type == "LINKS" and column.subfield == "primaryLinkUrl":
        if column.field.dto.get("_domain"):
            try:
                return normalize_domain(value, column.path) or value
            except ApiError:  # not a host: matches nothing, like any other unknown value
                return value
        return normalize_url(value)
    return value


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return text[1:-1]
    return text


# ---------------------------------------------------------------------------------------------
# Filter
# ---------------------------------------------------------------------------------------------
@dataclass
class Condition:
    path: str
    op: str
    raw: str


@dataclass
class Group:
    kind: str  # and | or | not
    children: list[Condition | Group]


Node = Condition | Group


def split_top_level(text: str, what: str = "filter") -> list[str]:
    """Split on commas that are outside (), [] and double quotes."""
    parts: list[str] = []
    depth = 0
    quoted = False
    start = 0
    escaped = False
    for i, ch in enumerate(text):
        if escaped:
            escaped = False
        elif ch == "\\" and quoted:
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif quoted:
            continue
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
            if depth < 0:
                raise bad_request(f"'{what}' invalid for '{text}', too many closing brackets")
        elif ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    if depth != 0 or quoted:
        raise bad_request(f"'{what}' invalid for '{text}', missing closing bracket or quote")
    parts.append(text[start:].strip())
    if any(not p for p in parts):
        raise bad_request(f"'{what}' invalid for '{text}', empty condition")
    return parts


def parse_filter(text: str) -> Node:
    """``a[eq]:1,or(b[in]:[x,y],not(c[is]:NULL))`` → tree; root commas mean ``and``."""
    text = text.strip()
    if not text:
        raise bad_request("'filter' invalid: empty filter")
    nodes = [_parse_item(item) for item in split_top_level(text)]
    return nodes[0] if len(nodes) == 1 else Group("and", nodes)


def _parse_item(item: str) -> Node:
    group = GROUP_RE.match(item)
    if group:
        children = [_parse_item(c) for c in split_top_level(group.group(2))]
        if group.group(1) == "not" and len(children) != 1:
            raise bad_request(f"'filter' invalid for '{item}', not() takes exactly one condition")
        return Group(group.group(1), children)
    cond = COND_RE.match(item)
    if not cond:
        raise bad_request(f"'filter' invalid for '{item}', should be like 'field[op]:value'")
    path, op, raw = cond.groups()
    if op not in OPERATORS:
        raise bad_request(f"'filter' invalid for '{item}', operator '{op}' not in {', '.join(sorted(OPERATORS))}")
    return Condition(path, op, raw)


def mentions_deleted_at(node: Node) -> bool:
    """Twenty includes soft-deleted rows only when the filter itself talks about deletedAt."""
    if isinstance(node, Condition):
        return node.path == "deletedAt"
    return any(mentions_deleted_at(c) for c in node.children)


def compile_filter(obj: ObjectMeta, node: Node) -> tuple[str, list[Any]]:
    """Filter tree → SQL boolean expression with ``?`` parameters."""
    if isinstance(node, Group):
        parts = [compile_filter(obj, c) for c in node.children]
        params = [p for _, ps in parts for p in ps]
        if node.kind == "not":
            return f"NOT ({parts[0][0]})", params
        joiner = " AND " if node.kind == "and" else " OR "
        return "(" + joiner.join(f"({sql})" for sql, _ in parts) + ")", params
    column = resolve_path(obj, node.path)
    expr, op = column.sql, node.op
    if op == "is":
        value = node.raw.strip()
        if value == "NULL":
            return f"{expr} IS NULL", []
        if value == "NOT_NULL":
            return f"{expr} IS NOT NULL", []
        raise bad_request(f"'filter' invalid: 'is' takes NULL or NOT_NULL, got '{value}'")
    if op in ("in", "containsAny"):
        raw = node.raw.strip()
        if not (raw.startswith("[") and raw.endswith("]")):
            raise bad_request(f"'filter' invalid for '{node.path}[{op}]:{raw}', value should be an array '[…]'")
        inner = raw[1:-1].strip()
        items = [_convert(column, v) for v in split_top_level(inner)] if inner else []
        if not items:
            return "0", []
        marks = ", ".join("?" * len(items))
        if op == "containsAny":
            head = node.path.split(".")[0]
            return (
                f"EXISTS (SELECT 1 FROM json_each(records.data, '$.{head}') AS j WHERE j.value IN ({marks}))",
                items,
            )
        return f"{expr} IN ({marks})", items
    value = _convert(column, node.raw)
    simple = {"eq": "=", "neq": "!=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
    if op in simple:
        return f"{expr} {simple[op]} ?", [value]
    if op == "like":
        return f"{expr} LIKE ?", [value]
    if op == "ilike":
        return f"LOWER({expr}) LIKE LOWER(?)", [value]
    escaped = str(value).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    if op == "startsWith":
        return f"{expr} LIKE ? ESCAPE '\\'", [escaped + "%"]
    return f"{expr} LIKE ? ESCAPE '\\'", ["%" + escaped]  # endsWith


# ---------------------------------------------------------------------------------------------
# Ordering and cursors
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SortTerm:
    column: Column
    descending: bool
    nulls_first: bool


def parse_order_by(obj: ObjectMeta, text: str | None) -> list[SortTerm]:
    """``order_by`` → sort terms; default ``position`` then ``id``; ``id`` always last tiebreaker."""
    terms: list[SortTerm] = []
    if text:
        for item in split_top_level(text, "order_by"):
            match = re.match(r"^([A-Za-z0-9.]+)(?:\[([A-Za-z]+)\])?$", item)
            if not match:
                raise bad_request(f"'order_by' invalid for '{item}'")
            direction = match.group(2) or "AscNullsFirst"
            if direction not in DIRECTIONS:
                raise bad_request(
                    f"'order_by' direction '{direction}' invalid. Allowed values are "
                    + ", ".join(f"'{d}'" for d in DIRECTIONS)
                    + ". eg: ?order_by=field_1[AscNullsFirst],field_2[DescNullsLast],field_3"
                )
            column = resolve_path(obj, match.group(1), purpose="order")
            terms.append(SortTerm(column, direction.startswith("Desc"), direction.endswith("NullsFirst")))
    else:
        terms.append(SortTerm(resolve_path(obj, "position"), False, True))
    if not any(t.column.path == "id" for t in terms):
        terms.append(SortTerm(resolve_path(obj, "id"), False, True))
    return terms


def order_sql(terms: list[SortTerm], forward: bool, *, filtered: bool = False) -> str:
    """ORDER BY clause; nulls placement is an explicit leading term per nullable column.

    With a filter, column terms get a unary ``+`` so the planner picks the index that serves the
    WHERE clause (e.g. a unique-field expression index) instead of walking the ordered index."""
    parts = []
    for term in terms:
        sql = f"+{term.column.sql}" if filtered and term.column.never_null else term.column.sql
        desc = term.descending != (not forward)
        nulls_first = term.nulls_first if forward else not term.nulls_first
        if not term.column.never_null:
            parts.append(f"({term.column.sql} IS NULL) {'DESC' if nulls_first else 'ASC'}")
        parts.append(f"{sql} {'DESC' if desc else 'ASC'}")
    return ", ".join(parts)


def keyset_sql(terms: list[SortTerm], values: list[Any], forward: bool) -> tuple[str, list[Any]]:
    """Rows strictly after (forward) / before (backward) the cursor row in the sort order."""
    disjuncts: list[str] = []
    params: list[Any] = []
    prefix: list[str] = []
    prefix_params: list[Any] = []
    for term, value in zip(terms, values, strict=True):
        expr = term.column.sql
        # "beyond" means later in the requested direction of travel
        ascending_travel = term.descending != forward
        nulls_beyond = term.nulls_first != forward  # nulls come after non-nulls in travel order
        if value is None:
            beyond, beyond_params = (f"{expr} IS NOT NULL", []) if not nulls_beyond else ("0", [])
            equal, equal_params = f"{expr} IS NULL", []
        else:
            cmp = ">" if ascending_travel else "<"
            beyond = f"{expr} {cmp} ?" + (f" OR {expr} IS NULL" if nulls_beyond else "")
            beyond_params = [value]
            equal, equal_params = f"{expr} = ?", [value]
        if beyond != "0":
            disjuncts.append("(" + " AND ".join([*prefix, f"({beyond})"]) + ")")
            params.extend(prefix_params + beyond_params)
        prefix.append(f"({equal})")
        prefix_params.extend(equal_params)
    return ("(" + " OR ".join(disjuncts) + ")" if disjuncts else "0"), params


def encode_cursor(values: list[Any]) -> str:
    """Opaque cursor: base64 of the row's sort values (last one is the id)."""
    return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode()


def decode_cursor(text: str, terms: list[SortTerm]) -> list[Any]:
    try:
        values = json.loads(base64.urlsafe_b64decode(text.encode() + b"=" * (-len(text) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise bad_request(f"Invalid cursor '{text}'") from None
    if not isinstance(values, list) or len(values) != len(terms) or not isinstance(values[-1], str):
        raise bad_request(f"Invalid cursor '{text}'")
    if any(isinstance(v, dict | list) for v in values):
        raise bad_request(f"Invalid cursor '{text}'")
    return values


# ---------------------------------------------------------------------------------------------
# limit / depth
# ---------------------------------------------------------------------------------------------
def parse_limit(raw: str | None, default: int, maximum: int) -> int:
    """Non-integer or negative → 400; above the max → silently clamped (parse-limit-rest-request.util.ts)."""
    if raw is None:
        return min(default, maximum)
    if not re.fullmatch(r"\d+", raw.strip()):
        raise bad_request(f"limit '{raw}' is invalid. Should be an integer")
    return min(int(raw), maximum)


def parse_depth(raw: str | None) -> int:
    """0 (relations as ``xxxId``) or 1 (direct relations expanded); anything else → 400."""
    if raw is None:
        return 0
    if raw not in ("0", "1"):
        raise bad_request(f"'depth={raw}' parameter invalid. Allowed values are 0 or 1")
    return int(raw)
