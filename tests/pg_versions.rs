//! The test server is the one `STRATA_TEST_PG_BIN` names (or the installed one), and strata's
//! catalog reading is right on each PostgreSQL major version: one test per version-specific
//! difference the catalog layer handles (docs/postgres-versions.md).

mod support;
use support::*;

#[test]
fn the_test_server_is_the_version_of_the_test_binaries() {
    let db = TestDb::new("pgver");
    let num: u32 = db
        .sql("SELECT current_setting('server_version_num')")
        .parse()
        .unwrap_or_else(|e| panic!("server_version_num: {e}"));
    assert_eq!(
        num / 10000,
        pg_major(),
        "server {num}, binaries {}",
        pg_major()
    );
    assert!(
        (14..=18).contains(&pg_major()),
        "strata is tested on PostgreSQL 14 to 18, not {}",
        pg_major()
    );
}
