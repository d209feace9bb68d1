"""Finding an export's documents on disk as Windows and Macs name them, without ever leaving documents/.

The listing (`documents.csv`) is written by Core Practice on a Windows PC (`xrays\\Scan 2019.png`), the folder may
have been copied through a Mac (names in Unicode NFD: `José` as `Jose` + a combining accent) or typed by a person
in another case. One resolver serves validation (is the file there, the right size, inside the folder?) and the
upload (which file to send), so the two always agree. The path rules come first: an absolute, drive-qualified or
`..` path, or a symbolic link on the way, is refused before anything is opened.
"""

from __future__ import annotations

import os
import stat
import unicodedata
from dataclasses import dataclass, field
from pathlib import PurePosixPath, PureWindowsPath


def unsafe_path(relative_path: str) -> bool:
    """Absolute, drive-qualified or `..` paths could read or overwrite files outside documents/."""
    if ".." not in relative_path and ":" not in relative_path and not relative_path.startswith(("/", "\\")):
        return False  # none of the three can hold: skip the pathlib parse (135k documents in a group export)
    for flavour in (PurePosixPath(relative_path), PureWindowsPath(relative_path)):
        if flavour.is_absolute() or flavour.drive or ".." in flavour.parts:
            return True
    return False


def _folded(name: str) -> str:
    return unicodedata.normalize("NFC", name).casefold()


@dataclass
class DocumentFolder:
    """The export's documents/ folder, with what was learned of it (documents share a few folders)."""

    root: str
    _links: dict[str, bool] = field(default_factory=dict)
    _listings: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    def _entry(self, folder: str, name: str) -> tuple[str | None, bool]:
        """The name on disk in `folder` for `name`: itself, else the one entry equal to it in NFC and any case.
        (None, True) when several fit (a person must say which)."""
        try:
            os.lstat(os.path.join(folder, name))
            return name, False
        except (OSError, ValueError):
            pass
        if folder not in self._listings:
            listing: dict[str, list[str]] = {}
            try:
                for entry in os.listdir(folder):
                    listing.setdefault(_folded(entry), []).append(entry)
            except OSError:
                pass
            self._listings[folder] = listing
        fits = self._listings[folder].get(_folded(name), [])
        return (fits[0], False) if len(fits) == 1 else (None, len(fits) > 1)

    def find(self, written: str) -> Found:
        """The file a listing's path names, or why there is none (`Found.problem`, a rule name)."""
        text = written.replace("\\", "/")
        if unsafe_path(written) or unsafe_path(text):
            return Found(problem="path_traversal")
        parts = [p for p in text.split("/") if p and p != "."]
        if not parts:
            return Found(problem="document_missing")
        current, actual = self.root, []
        for position, part in enumerate(parts):
            name, ambiguous = self._entry(current, part)
            if name is None:
                return Found(problem="document_ambiguous" if ambiguous else "document_missing")
            current = os.path.join(current, name)
            actual.append(name)
            last = position == len(parts) - 1
            if not last and current in self._links:
                if self._links[current]:
                    return Found(problem="path_outside_export")
                continue
            try:
                status = os.lstat(current)
            except (OSError, ValueError):
                return Found(problem="document_missing")
            is_link = stat.S_ISLNK(status.st_mode)
            if not last:
                self._links[current] = is_link
            if is_link:  # its target may lie outside documents/: refused before it is opened or stat'ed
                return Found(problem="path_outside_export")
            if last:
                if not stat.S_ISREG(status.st_mode):
                    return Found(problem="document_missing")
                return Found(path=current, relative="/".join(actual), size=status.st_size)
        return Found(problem="document_missing")


@dataclass(frozen=True)
class Found:
    """A document found on disk (its path, its path under documents/ as named there, its size) or a problem."""

    path: str | None = None
    relative: str | None = None
    size: int = 0
    problem: str | None = None


def size_differs(found: Found, listed: str | None) -> bool:
    """An empty file, or one whose size is not the listing's: a copy that was cut off or never finished."""
    if found.path is None:
        return False
    if found.size == 0:
        return True
    text = (listed or "").strip().replace(",", "")
    return text.isdigit() and int(text) != found.size
