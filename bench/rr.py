"""Round-robin timing shared by the benchmark scripts.

Every round runs each entry once, in a new random order, after its untimed setup (a fresh
database, a CHECKPOINT); each time is divided by the floor's time in the same round. The
figure to quote is the median of those paired ratios, with their min-max: this machine is
shared and its speed drifts up to 2x within minutes, so seconds from different rounds do not
compare. Peak RSS of each run comes from wait4() of the timed process (children excluded:
the tools measured here do not fork, except psql's pager, which -X and a pipe keep off).
"""
import os
import random
import shutil
import statistics
import subprocess
import sys
import time

TOOLS = os.environ.get("STRATA_BENCH_TOOLS", os.path.expanduser("~/.cache/strata-bench"))


def peer(name):
    """A peer binary installed by bench/install-peers.sh (or on PATH), or None with a note."""
    for path in (
        os.path.join(TOOLS, "bin", name),
        os.path.join(TOOLS, "npm/node_modules/@dbmate/linux-x64/bin", name),
        os.path.join(TOOLS, "venv/bin", name),
    ):
        if os.access(path, os.X_OK):
            return path
    found = shutil.which(name)
    if not found:
        print(f"note: {name} is not installed (run bench/install-peers.sh); left out", file=sys.stderr)
    return found


def run(cmd, ok=(0,), **kw):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    if r.returncode not in ok:
        sys.exit(f"failed ({r.returncode}): {' '.join(cmd)}\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
    return r.stdout


def timed(cmd, ok=(0,), cwd=None, env=None):
    """(seconds, peak RSS in MB) of one run of cmd; exits on an unexpected status."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=cwd, env=env)
    _, status, usage = os.wait4(p.pid, 0)
    elapsed = time.perf_counter() - t
    code = os.waitstatus_to_exitcode(status)
    err = p.stderr.read().decode(errors="replace") if p.stderr else ""
    p.returncode = code
    if code not in ok:
        sys.exit(f"failed ({code}): {' '.join(cmd)}\n{err[-3000:]}")
    return elapsed, usage.ru_maxrss / 1024.0


class Entry:
    """One command timed each round: `cmd`, with `setup()` run untimed before it."""

    def __init__(self, name, cmd, setup=None, ok=(0,), cwd=None, env=None):
        self.name, self.cmd, self.setup, self.ok, self.cwd, self.env = name, cmd, setup, ok, cwd, env
        self.times, self.rss, self.ratios = [], [], []


def round_robin(entries, rounds, floor, warmup=1, label=""):
    """Runs every entry once per round in random order; fills times, rss and ratios to `floor`
    (an entry name) of the same round. The warm-up rounds are not recorded."""
    by_name = {e.name: e for e in entries}
    for rnd in range(warmup + rounds):
        order = list(entries)
        random.shuffle(order)
        this = {}
        for e in order:
            if e.setup:
                e.setup()
            this[e.name] = timed(e.cmd, e.ok, e.cwd, e.env)
        if rnd < warmup:
            continue
        for e in entries:
            t, rss = this[e.name]
            e.times.append(t)
            e.rss.append(rss)
            e.ratios.append(t / this[floor][0])
        print(
            f"{label} round {rnd - warmup + 1}/{rounds}: "
            + ", ".join(f"{n} {this[n][0]:.3f}s" for n in by_name),
            file=sys.stderr,
        )
    return entries


def table(entries, floor):
    """Markdown: median, min-max seconds, paired ratio median (min-max), peak RSS."""
    lines = [
        "| command | median s | min–max s | × floor, paired median (min–max) | peak RSS MB |",
        "|---|---:|---:|---:|---:|",
    ]
    for e in entries:
        ratio = "1.00 (floor)" if e.name == floor else (
            f"**{statistics.median(e.ratios):.2f}** ({min(e.ratios):.2f}–{max(e.ratios):.2f})"
        )
        lines.append(
            f"| {e.name} | {statistics.median(e.times):.3f} | {min(e.times):.3f}–{max(e.times):.3f} "
            f"| {ratio} | {statistics.median(e.rss):.0f} |"
        )
    return "\n".join(lines)


def env_line(admin_url):
    ver = run(["psql", "-X", "-A", "-t", "-d", admin_url, "-c", "SHOW server_version"]).strip()
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()[0]
    return (
        f"PostgreSQL {ver} (strata's local server, default durable settings), {cpu}, "
        f"{os.cpu_count()} cores, load average {load:.1f} at the start, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; strata release build."
    )
