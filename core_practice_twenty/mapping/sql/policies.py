"""The patients' cross-record policies as SQL over all patients: each one's practice, who is held back, who keeps a
shared email as primary, who may be a duplicate of whom.

Why SQL: these policies read every patient of the export at once; held in Python they were the part of mapping whose
memory grew with the export (a 500,000-patient group's projection alone took ~0.9 GB). Here they are temp tables
the patients' plan joins, and what comes out to Python is the decisions a person reads (ids and counts) and the
rows held back. Readings that need a library (an email's check, a value set's spellings, a birth date in the
region's order, Unicode case folding) run once per distinct cell (`SqlCells.lookup`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from core_practice_twenty.mapping.options import MappingOptions
from core_practice_twenty.mapping.sql import context as ctx
from core_practice_twenty.mapping.sql.cells import SqlCells
from core_practice_twenty.mapping.sql.compile import accepted, missing, warned
from core_practice_twenty.mapping.target_model import COMPANIES
from core_practice_twenty.mapping.transforms import boolean, canonical, check_email
from core_practice_twenty.store.duplicates import pending_pairs_sql
from core_practice_twenty.validation.sql_values import sql_string

PATIENTS, LINKS = "patients", "patient_practices"
SEEN = "mapping_policy_patients"
"""Every accepted patient with what the policies read of it (line, own practice, identity, email, household)."""
PRACTICES = "mapping_patient_practices"
"""patient_id → the practice that is the patient's company, the rule that chose it and how many locations it has."""
HOLDS = "mapping_patient_holds"
"""patient_id → why the patient is held back."""
OWNERS = "mapping_email_owners"
"""email → the patient who keeps it as primary, the rule that chose it, the sharers' ids."""
DUPLICATES = "mapping_duplicates"
"""patient_id → the patient it may be a duplicate of."""
TAKEN = "mapping_taken_emails"
"""Emails that are primary on a provider already (from the providers, mapped in Python: a handful)."""
HOMES = ctx.HOMES
"""patient_id → practice_id of every patient not held back: what later plans read as the patient's home."""


def _natural(key: str) -> str:
    """SQL ordering of ids the way people read them (`PT9` before `PT10`), as `mapping.core.natural_key`."""
    return f"length({key}), {key}"


def _true(text: str | None) -> str | None:
    return "true" if boolean(text) else None


@dataclass
class PatientPolicies:
    """The policies as statements: `tables` create the temp tables in order; `decisions` read them."""

    cells: list[SqlCells]
    tables: list[tuple[str, str]]
    decisions: dict[str, str]
    """Decision kind → SQL giving its rows as JSON objects (ids and counts only)."""


def patient_policies(wave: str, options: MappingOptions, sample: bool) -> PatientPolicies:
    """`decide_patients` as SQL: the rows it reads raw (ids, flags, identity) ignore the map's exclusions as it does;
    email and household cells are read through the map."""
    cells = SqlCells(PATIENTS, options)
    raw = SqlCells(PATIENTS, dataclasses.replace(options, excluded=frozenset()), alias="r")
    links = SqlCells(LINKS, options, alias="l")
    raw_links = SqlCells(LINKS, dataclasses.replace(options, excluded=frozenset()), alias="l")

    deleted = raw.lookup("policy_deleted", "is_deleted", _true)
    soft = warned(PATIENTS, "r.patient_id", wave, "soft_deleted")
    email = cells.lookup("policy_email", "email", lambda text: check_email(text).email)
    head = cells.lookup("policy_head", "family_role",
                        lambda text: "true" if canonical(PATIENTS, "family_role", text) == "Head" else None)
    seen = (f"select r.patient_id, r.source_line::bigint as line, r.practice_id as own, "
            f"({deleted}) is not null or {soft} as deleted, "
            f"{email} as email, {cells['family_head_id']} as head_id, ({head}) is not null as is_head "
            f"{accepted(PATIENTS, wave, sample)}")

    primary = raw_links.lookup("policy_primary", "is_primary", _true)
    link_rows = (f"select l.patient_id, l.practice_id, ({primary}) is not null as is_primary, "
                 f"coalesce({links.date('last_seen')}, '') as seen_on {accepted(LINKS, wave, sample, 'l')} "
                 f"and l.patient_id is not null and l.practice_id is not null")
    practices = (
        f"with links as ({link_rows}), "
        f"chosen as (select patient_id, first(practice_id order by {_natural('practice_id')}) "
        f"filter (where is_primary) as primary_id, count(distinct practice_id) filter (where is_primary) as primaries, "
        f"first(practice_id order by seen_on desc, practice_id desc) as latest from links group by patient_id), "
        f"located as (select patient_id, count(distinct practice_id) as n from (select patient_id, practice_id from "
        f"links union select patient_id, own from {SEEN} where own is not null) group by patient_id) "
        f"select s.patient_id, s.line, coalesce(c.primary_id, s.own, c.latest) as practice_id, "
        f"case when c.primary_id is not null then case when c.primaries = 1 then 'is_primary' "
        f"else 'several_primary_first_by_id' end when s.own is not null then 'patients.practice_id' "
        f"else 'latest_link' end as rule, coalesce(o.n, 0) as locations from {SEEN} s "
        f"left join chosen c on c.patient_id = s.patient_id left join located o on o.patient_id = s.patient_id "
        f"where coalesce(c.primary_id, s.own, c.latest) is not null")
    orphan = "'orphan_patient: no practice_id and no patient_practices row'"
    holds = (
        f"select patient_id, reason from (select s.patient_id, array_to_string(list_filter(["
        f"(select 'merged_into:' || m.kept_id from {ctx.MERGES} m where m.patient_id = s.patient_id), "
        f"case when s.deleted then 'soft_deleted' end, case when p.practice_id is null then {orphan} else "
        f"{missing(COMPANIES.name_plural, 'p.practice_id', wave)} end], lambda x: x is not null), '; ') as reason "
        f"from {SEEN} s left join {PRACTICES} p on p.patient_id = s.patient_id) where reason <> ''")
    pairs = f"select patient_id as a, other_id as b, match_weight as w from ({pending_pairs_sql(sql_string(wave))})"
    duplicates = (  # linkage's pairs no one has decided on yet: each patient points at its likeliest other
        f"select a as patient_id, first(b order by w desc, {_natural('b')}) as original from (select a, b, w "
        f"from ({pairs}) union all select b, a, w from ({pairs})) group by a")
    sharers = (f"select patient_id as k, email, head_id, is_head from {SEEN} where email is not null and "
               f"patient_id not in (select patient_id from {HOLDS}) and email not in (select email from {TAKEN})")
    owners = (
        f"with s as ({sharers}), "
        f"named as (select p.email, first(p.head_id order by p.pointed desc, {_natural('p.head_id')}) as head "
        f"from (select email, head_id, count(*) as pointed from s where head_id is not null and head_id <> k "
        f"group by email, head_id) p where exists (select 1 from s where s.email = p.email and s.k = p.head_id) "
        f"group by p.email), "
        f"g as (select email, list(distinct k order by {_natural('k')}) as keys, "
        f"list(distinct k order by {_natural('k')}) filter (where is_head) as heads from s group by email) "
        f"select g.email, case when len(g.keys) = 1 then g.keys[1] when n.head is not null then n.head "
        f"when len(g.heads) = 1 then g.heads[1] else g.keys[1] end as owner, "
        f"case when len(g.keys) = 1 then null when n.head is not null then 'family_head' "
        f"when len(g.heads) = 1 then 'family_role_head' else 'first_by_id' end as rule, g.keys "
        f"from g left join named n on n.email = g.email")
    homes = (f"select patient_id, practice_id from {PRACTICES} where patient_id not in "
             f"(select patient_id from {HOLDS})")
    decisions = {
        "primary_practice": (
            f"select json_object('kind', 'primary_practice', 'patient_id', patient_id, 'practice_id', practice_id, "
            f"'rule', rule, 'locations', locations) from {PRACTICES} where locations > 1 or rule not in "
            f"('is_primary', 'patients.practice_id') order by line"),
        "shared_email_owner": (
            f"select json_object('kind', 'shared_email_owner', 'owner', owner, 'rule', rule, 'others', "
            f"list_filter(keys, lambda k: k <> owner), 'sharers', len(keys)) from {OWNERS} where rule is not null "
            f"order by {_natural('owner')}"),
    }
    return PatientPolicies(
        cells=[cells, raw, links, raw_links],
        tables=[(SEEN, seen), (PRACTICES, practices), (HOLDS, holds), (DUPLICATES, duplicates), (OWNERS, owners),
                (HOMES, homes)],
        decisions=decisions,
    )
