"""Dirt injected at a realistic rate, and the manifest that lists every fault it injected."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

from core_practice_twenty.source.dirt import DIRT_KINDS
from core_practice_twenty.source.generator.vocabulary import HEAVY_FACTOR, REALISTIC_RATES


class DirtInjector:
    """Decides where each kind of dirt goes and writes the manifest line for every fault injected.

    Decisions use their own random stream, so turning dirt on does not reshuffle the clean data. A kind
    that has not occurred after a few of its opportunities is forced once, so that every kind shows up in
    a 200-patient export whatever the seed (the validation tests rely on it).
    """

    def __init__(self, level: str, seed: int, part: Path) -> None:
        self.level = level
        self.factor = {"none": 0.0, "realistic": 1.0, "heavy": HEAVY_FACTOR}[level]
        self.rng = random.Random(f"dirt:{seed}")
        self.seen: Counter[str] = Counter()
        self.chances: Counter[str] = Counter()
        kinds = sorted(DIRT_KINDS)
        self.force_after = {kind: 3 + index for index, kind in enumerate(kinds)}
        self.large_files = {"none": 0, "realistic": 1, "heavy": 2}[level]
        self._handle = part.open("w", encoding="utf-8", newline="\n") if level != "none" else None

    @property
    def on(self) -> bool:
        return self.level != "none"

    def roll(self, kind: str) -> bool:
        """One opportunity for `kind`; True means the caller must inject it (and record it)."""
        if not self.on:
            return False
        chance = self.chances[kind]
        self.chances[kind] += 1
        if self.rng.random() < min(0.9, REALISTIC_RATES[kind] * self.factor):
            return True
        return self.seen[kind] == 0 and chance >= self.force_after[kind]

    def want_large_file(self) -> bool:
        if self.seen["large_file"] >= self.large_files:
            return False
        self.chances["large_file"] += 1
        return self.chances["large_file"] >= 2 + 40 * self.seen["large_file"]

    def record(self, kind: str, source_key: str, other: str | None = None) -> None:
        """One fault on one row; `other`: the row it pairs with (a duplicate's first registration)."""
        assert self._handle is not None
        spec = DIRT_KINDS[kind]
        self.seen[kind] += 1
        line = {"kind": "dirt", "dirt": kind, "object": spec.object, "source_key": source_key, "column": spec.column}
        if other is not None:
            line["other"] = other
        self._handle.write(json.dumps(line, ensure_ascii=False) + "\n")

    def close(self) -> None:
        if self._handle:
            self._handle.close()

