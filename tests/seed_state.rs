//! Seed state tied to the data, and `reset` with two projects in one database (issue 11).

mod support;
use support::*;

fn seeded_project() -> Project {
    let p = Project::new();
    p.write(
        "migrations/001_items.sql",
        "CREATE TABLE items (id int PRIMARY KEY, name text);\nCREATE TABLE tags (id int PRIMARY KEY);\n",
    )
    .write("rollbacks/001_items.sql", "DROP TABLE tags;\nDROP TABLE items;\n")
    .write("seeds/001_items.csv", "id,name\n1,one\n2,two\n")
    .write("seeds/002_tags.sql", "INSERT INTO tags VALUES (1), (2), (3);\n");
    p
}

#[test]
fn seeds_load_again_after_down_to_0_and_up() {
    let db = TestDb::new("seed_recreated");
    let p = seeded_project();
    p.strata(Some(&db), &["up"]).assert_ok();
    p.strata(Some(&db), &["seed"])
        .assert_ok()
        .assert_contains("Loaded 2 seed file(s), 5 row(s)");
    p.strata(Some(&db), &["seed"])
        .assert_ok()
        .assert_contains("seeds unchanged; nothing loaded");
    p.strata(Some(&db), &["down", "--to", "0"]).assert_ok();
    p.strata(Some(&db), &["up"]).assert_ok();
    assert_eq!(db.sql("SELECT count(*) FROM items"), "0");
    p.strata(Some(&db), &["seed"])
        .assert_ok()
        .assert_contains("The seeds are unchanged but the rows they loaded are gone: public.items (recreated), public.tags (recreated); loading them again.")
        .assert_contains("Loaded 2 seed file(s), 5 row(s)");
    assert_eq!(db.sql("SELECT count(*) FROM items"), "2");
    assert_eq!(db.sql("SELECT count(*) FROM tags"), "3");
    p.strata(Some(&db), &["seed"])
        .assert_ok()
        .assert_contains("seeds unchanged; nothing loaded");
    // Emptied, not recreated: the same.
    db.sql("TRUNCATE items, tags");
    p.strata(Some(&db), &["seed"])
        .assert_ok()
        .assert_contains("public.items (emptied), public.tags (emptied)");
    assert_eq!(db.sql("SELECT count(*) FROM items"), "2");
}

#[test]
fn seeds_refuse_when_only_part_of_their_data_is_gone() {
    let db = TestDb::new("seed_partly");
    let p = seeded_project();
    p.strata(Some(&db), &["up"]).assert_ok();
    p.strata(Some(&db), &["seed"]).assert_ok();
    db.sql("TRUNCATE tags");
    p.strata(Some(&db), &["seed"])
        .assert_code(1)
        .assert_contains("the seed data is gone from public.tags (emptied) but still in public.items: loading the seeds again would duplicate the rows that are left")
        .assert_contains("strata seed --force")
        .assert_contains("Nothing was loaded.");
    assert_eq!(db.sql("SELECT count(*) FROM tags"), "0");
}

#[test]
fn reset_refuses_when_another_project_keeps_its_history_in_the_database() {
    let db = TestDb::new("reset_shared");
    let a = Project::new();
    a.write("migrations/001_a.sql", "CREATE TABLE a_table (id int);\n");
    let b = Project::new();
    b.write("strata.toml", "[database]\nhistory_schema = \"strata_b\"\n")
        .write("migrations/001_b.sql", "CREATE TABLE b_table (id int);\n");
    a.strata(Some(&db), &["up"]).assert_ok();
    b.strata(Some(&db), &["up"]).assert_ok();
    a.strata(Some(&db), &["reset", "--yes"])
        .assert_code(2)
        .assert_contains("this database also holds the history of another strata project (schema strata_b): dropping public would drop that project's objects too");
    assert_eq!(
        db.sql("SELECT to_regclass('b_table') IS NOT NULL AND to_regclass('a_table') IS NOT NULL"),
        "t"
    );
    // Alone in its database, reset works as before.
    let solo = TestDb::new("reset_solo");
    a.strata(Some(&solo), &["up"]).assert_ok();
    solo.sql("INSERT INTO a_table VALUES (1)");
    a.strata(Some(&solo), &["reset", "--yes"]).assert_ok();
    assert_eq!(solo.sql("SELECT count(*) FROM a_table"), "0");
}
