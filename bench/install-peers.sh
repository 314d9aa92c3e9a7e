#!/usr/bin/env bash
# Installs the peer tools the benchmarks compare strata with, from their registries, into a
# cache directory (default ~/.cache/strata-bench; STRATA_BENCH_TOOLS overrides):
#   sqlx-cli 0.9.0 and refinery_cli 0.10.0 (cargo install), dbmate 2.36.0 (npm),
#   migra (pip, in a venv, with SQLAlchemy 1.x and psycopg2), pgTAP (Debian postgresql-15-pgtap).
# Idempotent: a tool already there is not reinstalled. A tool that fails to install is skipped
# with a printed note (the benchmarks then leave its column out); the script still exits 0.
# SKIP_CARGO=1 skips the two cargo builds (several minutes each on 2 cores).
#
# usage: bench/install-peers.sh        then: source <(bench/install-peers.sh --env)
set -uo pipefail
TOOLS="${STRATA_BENCH_TOOLS:-$HOME/.cache/strata-bench}"
if [[ "${1:-}" == "--env" ]]; then
    echo "export PATH=\"$TOOLS/bin:$TOOLS/npm/node_modules/@dbmate/linux-x64/bin:$TOOLS/venv/bin:\$PATH\""
    exit 0
fi
mkdir -p "$TOOLS/logs"
note() { echo "install-peers: $*" >&2; }

if [[ -z "${SKIP_CARGO:-}" ]]; then
    if [[ -x "$TOOLS/bin/sqlx" ]]; then note "sqlx-cli present"; else
        note "cargo install sqlx-cli 0.9.0 (log: $TOOLS/logs/sqlx.log)"
        cargo install --locked --root "$TOOLS" sqlx-cli --version 0.9.0 \
            --no-default-features --features postgres,rustls >"$TOOLS/logs/sqlx.log" 2>&1 \
            || note "sqlx-cli did not install (skipped; see the log)"
    fi
    if [[ -x "$TOOLS/bin/refinery" ]]; then note "refinery_cli present"; else
        note "cargo install refinery_cli 0.10.0 (log: $TOOLS/logs/refinery.log)"
        cargo install --locked --root "$TOOLS" refinery_cli --version 0.10.0 \
            --no-default-features --features postgresql >"$TOOLS/logs/refinery.log" 2>&1 \
            || note "refinery_cli did not install (skipped; see the log)"
    fi
fi

if [[ -x "$TOOLS/npm/node_modules/@dbmate/linux-x64/bin/dbmate" ]]; then note "dbmate present"; else
    mkdir -p "$TOOLS/npm"
    # The Go binary ships in the registry package @dbmate/linux-x64; the benchmarks call it
    # directly (the node wrapper adds ~0.1 s per call).
    (cd "$TOOLS/npm" && { [[ -f package.json ]] || echo '{"private":true}' > package.json; } \
        && npm install --no-audit --no-fund --save-exact dbmate@2.36.0) >"$TOOLS/logs/dbmate.log" 2>&1 \
        || note "dbmate did not install (skipped; see $TOOLS/logs/dbmate.log)"
fi

if [[ -x "$TOOLS/venv/bin/migra" ]]; then note "migra present"; else
    # migra's last release (2022) needs SQLAlchemy 1.x for postgresql:// URLs.
    { python3 -m venv "$TOOLS/venv" && "$TOOLS/venv/bin/pip" install -q migra psycopg2-binary "sqlalchemy<2"; } \
        >"$TOOLS/logs/migra.log" 2>&1 || note "migra did not install (skipped; see $TOOLS/logs/migra.log)"
fi

if ls /usr/share/postgresql/*/extension/pgtap.control >/dev/null 2>&1; then note "pgTAP present"; else
    { apt-get install -y -q postgresql-15-pgtap || { apt-get update -q && apt-get install -y -q postgresql-15-pgtap; }; } \
        >"$TOOLS/logs/pgtap.log" 2>&1 || note "pgTAP did not install (skipped; see $TOOLS/logs/pgtap.log)"
fi
for t in sqlx refinery; do [[ -x "$TOOLS/bin/$t" ]] && note "$t: $("$TOOLS/bin/$t" --version 2>/dev/null | head -1)"; done
exit 0
