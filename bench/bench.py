#!/usr/bin/env python3
"""strata's benchmarks: one subcommand per row of the README's Benchmarks table, each timed
round-robin against its floor and the peers in the same rounds (see bench/rr.py), writing
bench/RESULTS-<row>.md.

  apply   N migrations from empty: floor `psql -1 -f all.sql` (at 5,000: `psql -f all_tx.sql`,
          one transaction per file, as one transaction runs out of lock slots); strata up,
          sqlx migrate run, refinery migrate, dbmate migrate.
  status  N applied: floor `sqlx migrate info`; strata status (table and JSON), dbmate status.
  verify  N up/down pairs: floor `psql -1` of up;down;up of each migration in turn;
          strata verify-rollbacks (no peer has the command).
  kratos  verify-rollbacks on the ory-kratos corpus (346 pairs, ../shared/corpora), with
          strata up of the same files for scale.
  diff    a schema of N tables (5 indexes, a policy, half a trigger function each): floor one
          `pg_dump --schema-only`; strata diff (warm: the declared side's template exists),
          migra.
  seed    1,000,000 CSV rows: floor `psql -c "\\copy ..."`; strata seed.

Sizes: --sizes 200,1000,5000 (each subcommand has defaults). Rounds: --rounds (default 7, plus
one warm-up round). Peers come from bench/install-peers.sh (skipped with a note when absent).
usage: cargo build --release && bench/install-peers.sh && python3 bench/bench.py apply
"""
import argparse
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rr  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
STRATA = os.path.join(ROOT, "target", "release", "strata")
SHARED = os.environ.get("STRATA_SHARED_DIR", os.path.join(os.path.dirname(ROOT), "shared"))


class Server:
    """strata's local development server, started in a throwaway project (durable settings, as
    developers run it); databases are created and dropped through its `postgres` database."""

    def __init__(self, work):
        self.proj = os.path.join(work, "server")
        os.makedirs(self.proj, exist_ok=True)
        open(os.path.join(self.proj, "strata.toml"), "w").write("[auth]\nshim = false\n")
        url = rr.run([STRATA, "--quiet", "db", "start"], cwd=self.proj).strip()
        self.base = url.rsplit("/", 1)[0]
        self.admin = self.base + "/postgres"

    def url(self, db):
        return f"{self.base}/{db}"

    def psql(self, *sql, db="postgres"):
        cmd = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", self.url(db)]
        for s in sql:
            cmd += ["-c", s]
        return rr.run(cmd, env={**os.environ, "PGOPTIONS": "-c client_min_messages=warning"})

    def fresh(self, db, template=None):
        self.psql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        self.psql(f"CREATE DATABASE {db}" + (f" TEMPLATE {template}" if template else ""))
        self.psql("CHECKPOINT")

    def drop(self, db):
        self.psql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")

    def stop(self):
        rr.run([STRATA, "--quiet", "db", "stop"], cwd=self.proj, ok=(0, 1, 2))


def gen(n, out):
    rr.run([sys.executable, os.path.join(BENCH, "gen_migrations.py"), str(n), out])


def write_results(name, title, intro, sections, server):
    path = os.path.join(BENCH, f"RESULTS-{name}.md")
    with open(path, "w") as f:
        f.write(f"# {title}\n\n{intro}\n\n{rr.env_line(server.admin)}\n\n")
        f.write("\n\n".join(sections) + "\n")
    print(open(path).read())
    print(f"wrote {os.path.relpath(path, ROOT)}", file=sys.stderr)


# --- apply -------------------------------------------------------------------------------------

def bench_apply(args, srv, work):
    sections = []
    for n in args.sizes or [200, 1000, 5000]:
        d = os.path.join(work, f"apply{n}")
        gen(n, d)
        db, url = "bench_apply", srv.url("bench_apply")
        setup = lambda: srv.fresh(db)  # noqa: E731
        psql = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url]
        entries = []
        if n < 5000:
            entries.append(rr.Entry("psql -1 -f all.sql", psql + ["-1", "-f", f"{d}/all.sql"], setup))
        entries.append(rr.Entry("psql -f all_tx.sql (a transaction per file)", psql + ["-f", f"{d}/all_tx.sql"], setup))
        floor = entries[0].name
        entries.append(rr.Entry("strata up", [STRATA, "--quiet", "--database-url", url, "up"], setup, cwd=f"{d}/strata"))
        if (sqlx := rr.peer("sqlx")):
            entries.append(rr.Entry("sqlx migrate run", [sqlx, "migrate", "run", "--source", f"{d}/sqlx", "--database-url", url], setup))
        if (refinery := rr.peer("refinery")):
            entries.append(rr.Entry("refinery migrate", [refinery, "migrate", "-e", "BENCH_URL", "-p", f"{d}/refinery"], setup,
                                    env={**os.environ, "BENCH_URL": url}))
        if (dbmate := rr.peer("dbmate")):
            entries.append(rr.Entry("dbmate migrate", [dbmate, "--url", url + "?sslmode=disable", "--migrations-dir", f"{d}/dbmate",
                                                       "--no-dump-schema", "migrate"], setup))
        rounds = args.rounds if n <= 1000 else max(3, args.rounds // 2)
        rr.round_robin(entries, rounds, floor, label=f"apply {n}")
        sections.append(f"## {n} migrations from empty ({rounds} rounds + 1 warm-up)\n\n" + rr.table(entries, floor))
        srv.drop(db)
    write_results("apply", "Applying migrations from empty",
                  "`python3 bench/bench.py apply`: bench/gen_migrations.py's workload (a uuid-keyed table per migration "
                  "with an FK, a CHECK, an index, a comment; every 3rd adds a column to the previous table, every 4th a SQL "
                  "function, every 5th a trigger, every 7th RLS and a policy, every 11th an enum), each tool on a fresh "
                  "database per run.", sections, srv)


# --- status ------------------------------------------------------------------------------------

def bench_status(args, srv, work):
    sections = []
    for n in args.sizes or [100, 1000, 5000]:
        d = os.path.join(work, f"status{n}")
        gen(n, d)
        srv.fresh("bench_st")
        rr.run([STRATA, "--quiet", "--database-url", srv.url("bench_st"), "up"], cwd=f"{d}/strata")
        url = srv.url("bench_st")
        entries = []
        floor = None
        if (sqlx := rr.peer("sqlx")):
            srv.fresh("bench_st_sqlx")
            rr.run([sqlx, "migrate", "run", "--source", f"{d}/sqlx", "--database-url", srv.url("bench_st_sqlx")])
            entries.append(rr.Entry("sqlx migrate info", [sqlx, "migrate", "info", "--source", f"{d}/sqlx",
                                                          "--database-url", srv.url("bench_st_sqlx")]))
            floor = entries[0].name
        entries.append(rr.Entry("strata status (table)", [STRATA, "--database-url", url, "status"], cwd=f"{d}/strata"))
        entries.append(rr.Entry("strata status --format json", [STRATA, "--database-url", url, "--format", "json", "status"],
                                cwd=f"{d}/strata"))
        if (dbmate := rr.peer("dbmate")):
            srv.fresh("bench_st_dbmate")
            dburl = srv.url("bench_st_dbmate") + "?sslmode=disable"
            rr.run([dbmate, "--url", dburl, "--migrations-dir", f"{d}/dbmate", "--no-dump-schema", "migrate"])
            entries.append(rr.Entry("dbmate status", [dbmate, "--url", dburl, "--migrations-dir", f"{d}/dbmate", "status"]))
        floor = floor or entries[0].name
        rr.round_robin(entries, args.rounds * 3, floor, warmup=2, label=f"status {n}")
        sections.append(f"## {n} applied ({args.rounds * 3} rounds + 2 warm-up)\n\n" + rr.table(entries, floor))
        for db in ("bench_st", "bench_st_sqlx", "bench_st_dbmate"):
            srv.drop(db)
    write_results("status", "Status with every migration applied",
                  "`python3 bench/bench.py status`: the apply workload, applied; each command reads the history and "
                  "the files and prints every migration.", sections, srv)


# --- verify-rollbacks --------------------------------------------------------------------------

def bench_verify(args, srv, work):
    sections = []
    for n in args.sizes or [50, 200, 500]:
        d = os.path.join(work, f"verify{n}")
        gen(n, d)
        db, url = "bench_udu", srv.url("bench_udu")
        entries = [
            rr.Entry("psql -1 -f udu.sql (up; down; up of each migration)",
                     ["psql", "-X", "-q", "-1", "-v", "ON_ERROR_STOP=1", "-d", url, "-f", f"{d}/udu.sql"],
                     lambda: srv.fresh(db)),
            rr.Entry("strata verify-rollbacks", [STRATA, "--quiet", "verify-rollbacks", "--shadow-url", srv.admin],
                     lambda: srv.psql("CHECKPOINT"), cwd=f"{d}/strata"),
        ]
        rounds = args.rounds if n <= 200 else max(3, args.rounds // 2)
        rr.round_robin(entries, rounds, entries[0].name, label=f"verify {n}")
        sections.append(f"## {n} up/down pairs ({rounds} rounds + 1 warm-up)\n\n" + rr.table(entries, entries[0].name))
        srv.drop(db)
    write_results("verify", "verify-rollbacks",
                  "`python3 bench/bench.py verify`: the apply workload with an exact rollback per migration. The floor "
                  "applies, rolls back and re-applies each migration with psql in one transaction, without comparing "
                  "anything; strata does the same on a shadow database (its own, created and dropped inside the timed "
                  "run) and compares the schema before and after each rollback.", sections, srv)


def kratos_project(dest):
    """ory/kratos laid out as a strata project (as tests/corpora.rs does): for each version and
    direction the `.postgres.` file wins over the neutral one, `.autocommit.` files run outside a
    transaction."""
    src = os.path.join(SHARED, "corpora/ory-kratos/migrations/sql")
    if not os.path.isdir(src):
        sys.exit(f"{src} is absent: the kratos benchmark needs the shared corpora")
    chosen = {}
    for name in sorted(os.listdir(src)):
        for direction in ("up", "down"):
            if name.endswith(f".{direction}.sql"):
                stem = name[: -len(f".{direction}.sql")]
                break
        else:
            continue
        autocommit = stem.endswith(".autocommit")
        if autocommit:
            stem = stem[: -len(".autocommit")]
        base, _, dialect = stem.partition(".")
        if dialect and dialect != "postgres":
            continue
        pg = dialect == "postgres"
        key = (base, direction)
        if key in chosen and chosen[key][0] and not pg:
            continue
        text = open(os.path.join(src, name)).read()
        chosen[key] = (pg, autocommit, text)
    os.makedirs(f"{dest}/migrations", exist_ok=True)
    open(f"{dest}/strata.toml", "w").write("[auth]\nshim = false\n")
    ups = 0
    for (base, direction), (_, autocommit, text) in chosen.items():
        if autocommit:
            text = "-- strata:no-transaction\n" + text
        open(f"{dest}/migrations/{base}.{direction}.sql", "w").write(text)
        ups += direction == "up"
    return ups


def bench_kratos(args, srv, work):
    proj = os.path.join(work, "kratos")
    ups = kratos_project(proj)
    entries = [
        rr.Entry("strata up (all 346 from empty)", [STRATA, "--quiet", "--database-url", srv.url("bench_kratos"), "up"],
                 lambda: srv.fresh("bench_kratos"), cwd=proj),
        rr.Entry("strata verify-rollbacks", [STRATA, "--quiet", "verify-rollbacks", "--shadow-url", srv.admin],
                 lambda: srv.psql("CHECKPOINT"), cwd=proj, ok=(0, 1)),
    ]
    rounds = max(1, args.rounds // 2)
    rr.round_robin(entries, rounds, entries[0].name, warmup=0, label="kratos")
    out = rr.run([STRATA, "verify-rollbacks", "--shadow-url", srv.admin], cwd=proj, ok=(0, 1))
    summary = [line for line in out.splitlines() if "migration(s):" in line]
    srv.drop("bench_kratos")
    write_results("kratos", "verify-rollbacks on ory-kratos",
                  f"`python3 bench/bench.py kratos`: {ups} up/down pairs of ory/kratos (../shared/corpora), laid out as "
                  "tests/corpora.rs does. The ratio is to `strata up` of the same files in the same round (no psql "
                  "floor: ten migrations run outside a transaction).",
                  [rr.table(entries, entries[0].name), "Verdict: " + (summary[0] if summary else "(none)")], srv)


# --- diff --------------------------------------------------------------------------------------

def diff_schema(n):
    out = ["CREATE TYPE public.status AS ENUM ('new', 'active', 'closed');"]
    for i in range(n):
        t = f"public.t{i:04d}"
        ref = f"REFERENCES public.t{i - 1:04d}(id) ON DELETE SET NULL" if i > 0 else ""
        out.append(f"""CREATE TABLE {t} (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  owner_id uuid NOT NULL,
  parent_id bigint {ref},
  name text NOT NULL DEFAULT '',
  qty integer CHECK (qty >= 0),
  state public.status NOT NULL DEFAULT 'new',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz
);
CREATE INDEX t{i:04d}_owner ON {t} (owner_id, created_at);
CREATE INDEX t{i:04d}_name ON {t} (lower(name));
CREATE INDEX t{i:04d}_open ON {t} (qty) WHERE state <> 'closed';
CREATE INDEX t{i:04d}_parent ON {t} (parent_id);
ALTER TABLE {t} ENABLE ROW LEVEL SECURITY;
CREATE POLICY owner_rows ON {t} FOR ALL USING (owner_id = current_setting('app.user', true)::uuid);
COMMENT ON TABLE {t} IS 'generated table {i}';""")
        if i % 2 == 0:
            out.append(f"""CREATE FUNCTION public.touch_{i:04d}() RETURNS trigger LANGUAGE plpgsql SET search_path = '' AS $$
BEGIN NEW.updated_at := now(); RETURN NEW; END $$;
CREATE TRIGGER t{i:04d}_touch BEFORE UPDATE ON {t} FOR EACH ROW EXECUTE FUNCTION public.touch_{i:04d}();""")
    return "\n".join(out) + "\n"


def bench_diff(args, srv, work):
    sections = []
    migra = rr.peer("migra")
    srv.fresh("bench_empty")
    for n in args.sizes or [100, 500, 2000]:
        proj = os.path.join(work, f"diff{n}")
        os.makedirs(f"{proj}/migrations", exist_ok=True)
        open(f"{proj}/migrations/001_schema.sql", "w").write(diff_schema(n))
        open(f"{proj}/strata.toml", "w").write("[auth]\nshim = false\n")
        db = f"bench_diff_{n}"
        srv.fresh(db)
        url = srv.url(db)
        rr.run([STRATA, "--quiet", "--database-url", url, "up"], cwd=proj)
        entries = [
            rr.Entry("pg_dump --schema-only", ["pg_dump", "--schema-only", "-d", url, "-f", "/dev/null"]),
            rr.Entry("strata diff (warm)", [STRATA, "--quiet", "--database-url", url, "diff", "--exit-code",
                                             "--shadow-url", srv.admin], cwd=proj),
            rr.Entry("strata diff --from URL --to URL (two introspections at once)",
                     [STRATA, "--quiet", "diff", "--exit-code", "--from", url, "--to", url], cwd=proj),
            # An empty database on the other side: one introspection of the schema, plus a
            # compare that finds every object missing.
            rr.Entry("strata diff --from URL --to EMPTY (one introspection)",
                     [STRATA, "--quiet", "diff", "--from", url, "--to", srv.url("bench_empty")], cwd=proj),
        ]
        if migra:
            murl = url.replace("postgres://", "postgresql://", 1)
            entries.append(rr.Entry("migra --unsafe URL URL", [migra, "--unsafe", murl, murl]))
        rr.round_robin(entries, args.rounds, entries[0].name, label=f"diff {n}")
        counts = rr.run(["psql", "-X", "-A", "-t", "-d", url, "-c",
                         "SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                         "WHERE n.nspname = 'public') || ' relations and indexes, ' || (SELECT count(*) FROM pg_attribute a "
                         "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
                         "WHERE n.nspname = 'public' AND a.attnum > 0) || ' columns, ' || (SELECT count(*) FROM pg_policy) "
                         "|| ' policies, ' || (SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal) || ' triggers'"]).strip()
        sections.append(f"## {n} tables ({counts}; {args.rounds} rounds + 1 warm-up)\n\n" + rr.table(entries, entries[0].name))
        srv.drop(db)
    write_results("diff", "diff",
                  "`python3 bench/bench.py diff`: the project's one migration creates N tables (identity key, FK to the "
                  "previous table, check, enum column, defaults, four more indexes, RLS and a policy, a comment; every "
                  "other table a trigger and its function). `strata diff` compares the database with the declared state "
                  "(the shadow template already built: the warm-up round builds it); `--from/--to` reads the same "
                  "database twice; migra compares the database with itself.", sections, srv)


# --- seed --------------------------------------------------------------------------------------

def bench_seed(args, srv, work):
    rows = args.sizes[0] if args.sizes else 1_000_000
    proj = os.path.join(work, "seed")
    os.makedirs(f"{proj}/migrations", exist_ok=True)
    os.makedirs(f"{proj}/seeds", exist_ok=True)
    ddl = ("CREATE TABLE items (id bigint PRIMARY KEY, user_id int NOT NULL, sku text NOT NULL, qty int NOT NULL "
           "CHECK (qty > 0), price numeric(10,2) NOT NULL, note text, created_at timestamptz NOT NULL DEFAULT now());")
    open(f"{proj}/migrations/001_items.sql", "w").write(ddl + "\n")
    open(f"{proj}/strata.toml", "w").write("[auth]\nshim = false\n")
    csv = f"{proj}/seeds/001_items.csv"
    with open(csv, "w") as f:
        f.write("id,user_id,sku,qty,price,note\n")
        for i in range(1, rows + 1):
            note = '"with, comma"' if i % 10 == 0 else f"note {i}"
            f.write(f"{i},{i % 5000},SKU-{i % 997:04d},{1 + i % 9},{(i % 10000) / 100:.2f},{note}\n")
    db, url = "bench_seed", srv.url("bench_seed")

    def setup():
        srv.fresh(db)
        srv.psql(ddl, db=db)
        srv.psql("CHECKPOINT")

    entries = [
        rr.Entry("psql \\copy", ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c",
                                 f"\\copy items (id, user_id, sku, qty, price, note) FROM '{csv}' WITH (FORMAT csv, HEADER true)"],
                 setup),
        rr.Entry("strata seed", [STRATA, "--quiet", "--database-url", url, "seed"], setup, cwd=proj),
    ]
    rr.round_robin(entries, args.rounds, entries[0].name, label="seed")
    size = os.path.getsize(csv) / 1e6
    srv.drop(db)
    write_results("seed", "Seeding a CSV file",
                  f"`python3 bench/bench.py seed`: {rows:,} rows ({size:.1f} MB, 6 columns of 7, a CHECK, a primary key) "
                  "into a fresh database per run.", [rr.table(entries, entries[0].name)], srv)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=["apply", "status", "verify", "kratos", "diff", "seed"])
    ap.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], default=None)
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    if not os.access(STRATA, os.X_OK):
        sys.exit("build first: cargo build --release")
    work = tempfile.mkdtemp(prefix=f"strata-bench-{args.what}-")
    os.chmod(work, 0o755)
    srv = Server(work)
    try:
        globals()[f"bench_{args.what}"](args, srv, work)
    finally:
        srv.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
