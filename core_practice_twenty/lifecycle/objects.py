"""The order the migration's Twenty objects depend on each other, read from the target model.

`TARGET_OBJECTS` is the one table of truth for load (lineage) order; rollback and reports walk it
backwards or forwards from here instead of restating it.
"""

from __future__ import annotations

from collections.abc import Iterable

from core_practice_twenty.mapping.target_model import TARGET_OBJECTS

LINEAGE_ORDER: tuple[str, ...] = tuple(TARGET_OBJECTS)
"""Twenty object plurals in load order: parents before the records that point at them."""


def lineage_sorted(objects: Iterable[str], *, reverse: bool = False) -> list[str]:
    """`objects` in load order (or reversed: children first, as a rollback destroys them).

    An object outside the target model cannot be placed by lineage; it is treated as a leaf
    (after every known object in load order, before them when reversed).
    """
    rank = {name: i for i, name in enumerate(LINEAGE_ORDER)}
    unique = list(dict.fromkeys(objects))
    ordered = sorted(unique, key=lambda o: (rank.get(o, len(rank)), o))
    return ordered[::-1] if reverse else ordered
