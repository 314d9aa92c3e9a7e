//! Real migration folders from public projects (`../shared/corpora`, read in place and laid out
//! in strata's layout in a temp project: files renamed, other tools' directives mapped to
//! strata's, the SQL as its authors wrote it). Their mistakes must come back as clear errors
//! with file:line:col and PostgreSQL's message, and nothing half-applied.

mod support;
use std::path::Path;
use support::*;

/// supabase/storage names files `NNNN-name.sql`, marks no-transaction files with
/// `-- postgres-migrations disable-transaction` and retired ones with `-- postgres-migrations
/// ignore` (recorded but not run; left out here).
fn storage_project(folder: &str) -> Option<(Project, usize)> {
    let dir = shared_dir()
        .join("corpora/supabase-storage/migrations")
        .join(folder);
    let entries = std::fs::read_dir(&dir).ok()?;
    let p = Project::new();
    let mut n = 0;
    for e in entries.flatten() {
        let path = e.path();
        let name = path.file_name()?.to_string_lossy().into_owned();
        if !name.ends_with(".sql") {
            continue;
        }
        let text = std::fs::read_to_string(&path).ok()?;
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
    Some((p, n))
}

fn corpora_present() -> bool {
    let present = Path::new(&shared_dir().join("corpora")).is_dir();
    if !present {
        eprintln!("../shared/corpora is absent: corpus tests check nothing here");
    }
    present
}

#[test]
fn storage_multitenant_fallback_bug_is_reported_inside_the_do_block() {
    if !corpora_present() {
        return;
    }
    let Some((p, files)) = storage_project("multitenant") else {
        panic!("cannot read the supabase-storage corpus")
    };
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
fn storage_tenant_stops_at_the_search_path_dependency_with_its_position() {
    if !corpora_present() {
        return;
    }
    let Some((p, _)) = storage_project("tenant") else {
        panic!("cannot read the supabase-storage corpus")
    };
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

/// ory/kratos: `{version}_{name}[.dialect][.autocommit].{up,down}.sql`; for each version and
/// direction the `.postgres.` file wins over the neutral one, other dialects are not PostgreSQL,
/// and `.autocommit.` files run outside a transaction.
fn kratos_project() -> Option<(Project, usize)> {
    use std::collections::BTreeMap;
    let dir = shared_dir().join("corpora/ory-kratos/migrations/sql");
    // (version_name, direction) -> (is_postgres, autocommit, text)
    let mut chosen: BTreeMap<(String, &str), (bool, bool, String)> = BTreeMap::new();
    for e in std::fs::read_dir(&dir).ok()?.flatten() {
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
        let text = std::fs::read_to_string(e.path()).ok()?;
        let key = (base.to_string(), direction);
        if chosen.get(&key).is_some_and(|(pg, _, _)| *pg && !postgres) {
            continue;
        }
        chosen.insert(key, (postgres, autocommit, text));
    }
    let p = Project::new();
    let mut ups = 0;
    for ((base, direction), (_, autocommit, text)) in &chosen {
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
    Some((p, ups))
}

#[test]
fn kratos_346_versions_go_up_and_all_the_way_down() {
    if !corpora_present() {
        return;
    }
    let Some((p, ups)) = kratos_project() else {
        panic!("cannot read the ory-kratos corpus")
    };
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

#[test]
fn kratos_has_no_drift_after_up() {
    if !corpora_present() {
        return;
    }
    let Some((p, _)) = kratos_project() else {
        panic!("cannot read the ory-kratos corpus")
    };
    let db = TestDb::new("kratos_diff");
    p.strata(Some(&db), &["up"]).assert_ok();
    p.strata(
        Some(&db),
        &["diff", "--exit-code", "--shadow-url", &shadow_url()],
    )
    .assert_ok()
    .assert_contains("No differences.");
}
