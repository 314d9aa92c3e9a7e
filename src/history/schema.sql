-- strata's history: one append-only row per event. The current state of a version is the
-- fold of its rows in id order (history::fold). {schema} is replaced by the quoted schema name.
CREATE SCHEMA IF NOT EXISTS {schema};
CREATE TABLE IF NOT EXISTS {schema}.history (
    id          bigserial PRIMARY KEY,
    version     numeric(39, 0) NOT NULL,
    name        text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('apply', 'rollback', 'baseline', 'accept', 'clear')),
    checksum    text,
    sql         text,
    applied_at  timestamptz NOT NULL DEFAULT now(),
    applied_by  text NOT NULL DEFAULT current_user,
    duration_ms bigint,
    success     boolean NOT NULL,
    note        text
);
COMMENT ON TABLE {schema}.history IS 'strata: migration history (append-only; see strata status)';
