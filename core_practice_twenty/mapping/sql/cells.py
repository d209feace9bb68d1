"""One source row's cells in SQL, read through the map: a column the map keeps out reads as NULL.

Dates and times compile to SQL (`validation.sql_values.parse_datetime_sql`, the reading validation proves equal to
`values.parse_datetime`; zones through DuckDB's ICU). What needs Python (a value set's spellings, codes restored in
a coding system, a note's markdown) is a `Lookup`: the Python function applied once per distinct cell of the wave,
joined back by the raw cell. Raw cells are already trimmed with null spellings folded at landing, so a raw cell is
what `transforms.clean` would return.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from core_practice_twenty.mapping.options import MappingOptions
from core_practice_twenty.mapping.transforms import as_region
from core_practice_twenty.source.export_spec import EXPORT_SPEC, ColumnType
from core_practice_twenty.source.values import DATE_ORDER
from core_practice_twenty.store.raw import WHITESPACE
from core_practice_twenty.validation.sql_values import parse_datetime_sql, sql_string

UTC_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
"""`transforms.iso_datetime`'s output: seconds, UTC, a `Z`."""


def utc_instant(local: str, zone: str) -> str:
    """SQL for the UTC time (a naive TIMESTAMP) of the wall-clock `local` in `zone`, as Python's `zoneinfo` reads it.

    Python (PEP 495, fold 0) reads a time that happens twice (the hour clocks go back) or never (the hour they go
    forward) with the offset in force before the change; ICU takes the later one for a repeated time. So the time is
    tried with the offset of the day before (`e`): kept when it reads back as the same wall-clock time or when the
    time never happens, else ICU's reading stands. The lambdas evaluate `local` once.
    """
    before = f"(x - ((x - interval 1 day) - timezone('UTC', timezone({zone}, x - interval 1 day))))"
    icu = f"timezone({zone}, x)"
    return (f"list_transform([{local}], lambda x: list_transform([{before}], lambda e: "
            f"case when timezone({zone}, timezone('UTC', e)) = x or timezone({zone}, {icu}) <> x then e "
            f"else timezone('UTC', {icu}) end)[1])[1]")


_SPACE = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in WHITESPACE) + "]"
"""RE2 for what Python's `\\s` matches in a str pattern (RE2's own `\\s` is ASCII only)."""


def markdown(text: str) -> str:
    """SQL for `transforms.plain_text_markdown(text)`: the same three patterns (RE2, with Python's whitespace and
    Unicode digits spelled out), line by line, blank lines dropped, paragraphs joined by a blank line."""
    space = sql_string(WHITESPACE)
    escape = sql_string(r"([\\`*_\[\]<>|])")
    start = sql_string(rf"^({_SPACE}*)([#>+\-])({_SPACE}|$)")
    ordered = sql_string(rf"^({_SPACE}*\p{{Nd}}+)([.)])({_SPACE}|$)")
    escaped, marked = sql_string(r"\\\1"), sql_string(r"\1\\\2\3")  # RE2 rewrites: `\\` a backslash, `\1` a group
    line = (f"regexp_replace(regexp_replace(regexp_replace(rtrim(line, {space}), {escape}, {escaped}, 'g'), "
            f"{start}, {marked}), {ordered}, {marked})")
    lines = f"string_split(replace(replace({text}, chr(13) || chr(10), chr(10)), chr(13), chr(10)), chr(10))"
    kept = f"list_filter(list_transform({lines}, lambda line: {line}), lambda line: trim(line, {space}) <> '')"
    return f"nullif(array_to_string({kept}, chr(10) || chr(10)), '')"


@dataclass(frozen=True)
class Lookup:
    """A Python reading applied once per distinct cell (or combination of cells): table `name` (c0…, value).

    `cells` are SQL expressions over the source rows aliased `alias`; one cell is looked up by equality (a NULL
    cell is not read: it reads as NULL), several by `is not distinct from` (`read` gets None for an empty one).
    """

    name: str
    source_object: str
    alias: str
    cells: tuple[str, ...]
    read: Callable[..., str | None]


@dataclass
class SqlCells:
    """Cells of `source_object` in rows aliased `alias`; `lookups` collects the tables the expressions join."""

    source_object: str
    options: MappingOptions
    alias: str = "r"
    lookups: dict[str, Lookup] = field(default_factory=dict)

    def __getitem__(self, column: str) -> str:
        """The cell as text; NULL when the map keeps the column out (as `Cells` reads an excluded column)."""
        if not self.included(column):
            return "null::varchar"
        return f'{self.alias}."{column}"'

    def included(self, column: str) -> bool:
        return self.options.includes(self.source_object, column)

    @property
    def line(self) -> str:
        return f"{self.alias}.source_line"

    def extra(self, header: str) -> str:
        """A practice's own column (kept in the raw row's `extra` JSON under its header), as text."""
        path = sql_string('$."' + header.replace('"', '\\"') + '"')
        return f"nullif(json_extract_string({self.alias}.extra, {path}), '')"

    def parsed(self, column: str) -> str:
        """The cell as a TIMESTAMP, read as `values.parse_datetime` reads it for this column (NULL: unreadable)."""
        spec = EXPORT_SPEC[self.source_object].column(column)
        reading = self.options.date_reading(column)
        return parse_datetime_sql(self[column], DATE_ORDER[as_region(self.options.region)],
                                  with_time=spec.type is ColumnType.DATETIME, **reading)

    def date(self, column: str) -> str:
        """`Cells.date`: Twenty's DATE (`YYYY-MM-DD`)."""
        return f"strftime(({self.parsed(column)})::date, '%Y-%m-%d')"

    def instant(self, column: str, zone: str) -> str:
        """`Cells.instant`: a local wall-clock time read in `zone` (SQL text: an IANA name) as a UTC instant."""
        return f"strftime({utc_instant(self.parsed(column), zone)}, '{UTC_FORMAT}')"

    def original_time(self, column: str, zone: str) -> str:
        """`Cells.original_time`: the instant, NULL when the column is out, unreadable or after the export date."""
        if not self.included(column):
            return "null::varchar"
        reference = self.options.date_reading(column)["reference"]
        return (f"case when ({self.parsed(column)})::date <= date '{reference.isoformat()}' "
                f"then {self.instant(column, zone)} end")

    def lookup(self, name: str, column: str, read: Callable[[str], str | None]) -> str:
        """The column read by `read` (once per distinct cell); NULL where the cell is NULL or the column is out."""
        if not self.included(column):
            return "null::varchar"
        table = f"lookup_{self.source_object}_{name}"
        self.lookups[table] = Lookup(table, self.source_object, self.alias, (self[column],), read)
        return f"(select lk.value from {table} lk where lk.c0 = {self[column]})"

    def lookup_many(self, name: str, columns: tuple[str, ...], read: Callable[..., str | None]) -> str:
        """Several cells read together by `read(*cells)` (a column the map keeps out reads as None)."""
        table = f"lookup_{self.source_object}_{name}"
        cells = tuple(self[c] for c in columns)
        self.lookups[table] = Lookup(table, self.source_object, self.alias, cells, read)
        match = " and ".join(f"lk.c{i} is not distinct from {cell}" for i, cell in enumerate(cells))
        return f"(select lk.value from {table} lk where {match})"
