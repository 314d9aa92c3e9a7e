#!/usr/bin/env python3
"""Writes N generated migrations in strata's layout (and sqlx/dbmate layouts) plus all.sql.

Each migration creates t<i> with a uuid primary key, 6-8 more columns, a foreign key to the
previous table, a CHECK, an index and a COMMENT; every 3rd adds a column to the previous table,
every 4th a SQL function, every 5th a plpgsql trigger, every 7th RLS and a policy, every 11th an
enum. Deterministic: the same N gives the same files.

Also writes, for every migration, its rollback (strata `rollbacks/`, dbmate `-- migrate:down`),
refinery's layout (`refinery/V{i}__name.sql`), and the floors the benchmarks time psql with:
`all.sql` (every migration, for `psql -1`), `all_tx.sql` (each migration in its own
BEGIN/COMMIT, for `psql`, the floor at sizes where one transaction runs out of lock slots) and
`udu.sql` (up; down; up of each migration in turn, for `psql -1`: the verify-rollbacks floor).

usage: gen_migrations.py N OUT_DIR
"""
import os
import sys


def migration(i: int) -> str:
    t = f"t{i:05d}"
    prev = f"t{i - 1:05d}" if i > 1 else None
    cols = [
        "id uuid PRIMARY KEY DEFAULT gen_random_uuid()",
        "name text NOT NULL",
        "amount numeric(12,2) NOT NULL DEFAULT 0 CHECK (amount >= 0)",
        "created_at timestamptz NOT NULL DEFAULT now()",
        "updated_at timestamptz NOT NULL DEFAULT now()",
        "flags int NOT NULL DEFAULT 0",
        "note text",
    ]
    if i % 2 == 0:
        cols.append("score double precision")
    if prev:
        cols.append(f"parent_id uuid REFERENCES {prev}(id) ON DELETE SET NULL")
    out = []
    if i % 11 == 0:
        out.append(f"CREATE TYPE {t}_state AS ENUM ('new', 'active', 'closed');")
        cols.append(f"state {t}_state NOT NULL DEFAULT 'new'")
    out.append(f"CREATE TABLE {t} (\n    " + ",\n    ".join(cols) + "\n);")
    out.append(f"CREATE INDEX {t}_name_idx ON {t} (name);")
    out.append(f"COMMENT ON TABLE {t} IS 'generated table {i}';")
    if prev and i % 3 == 0:
        out.append(f"ALTER TABLE {prev} ADD COLUMN extra_{i} text;")
    if i % 4 == 0:
        out.append(
            f"CREATE FUNCTION {t}_total() RETURNS numeric LANGUAGE sql STABLE AS $$ SELECT coalesce(sum(amount), 0) FROM {t} $$;"
        )
    if i % 5 == 0:
        out.append(
            f"CREATE FUNCTION {t}_touch() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  NEW.updated_at := now();\n  RETURN NEW;\nEND;\n$$;"
        )
        out.append(
            f"CREATE TRIGGER {t}_touch BEFORE UPDATE ON {t} FOR EACH ROW EXECUTE FUNCTION {t}_touch();"
        )
    if i % 7 == 0:
        out.append(f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY;")
        out.append(
            f"CREATE POLICY {t}_visible ON {t} FOR SELECT USING (flags & 1 = 0);"
        )
    return "\n".join(out) + "\n"


def rollback(i: int) -> str:
    """Undoes migration(i) exactly."""
    t = f"t{i:05d}"
    prev = f"t{i - 1:05d}" if i > 1 else None
    out = [f"DROP TABLE {t};"]
    if i % 5 == 0:
        out.append(f"DROP FUNCTION {t}_touch();")
    if i % 4 == 0:
        out.append(f"DROP FUNCTION {t}_total();")
    if prev and i % 3 == 0:
        out.append(f"ALTER TABLE {prev} DROP COLUMN extra_{i};")
    if i % 11 == 0:
        out.append(f"DROP TYPE {t}_state;")
    return "\n".join(out) + "\n"


def write(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


def main() -> None:
    n = int(sys.argv[1])
    out = sys.argv[2]
    for sub in ("strata/migrations", "strata/rollbacks", "sqlx", "dbmate", "refinery"):
        os.makedirs(os.path.join(out, sub), exist_ok=True)
    write(os.path.join(out, "strata/strata.toml"), "[auth]\nshim = false\n")
    everything, per_tx, udu = [], [], []
    for i in range(1, n + 1):
        sql, down = migration(i), rollback(i)
        everything.append(sql)
        per_tx.append("BEGIN;\n" + sql + "COMMIT;\n")
        udu.append(sql + down + sql)
        v = 20240101000000 + i
        name = f"{v}_create_t{i:05d}.sql"
        write(os.path.join(out, "strata/migrations", name), sql)
        write(os.path.join(out, "strata/rollbacks", name), down)
        write(os.path.join(out, "sqlx", name), sql)
        write(os.path.join(out, "dbmate", name), "-- migrate:up\n" + sql + "\n-- migrate:down\n" + down)
        write(os.path.join(out, "refinery", f"V{i}__create_t{i:05d}.sql"), sql)
    write(os.path.join(out, "all.sql"), "".join(everything))
    write(os.path.join(out, "all_tx.sql"), "".join(per_tx))
    write(os.path.join(out, "udu.sql"), "".join(udu))


if __name__ == "__main__":
    main()
