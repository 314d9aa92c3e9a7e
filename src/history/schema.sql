-- strata's history: one append-only row per event. The current state of a version is the
-- fold of its rows in id order (history::fold). {schema} is replaced by the quoted schema name,
-- {table_literal} by the table's name as a string literal.
-- `step`: for a no-transaction file, the statement a row is about (1-based): `progress` = the
-- statements up to it are committed, `started` = it was sent and its outcome is not recorded,
-- a failed `apply`/`rollback` = it failed.
CREATE SCHEMA IF NOT EXISTS {schema};
CREATE TABLE IF NOT EXISTS {schema}.history (
    id          bigserial PRIMARY KEY,
    version     numeric(39, 0) NOT NULL,
    name        text NOT NULL,
    kind        text NOT NULL CONSTRAINT history_kind_check CHECK (kind IN ('apply', 'rollback', 'baseline', 'accept', 'clear', 'forget', 'progress', 'started', 'rollback-progress', 'rollback-started')),
    checksum    text,
    sql         text,
    applied_at  timestamptz NOT NULL DEFAULT now(),
    applied_by  text NOT NULL DEFAULT current_user,
    duration_ms bigint,
    success     boolean NOT NULL,
    note        text,
    step        integer
);
COMMENT ON TABLE {schema}.history IS 'strata: migration history (append-only; see strata status)';
-- A history created by an earlier strata: add what this one records.
DO $strata$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute
                   WHERE attrelid = {table_literal}::regclass AND attname = 'step') THEN
        ALTER TABLE {schema}.history ADD COLUMN step integer;
        ALTER TABLE {schema}.history DROP CONSTRAINT IF EXISTS history_kind_check;
        ALTER TABLE {schema}.history ADD CONSTRAINT history_kind_check CHECK (kind IN ('apply', 'rollback', 'baseline', 'accept', 'clear', 'forget', 'progress', 'started', 'rollback-progress', 'rollback-started'));
    END IF;
END
$strata$;
CREATE INDEX IF NOT EXISTS history_version_idx ON {schema}.history (version, id);
