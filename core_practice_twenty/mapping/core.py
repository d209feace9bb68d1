"""What Python decides for the mapping before the compiled plans run (mapping/sql): the clock each practice keeps
its book on, which workspace member owns each doctor's tasks, and how a note names its author. The plans join
these decisions as small tables (`mapping.sql.context`); every record the map sends is made by a plan.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any

from core_practice_twenty.mapping.options import MappingOptions
from core_practice_twenty.mapping.transforms import check_email, clean, practice_timezone

Row = Mapping[str, Any]
PROVIDER_KEY_PREFIX = "provider:"
"""Providers share the people staging table with patients; their keys are namespaced so ids cannot collide."""


def natural_key(key: str) -> tuple[int, str]:
    """Order ids the way people read them (`PT9` before `PT10`)."""
    return (len(key), key)


def practice_timezones(practice_rows: Iterable[Row], options: MappingOptions) -> dict[str, tzinfo]:
    """Practice id → the zone its appointment book is kept in: its state's (the region's main zone without one)."""
    return {str(row["practice_id"]): practice_timezone(options.region, clean(row.get("state")))
            for row in practice_rows}


def zone_for(zones: Mapping[str, tzinfo] | None, practice_id: str | None, options: MappingOptions) -> tzinfo:
    if zones and practice_id and practice_id in zones:
        return zones[practice_id]
    return practice_timezone(options.region)


@dataclass
class DoctorMatch:
    """Provider id → workspace member id (or the fallback owner, or None), and one decision per provider."""

    assignees: dict[str, str | None] = field(default_factory=dict)
    fallback_member_id: str | None = None
    decisions: list[dict] = field(default_factory=list)

    def assignee_for(self, provider_id: str | None) -> str | None:
        """The member who owns a provider's tasks; an unknown or missing provider gets the fallback owner."""
        if provider_id and provider_id in self.assignees:
            return self.assignees[provider_id]
        return self.fallback_member_id


def match_doctors(rows: Sequence[Row], members: Iterable[Mapping[str, object]],
                  options: MappingOptions | None = None) -> DoctorMatch:
    """Match providers to Twenty workspace members (`[{id, userEmail}]`) by email, case-insensitively.

    No match (no email, or no member with it) → the configured fallback owner
    (options.fallback_owner_email, itself looked up among the members), else unassigned. Every
    outcome is a decision with ids only (provider id, member id, rule).
    """
    options = options or MappingOptions()
    by_email: dict[str, str] = {}
    for member in members:
        email = clean(member.get("userEmail"))
        if email and member.get("id"):
            by_email.setdefault(email.casefold(), str(member["id"]))
    match = DoctorMatch()
    fallback_email = clean(options.fallback_owner_email)
    if fallback_email:
        match.fallback_member_id = by_email.get(fallback_email.casefold())
        match.decisions.append({"kind": "fallback_owner",
                                "outcome": "found" if match.fallback_member_id else "not_a_workspace_member",
                                "workspace_member_id": match.fallback_member_id})
    for row in sorted(rows, key=lambda r: natural_key(str(r["provider_id"]))):
        provider_id = str(row["provider_id"])
        email = check_email(row.get("email")).email
        member = by_email.get(email.casefold()) if email else None
        if member:
            outcome, rule = "matched", "email"
        elif match.fallback_member_id:
            member, outcome = match.fallback_member_id, "fallback"
            rule = "no_email" if not email else "no_member_with_email"
        else:
            outcome = "unassigned"
            rule = "no_fallback_owner" if not fallback_email else "fallback_owner_not_a_member"
        match.assignees[provider_id] = member
        match.decisions.append({"kind": "doctor_member", "provider_id": provider_id, "outcome": outcome,
                                "rule": rule, "workspace_member_id": member})
    return match


def provider_display_names(rows: Sequence[Row]) -> dict[str, str]:
    """Provider id → `Dr Jane Citizen`: how a clinical note names its author."""
    names = {}
    for row in rows:
        parts = [clean(row.get(c)) for c in ("title", "first_name", "last_name")]
        names[str(row["provider_id"])] = " ".join(p for p in parts if p)
    return names


@dataclass
class CoreMapping:
    """The decisions the compiled plans read: practice id → zone, the doctors' members, provider id → name."""

    doctors: DoctorMatch
    zones: dict[str, tzinfo]
    provider_names: dict[str, str] = field(default_factory=dict)


def map_core(tables: Mapping[str, Sequence[Row]], options: MappingOptions | None = None, *,
             members: Iterable[Mapping[str, object]] = ()) -> CoreMapping:
    """The practices' zones, the providers matched with the workspace's members (`[{id, userEmail}]`) and named."""
    options = options or MappingOptions()
    providers = tables.get("providers", ())
    return CoreMapping(match_doctors(providers, members, options),
                       practice_timezones(tables.get("practices", ()), options), provider_display_names(providers))
