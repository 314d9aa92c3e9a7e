#!/usr/bin/env bash
# Benchmark: catalog introspection and `strata diff` on a generated schema of 1,000 tables
# (~5,000 indexes, 1,000 policies, 500 functions, 500 triggers), against `pg_dump
# --schema-only` of the same database and, when it installs, migra.
#
#   bench/diff.sh                 # builds strata (release), starts a throwaway server
#   TABLES=200 bench/diff.sh      # smaller
#   BENCH_URL=postgres://u@h:p/postgres bench/diff.sh   # use an existing server (creates and drops a database)
#
# Prints a markdown table of timings (best of RUNS, default 3) and ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
TABLES=${TABLES:-1000}
RUNS=${RUNS:-3}
cargo build --release --quiet
STRATA=$PWD/target/release/strata
WORK=$(mktemp -d /tmp/strata-bench-XXXXXX)
chmod 755 "$WORK"
cleanup() {
  if [[ -z "${BENCH_URL:-}" ]]; then (cd "$WORK" && "$STRATA" db stop >/dev/null 2>&1 || true); fi
  rm -rf "$WORK"
}
trap cleanup EXIT

mkdir -p "$WORK/migrations"
python3 - "$TABLES" > "$WORK/migrations/001_bench.sql" <<'PY'
import sys
n = int(sys.argv[1])
print("CREATE TYPE public.status AS ENUM ('new', 'active', 'closed');")
for i in range(n):
    t = f"public.t{i:04d}"
    ref = f"REFERENCES public.t{i-1:04d}(id) ON DELETE SET NULL" if i > 0 else ""
    print(f"""CREATE TABLE {t} (
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
        print(f"""CREATE FUNCTION public.touch_{i:04d}() RETURNS trigger LANGUAGE plpgsql SET search_path = '' AS $$
BEGIN NEW.updated_at := now(); RETURN NEW; END $$;
CREATE TRIGGER t{i:04d}_touch BEFORE UPDATE ON {t} FOR EACH ROW EXECUTE FUNCTION public.touch_{i:04d}();""")
PY
printf '[auth]\nshim = false\n' > "$WORK/strata.toml"

cd "$WORK"
if [[ -n "${BENCH_URL:-}" ]]; then
  SERVER=$BENCH_URL
else
  "$STRATA" db start >/dev/null 2>&1
  SERVER=$("$STRATA" db url 2>/dev/null | sed 's#/strata_dev$#/postgres#')
fi
DB=strata_bench_$$
PGOPTIONS="-c client_min_messages=warning" psql -X -q -d "$SERVER" -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
URL=${SERVER%/*}/$DB
trap 'psql -X -q -d "$SERVER" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true; cleanup' EXIT

now() { date +%s.%N; }
# best of RUNS, seconds
best() {
  local b=""
  for _ in $(seq "$RUNS"); do
    local s e d
    s=$(now); "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; return 1; }; e=$(now)
    d=$(echo "$e - $s" | bc -l)
    if [[ -z "$b" ]] || (( $(echo "$d < $b" | bc -l) )); then b=$d; fi
  done
  printf '%.3f' "$b"
}

s=$(now); "$STRATA" --database-url "$URL" up >/dev/null 2>&1; e=$(now)
UP=$(printf '%.3f' "$(echo "$e - $s" | bc -l)")
COUNTS=$(psql -X -At -d "$URL" -c "SELECT (SELECT count(*) FROM pg_class WHERE relkind='r' AND relnamespace='public'::regnamespace) || ' tables, ' || (SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid=i.indrelid WHERE c.relnamespace='public'::regnamespace) || ' indexes, ' || (SELECT count(*) FROM pg_policy) || ' policies, ' || (SELECT count(*) FROM pg_proc WHERE pronamespace='public'::regnamespace) || ' functions, ' || (SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal) || ' triggers'")

DUMP=$(best pg_dump --schema-only -d "$URL" -f /dev/null)
# Two introspections (live and "declared" are the same database), no shadow.
FROMTO=$(best "$STRATA" diff --exit-code --from "$URL" --to "$URL")
# Full diff, cold: the shadow template is built (every migration applied once).
psql -X -q -d "$SERVER" -c "SELECT 1" >/dev/null
s=$(now); "$STRATA" --database-url "$URL" diff --exit-code --shadow-url "$SERVER" >/dev/null 2>&1; e=$(now)
COLD=$(printf '%.3f' "$(echo "$e - $s" | bc -l)")
# Full diff, warm: the template is reused (copy, introspect both, compare).
WARM=$(best "$STRATA" --database-url "$URL" diff --exit-code --shadow-url "$SERVER")

MIGRA=""
if python3 -m venv "$WORK/venv" >/dev/null 2>&1 && "$WORK/venv/bin/pip" install -q migra psycopg2-binary "sqlalchemy<2" >/dev/null 2>&1; then
  # migra (final release 2022) needs SQLAlchemy 1.x and the postgresql:// scheme.
  MURL=${URL/postgres:\/\//postgresql://}
  MIGRA=$(best "$WORK/venv/bin/migra" --unsafe "$MURL" "$MURL" || true)
fi

ratio() { printf '%.2f' "$(echo "$1 / $2" | bc -l)"; }
echo
echo "Schema: $COUNTS (strata up: ${UP} s)"
echo
echo "| what | seconds | vs pg_dump --schema-only |"
echo "|---|---|---|"
echo "| pg_dump --schema-only | $DUMP | 1.00 |"
echo "| strata diff --from X --to X (2 introspections + compare) | $FROMTO | $(ratio "$FROMTO" "$DUMP") |"
echo "| one introspection (half of the above, upper bound) | $(printf '%.3f' "$(echo "$FROMTO / 2" | bc -l)") | $(ratio "$(echo "$FROMTO / 2" | bc -l)" "$DUMP") |"
echo "| strata diff, cold (builds the shadow template) | $COLD | $(ratio "$COLD" "$DUMP") |"
echo "| strata diff, warm (template reused) | $WARM | $(ratio "$WARM" "$DUMP") |"
if [[ -n "$MIGRA" ]]; then
  echo "| migra URL URL (2 inspections + compare) | $MIGRA | $(ratio "$MIGRA" "$DUMP") |"
else
  echo "| migra | (did not install) | |"
fi
