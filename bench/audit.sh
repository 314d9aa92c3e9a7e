#!/usr/bin/env bash
# Benchmark of `strata audit`:
#   1. `audit` and `audit --probe` on 1,000 tables with 3,000 policies (each table: uuid key,
#      owner column referencing auth.users, an index on it for half of them, RLS on,
#      SELECT/INSERT/UPDATE policies on the owner), with an access contract (owner-only by
#      default, two listed users) and 4 rows per table (2 per user);
#   2. `audit --probe` on 100 owner tables holding rows of two users (1,000 rows each).
# The probe's cost per table and principal is read from its JSON report (`probe.cost`).
# Each is run RUNS times (default 5) after one warm-up; the median and the minimum wall-clock
# times are printed, with the sizes, as a Markdown table.
#
# usage: bench/audit.sh [RUNS]
# Needs: cargo, PostgreSQL server binaries (initdb/pg_ctl, found by strata), psql.
# The schema is created by `strata up` on strata's own local development database in a
# throwaway project (so the auth shim is installed the way users get it); the server is
# stopped and the project removed at the end.
set -euo pipefail

RUNS="${1:-5}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
STRATA="$ROOT/target/release/strata"

(cd "$ROOT" && cargo build --release --quiet)

WORK="$(mktemp -d /tmp/strata-audit-bench-XXXXXX)"
chmod 755 "$WORK"
cleanup() {
    (cd "$WORK/big" 2>/dev/null && "$STRATA" --quiet db stop >/dev/null 2>&1) || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# --- project 1: 1,000 tables, 3,000 policies --------------------------------------------------
mkdir -p "$WORK/big/migrations"
cat >"$WORK/big/strata.toml" <<'EOF'
[auth]
model = "supabase"
shim = true
EOF
cat >"$WORK/big/migrations/001_tables.sql" <<'EOF'
-- 1,000 owner tables (FK to auth.users), RLS on, 3 policies each
DO $$
BEGIN
  FOR i IN 1..1000 LOOP
    EXECUTE format('CREATE TABLE public.t%s (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                      user_id uuid NOT NULL REFERENCES auth.users (id), body text,
                      created_at timestamptz NOT NULL DEFAULT now())', i);
    IF i % 2 = 0 THEN
      EXECUTE format('CREATE INDEX t%s_user_id_idx ON public.t%s (user_id)', i, i);
    END IF;
    EXECUTE format('ALTER TABLE public.t%s ENABLE ROW LEVEL SECURITY', i);
    EXECUTE format('CREATE POLICY t%s_select ON public.t%s FOR SELECT TO authenticated
                      USING (user_id = (SELECT auth.uid()))', i, i);
    EXECUTE format('CREATE POLICY t%s_insert ON public.t%s FOR INSERT TO authenticated
                      WITH CHECK (user_id = (SELECT auth.uid()))', i, i);
    EXECUTE format('CREATE POLICY t%s_update ON public.t%s FOR UPDATE TO authenticated
                      USING (auth.uid() = user_id) WITH CHECK (auth.uid() = user_id)', i, i);
  END LOOP;
END $$;
EOF

mkdir -p "$WORK/big/policies"
cat >"$WORK/big/policies/access.toml" <<'EOF2'
[principals]
users = ["a0000000-0000-4000-8000-00000000000a", "b0000000-0000-4000-8000-00000000000b"]

[defaults]          # every table: its owner (the column referencing auth.users) only
read = "owner"
insert = "owner"
update = "owner"
delete = "none"
EOF2

URL="$(cd "$WORK/big" && "$STRATA" --quiet db start)"
ADMIN="${URL%/*}/postgres"
BIG="${URL%/*}/audit_big"
PROBE="${URL%/*}/audit_probe"
for db in audit_big audit_probe; do
    psql -X -q -d "$ADMIN" -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
done
(cd "$WORK/big" && "$STRATA" --quiet --database-url "$BIG" up >/dev/null)
psql -X -q -d "$BIG" -v ON_ERROR_STOP=1 <<'EOF2'
INSERT INTO auth.users (id, email) VALUES
  ('a0000000-0000-4000-8000-00000000000a', 'a@example.com'),
  ('b0000000-0000-4000-8000-00000000000b', 'b@example.com');
DO $$
BEGIN
  FOR i IN 1..1000 LOOP
    EXECUTE format($f$INSERT INTO public.t%s (user_id, body)
                     SELECT u, 'row ' || g FROM generate_series(1, 2) g,
                       unnest(ARRAY['a0000000-0000-4000-8000-00000000000a'::uuid,
                                    'b0000000-0000-4000-8000-00000000000b'::uuid]) u$f$, i);
  END LOOP;
END $$;
ANALYZE;
EOF2

# --- project 2: 100 owner tables with two users' rows ----------------------------------------
mkdir -p "$WORK/probe/migrations"
cp "$WORK/big/strata.toml" "$WORK/probe/strata.toml"
cat >"$WORK/probe/migrations/001_tables.sql" <<'EOF'
-- 100 owner tables, RLS on, own-row policies for every command
DO $$
BEGIN
  FOR i IN 1..100 LOOP
    EXECUTE format('CREATE TABLE public.p%s (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                      user_id uuid NOT NULL REFERENCES auth.users (id), body text,
                      created_at timestamptz NOT NULL DEFAULT now())', i);
    EXECUTE format('CREATE INDEX p%s_user_id_idx ON public.p%s (user_id)', i, i);
    EXECUTE format('ALTER TABLE public.p%s ENABLE ROW LEVEL SECURITY', i);
    EXECUTE format('CREATE POLICY p%s_own ON public.p%s FOR ALL TO authenticated
                      USING (user_id = (SELECT auth.uid())) WITH CHECK (user_id = (SELECT auth.uid()))', i, i);
  END LOOP;
END $$;
EOF
(cd "$WORK/probe" && "$STRATA" --quiet --database-url "$PROBE" up >/dev/null)
psql -X -q -d "$PROBE" -v ON_ERROR_STOP=1 <<'EOF'
INSERT INTO auth.users (id, email) VALUES
  ('a0000000-0000-4000-8000-00000000000a', 'a@example.com'),
  ('b0000000-0000-4000-8000-00000000000b', 'b@example.com');
DO $$
BEGIN
  FOR i IN 1..100 LOOP
    EXECUTE format($f$INSERT INTO public.p%s (user_id, body)
                     SELECT CASE WHEN mod(g, 2) = 0 THEN 'a0000000-0000-4000-8000-00000000000a'::uuid
                                 ELSE 'b0000000-0000-4000-8000-00000000000b'::uuid END,
                            'row ' || g
                       FROM generate_series(1, 1000) g$f$, i);
  END LOOP;
END $$;
ANALYZE;
EOF

# --- timing -----------------------------------------------------------------------------------
# Runs "$@" RUNS times (after one warm-up); prints "median min" in seconds. Exit status 0 or 1
# (findings / leaks) both count as a completed run.
time_runs() {
    local t0 t1 times=()
    "$@" >/dev/null 2>&1 || [ $? -eq 1 ]
    for _ in $(seq "$RUNS"); do
        t0=$(date +%s.%N)
        "$@" >/dev/null 2>&1 || [ $? -eq 1 ]
        t1=$(date +%s.%N)
        times+=("$(echo "$t1 - $t0" | bc -l)")
    done
    printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {printf "%.3f %.3f\n", (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2), a[1]}'
}

cd "$WORK/big"
read -r A_MED A_MIN < <(time_runs "$STRATA" --database-url "$BIG" audit)
read -r J_MED J_MIN < <(time_runs "$STRATA" --database-url "$BIG" --format json audit)
TABLES=$(psql -X -A -t -d "$BIG" -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
POLICIES=$(psql -X -A -t -d "$BIG" -c "SELECT count(*) FROM pg_policies WHERE schemaname = 'public'")
FINDINGS=$("$STRATA" --database-url "$BIG" --format json audit 2>/dev/null | grep -c '"severity"' || true)
read -r B_MED B_MIN < <(RUNS=$(( RUNS < 3 ? RUNS : 3 )) time_runs "$STRATA" --database-url "$BIG" audit --probe)
# The probe's own account of its cost, from one JSON run.
COST=$("$STRATA" --database-url "$BIG" --format json audit --probe 2>/dev/null | python3 -c '
import json, sys
p = json.load(sys.stdin)["probe"]; c = p["cost"]
print(f"{c[\"tables\"]} tables x {c[\"principals\"]} principals, {c[\"attempts\"]} attempts, {c[\"statements\"]} statements, {len(p[\"leaks\"])} leaks: {c[\"elapsed_ms\"]} ms, {c[\"ms_per_table_principal\"]:.2f} ms per table and principal")')

cd "$WORK/probe"
read -r P_MED P_MIN < <(time_runs "$STRATA" --database-url "$PROBE" audit --probe)
read -r N_MED N_MIN < <(time_runs "$STRATA" --database-url "$PROBE" audit)
PROBED=$("$STRATA" --database-url "$PROBE" --format json audit --probe 2>/dev/null | python3 -c '
import json, sys
p = json.load(sys.stdin)["probe"]; c = p["cost"]
print(f"{c[\"tables\"]} tables x {c[\"principals\"]} principals, {len(p[\"leaks\"])} leaks, {c[\"ms_per_table_principal\"]:.2f} ms per table and principal")')
ROWS=$(psql -X -A -t -d "$PROBE" -c "SELECT sum(n_live_tup) FROM pg_stat_user_tables WHERE schemaname = 'public'")

PGV=$(psql -X -A -t -d "$ADMIN" -c "SHOW server_version")
cat <<EOF
| run | size | median (s) | min (s) |
|---|---|---|---|
| \`audit\` (text) | $TABLES tables, $POLICIES policies, $FINDINGS findings | $A_MED | $A_MIN |
| \`audit --format json\` | same | $J_MED | $J_MIN |
| \`audit --probe\` | same, 4,000 rows, contract: $COST | $B_MED | $B_MIN |
| \`audit\` (no probe) | 100 owner tables, $ROWS rows | $N_MED | $N_MIN |
| \`audit --probe\` | 100 owner tables, $ROWS rows: $PROBED | $P_MED | $P_MIN |

PostgreSQL $PGV, $(nproc) CPU(s), $RUNS runs after one warm-up, release build, local TCP.
EOF
