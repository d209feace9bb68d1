"""How an export file's bytes become text: decided for the file with evidence, line by line where it is mixed.

A practice's CSV is UTF-8 (Core Practice's own export, "CSV UTF-8" from Excel) or Windows-1252 (Excel's
plain "CSV" on a Windows PC). Both are told apart with certainty, not guessed: UTF-8 validates itself,
and a file is read as Windows-1252 only when no line of it holds UTF-8 beyond ASCII. A UTF-8 file with
some lines that are not UTF-8 (a row edited in another program and saved back) is *mixed*: re-reading the
whole file as Windows-1252 would turn every accented name into mojibake ("José" → "JosÃ©"), so the file
stays UTF-8 and only those lines are decoded as Windows-1252 and marked; landing tells validation, which
rejects them (`not_utf8`) unless the confirmed map allows such lines (`allow_cp1252_lines`: then they are
loaded and flagged `cp1252_line`).
"""

from __future__ import annotations

import copy
import csv
import io
import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

UTF8_BOM = b"\xef\xbb\xbf"
FIRST_LINES_KEPT = 8
_BLOCK = 1 << 22


class UndecodableError(ValueError):
    """A Windows-1252 file holds a byte Windows-1252 does not define (no text encoding fits)."""

    def __init__(self, line: int) -> None:
        self.line = line
        super().__init__(f"line {line} is neither UTF-8 nor Windows-1252 text")


@dataclass
class EncodingEvidence:
    """What a file's lines are, counted: the decision and why (counts and line numbers only, never text)."""

    encoding: str  # utf-8 | utf-8-sig | cp1252 | xlsx
    lines: int = 0
    non_ascii_utf8_lines: int = 0
    not_utf8_lines: int = 0
    first_not_utf8: list[int] = field(default_factory=list)
    first_undecodable: int | None = None
    ends_with_line_break: bool = True
    open_quote: bool = False
    """The file ends inside a quoted cell (an odd count of double quotes, confirmed by parsing: a literal quote
    in an unquoted cell, `5" tall`, is an odd count too but closes nothing)."""
    first_nul: int | None = None
    """First line holding a NUL byte: no text export writes one (a damaged or binary file)."""
    first_inner_bom: int | None = None
    """First line after the first that holds a byte-order mark: two files joined into one."""
    json_incomplete: str | None = None
    """A JSON export: why it does not parse to its end (None: it does, or the file is not JSON). JSON writers
    often end without a line break and escape quotes, so for JSON only the parser says whether it is complete."""
    is_json: bool = False
    """First line that is not Windows-1252 either (bytes 0x81, 0x8D, 0x8F, 0x90, 0x9D): no text encoding fits."""

    @property
    def mixed(self) -> bool:
        """UTF-8 with some lines that are not: those lines are decoded as Windows-1252 and marked."""
        return self.encoding.startswith("utf-8") and self.not_utf8_lines > 0

    def damage_message(self, file_name: str) -> str | None:
        """Bytes no export writes, named with their line and what to do; None when there are none."""
        if self.first_nul is not None:
            return (f"{file_name}, line {self.first_nul}: NUL bytes, which no CSV export writes: the file is "
                    f"damaged or is not a CSV. Export or copy {file_name} again and run again.")
        if self.first_inner_bom is not None:
            return (f"{file_name}, line {self.first_inner_bom}: a byte-order mark inside the file, where a second "
                    f"file begins: two exports were joined into one. Keep one export per file and run again.")
        return None

    @property
    def cut_off(self) -> str | None:
        """Why the file looks cut off (an interrupted download or copy), or None.

        A complete CSV closes every quoted cell, and ends with a line break when its other lines end with
        one (every export writer does); a file that stops mid-record does neither.
        """
        if self.encoding == "xlsx":
            return None
        if self.is_json:
            return self.json_incomplete
        if self.open_quote:
            return "it ends inside a quoted cell"
        if not self.ends_with_line_break and self.lines > 1:
            return "its last line has no line break, unlike every other line"
        return None

    def cut_off_message(self, file_name: str) -> str | None:
        """What a person reads when the file looks cut off: file, line, why, and what to do."""
        if not self.cut_off:
            return None
        hint = "" if self.is_json else " (If the file is complete, end its last line with a line break.)"
        return (f"{file_name}, line {self.lines}: the file looks cut off ({self.cut_off}), as an interrupted "
                f"download or copy leaves it. Copy or export {file_name} again and run again; nothing was loaded "
                f"from it.{hint}")

    def as_metadata(self) -> dict[str, object]:
        return {"encoding": self.encoding, "lines": self.lines, "utf8_non_ascii_lines": self.non_ascii_utf8_lines,
                "not_utf8_lines": self.not_utf8_lines, "first_not_utf8_lines": self.first_not_utf8}


def _blocks(path: Path) -> Iterator[bytes]:
    """The file in blocks of whole lines (each ends with b"\\n" but the last): never splits a character
    or a \\r\\n, so each block decodes on its own."""
    rest = b""
    with path.open("rb") as handle:
        while chunk := handle.read(_BLOCK):
            chunk = rest + chunk
            cut = chunk.rfind(b"\n") + 1
            if cut == 0:
                rest = chunk
                continue
            rest = chunk[cut:]
            yield chunk[:cut]
    if rest:
        yield rest


def _line_ends(data: bytes) -> int:
    """Lines `data` ends, as Python's csv reader counts them (\\r\\n, \\r and \\n: one each)."""
    return data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")


_NON_ASCII_LINE = re.compile(rb"^[^\n]*?[\x80-\xff]", re.MULTILINE)


def examine(path: Path) -> EncodingEvidence:
    """Read the file once and decide: UTF-8 (with or without BOM), Windows-1252, or UTF-8 with foreign lines.

    Whole blocks are checked in C; only a block that is not UTF-8 is looked at line by line. A wave asks about
    the same files many times (the map's gate before each object's load re-reads every header), so the answer
    is kept while the file's identity, size and modification time stay the same; any change reads it again.
    As git does with its index, a file modified in the last seconds is not kept: the clock that stamps files
    ticks coarsely, so a second write within the same tick would keep the stamp.
    """
    path = Path(path)  # examined as named (its suffix says xlsx or json), kept by the file it is
    stat = path.stat()
    key = (path.suffix.lower(), path.resolve(), stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns,
           stat.st_ctime_ns)
    kept = _EXAMINED.get(key)
    if kept is None:
        kept = _examine(path)
        settled = time.time_ns() - max(stat.st_mtime_ns, stat.st_ctime_ns) > _SETTLED_NS
        if settled:
            if len(_EXAMINED) >= _EXAMINED_KEPT:
                _EXAMINED.pop(next(iter(_EXAMINED)))
            _EXAMINED[key] = kept
    return copy.deepcopy(kept)


_EXAMINED: dict[tuple, EncodingEvidence] = {}
_EXAMINED_KEPT = 64
_SETTLED_NS = 2_000_000_000


def _examine(path: Path) -> EncodingEvidence:
    if path.suffix.lower() == ".xlsx":
        return EncodingEvidence("xlsx")
    evidence = EncodingEvidence("utf-8")
    line = 1
    ended = True
    quotes = 0
    for index, block in enumerate(_blocks(path)):
        if index == 0 and block.startswith(UTF8_BOM):
            evidence.encoding = "utf-8-sig"
            block = block[len(UTF8_BOM):]
        if evidence.first_nul is None and b"\x00" in block:
            evidence.first_nul = line + _line_ends(block[:block.index(b"\x00")])
        if evidence.first_inner_bom is None and UTF8_BOM in block:
            evidence.first_inner_bom = line + _line_ends(block[:block.index(UTF8_BOM)])
        if not block.isascii():
            try:
                block.decode("utf-8")
            except UnicodeDecodeError:
                _examine_lines(block, line, evidence)
            else:
                evidence.non_ascii_utf8_lines += len(_NON_ASCII_LINE.findall(block))
        line += _line_ends(block)
        quotes += block.count(b'"')
        ended = block.endswith((b"\n", b"\r"))
    evidence.lines = line - 1 + (0 if ended else 1)
    evidence.ends_with_line_break = ended
    if quotes % 2 and evidence.first_undecodable is None:
        evidence.open_quote = _ends_in_quotes(path, evidence.encoding)
    if evidence.not_utf8_lines and not evidence.non_ascii_utf8_lines and evidence.encoding == "utf-8":
        evidence.encoding = "cp1252"  # Windows-1252 as a whole: no line holds UTF-8 beyond ASCII
    if path.suffix.lower() == ".json":
        evidence.is_json = True
        text = path.read_text(encoding=evidence.encoding, errors="replace")
        try:
            json.loads(text)
        except json.JSONDecodeError as exc:  # the parser ran out of text: the file stops mid-document
            if exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated"):
                evidence.json_incomplete = "it ends before the JSON document does"
    return evidence


def _examine_lines(block: bytes, line: int, evidence: EncodingEvidence) -> None:
    for segment in block.splitlines(keepends=True):  # bytes split on \\n, \\r and \\r\\n only
        if not segment.isascii():
            try:
                segment.decode("utf-8")
            except UnicodeDecodeError:
                evidence.not_utf8_lines += 1
                if len(evidence.first_not_utf8) < FIRST_LINES_KEPT:
                    evidence.first_not_utf8.append(line)
                if evidence.first_undecodable is None:
                    try:
                        segment.decode("cp1252")
                    except UnicodeDecodeError:
                        evidence.first_undecodable = line
            else:
                evidence.non_ascii_utf8_lines += 1
        line += 1


def _ends_in_quotes(path: Path, encoding: str) -> bool:
    """Parse the file strictly to its end: does it stop inside a quoted cell? (Only asked when quotes are odd.)"""
    try:
        for _ in csv.reader(text_lines(path, encoding), strict=True):
            pass
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    return False


def text_lines(path: Path, encoding: str,
               on_foreign_line: Callable[[int], None] | None = None) -> Iterator[str]:
    """The file's text, one line per item as a file opened with newline="" yields them (what csv wants).

    A line of a mixed file that is not UTF-8 is decoded as Windows-1252 (bytes it does not define become
    U+FFFD) and its number is passed to `on_foreign_line`. A Windows-1252 file with a byte Windows-1252 does
    not define raises UndecodableError naming the line.
    """
    line = 1
    for index, block in enumerate(_blocks(path)):
        if index == 0 and block.startswith(UTF8_BOM) and encoding != "cp1252":
            block = block[len(UTF8_BOM):]
        codec = "cp1252" if encoding == "cp1252" else "utf-8"
        try:
            pieces = [(block.decode(codec), False)]
        except UnicodeDecodeError:
            pieces = []
            for number, segment in enumerate(block.splitlines(keepends=True), start=line):
                try:
                    pieces.append((segment.decode(codec), False))
                except UnicodeDecodeError:
                    if codec == "cp1252":
                        raise UndecodableError(number) from None
                    pieces.append((segment.decode("cp1252", errors="replace"), True))
        for text, foreign in pieces:
            for piece in io.StringIO(text, newline=""):
                if foreign and on_foreign_line is not None:
                    on_foreign_line(line)
                yield piece
                line += 1
