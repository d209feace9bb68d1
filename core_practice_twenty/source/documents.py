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
    _folders: dict[str, tuple[str, bool, bool]] = field(default_factory=dict)
    """Folder path as written → (its name on disk, a link?, a folder?)."""
    _listings: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    def _entry(self, folder: str, name: str) -> tuple[str | None, os.stat_result | None, bool]:
        """The entry of `folder` for `name` and its `lstat`: itself, else the one entry equal to it in NFC and any
        case. (None, None, True) when several fit (a person must say which), (None, None, False) when none does."""
        try:
            return name, os.lstat(os.path.join(folder, name)), False
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
        if len(fits) != 1:
            return None, None, len(fits) > 1
        try:
            return fits[0], os.lstat(os.path.join(folder, fits[0])), False
        except OSError:
            return None, None, False

    def find(self, written: str) -> Found:
        """The file a listing's path names, or why there is none (`Found.problem`, a rule name).

        One `lstat` per document and none per folder already seen (documents share a few folders); a symbolic
        link on the way is refused before its target is opened or stat'ed (it may lie outside documents/)."""
        if unsafe_path(written):  # both flavours: `..\\..\\x` as well as `../../x`
            return Found(problem="path_traversal")
        parts = [p for p in written.replace("\\", "/").split("/") if p and p != "."]
        if not parts:
            return Found(problem="document_missing")
        current, actual = self.root, []
        for part in parts[:-1]:
            seen = self._folders.get(os.path.join(current, part))
            if seen is None:
                name, status, ambiguous = self._entry(current, part)
                if name is None:
                    return Found(problem="document_ambiguous" if ambiguous else "document_missing")
                seen = (name, stat.S_ISLNK(status.st_mode), stat.S_ISDIR(status.st_mode))
                self._folders[os.path.join(current, part)] = seen
            name, is_link, is_dir = seen
            if is_link:
                return Found(problem="path_outside_export")
            if not is_dir:
                return Found(problem="document_missing")
            current = os.path.join(current, name)
            actual.append(name)
        name, status, ambiguous = self._entry(current, parts[-1])
        if name is None:
            return Found(problem="document_ambiguous" if ambiguous else "document_missing")
        if stat.S_ISLNK(status.st_mode):
            return Found(problem="path_outside_export")
        if not stat.S_ISREG(status.st_mode):
            return Found(problem="document_missing")
        return Found(path=os.path.join(current, name), relative="/".join([*actual, name]), size=status.st_size)


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
