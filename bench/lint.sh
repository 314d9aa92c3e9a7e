#!/usr/bin/env bash
# Benchmark and comparison for `strata lint`.
#
#   bench/lint.sh              # timings: 100 pending migrations on a 1,000-table project
#   bench/lint.sh compare      # the acceptance cases through strata lint and squawk (table)
#   TABLES=200 PENDING=20 bench/lint.sh
#   BENCH_URL=postgres://u@h:p/postgres bench/lint.sh   # an existing server (creates and drops a database)
#
# Timings: 1,000 migrations from bench/gen_migrations.py (one table each, with indexes,
# functions, triggers, policies) are applied to a database; 100 more are pending: a mix of
# safe changes and hazards (plain and concurrent indexes, constant defaults, NOT VALID checks
# and their validation, new tables with RLS, functions, views, a backfill). `strata lint`
# judges the 100 on a shadow copy of the 1,000-migration state: cold (the template is built by
# applying the 1,000 migrations) and warm (best of RUNS, default 3). squawk 2.70.0 (pip
# squawk-cli) reads the same 100 files for reference: it parses text and
# runs nothing, so it is a floor, not a peer in kind.
# squawk is installed with pip into .cache/squawk-2.70.0 (a venv; reused by later runs).
set -euo pipefail
cd "$(dirname "$0")/.."
TABLES=${TABLES:-1000}
PENDING=${PENDING:-100}
RUNS=${RUNS:-3}
SQUAWK_VERSION=2.70.0
cargo build --release --quiet
STRATA=$PWD/target/release/strata
REPO=$PWD
WORK=$(mktemp -d /tmp/strata-lint-bench-XXXXXX)
chmod 755 "$WORK"
cleanup() {
  if [[ -z "${BENCH_URL:-}" ]]; then (cd "$WORK/project" 2>/dev/null && "$STRATA" db stop >/dev/null 2>&1 || true); fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# squawk in a venv of its own under .cache/ (git-ignored; delete it to remove squawk): the
# script changes nothing outside the repository's .cache/ and its temporary folder.
squawk_venv() {
  local venv=$REPO/.cache/squawk-$SQUAWK_VERSION
  if [[ ! -x "$venv/bin/squawk" ]]; then
    python3 -m venv "$venv" >/dev/null
    "$venv/bin/pip" install -q "squawk-cli==$SQUAWK_VERSION" >/dev/null
  fi
  SQUAWK=$venv/bin/squawk
}

mkdir -p "$WORK/project"
printf '[auth]\nshim = false\n' > "$WORK/project/strata.toml"
cd "$WORK/project"
if [[ -n "${BENCH_URL:-}" ]]; then
  SERVER=$BENCH_URL
else
  "$STRATA" db start >/dev/null 2>&1
  SERVER=$("$STRATA" db url 2>/dev/null | sed 's#/strata_dev$#/postgres#')
fi

if [[ "${1:-}" == "compare" ]]; then
  squawk_venv
  python3 "$REPO/bench/lint_compare.py" "$STRATA" "$SERVER" "$SQUAWK" "$REPO/tests/cases/lint"
  exit 0
fi

python3 "$REPO/bench/gen_migrations.py" "$TABLES" "$WORK/gen" >/dev/null
mv "$WORK/gen/strata/migrations" "$WORK/project/migrations"
python3 - "$TABLES" "$PENDING" "$WORK/project/migrations" "$WORK/pending" <<'PY'
import os, sys
tables, pending, out, copy = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
os.makedirs(copy, exist_ok=True)
step = max(1, tables // pending)
for k in range(1, pending + 1):
    t = f"t{min(tables, k * step):05d}"
    prev = f"t{min(tables, (k - 1) * step):05d}" if k > 1 else t
    kind = (k + 1) % 10
    head = "-- strata:lock-timeout 5s\n"
    if kind == 0:
        body = f"CREATE INDEX {t}_note_idx ON {t} (note);\n"
    elif kind == 1:
        head = "-- strata:no-transaction\n" + head
        body = f"CREATE INDEX CONCURRENTLY {t}_created_idx ON {t} (created_at);\n"
    elif kind == 2:
        body = f"ALTER TABLE {t} ADD COLUMN status text NOT NULL DEFAULT 'new';\n"
    elif kind == 3:
        body = f"ALTER TABLE {t} ADD CONSTRAINT {t}_flags_check CHECK (flags >= 0) NOT VALID;\n"
    elif kind == 4:
        head = "-- strata:no-transaction\n" + head
        body = f"ALTER TABLE {prev} VALIDATE CONSTRAINT {prev}_flags_check;\n"
    elif kind == 5:
        body = (f"CREATE TABLE {t}_events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
                f"  {t}_id uuid NOT NULL REFERENCES {t} (id), at timestamptz NOT NULL DEFAULT now());\n"
                f"ALTER TABLE {t}_events ENABLE ROW LEVEL SECURITY;\n"
                f"CREATE INDEX {t}_events_parent_idx ON {t}_events ({t}_id);\n")
    elif kind == 6:
        body = (f"CREATE FUNCTION {t}_count() RETURNS bigint LANGUAGE sql STABLE SECURITY DEFINER\n"
                f"  SET search_path = '' AS $$ SELECT count(*) FROM public.{t} $$;\n"
                f"REVOKE EXECUTE ON FUNCTION {t}_count() FROM PUBLIC;\n")
    elif kind == 7:
        body = f"ALTER TABLE {t} ALTER COLUMN amount TYPE numeric(14,2);\n"
    elif kind == 8:
        body = f"CREATE VIEW {t}_names WITH (security_invoker = true) AS SELECT id, name FROM {t};\n"
    else:
        body = f"UPDATE {t} SET flags = flags | 2 WHERE flags = 0;\n"
    name = f"{20240101000000 + tables + k}_change_{k:03d}.sql"
    for d in (out, copy):
        with open(os.path.join(d, name), "w") as f:
            f.write(head + body)
PY

DB=strata_lint_bench_$$
PGOPTIONS="-c client_min_messages=warning" psql -X -q -d "$SERVER" -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
URL=${SERVER%/*}/$DB
trap 'psql -X -q -d "$SERVER" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true; cleanup' EXIT
LAST_BASE=$((20240101000000 + TABLES))
"$STRATA" --database-url "$URL" up --to "$LAST_BASE" >/dev/null

now() { date +%s.%N; }
elapsed() { printf '%.3f' "$(echo "$2 - $1" | bc -l)"; }
best() {
  local b=""
  for _ in $(seq "$RUNS"); do
    local s e d
    s=$(now); "$@" >/dev/null 2>&1 || [[ $? == 1 ]] || { echo "failed: $*" >&2; return 1; }; e=$(now)
    d=$(echo "$e - $s" | bc -l)
    if [[ -z "$b" ]] || (( $(echo "$d < $b" | bc -l) )); then b=$d; fi
  done
  printf '%.3f' "$b"
}
drop_lint_templates() {
  psql -X -At -d "$SERVER" -c "SELECT datname FROM pg_database WHERE datname LIKE 'strata\_tpl\_%' AND shobj_description(oid, 'pg_database') = 'strata lint template for $WORK/project'" |
    while read -r d; do psql -X -q -d "$SERVER" -c "DROP DATABASE IF EXISTS $d WITH (FORCE)"; done
}

drop_lint_templates
s=$(now); "$STRATA" --database-url "$URL" lint --shadow-url "$SERVER" --format json > "$WORK/lint.json" || [[ $? == 1 ]]; e=$(now)
COLD=$(elapsed "$s" "$e")
WARM=$(best "$STRATA" --database-url "$URL" lint --shadow-url "$SERVER")
ONE_FILE=$(ls "$WORK/project/migrations" | tail -n "$PENDING" | head -n 1)
ONE=$(best "$STRATA" --database-url "$URL" lint "migrations/$ONE_FILE" --shadow-url "$SERVER")
psql -X -q -d "$SERVER" -c "DROP DATABASE IF EXISTS ${DB}_up" >/dev/null
s=$(now); psql -X -q -d "$SERVER" -c "CREATE DATABASE ${DB}_up TEMPLATE $DB" >/dev/null; e=$(now)
COPY=$(elapsed "$s" "$e")
s=$(now); "$STRATA" --database-url "${URL}_up" up >/dev/null; e=$(now)
UP=$(elapsed "$s" "$e")
psql -X -q -d "$SERVER" -c "DROP DATABASE IF EXISTS ${DB}_up" >/dev/null
SUMMARY=$(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); s=d['summary']; print(f\"{s['migrations']} judged: {s['errors']} errors, {s['warnings']} warnings\")" "$WORK/lint.json")

squawk_venv
SQ=$(best "$SQUAWK" --assume-in-transaction "$WORK/pending/"*.sql)

echo
echo "Project: $TABLES applied migrations ($TABLES tables), $PENDING pending. strata lint: $SUMMARY."
echo
echo "| what | seconds |"
echo "|---|---|"
echo "| strata lint, $PENDING pending, cold (builds the template: applies $TABLES migrations) | $COLD |"
echo "| strata lint, $PENDING pending, warm (template reused: one copy, then the walk) | $WARM |"
echo "| strata lint FILE, the first pending migration, warm (in place on the template, rolled back) | $ONE |"
echo "| for scale: strata up of the same $PENDING migrations | $UP |"
echo "| for scale: one CREATE DATABASE ... TEMPLATE of the $TABLES-table state | $COPY |"
echo "| squawk $SQUAWK_VERSION on the $PENDING files (text only) | $SQ |"
