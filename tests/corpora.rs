//! Real migration folders from public projects (`../shared/corpora`, read in place and laid out
//! in strata's layout in a temp project: files renamed, other tools' directives mapped to
//! strata's, the SQL as its authors wrote it). Their mistakes must come back as clear errors
//! with file:line:col and PostgreSQL's message, and nothing half-applied.
//!
//! Every test here is `#[ignore]`d by a plain `cargo test` (a clone has no `../shared`);
//! `.ci/run` runs them with `--ignored`, and a missing corpus fails them.

mod support;
use support::*;

/// Run without the data, a corpus test fails with a message saying what is missing.
#[test]
#[should_panic(expected = "is absent: this test needs the shared corpora")]
fn a_missing_corpus_fails_the_test() {
    corpus_dir("no-such-corpus");
}

/// supabase/storage names files `NNNN-name.sql`, marks no-transaction files with
/// `-- postgres-migrations disable-transaction` and retired ones with `-- postgres-migrations
/// ignore` (recorded but not run; left out here).
fn storage_project(folder: &str) -> (Project, usize) {
    let dir = corpus_dir("supabase-storage/migrations").join(folder);
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let p = Project::new();
    let mut n = 0;
    for e in entries.flatten() {
        let path = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".sql") {
            continue;
        }
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if text.contains("-- postgres-migrations ignore") {
            continue;
        }
        let strata_name = name.replacen('-', "_", 1);
        let text = if text.contains("-- postgres-migrations disable-transaction") {
            format!("-- strata:no-transaction\n{text}")
        } else {
            text
        };
        p.write(&format!("migrations/{strata_name}"), &text);
        n += 1;
    }
    (p, n)
}

#[test]
#[ignore = "needs ../shared/corpora (run by .ci/run)"]
fn storage_multitenant_fallback_bug_is_reported_inside_the_do_block() {
    let (p, files) = storage_project("multitenant");
    assert_eq!(files, 28);
    let db = TestDb::new("storage_mt");
    // the parser finds nothing wrong: the bug is a runtime one
    p.strata(Some(&db), &["check"])
        .assert_ok()
        .assert_contains("syntax parsed by PostgreSQL");
    let r = p.strata(Some(&db), &["up"]);
    r.assert_code(1)
        .assert_contains("error: migration 22 (iceberg-catalog-sharding) failed")
        .assert_contains("migrations/0022_iceberg-catalog-sharding.sql:3:9")
        .assert_contains("iceberg_shards text[] = COALESCE")
        .assert_contains("ERROR 22P02: malformed array literal: \"[]::text[]\"")
        .assert_contains("Completed before it in this run: 21 migrations (1 … 21)");
    assert_eq!(
        db.sql("SELECT count(*) FROM strata.history WHERE success"),
        "21"
    );
    assert_eq!(
        db.sql("SELECT count(*) FROM strata.history WHERE version = 22"),
        "0"
    );
    p.strata(Some(&db), &["status"])
        .assert_ok()
        .assert_contains("21 applied, 7 pending");
}

#[test]
#[ignore = "needs ../shared/corpora (run by .ci/run)"]
fn storage_tenant_stops_at_the_search_path_dependency_with_its_position() {
    let (p, _) = storage_project("tenant");
    let db = TestDb::new("storage_tenant");
    let r = p.strata(Some(&db), &["up"]);
    r.assert_code(1)
        .assert_contains("migrations/0047_iceberg-table-metadata.sql:10:9")
        .assert_contains("relation \"iceberg_namespaces\" does not exist")
        .assert_contains("Nothing of migrations/0047_iceberg-table-metadata.sql was applied");
    // the CREATE INDEX CONCURRENTLY files ran without a transaction, and 30 files applied
    assert_eq!(
        db.sql("SELECT count(*) FROM strata.history WHERE success"),
        "30"
    );
    assert_eq!(db.sql("SELECT to_regnamespace('storage') IS NOT NULL"), "t");
}

/// The storage server sets `search_path=storage,public` before it migrates, and 0047 relies on
/// it. A strata project says so in its first migration (`ALTER DATABASE … SET` reaches the
/// next migration, which strata runs in a new session); then all 47 files apply and the live
/// database equals the declared state.
#[test]
#[ignore = "needs ../shared/corpora (run by .ci/run)"]
fn storage_tenant_with_the_servers_search_path_applies_whole_and_diffs_clean() {
    let (p, files) = storage_project("tenant");
    assert_eq!(files, 47);
    let first = p.path().join("migrations/0001_initialmigration.sql");
    let text =
        std::fs::read_to_string(&first).unwrap_or_else(|e| panic!("{}: {e}", first.display()));
    p.write(
        "migrations/0001_initialmigration.sql",
        &format!(
            "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET search_path = storage, public', \
             current_database()); END $$;\n{text}"
        ),
    );
    let db = TestDb::new("storage_tenant_whole");
    p.strata(Some(&db), &["up"]).assert_ok();
    p.strata(Some(&db), &["status", "--exit-code"])
        .assert_ok()
        .assert_contains("47 applied, 0 pending");
    assert_eq!(db.sql("SHOW search_path"), "storage, public");
    p.strata(Some(&db), &["diff", "--exit-code"])
        .assert_ok()
        .assert_contains("No differences.");
}

/// ory/kratos: `{version}_{name}[.dialect][.autocommit].{up,down}.sql`; for each version and
/// direction the `.postgres.` file wins over the neutral one, other dialects are not PostgreSQL,
/// and `.autocommit.` files run outside a transaction.
fn kratos_project() -> (Project, usize) {
    kratos_project_first(usize::MAX)
}

/// The first `limit` versions of ory/kratos (see [`kratos_project`]).
fn kratos_project_first(limit: usize) -> (Project, usize) {
    use std::collections::BTreeMap;
    let dir = corpus_dir("ory-kratos/migrations/sql");
    // (version_name, direction) -> (is_postgres, autocommit, text)
    let mut chosen: BTreeMap<(String, &str), (bool, bool, String)> = BTreeMap::new();
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let (stem, direction) = if let Some(s) = name.strip_suffix(".up.sql") {
            (s, "up")
        } else if let Some(s) = name.strip_suffix(".down.sql") {
            (s, "down")
        } else {
            continue;
        };
        let (stem, autocommit) = match stem.strip_suffix(".autocommit") {
            Some(s) => (s, true),
            None => (stem, false),
        };
        let (base, dialect) = match stem.split_once('.') {
            Some((b, d)) => (b, Some(d)),
            None => (stem, None),
        };
        let postgres = match dialect {
            None => false,
            Some("postgres") => true,
            Some(_) => continue,
        };
        let text = std::fs::read_to_string(e.path())
            .unwrap_or_else(|err| panic!("{}: {err}", e.path().display()));
        let key = (base.to_string(), direction);
        if chosen.get(&key).is_some_and(|(pg, _, _)| *pg && !postgres) {
            continue;
        }
        chosen.insert(key, (postgres, autocommit, text));
    }
    let p = Project::new();
    let mut ups = 0;
    let bases: std::collections::BTreeSet<&String> = chosen.keys().map(|(b, _)| b).collect();
    let first: std::collections::BTreeSet<&String> = bases.into_iter().take(limit).collect();
    for ((base, direction), (_, autocommit, text)) in &chosen {
        if !first.contains(base) {
            continue;
        }
        let text = if *autocommit {
            format!("-- strata:no-transaction\n{text}")
        } else {
            text.clone()
        };
        p.write(&format!("migrations/{base}.{direction}.sql"), &text);
        if *direction == "up" {
            ups += 1;
        }
    }
    (p, ups)
}

#[test]
#[ignore = "needs ../shared/corpora (run by .ci/run)"]
fn kratos_346_versions_go_up_and_all_the_way_down() {
    let (p, ups) = kratos_project();
    assert_eq!(ups, 346);
    let db = TestDb::new("kratos");
    p.strata(Some(&db), &["check"]).assert_ok();
    p.strata(Some(&db), &["up"])
        .assert_ok()
        .assert_contains("Applied 346 migration(s)");
    let tables = db.sql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'");
    assert!(
        tables.parse::<i32>().unwrap_or(0) >= 20,
        "kratos tables: {tables}"
    );
    p.strata(Some(&db), &["up"])
        .assert_ok()
        .assert_contains("Nothing to apply");
    p.strata(Some(&db), &["down", "--to", "0"])
        .assert_ok()
        .assert_contains("Rolled back 346 migration(s)");
    assert_eq!(
        db.sql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"),
        "0"
    );
    // the corpus's own rollbacks leave two extensions behind (see its SOURCE.md)
    assert_eq!(
        db.sql("SELECT string_agg(extname, ',' ORDER BY extname) FROM pg_extension WHERE extname <> 'plpgsql'"),
        "btree_gin,pg_trgm"
    );
}

/// verify-rollbacks keeps its catalog model incrementally (fingerprints, then reads of what
/// changed); `--crosscheck` compares that model with a full read after every step, here on real
/// migrations (the first 80 versions: the full 346 with a full read per step take minutes).
#[test]
#[ignore = "needs ../shared/corpora (run by .ci/run)"]
fn kratos_rollbacks_verified_incrementally_match_full_reads() {
    let (p, ups) = kratos_project_first(80);
    assert_eq!(ups, 80);
    let r = p.strata(
        None,
        &[
            "verify-rollbacks",
            "--crosscheck",
            "--shadow-url",
            &shadow_url(),
        ],
    );
    r.assert_not_contains("cross-checking")
        .assert_not_contains("stopped at")
        .assert_contains("80 migration(s):");
}

#[test]
#[ignore = "needs ../shared/corpora (run by .ci/run)"]
fn kratos_has_no_drift_after_up() {
    let (p, _) = kratos_project();
    let db = TestDb::new("kratos_diff");
    p.strata(Some(&db), &["up"]).assert_ok();
    p.strata(
        Some(&db),
        &["diff", "--exit-code", "--shadow-url", &shadow_url()],
    )
    .assert_ok()
    .assert_contains("No differences.");
}
