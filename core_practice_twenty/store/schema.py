"""The warehouse's fixed tables, as numbered migrations applied once per DuckDB file.

One place states every table the pipeline keeps beside the per-object ones (`raw_<object>` from the export
spec, `stg_twenty_<object>` from the target model, created where those are written). A file records the
migrations it has had in `schema_version`; `apply_migrations` runs only the ones it lacks, in one
transaction, so a connection costs one small query instead of re-running every `create … if not exists`.
Migration 1 uses `if not exists` so that warehouses made before this table existed (which hold some of
these tables already) take it too. Append a migration; never edit one that has shipped.
"""

from __future__ import annotations

import duckdb

MIGRATIONS: tuple[tuple[int, str], ...] = (
    (1, """
create table if not exists migration_waves (
    wave varchar primary key,
    export_dir varchar not null,
    snapshot_id varchar not null,
    registered_at timestamp not null default current_timestamp
);
alter table migration_waves add column if not exists region varchar;
alter table migration_waves add column if not exists export_date date;
create table if not exists id_map (
    object varchar not null,          -- Twenty object (plural API name)
    source_key varchar not null,      -- Core Practice key, e.g. the practice_id
    twenty_id varchar not null,
    payload_hash varchar not null,    -- hash of the payload last sent; equal hash = unchanged
    wave varchar not null,
    run_id varchar not null,
    updated_at timestamp not null default current_timestamp,
    primary key (object, source_key)
);
create table if not exists audit_log (
    seq bigint not null,
    logged_at timestamp not null default current_timestamp,
    wave varchar not null,
    run_id varchar not null,
    object varchar not null,
    source_key varchar not null,
    twenty_id varchar,
    action varchar not null,          -- create | update | skip | reject | hold; rollback: destroy | restore
    before_state json,                -- the record as Twenty held it before an update (for rollback)
    payload_hash varchar,
    message varchar                   -- Twenty's error for a reject
);
create sequence if not exists audit_seq;
create table if not exists validation_issues (
    wave varchar not null,
    object varchar not null,
    scope varchar not null,          -- row | cross
    source_key varchar,
    source_file varchar,
    source_line integer,
    rule varchar not null,
    column_name varchar,
    severity varchar not null        -- reject | warn
);
create table if not exists held_back (
    wave varchar not null,
    stage varchar not null,           -- mapping | load
    source_object varchar not null,   -- Core Practice object (mapping) or Twenty object (load)
    source_key varchar not null,
    source_line integer,
    reason varchar not null           -- a reason code first, then ids: never values
);
create table if not exists mapping_chunks (
    wave varchar not null,
    object varchar not null,
    source_line integer not null,
    chunk integer not null
);
create table if not exists baseline_objects (
    object varchar primary key,       -- Twenty object (plural API name)
    total_count bigint not null,      -- Twenty's totalCount (live records)
    soft_deleted bigint not null,     -- soft-deleted records (they still hold unique values)
    fingerprint varchar not null,     -- hash over sorted (id, content hash)
    present boolean not null,         -- the object existed in the workspace
    taken_at timestamp not null default current_timestamp
);
create table if not exists baseline_records (
    object varchar not null,
    twenty_id varchar not null,
    content_hash varchar not null,
    primary key (object, twenty_id)
);
create table if not exists schema_changes (
    kind varchar not null,            -- object | field
    object varchar not null,          -- nameSingular
    field varchar not null,           -- field name, '' for an object
    wave varchar not null,
    recorded_at timestamp not null default current_timestamp,
    removed_at timestamp,
    primary key (kind, object, field)
);
create table if not exists sample_keys (
    wave varchar not null, source_object varchar not null, source_key varchar not null,
    primary key (wave, source_object, source_key)
);
create table if not exists wave_diffs (
    wave varchar not null, run_id varchar not null, diffed_at timestamp not null default current_timestamp,
    records bigint not null, fields bigint not null, unexpected bigint not null, passed boolean not null
);
create table if not exists sample_acceptance (
    accepted_by varchar not null, accepted_at timestamp not null, diff_run_id varchar not null
);
"""),
    (2, """
create table if not exists decisions (
    kind varchar not null,            -- changes_approved (more kinds join: see store/decisions.py)
    wave varchar not null,
    decided_by varchar not null,
    decided_at timestamp not null default current_timestamp,
    fingerprint varchar not null,     -- what was decided on (e.g. the set of changes previewed)
    detail json                       -- counts only, never values
);
"""),
    (3, """
create table if not exists twenty_clock (
    object varchar not null,
    run_id varchar not null,
    wave varchar not null,
    server_time varchar not null,     -- the latest updatedAt Twenty answered this run's writes with (its clock)
    primary key (object, run_id)
);
"""),
    (4, """
-- the suburb as its own column (NZ: a line above the town; AU: the locality): raw tables landed before it
alter table if exists raw_practices add column if not exists suburb varchar;
alter table if exists raw_patients add column if not exists patient_suburb varchar;
"""),
    (5, """
-- keys a load sent before it knew what came of them: a run killed in between leaves an intent without an
-- outcome, and the next run knows the record it finds in Twenty is the migration's own (never from timestamps)
create table if not exists sent_keys (
    object varchar not null,
    source_key varchar not null,
    run_id varchar not null,
    sent_at timestamp not null default current_timestamp
);
"""),
    (6, """
-- the chunks of patients the Python mappers read; every object is mapped by compiled plans in DuckDB now
drop table if exists mapping_chunks;
"""),
    (7, """
-- likely duplicate patients record linkage found in a wave (ids and weights; the values are in the review report)
create table if not exists likely_duplicates (
    wave varchar not null,
    patient_id varchar not null,
    other_id varchar not null,
    match_weight double not null
);
-- a person's decision on a pair, by source keys and not by wave: it holds for every later export and delta
create table if not exists duplicate_decisions (
    patient_id varchar not null,     -- merge: the patient merged into kept_id; distinct: one of the pair
    other_id varchar not null,       -- merge: kept_id; distinct: the other
    decision varchar not null,       -- merge | distinct
    decided_by varchar not null,
    decided_at timestamp not null default current_timestamp,
    primary key (patient_id, other_id)
);
"""),
)

LATEST_VERSION = MIGRATIONS[-1][0]


def schema_version(conn: duckdb.DuckDBPyConnection) -> int:
    """The newest migration this file has had (0 for a new file)."""
    # asked of the catalog first: a missing table would make DuckDB look for a Python variable of that name
    if not conn.execute("select count(*) from duckdb_tables() where schema_name = 'main' "
                        "and table_name = 'schema_version'").fetchone()[0]:
        return 0
    return conn.execute("select coalesce(max(version), 0) from main.schema_version").fetchone()[0]


def apply_migrations(conn: duckdb.DuckDBPyConnection) -> int:
    """Bring the file's fixed tables up to `LATEST_VERSION`; returns how many migrations ran."""
    current = schema_version(conn)
    pending = [(version, sql) for version, sql in MIGRATIONS if version > current]
    if not pending:
        return 0
    conn.execute("begin transaction")
    try:
        conn.execute("create table if not exists schema_version (version integer primary key, "
                     "applied_at timestamp not null default current_timestamp)")
        for version, sql in pending:
            conn.execute(sql)
            conn.execute("insert into schema_version (version) values (?)", [version])
    except BaseException:
        conn.execute("rollback")
        raise
    conn.execute("commit")
    return len(pending)
