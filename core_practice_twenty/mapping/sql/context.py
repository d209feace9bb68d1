"""What the core objects decided, as tables the compiled plans join: zones, homes, doctors, names, hold-backs.

The practices are mapped first, in Python, and the providers matched with workspace members there; every compiled
plan only reads those decisions (zones, assignees, author names, hold-backs). Here they become small tables (one
row per practice or provider), registered beside the raw tables for one mapping.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from core_practice_twenty.mapping.core import CoreMapping, zone_for
from core_practice_twenty.mapping.options import MappingOptions
from core_practice_twenty.validation.context import DEFAULT_MAX_UPLOAD_BYTES

ZONES = "mapping_zones"
"""practice_id → the IANA zone its book is kept in."""
HOMES = "mapping_homes"
"""patient_id → the practice id of the patient's primary practice (their company): made by the patients' policies
(`mapping.sql.policies`), not registered here."""
ASSIGNEES = "mapping_assignees"
"""provider_id → the workspace member who owns the provider's tasks (NULL: none)."""
PROVIDER_NAMES = "mapping_provider_names"
"""provider_id → `Dr Jane Citizen`."""
MERGES = "mapping_merges"
"""patient_id → the patient a person merged it into (`cpt duplicates decide`), chains followed to the end."""
ONLY = "mapping_only"
"""(source object, source key): the rows a sample wave keeps (absent: every row)."""


@dataclass(frozen=True)
class MappingContext:
    """The core's decisions for the compiled plans, plus the zone of a record whose practice is unknown."""

    tables: dict[str, dict[str, list]]
    default_zone: str
    fallback_member_id: str | None
    sample: bool
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    """A document over it is staged for reference, not uploaded."""


def _zone_name(zone: object) -> str:
    return str(getattr(zone, "key", zone))


def mapping_context(core: CoreMapping, options: MappingOptions, only: Mapping[str, set[str]] | None = None,
                    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
                    merges: Mapping[str, str] | None = None) -> MappingContext:
    """The core's decisions as column lists (one dict of columns per table)."""
    zones = core.zones
    sample = [(obj, key) for obj, keys in (only or {}).items() for key in keys]
    assignees = core.doctors.assignees
    tables = {
        ZONES: {"practice_id": list(zones), "zone": [_zone_name(z) for z in zones.values()]},
        ASSIGNEES: {"provider_id": list(assignees), "member_id": list(assignees.values())},
        PROVIDER_NAMES: {"provider_id": list(core.provider_names), "name": list(core.provider_names.values())},
        ONLY: {"object": [s[0] for s in sample], "source_key": [s[1] for s in sample]},
        MERGES: {"patient_id": list(merges or {}), "kept_id": list((merges or {}).values())},
    }
    return MappingContext(tables, _zone_name(zone_for(None, None, options)), core.doctors.fallback_member_id,
                          only is not None, max_upload_bytes)
