#!/usr/bin/env bash
# Seeds and validation suites, timed.
#
# 1. A 1,000,000-row CSV seed: `strata seed` against `psql -c "\copy ..."` of the same file into
#    the same table, round-robin: each round runs both, in a new random order, each on a freshly
#    created database (untimed: drop, create, create the table, CHECKPOINT). Each strata time is
#    divided by psql's time in the same round; the median ratio is the figure (this machine's speed
#    drifts, so only same-round comparisons mean anything). Target: within 1.2x.
# 2. 1,000 generated validation tests in 10 suites (every expectation form, a tenth with `-- as:`):
#    `strata test`, median of several runs. Target: under 2 s.
#
# usage: bench/seed.sh [ROUNDS]        (default 7; writes bench/RESULTS-suite.md)
# needs: target/release/strata (cargo build --release), PostgreSQL server binaries, psql, python3.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
STRATA="$ROOT/target/release/strata"
ROUNDS="${1:-7}"
ROWS=1000000
TESTS=1000
[ -x "$STRATA" ] || { echo "build first: cargo build --release" >&2; exit 2; }

WORK="$(mktemp -d /tmp/strata-bench-suite-XXXXXX)"
chmod 755 "$WORK"
PROJ="$WORK/proj"
mkdir -p "$PROJ/migrations" "$PROJ/seeds" "$PROJ/tests/validation"
cleanup() {
    (cd "$PROJ" && "$STRATA" --quiet db stop >/dev/null 2>&1) || true
    rm -rf "$WORK"
}
trap cleanup EXIT

DDL="CREATE TABLE items (id bigint PRIMARY KEY, user_id int NOT NULL, sku text NOT NULL, qty int NOT NULL CHECK (qty > 0), price numeric(10,2) NOT NULL, note text, created_at timestamptz NOT NULL DEFAULT now());"
echo "$DDL" > "$PROJ/migrations/001_items.sql"
printf '' > "$PROJ/strata.toml"

echo "generating $ROWS rows..." >&2
python3 - "$PROJ/seeds/001_items.csv" "$ROWS" <<'PY'
import sys
path, n = sys.argv[1], int(sys.argv[2])
with open(path, "w") as f:
    f.write("id,user_id,sku,qty,price,note\n")
    for i in range(1, n + 1):
        note = '"with, comma"' if i % 10 == 0 else f"note {i}"
        f.write(f"{i},{i % 5000},SKU-{i % 997:04d},{1 + i % 9},{(i % 10000) / 100:.2f},{note}\n")
PY
CSV="$PROJ/seeds/001_items.csv"
SIZE_MB=$(python3 -c "import os,sys; print(round(os.path.getsize(sys.argv[1])/1e6,1))" "$CSV")

# a durable local server (default settings: fsync on), as developers run it
URL="$(cd "$PROJ" && "$STRATA" --quiet db start)"
BASE="${URL%/*}"
ADMIN="$BASE/postgres"
DB="$BASE/bench"
PGVER="$(psql -X -A -t -d "$ADMIN" -c 'SHOW server_version')"

fresh() {
    psql -X -q -d "$ADMIN" -c "DROP DATABASE IF EXISTS bench WITH (FORCE)" >/dev/null 2>&1
    psql -X -q -d "$ADMIN" -c "CREATE DATABASE bench" >/dev/null
    psql -X -q -d "$DB" -c "$DDL" >/dev/null
    psql -X -q -d "$ADMIN" -c "CHECKPOINT" >/dev/null
}

now() { python3 -c 'import time; print(time.perf_counter())'; }
elapsed() { python3 -c "print(f'{$2 - $1:.3f}')"; }

run_strata() {
    (cd "$PROJ" && "$STRATA" --quiet --database-url "$DB" seed >/dev/null)
}
run_psql() {
    psql -X -q -v ON_ERROR_STOP=1 -d "$DB" \
        -c "\\copy items (id, user_id, sku, qty, price, note) FROM '$CSV' WITH (FORMAT csv, HEADER true)" >/dev/null
}
count_rows() { psql -X -A -t -d "$DB" -c "SELECT count(*) FROM items"; }

declare -a S_TIMES P_TIMES RATIOS
for ((r = 1; r <= ROUNDS; r++)); do
    order=(strata psql)
    if ((RANDOM % 2)); then order=(psql strata); fi
    for tool in "${order[@]}"; do
        fresh
        t0=$(now)
        "run_$tool"
        t1=$(now)
        [ "$(count_rows)" = "$ROWS" ] || { echo "$tool loaded $(count_rows) rows" >&2; exit 1; }
        t=$(elapsed "$t0" "$t1")
        if [ "$tool" = strata ]; then s=$t; else p=$t; fi
    done
    S_TIMES+=("$s"); P_TIMES+=("$p")
    RATIOS+=("$(python3 -c "print(f'{$s / $p:.3f}')")")
    echo "round $r: strata ${s}s  psql ${p}s  ratio ${RATIOS[-1]}" >&2
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
S_MED=$(median "${S_TIMES[@]}")
P_MED=$(median "${P_TIMES[@]}")
R_MED=$(median "${RATIOS[@]}")

# --- 1,000 validation tests --------------------------------------------------------------
echo "generating $TESTS validation tests..." >&2
rm -f "$PROJ/seeds/001_items.csv"
cat > "$PROJ/migrations/002_accounts.sql" <<'SQL'
DO $$ BEGIN CREATE ROLE bench_user NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
CREATE TABLE accounts (id int PRIMARY KEY, owner int NOT NULL, balance numeric(12,2) NOT NULL CHECK (balance >= 0));
ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;
CREATE POLICY accounts_own ON accounts USING (owner = current_setting('app.user_id', true)::int);
GRANT SELECT, UPDATE ON accounts TO bench_user;
SQL
cat > "$PROJ/strata.toml" <<'TOML'
[auth]
model = "setting"
role = "bench_user"
setting = "app.user_id"
shim = false
TOML
python3 - "$PROJ/tests/validation" "$TESTS" <<'PY'
import sys
out, n = sys.argv[1], int(sys.argv[2])
per = n // 10
for s in range(10):
    lines = ["INSERT INTO accounts SELECT g, g % 10, g FROM generate_series(1, 100) g;", ""]
    for t in range(per):
        k = s * per + t
        form = k % 5
        lines.append(f"-- test: t{k}")
        if form == 0:
            lines += ["-- expect: value 50.00", "SELECT balance FROM accounts WHERE id = 50;"]
        elif form == 1:
            lines += ["-- expect: rows 10", f"UPDATE accounts SET balance = balance + 1 WHERE owner = {k % 10};"]
        elif form == 2:
            lines += ["-- expect: error check_violation", f"UPDATE accounts SET balance = -1 WHERE id = {1 + k % 100};"]
        elif form == 3:
            lines += [f"-- as: {k % 10}", "-- expect: rows 10", "SELECT * FROM accounts;"]
        else:
            lines += ["-- expect: ok", f"INSERT INTO accounts VALUES ({1000 + k}, 1, 1);"]
        lines.append("")
    open(f"{out}/{s:02d}_bench.sql", "w").write("\n".join(lines))
PY
fresh
psql -X -q -d "$DB" -c "DROP TABLE items" >/dev/null
(cd "$PROJ" && "$STRATA" --quiet --database-url "$DB" up >/dev/null)
declare -a T_TIMES
for ((r = 1; r <= 5; r++)); do
    t0=$(now)
    (cd "$PROJ" && "$STRATA" --database-url "$DB" test > "$WORK/test.out")
    t1=$(now)
    grep -q "^$TESTS passed, 0 failed$" "$WORK/test.out" || { cat "$WORK/test.out" >&2; exit 1; }
    T_TIMES+=("$(elapsed "$t0" "$t1")")
    echo "validation run $r: ${T_TIMES[-1]}s" >&2
done
T_MED=$(median "${T_TIMES[@]}")

CPU="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') ($(nproc) cores)"
cat > "$ROOT/bench/RESULTS-suite.md" <<EOF
# Seeds and validation suites: benchmark results

Produced by \`bench/seed.sh $ROUNDS\` on $(date -u +%Y-%m-%d) — PostgreSQL $PGVER (strata's local
server, default durable settings), $CPU; strata release build.

## 1,000,000-row CSV seed ($SIZE_MB MB, 6 columns of 7, one CHECK, a primary key)

Round-robin, $ROUNDS rounds, each tool on a fresh database per round, random order; the ratio is
strata / psql within the same round.

| | median | all rounds (s) |
|---|---|---|
| \`strata seed\` (COPY streamed in 1 MiB chunks, SHA-256 while streaming, one transaction, checksum recorded) | ${S_MED} s | ${S_TIMES[*]} |
| \`psql -c "\\copy items (...) FROM file WITH (FORMAT csv, HEADER true)"\` | ${P_MED} s | ${P_TIMES[*]} |
| **ratio strata / psql (median of per-round ratios)** | **${R_MED}x** (target ≤ 1.2x) | ${RATIOS[*]} |

## $TESTS validation tests (10 suites × 100 tests, every expectation form, a fifth with \`-- as:\`)

\`strata test\` on a migrated database, 5 runs (process start, connect, parse, run, render).

| | median | all runs (s) |
|---|---|---|
| \`strata test\` | **${T_MED} s** (target < 2 s) | ${T_TIMES[*]} |
EOF
echo "wrote bench/RESULTS-suite.md" >&2
cat "$ROOT/bench/RESULTS-suite.md"
