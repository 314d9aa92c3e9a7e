//! Partial states (issue 11): a no-transaction migration stopped at any statement boundary
//! (kill -9, a lost connection, a failing statement) is named by `status`, and following its
//! advice completes it; interrupted `CREATE INDEX CONCURRENTLY`; `SET ROLE` inside a
//! no-transaction file; failed rollbacks recorded; a new session after `ALTER DATABASE … SET`;
//! `repair --forget` and `repair --resume-after`.

mod support;
use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::*;

fn wait_for(db: &TestDb, sql: &str, expected: &str) {
    let start = Instant::now();
    loop {
        if db.sql(sql) == expected {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "timed out waiting for {sql} = {expected}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A session of the test's own that holds an ACCESS EXCLUSIVE lock on `table` until dropped.
struct Locker {
    child: Child,
}

impl Locker {
    fn hold(db: &TestDb, table: &str) -> Locker {
        let mut child = Command::new("psql")
            .args(["-X", "-q", "-d", &db.url])
            .env_remove("PGHOST")
            .env_remove("PGUSER")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("psql: {e}"));
        if let Some(stdin) = child.stdin.as_mut() {
            let _ = writeln!(
                stdin,
                "SET application_name = 'locker'; BEGIN; LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE;"
            );
            let _ = stdin.flush();
        }
        wait_for(
            db,
            &format!(
                "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
                 WHERE a.application_name = 'locker' AND l.granted AND l.relation = '{table}'::regclass"
            ),
            "1",
        );
        Locker { child }
    }
}

impl Drop for Locker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `strata up` and waits until its session waits for the lock on `table` that the
/// test's locker holds (not any lock wait: `CREATE INDEX CONCURRENTLY` also waits, briefly, for
/// other sessions' snapshots, such as this test's own polling queries).
fn up_until_blocked(p: &Project, db: &TestDb, table: &str) -> Child {
    let child = strata_cmd(p.path())
        .args(["--database-url", &db.url, "up"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn: {e}"));
    wait_for(
        db,
        &format!(
            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
             WHERE a.datname = current_database() AND a.application_name = 'strata' \
             AND NOT l.granted AND l.relation = '{table}'::regclass"
        ),
        "1",
    );
    child
}

fn strata_gone(db: &TestDb) {
    wait_for(
        db,
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'strata'",
        "0",
    );
}

const GATES: &str = "CREATE TABLE g1 (id int);\nCREATE TABLE g2 (id int);\nCREATE TABLE g3 (id int);\nCREATE TABLE g4 (id int);\nCREATE TABLE g5 (id int);\n";

/// Five statements: two that PostgreSQL refuses in a transaction, three that strata commits
/// with their progress row.
const FIVE: &str = "-- strata:no-transaction\n\
INSERT INTO g1 VALUES (1);\n\
CREATE INDEX CONCURRENTLY g2_i ON g2 (id);\n\
ALTER TABLE g3 ADD COLUMN x int;\n\
CREATE INDEX CONCURRENTLY g4_i ON g4 (id);\n\
INSERT INTO g5 VALUES (1);\n";

fn five_project() -> Project {
    let p = Project::new();
    p.write("migrations/001_gates.sql", GATES)
        .write("migrations/002_five.sql", FIVE);
    p
}

fn assert_five_done_once(db: &TestDb) {
    assert_eq!(
        db.sql(
            "SELECT (SELECT count(*) FROM g1) || ',' || (SELECT count(*) FROM g5) || ',' || \
             (SELECT string_agg(c.relname || ':' || i.indisvalid, ' ' ORDER BY c.relname) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname IN ('g2_i', 'g4_i')) || ',' || \
             (SELECT count(*) FROM pg_attribute WHERE attrelid = 'g3'::regclass AND attname = 'x')"
        ),
        "1,1,g2_i:true g4_i:true,1"
    );
}

#[test]
fn kill_9_at_every_statement_boundary_then_following_status_completes_the_migration() {
    for j in 1..=5 {
        let db = TestDb::new(&format!("kill_at_{j}"));
        let p = five_project();
        p.strata(Some(&db), &["up", "--to", "1"]).assert_ok();
        let locker = Locker::hold(&db, &format!("g{j}"));
        let mut child = up_until_blocked(&p, &db, &format!("g{j}"));
        child.kill().unwrap_or_else(|e| panic!("kill: {e}")); // SIGKILL
        let _ = child.wait();
        strata_gone(&db);
        drop(locker);

        let status = p.strata(Some(&db), &["status"]);
        status.assert_ok();
        let committed = j - 1;
        if committed == 0 {
            // Statement 1 commits with its progress row or not at all: nothing happened.
            status
                .assert_contains("pending")
                .assert_not_contains("partial");
        } else {
            status.assert_contains("partial").assert_contains(&format!(
                "{committed} of 5 statement(s) of migrations/002_five.sql committed"
            ));
            if j == 2 || j == 4 {
                status
                    .assert_contains(&format!("statement {j} (line {}: CREATE INDEX CONCURRENTLY", j + 1))
                    .assert_contains("was running when strata stopped")
                    .assert_contains(&format!(
                        "next: `strata up` checks whether statement {j} took effect and continues from there"
                    ));
            } else {
                status.assert_contains(&format!("next: `strata up` continues at statement {j}"));
            }
            p.strata(Some(&db), &["status", "--exit-code"])
                .assert_code(1);
        }
        // Following the advice completes it, each statement exactly once.
        let r = p.strata(Some(&db), &["up"]);
        r.assert_ok().assert_contains("Applied 1 migration(s)");
        if committed > 0 {
            r.assert_contains(&format!(
                "continuing the migration 2 five after statement {committed}"
            ));
        }
        assert_five_done_once(&db);
        p.strata(Some(&db), &["status", "--exit-code"]).assert_ok();
        assert_eq!(
            db.sql("SELECT kind || ':' || success FROM strata.history WHERE version = 2 ORDER BY id DESC LIMIT 1"),
            "apply:true"
        );
    }
}

#[test]
fn a_lost_connection_inside_a_no_transaction_migration_exits_2_and_up_completes_it() {
    let db = TestDb::new("lost_notx");
    let p = five_project();
    p.strata(Some(&db), &["up", "--to", "1"]).assert_ok();
    let locker = Locker::hold(&db, "g3");
    let child = up_until_blocked(&p, &db, "g3");
    db.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'strata'");
    let r = Run::from(child.wait_with_output().unwrap_or_else(|e| panic!("{e}")));
    drop(locker);
    r.assert_code(2).assert_contains(
        "lost the connection to the database while running migrations/002_five.sql",
    );
    p.strata(Some(&db), &["status"])
        .assert_contains("partial")
        .assert_contains("2 of 5 statement(s) of migrations/002_five.sql committed")
        .assert_contains("next: `strata up` continues at statement 3");
    p.strata(Some(&db), &["up"]).assert_ok();
    assert_five_done_once(&db);
}

#[test]
fn an_interrupted_index_build_that_finished_is_recorded_not_run_again() {
    let db = TestDb::new("inflight_done");
    let p = five_project();
    p.strata(Some(&db), &["up", "--to", "1"]).assert_ok();
    let locker = Locker::hold(&db, "g2");
    let mut child = up_until_blocked(&p, &db, "g2");
    child.kill().unwrap_or_else(|e| panic!("kill: {e}"));
    let _ = child.wait();
    strata_gone(&db);
    drop(locker);
    // As if the server had finished the build after strata died.
    db.sql("CREATE INDEX g2_i ON g2 (id)");
    p.strata(Some(&db), &["up"])
        .assert_ok()
        .assert_contains("statement 2 was running when the last run stopped: it had taken effect; recorded as committed");
    assert_five_done_once(&db);
}

#[test]
fn an_invalid_index_left_by_an_interrupted_build_is_dropped_and_built_again() {
    let db = TestDb::new("inflight_invalid");
    let p = five_project();
    p.strata(Some(&db), &["up", "--to", "1"]).assert_ok();
    let locker = Locker::hold(&db, "g2");
    let mut child = up_until_blocked(&p, &db, "g2");
    child.kill().unwrap_or_else(|e| panic!("kill: {e}"));
    let _ = child.wait();
    strata_gone(&db);
    drop(locker);
    // The debris of a build that did not finish: an INVALID index of that name.
    db.sql("INSERT INTO g2 VALUES (1), (1)");
    let (ok, _) = db.try_sql("CREATE UNIQUE INDEX CONCURRENTLY g2_i ON g2 (id)");
    assert!(!ok, "the unique build must fail on duplicates");
    assert_eq!(
        db.sql("SELECT indisvalid FROM pg_index WHERE indexrelid = 'g2_i'::regclass"),
        "f"
    );
    p.strata(Some(&db), &["up"])
        .assert_ok()
        .assert_contains("left the INVALID index public.g2_i; dropped it, building it again");
    assert_eq!(
        db.sql("SELECT indisvalid::text || indisunique::text FROM pg_index WHERE indexrelid = 'g2_i'::regclass"),
        "truefalse"
    );
}

#[test]
fn a_statement_strata_cannot_check_is_refused_with_both_repairs() {
    let db = TestDb::new("inflight_unknown");
    let p = Project::new();
    p.write(
        "migrations/001_parts.sql",
        "CREATE TABLE p (id int) PARTITION BY RANGE (id);\nCREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (10);\nCREATE TABLE g1 (id int);\n",
    )
    .write(
        "migrations/002_detach.sql",
        "-- strata:no-transaction\nINSERT INTO g1 VALUES (1);\nALTER TABLE p DETACH PARTITION p1 CONCURRENTLY;\nINSERT INTO g1 VALUES (2);\n",
    );
    p.strata(Some(&db), &["up", "--to", "1"]).assert_ok();
    let locker = Locker::hold(&db, "p1");
    let mut child = up_until_blocked(&p, &db, "p1");
    child.kill().unwrap_or_else(|e| panic!("kill: {e}"));
    let _ = child.wait();
    strata_gone(&db);
    drop(locker);
    p.strata(Some(&db), &["status"])
        .assert_contains("partial")
        .assert_contains("strata cannot tell whether statement 2 took effect")
        .assert_contains("`strata repair --resume-after 2:2` if it did")
        .assert_contains("`strata repair --resume-after 2:1` if it did not");
    p.strata(Some(&db), &["up"])
        .assert_code(1)
        .assert_contains("statement 2 (line 3: ALTER TABLE p DETACH PARTITION p1 CONCURRENTLY) of migration 2 (detach) was running when strata stopped")
        .assert_contains("`strata repair --resume-after 2:1` if it did not");
    // Bad requests change nothing (exit 2).
    p.strata(Some(&db), &["repair", "--resume-after", "2"])
        .assert_code(2)
        .assert_contains("expected VERSION:STATEMENTS");
    p.strata(Some(&db), &["repair", "--resume-after", "2:9"])
        .assert_code(2)
        .assert_contains("has 3 statement(s); 9 is not a number of committed statements");
    p.strata(Some(&db), &["repair", "--resume-after", "1:1"])
        .assert_code(2)
        .assert_contains("version 1 did not stop midway");
    // It had not taken effect: say so, and `up` continues with statement 2.
    assert_eq!(
        db.sql("SELECT count(*) FROM pg_inherits WHERE inhrelid = 'p1'::regclass"),
        "1"
    );
    p.strata(Some(&db), &["repair", "--resume-after", "2:1"])
        .assert_ok()
        .assert_contains("statement 1 taken as committed");
    p.strata(Some(&db), &["up"]).assert_ok();
    assert_eq!(
        db.sql("SELECT string_agg(id::text, ',' ORDER BY id) FROM g1"),
        "1,2"
    );
    assert_eq!(
        db.sql("SELECT count(*) FROM pg_inherits WHERE inhrelid = 'p1'::regclass"),
        "0"
    );
    assert_eq!(
        db.sql("SELECT count(*) FROM strata.history WHERE note LIKE 'repair --resume-after 2:1%'"),
        "1"
    );
}

#[test]
fn set_role_inside_a_no_transaction_migration_does_not_break_the_history_write() {
    let db = TestDb::new("set_role");
    let role = format!("{}_owner", db.name);
    let p = Project::new();
    p.write(
        "migrations/001_role.sql",
        &format!("CREATE ROLE {role};\nGRANT CREATE ON SCHEMA public TO {role};\n"),
    )
    .write(
        "migrations/002_as_role.sql",
        &format!(
            "-- strata:no-transaction\nSET ROLE {role};\nCREATE TABLE owned (id int);\nCREATE INDEX CONCURRENTLY owned_i ON owned (id);\nINSERT INTO owned VALUES (1);\n"
        ),
    )
    .write("migrations/003_after.sql", "CREATE TABLE after_it (id int);\n");
    p.strata(Some(&db), &["up"])
        .assert_ok()
        .assert_contains("Applied 3 migration(s)");
    assert_eq!(
        db.sql("SELECT tableowner FROM pg_tables WHERE tablename = 'owned'"),
        role
    );
    // The session was back to its own user for the next migration and for the history rows.
    assert_eq!(
        db.sql("SELECT tableowner FROM pg_tables WHERE tablename = 'after_it'"),
        "postgres"
    );
    assert_eq!(
        db.sql("SELECT string_agg(DISTINCT applied_by, ',') FROM strata.history"),
        "postgres"
    );
    p.strata(Some(&db), &["status", "--exit-code"]).assert_ok();
    db.sql(&format!(
        "DROP TABLE owned; DROP OWNED BY {role}; DROP ROLE {role}"
    ));
}

#[test]
fn migrations_after_alter_database_set_run_in_a_new_session() {
    let db = TestDb::new("new_session");
    let p = Project::new();
    p.write(
        "migrations/001_setting.sql",
        "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET app.mode = %L', current_database(), 'blue'); END $$;\n",
    )
    .write(
        "migrations/002_sees_it.sql",
        "CREATE TABLE seen AS SELECT current_setting('app.mode', true) AS mode;\n",
    );
    p.strata(Some(&db), &["up"])
        .assert_ok()
        .assert_contains("Applied 2 migration(s)");
    assert_eq!(db.sql("SELECT mode FROM seen"), "blue");
}

#[test]
fn failed_rollbacks_are_recorded_and_a_no_transaction_one_continues() {
    let db = TestDb::new("rollback_failed");
    let p = Project::new();
    p.write(
        "migrations/001_t.sql",
        "CREATE TABLE t (id int);\nCREATE INDEX t_a ON t (id);\nCREATE INDEX t_b ON t (id);\n",
    )
    .write(
        "rollbacks/001_t.sql",
        "-- strata:no-transaction\nDROP INDEX CONCURRENTLY t_b;\nDROP INDEX CONCURRENTLY t_nope;\nDROP TABLE t;\n",
    )
    .write("migrations/002_u.sql", "CREATE TABLE u (id int);\n")
    .write("rollbacks/002_u.sql", "DROP TABLE u_nope;\n");
    p.strata(Some(&db), &["up"]).assert_ok();
    // A transactional rollback that fails changes nothing, and says so in history too.
    p.strata(Some(&db), &["down"])
        .assert_code(1)
        .assert_contains("table \"u_nope\" does not exist");
    assert_eq!(
        db.sql("SELECT kind || ':' || success || ':' || (note LIKE 'rollback failed and changed nothing%') FROM strata.history WHERE version = 2 ORDER BY id DESC LIMIT 1"),
        "rollback:false:true"
    );
    p.strata(Some(&db), &["status"])
        .assert_ok()
        .assert_contains("applied");
    p.write("rollbacks/002_u.sql", "DROP TABLE u;\n");
    p.strata(Some(&db), &["down"]).assert_ok();
    // A no-transaction rollback that fails midway is recorded at its statement.
    p.strata(Some(&db), &["down"])
        .assert_code(1)
        .assert_contains("index \"t_nope\" does not exist")
        .assert_contains(
            "its first 1 statement(s) are committed, and it is recorded as failed at statement 2",
        )
        .assert_contains("then `strata down` continues at statement 2");
    assert_eq!(
        db.sql("SELECT kind || ':' || success || ':' || step FROM strata.history WHERE version = 1 ORDER BY id DESC LIMIT 1"),
        "rollback:false:2"
    );
    p.strata(Some(&db), &["status"])
        .assert_contains("failed")
        .assert_contains("1 of 3 statement(s) of rollbacks/001_t.sql committed");
    p.strata(Some(&db), &["up"])
        .assert_code(1)
        .assert_contains("the rollback of 1 (t) stopped after 1 committed statement(s); finish it with `strata down`");
    p.write(
        "rollbacks/001_t.sql",
        "-- strata:no-transaction\nDROP INDEX CONCURRENTLY t_b;\nDROP INDEX CONCURRENTLY t_a;\nDROP TABLE t;\n",
    );
    p.strata(Some(&db), &["down"])
        .assert_ok()
        .assert_contains("continuing the rollback of 1 t after statement 1");
    assert_eq!(db.sql("SELECT to_regclass('t') IS NULL"), "t");
    p.strata(Some(&db), &["status"]).assert_contains("pending");
}

#[test]
fn repair_forget_accepts_a_deleted_applied_migration_and_records_it() {
    let db = TestDb::new("forget");
    let p = Project::new();
    p.write("migrations/001_a.sql", "CREATE TABLE a (id int);\n")
        .write("migrations/002_b.sql", "CREATE TABLE b (id int);\n");
    p.strata(Some(&db), &["up"]).assert_ok();
    p.remove("migrations/002_b.sql");
    p.strata(Some(&db), &["status", "--exit-code"])
        .assert_code(1)
        .assert_contains("applied, file missing")
        .assert_contains("`strata repair --forget 2`");
    p.strata(Some(&db), &["repair", "--forget", "1"])
        .assert_code(2)
        .assert_contains("migration 1 still has its file (migrations/001_a.sql)");
    p.strata(Some(&db), &["repair", "--forget", "7"])
        .assert_code(2)
        .assert_contains("version 7 is not applied, so there is nothing to forget");
    p.strata(Some(&db), &["repair", "--forget", "2"])
        .assert_ok()
        .assert_contains("2 b: forgot: applied at");
    p.strata(Some(&db), &["status", "--exit-code"]).assert_ok();
    assert_eq!(
        db.sql("SELECT kind FROM strata.history WHERE version = 2 ORDER BY id DESC LIMIT 1"),
        "forget"
    );
    // What it created stays.
    assert_eq!(db.sql("SELECT to_regclass('b') IS NOT NULL"), "t");
}
