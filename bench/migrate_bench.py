#!/usr/bin/env python3
"""Apply N generated migrations from empty: strata vs `psql -1 -f` of the same SQL (and sqlx-cli,
dbmate when installed), timed round-robin: every round runs each tool once, in a new random
order, on a freshly created database (untimed: dropdb, createdb, CHECKPOINT). Each time is
divided by psql's time in the same round; the median of those ratios is the figure to compare,
because this machine's speed drifts up to 2x within an hour.

Then `strata status` on the up-to-date database against `sqlx migrate info` the same way.

usage: bench/migrate_bench.py [--n 1000] [--rounds 7] [--status-rounds 10]
Needs: target/release/strata (cargo build --release), PostgreSQL server binaries, python3.
"""
import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STRATA = os.path.join(ROOT, "target", "release", "strata")


def run(cmd, **kw):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    if r.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{r.stdout}\n{r.stderr}")
    return r.stdout


def timed(cmd, **kw):
    t = time.perf_counter()
    run(cmd, **kw)
    return time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--status-rounds", type=int, default=10)
    args = ap.parse_args()
    if not os.path.exists(STRATA):
        sys.exit("build first: cargo build --release")

    work = tempfile.mkdtemp(prefix="strata-bench-")
    os.chmod(work, 0o755)
    run([sys.executable, os.path.join(ROOT, "bench", "gen_migrations.py"), str(args.n), work])
    proj = os.path.join(work, "strata")
    # a durable local server (default settings: fsync on), as developers run it
    url = run([STRATA, "--quiet", "db", "start"], cwd=proj).strip()
    admin = url.rsplit("/", 1)[0] + "/postgres"
    bench_url = url.rsplit("/", 1)[0] + "/bench"

    def fresh():
        run(["psql", "-X", "-q", "-d", admin, "-c", "DROP DATABASE IF EXISTS bench WITH (FORCE)"])
        run(["psql", "-X", "-q", "-d", admin, "-c", "CREATE DATABASE bench"])
        run(["psql", "-X", "-q", "-d", admin, "-c", "CHECKPOINT"])

    tools = {
        "psql -1 -f all.sql": ["psql", "-X", "-q", "-1", "-v", "ON_ERROR_STOP=1", "-d", bench_url, "-f", os.path.join(work, "all.sql")],
        "strata up": [STRATA, "--quiet", "--database-url", bench_url, "up"],
    }
    if shutil.which("sqlx"):
        tools["sqlx migrate run"] = ["sqlx", "migrate", "run", "--source", os.path.join(work, "sqlx"), "--database-url", bench_url]
    if shutil.which("dbmate"):
        tools["dbmate migrate"] = ["dbmate", "--url", bench_url + "?sslmode=disable", "--migrations-dir", os.path.join(work, "dbmate"), "--no-dump-schema", "migrate"]

    ratios = {k: [] for k in tools}
    times = {k: [] for k in tools}
    for rnd in range(args.rounds):
        order = list(tools)
        random.shuffle(order)
        this = {}
        for name in order:
            fresh()
            this[name] = timed(tools[name], cwd=proj)
        for name in tools:
            times[name].append(this[name])
            ratios[name].append(this[name] / this["psql -1 -f all.sql"])
        print(f"round {rnd + 1}: " + ", ".join(f"{k} {v:.2f}s" for k, v in this.items()), file=sys.stderr)

    print(f"\n## apply {args.n} migrations from empty ({args.rounds} rounds, round-robin)\n")
    print("| tool | median s | min s | median ratio to psql -1 (paired) |")
    print("|---|---:|---:|---:|")
    for name in tools:
        print(f"| {name} | {statistics.median(times[name]):.3f} | {min(times[name]):.3f} | {statistics.median(ratios[name]):.2f}x |")

    # status on the up-to-date database
    fresh()
    run(tools["strata up"], cwd=proj)
    status_tools = {"strata status": [STRATA, "--database-url", bench_url, "status"]}
    if shutil.which("sqlx"):
        run(["psql", "-X", "-q", "-d", admin, "-c", "CREATE DATABASE bench_sqlx TEMPLATE template0"])
        sqlx_url = url.rsplit("/", 1)[0] + "/bench_sqlx"
        run(["sqlx", "migrate", "run", "--source", os.path.join(work, "sqlx"), "--database-url", sqlx_url])
        status_tools["sqlx migrate info"] = ["sqlx", "migrate", "info", "--source", os.path.join(work, "sqlx"), "--database-url", sqlx_url]
    st = {k: [] for k in status_tools}
    for _ in range(args.status_rounds):
        order = list(status_tools)
        random.shuffle(order)
        for name in order:
            st[name].append(timed(status_tools[name], cwd=proj))
    print(f"\n## status with {args.n} applied ({args.status_rounds} rounds, round-robin)\n")
    print("| command | median ms | min ms |")
    print("|---|---:|---:|")
    for name in status_tools:
        print(f"| {name} | {statistics.median(st[name]) * 1000:.1f} | {min(st[name]) * 1000:.1f} |")

    run(["psql", "-X", "-q", "-d", admin, "-c", "DROP DATABASE IF EXISTS bench_sqlx WITH (FORCE)"])
    run([STRATA, "--quiet", "db", "stop"], cwd=proj)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
