#!/usr/bin/env python3
"""Runs the lint acceptance cases (tests/cases/lint/*.case) through `strata lint` and squawk and
prints a Markdown comparison: per case file, whether each tool flags the hazards and leaves the
controls alone.

A case's hazard files are those its expectations give an `error`/`warning` finding; its control
files are those it expects `clean`. A tool "finds" a hazard when it reports a rule about that
hazard on the file (strata: the expected rule; squawk: one of its rules mapped to it in
SQUAWK_RULES), and "wrongly flags" a control when it reports anything on it (strata: findings
nobody allowed; squawk: its violations, after `-- squawk-ignore` comments). squawk reads each
file with strata's directives translated (see for_squawk).

squawk runs twice: with its defaults, and without the rules that are about style or retries
rather than locking or safety (listed in EXCLUDED), which strata does not have either. It runs
with --assume-in-transaction on files that strata runs in a transaction, as strata does.

usage: lint_compare.py STRATA SHADOW_URL SQUAWK CASES_DIR
"""
import json
import os
import subprocess
import sys
import tempfile

EXCLUDED = [
    "require-statement-timeout",
    "prefer-robust-stmts",
    "prefer-bigint-over-int",
    "prefer-bigint-over-smallint",
    "prefer-identity",
    "prefer-text-field",
    "prefer-timestamptz",
    "ban-char-field",
]


# squawk's rules that address the hazard of each strata rule (none: squawk has no such rule).
SQUAWK_RULES = {
    "index-not-concurrent": {"require-concurrent-index-creation", "disallowed-unique-constraint",
                             "adding-serial-primary-key-field"},
    "table-rewrite": {"changing-column-type", "adding-field-with-default", "prefer-repack"},
    # (changing-column-type: squawk flags a type change for a rewrite; when the change re-checks a
    # constraint instead, it still warns on the right statement)
    "constraint-without-not-valid": {"constraint-missing-not-valid", "adding-foreign-key-constraint",
                                     "changing-column-type"},
    "not-null-without-check": {"adding-not-nullable-field", "adding-required-field"},
    "exclusive-lock-slow-work": set(),
    "column-dropped": {"ban-drop-column"},
    "column-renamed": {"renaming-column"},
    "table-dropped": {"ban-drop-table"},
    "table-renamed": {"renaming-table"},
    "missing-lock-timeout": {"require-lock-timeout", "require-timeout-settings"},
}


SECURITY = {"table-without-rls", "grant-to-anon-or-public", "security-definer-search-path",
            "view-bypasses-rls", "policy-always-true"}


def parse_case(path):
    files, expect, current = [], [], None
    with open(path) as f:
        for line in f.read().splitlines():
            t = line.strip()
            name = t[3:-3].strip() if t.startswith("-- ") and t.endswith(" --") and len(t) > 6 else None
            if name and (name == "expect" or ("." in name and " " not in name)):
                current = name
                if name != "expect":
                    files.append([name, ""])
                continue
            if current == "expect":
                if t and not t.startswith("#"):
                    expect.append(t)
            elif current:
                files[-1][1] += line + "\n"
    return dict(files), expect


def roles(expect):
    """Hazard files with the rules expected on each, and control files."""
    hazards, controls = {}, set()
    for e in expect:
        w = e.split()
        if len(w) == 3 and w[0] in ("error", "warning"):
            hazards.setdefault(w[2].split(":")[0], set()).add(w[1])
        elif len(w) == 2 and w[0] == "clean":
            controls.add(w[1])
    return hazards, sorted(controls - set(hazards))


def strata_flags(strata, server, root, files):
    named = sorted(f for f in files)
    p = subprocess.run(
        [strata, "lint", *named, "--shadow-url", server, "--format", "json"],
        cwd=root, capture_output=True, text=True,
    )
    try:
        doc = json.loads(p.stdout)
    except json.JSONDecodeError:
        sys.exit(f"strata lint did not print JSON in {root}:\n{p.stdout}\n{p.stderr}")
    out = {f: [] for f in files}
    for m in doc.get("migrations", []):
        for f in m.get("findings", []):
            if "allowed" not in f:
                out.setdefault(f["file"], []).append(f["rule"])
        if m.get("status") == "not-run":
            out.setdefault(m["file"], []).append("not-run")
    return out


def for_squawk(text):
    """The file as squawk is given it: strata's comments in squawk's words, so that neither tool
    is judged on syntax only the other knows. `-- strata:lock-timeout 5s` (which makes strata
    set lock_timeout) becomes `SET lock_timeout = '5s';`, and `-- strata:allow <rule> <reason>`
    (with its reason) becomes `-- squawk-ignore` of the squawk rules mapped to that strata rule."""
    out = []
    for line in text.splitlines():
        words = line.strip().split()
        if words[:2] == ["--", "strata:lock-timeout"] and len(words) >= 3:
            out.append(f"SET lock_timeout = '{words[2]}';")
        elif words[:2] == ["--", "strata:allow"] and len(words) >= 4 and SQUAWK_RULES.get(words[2]):
            # (an allow without a reason silences nothing in strata either)
            out.append("-- squawk-ignore " + ", ".join(sorted(SQUAWK_RULES[words[2]])))
        else:
            out.append(line)
    return "\n".join(out) + "\n"


def squawk_flags(squawk, root, rel, text, exclude):
    path = os.path.join(root, "squawk", rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(for_squawk(text))
    rel = os.path.join("squawk", rel)
    args = [squawk, "--reporter", "json"]
    if "-- strata:no-transaction" not in text:
        args.append("--assume-in-transaction")
    if exclude:
        args.append("--exclude=" + ",".join(exclude))
    p = subprocess.run(args + [rel], cwd=root, capture_output=True, text=True)
    try:
        found = json.loads(p.stdout or "[]")
    except json.JSONDecodeError:
        sys.exit(f"squawk did not print JSON for {rel}:\n{p.stdout}\n{p.stderr}")
    return sorted({v["rule_name"] for v in found})


def main():
    strata, server, squawk, cases = sys.argv[1:5]
    rows = []
    totals = {k: [0, 0] for k in ("strata", "squawk", "squawk-safety")}
    # Hazards found, by kind of hazard: {kind: [files, strata, squawk, squawk-safety]}.
    by_kind = {k: [0, 0, 0, 0] for k in ("locking", "security", "other")}
    n_h = n_c = 0
    for name in sorted(os.listdir(cases)):
        if not name.endswith(".case"):
            continue
        files, expect = parse_case(os.path.join(cases, name))
        hazards, controls = roles(expect)
        with tempfile.TemporaryDirectory() as root:
            if "strata.toml" not in files:
                files["strata.toml"] = '[auth]\nmodel = "supabase"\nshim = true\n'
            for rel, body in files.items():
                path = os.path.join(root, rel)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "w") as f:
                    f.write(body)
            judged = sorted(hazards) + controls
            s = strata_flags(strata, server, root, judged)
            for rel in judged:
                kind = "hazard" if rel in hazards else "control"
                sq = squawk_flags(squawk, root, rel, files[rel], [])
                sqs = squawk_flags(squawk, root, rel, files[rel], EXCLUDED)
                if kind == "hazard":
                    n_h += 1
                    expected = hazards[rel]
                    about = set().union(*(SQUAWK_RULES.get(r, set()) for r in expected))
                    hits = (bool(expected & set(s.get(rel, []))), bool(about & set(sq)),
                            bool(about & set(sqs)))
                    for k, hit in zip(("strata", "squawk", "squawk-safety"), hits):
                        totals[k][0] += hit
                    kind_of = ("security" if expected & SECURITY else
                               "locking" if expected & set(SQUAWK_RULES) else "other")
                    row = by_kind[kind_of]
                    row[0] += 1
                    for i, hit in enumerate(hits):
                        row[i + 1] += hit
                else:
                    n_c += 1
                    totals["strata"][1] += bool(s.get(rel))
                    totals["squawk"][1] += bool(sq)
                    totals["squawk-safety"][1] += bool(sqs)
                rows.append((name[:-5], rel.split("/")[-1], kind,
                             ", ".join(sorted(set(s.get(rel, [])))) or "—",
                             ", ".join(sq) or "—", ", ".join(sqs) or "—"))
    print(f"Hazards: {n_h} files; controls (the safe way to make the same change): {n_c} files.\n")
    print("| tool | hazards found | controls wrongly flagged |")
    print("|---|---|---|")
    print(f"| strata lint | {totals['strata'][0]} / {n_h} | {totals['strata'][1]} / {n_c} |")
    print(f"| squawk, defaults | {totals['squawk'][0]} / {n_h} | {totals['squawk'][1]} / {n_c} |")
    print(f"| squawk, locking and safety rules only | {totals['squawk-safety'][0]} / {n_h} | {totals['squawk-safety'][1]} / {n_c} |")
    print()
    print("Hazards found, by kind:\n")
    print("| hazards | files | strata lint | squawk, defaults | squawk, safety rules only |")
    print("|---|---|---|---|---|")
    names = {"locking": "locking and safety (locks, rewrites, validation, drops, renames, lock timeout)",
             "security": "security (RLS, grants, definer functions, views, policies)",
             "other": "a migration that fails; allow comments that are wrong or unused"}
    for k, (n, a, b, c) in by_kind.items():
        if n:
            print(f"| {names[k]} | {n} | {a} | {b} | {c} |")
    print()
    print("| case | file | kind | strata lint | squawk (defaults) | squawk (safety rules) |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")


if __name__ == "__main__":
    main()
