"""Likely duplicate patients by record linkage (Fellegi-Sunter, with `splink` on DuckDB), not by equal strings.

The front desk registers the same person twice: the name typed without its macron, the first and last names
swapped, the birth date typed another way, a typo. Each pair of patients that share a birth date, a name, an
email, a mobile or a Medicare number is compared field by field, and each comparison adds the log-odds its
level carries (`MODEL`: how often a true duplicate shows that level, `m`, against two different people, `u`).
Pairs whose total weight reaches `THRESHOLD_WEIGHT` are flagged for a person to decide; nothing is merged here.

The model's probabilities are set, not trained: a practice's export is too small and too clean of labels for
expectation-maximisation to be stable, and fixed weights make the same export give the same pairs on every run.
They are chosen against what separates duplicates from family members, who share a surname, an address, an
email and sometimes a birth date (twins): a first name that differs outright weighs as much against as a
matching surname weighs for. `benchmarks/linkage.py` measures precision and recall on planted and hand-made
duplicates.

Values are compared in an in-memory DuckDB that holds only the compared columns, and never leave it: the pairs
come back as patient ids and weights.
"""

from __future__ import annotations

import logging
import math
import tempfile
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from core_practice_twenty.settings import Settings
from core_practice_twenty.validation.sql_values import parse_datetime_sql

THRESHOLD_WEIGHT = 6.0
"""Match weight (log2 of the odds, prior included) from which a pair is a likely duplicate: odds of 64 to 1."""

PRIOR = 1e-5
"""How likely two patients drawn at random are one person. Fixed, not counted from the export, so a pair's
weight does not depend on how many other patients the export holds."""


def _fold(column: str) -> str:
    """A name as compared: lower case, no accents or macrons, letters and digits only (`Ngāti-Pōrou`: `ngatiporou`)."""
    return f"nullif(regexp_replace(lower(strip_accents(trim({column}))), '[^a-z0-9]', '', 'g'), '')"


def _levels(*levels: tuple[str, str, float, float]) -> list[dict]:
    return [{"sql_condition": cond, "label_for_charts": label, "m_probability": m, "u_probability": u}
            for label, cond, m, u in levels]


def _null(*columns: str) -> dict:
    return {"sql_condition": " or ".join(f"{c}_l is null or {c}_r is null" for c in columns),
            "label_for_charts": "missing", "is_null_level": True}


def _jw(column: str, at: float) -> str:
    return f"jaro_winkler_similarity({column}_l, {column}_r) >= {at}"


MODEL: dict[str, list[dict]] = {
    "first": [_null("first"), *_levels(
        ("same", "first_l = first_r", 0.82, 0.008),
        ("swapped with the last name", "first_l = last_r", 0.02, 0.0001),
        ("a typo apart", _jw("first", 0.92), 0.08, 0.003),
        ("alike", _jw("first", 0.80), 0.04, 0.03),
        ("different", "true", 0.01, 0.959))],
    "last": [_null("last"), *_levels(
        ("same", "last_l = last_r", 0.82, 0.002),
        ("swapped with the first name", "last_l = first_r", 0.02, 0.0001),
        ("a typo apart", _jw("last", 0.92), 0.10, 0.002),
        ("alike", _jw("last", 0.80), 0.03, 0.02),
        ("different", "true", 0.03, 0.976))],
    "born": [_null("born"), *_levels(
        ("same day", "born_l = born_r", 0.85, 0.0003),
        ("day and month swapped", "born_l = born_swapped_r", 0.04, 0.00005),
        ("one digit apart", "levenshtein(born_l::varchar, born_r::varchar) <= 1", 0.06, 0.004),
        ("different", "true", 0.02, 0.9957))],
    "email": [_null("email"), *_levels(
        ("same", "email_l = email_r", 0.35, 0.05),
        ("different", "true", 0.65, 0.95))],
    "mobile": [_null("mobile"), *_levels(
        ("same", "mobile_l = mobile_r", 0.45, 0.02),
        ("different", "true", 0.55, 0.98))],
    "medicare": [_null("medicare"), *_levels(
        ("same card", "medicare_l = medicare_r", 0.6, 0.01),
        ("different", "true", 0.4, 0.99))],
    "postcode": [_null("postcode"), *_levels(
        ("same", "postcode_l = postcode_r", 0.75, 0.1),
        ("different", "true", 0.25, 0.9))],
}
"""Comparison → its levels, most specific first (the first that holds decides): label, SQL on `<col>_l` and
`<col>_r`, m, u. A missing value says nothing either way. Family members share emails, phones, a Medicare card
and a postcode, so those weigh little (their `u` is what it is among people blocked together, not at random); a
Medicare number is compared by its card (ten digits: the family's), since practices often type one position for
all; a first name that differs outright weighs more against than a shared surname and birthday weigh for (twins),
unless the two also share every contact (then a person decides)."""

BLOCKS = [
    "l.born = r.born",
    "l.born = r.born_swapped",
    "l.first = r.first and l.last = r.last and year(l.born) = year(r.born)",
    "l.first = r.first and l.last = r.last and strftime(l.born, '%m-%d') = strftime(r.born, '%m-%d')",
    "l.first = r.first and l.last = r.last and (l.born is null or r.born is null)",
    "l.first = r.last and l.last = r.first",
    "l.email = r.email",
    "l.mobile = r.mobile",
    "l.medicare = r.medicare",
]
"""Which pairs are compared at all (every other pair is taken as different): any one shared exactly. A name alone
is not enough in a large group (a hundred John Smiths make five thousand pairs): it goes with the birth year, or
the birth day and month (a mistyped year), or a missing birth date."""


def compared_columns_sql(order: object) -> str:
    """The compared columns as a select list over the raw patients (alias `r`), the birth date read in the region's
    `order` as every date cell is."""
    born = f"try_cast(({parse_datetime_sql('r.date_of_birth', order)}) as date)"
    return (
        f"r.patient_id as unique_id, {_fold('r.first_name')} as first, {_fold('r.last_name')} as last, "
        f"{born} as born, case when day({born}) <= 12 then make_date(year({born}), day({born}), month({born})) "
        f"end as born_swapped, nullif(lower(trim(r.email)), '') as email, "
        f"nullif(right(regexp_replace(coalesce(r.mobile_phone, ''), '[^0-9]', '', 'g'), 9), '') as mobile, "
        f"nullif(left(regexp_replace(coalesce(r.medicare_no, ''), '[^0-9]', '', 'g'), 10), '') as medicare, "
        f"nullif(regexp_replace(coalesce(r.patient_postal_code, ''), '\\s', '', 'g'), '') as postcode")


SHARED_CONTACTS = ("email", "mobile", "medicare")
COMMON_VALUE_LIMIT = 8
"""A contact more patients share than this (the practice's own phone typed into every record, `noemail@…`, a test
number) says nothing about who a patient is: it is compared as missing. A family shares one with fewer."""


@dataclass(frozen=True)
class LikelyDuplicate:
    """Two patients linkage takes to be one person (ids and weight only)."""

    patient_id: str
    other_id: str
    match_weight: float

    @property
    def match_probability(self) -> float:
        return 1 / (1 + 2 ** -self.match_weight)


def likely_duplicates(patients: pa.Table, threshold_weight: float = THRESHOLD_WEIGHT,
                      memory_limit: str = Settings().duckdb_memory) -> list[LikelyDuplicate]:
    """The pairs of `patients` (columns of `compared_patients_sql`) at or above the threshold, strongest first.

    DuckDB's `memory_limit` bounds the comparisons' working memory (it spills to a temporary folder beyond it),
    as `CPT_DUCKDB_MEMORY` bounds the warehouse's."""
    if patients.num_rows < 2:
        return []
    from splink import DuckDBAPI, Linker, SettingsCreator
    from splink.comparison_library import CustomComparison

    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        probability_two_random_records_match=PRIOR,
        blocking_rules_to_generate_predictions=BLOCKS,
        comparisons=[CustomComparison(levels, output_column_name=name) for name, levels in MODEL.items()],
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )
    with tempfile.TemporaryDirectory(prefix="cpt-linkage-") as spill, duckdb.connect(":memory:", config={
            "memory_limit": memory_limit, "temp_directory": spill}) as conn:
        conn.register("compared_patients_arrow", patients)
        conn.execute("create table compared_patients as select * from compared_patients_arrow")
        conn.unregister("compared_patients_arrow")
        for column in SHARED_CONTACTS:  # a value many share identifies no one (a practice's number, a placeholder)
            conn.execute(f"update compared_patients set {column} = null where {column} in (select {column} from "
                         f"compared_patients group by {column} having count(*) > {COMMON_VALUE_LIMIT})")
        if not any(conn.execute(f"select 1 from compared_patients l join compared_patients r on {block} and "
                                f"l.unique_id <> r.unique_id limit 1").fetchall() for block in BLOCKS):
            return []  # no two patients share anything compared: splink's set-up (~0.3 s) would find nothing
        api = DuckDBAPI(connection=conn)
        linker = Linker(api.register("compared_patients"), settings, log_level=logging.WARNING,
                        validate_settings=True)
        predictions = linker.inference.predict(threshold_match_weight=threshold_weight, warning_mode="never")
        rows = conn.execute(
            f"select unique_id_l, unique_id_r, match_weight from {predictions.physical_name} "
            f"order by match_weight desc, unique_id_l, unique_id_r").fetchall()
    return [LikelyDuplicate(left, right, round(float(weight), 2)) for left, right, weight in rows
            if weight is not None and not math.isnan(weight)]
