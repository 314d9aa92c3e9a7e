//! The test harness itself: the suite's PostgreSQL is stopped by the last test process that uses
//! it, left running while another one still does, and a cluster left running by a killed run is
//! reused and then stopped. Each check runs this binary again as a child process with
//! `STRATA_TEST_PG_DIR` naming a private cluster, so the suite's own cluster is not touched.

mod support;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use support::cluster::{lock, users_file, DIR_ENV};
use support::*;

/// Run as a child process by the test below (and by `.ci/run`'s `--ignored` pass, where it checks
/// the suite's own cluster answers).
#[test]
#[ignore = "a child process of the_last_test_process_stops_the_cluster (also run by .ci/run)"]
fn child_uses_the_cluster() {
    let server = cluster();
    assert_eq!(psql(&server.url_for("postgres"), "SELECT 1"), "1");
}

/// Runs `child_uses_the_cluster` in a new process of this binary against the cluster in `dir`.
fn run_child(dir: &Path) {
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("current_exe: {e}"));
    let out = Command::new(exe)
        .args(["child_uses_the_cluster", "--exact", "--ignored"])
        .env(DIR_ENV, dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run the child test process: {e}"));
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("1 passed"),
        "child test process failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn running(dir: &Path) -> bool {
    strata::localdb::status_at(dir)
        .unwrap_or_else(|e| panic!("status of {}: {e}", dir.display()))
        .is_some()
}

/// Stops the private cluster whatever happens to the test.
struct StopOnDrop<'a>(&'a Path);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        let _ = strata::localdb::stop_at(self.0);
    }
}

#[test]
fn the_last_test_process_stops_the_cluster() {
    let tmp = tempfile::Builder::new()
        .prefix("strata-harness-")
        .tempdir()
        .unwrap_or_else(|e| panic!("tempdir: {e}"));
    // Reachable by the unprivileged server user when the suite runs as root.
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755))
        .unwrap_or_else(|e| panic!("chmod: {e}"));
    let dir = tmp.path().join("pg");
    let _stop = StopOnDrop(&dir);

    // Alone: the child starts the cluster, and stops it when it exits.
    run_child(&dir);
    assert!(dir.join("data").is_dir(), "the child created no cluster");
    assert!(!running(&dir), "the last process left the cluster running");

    // While another process holds the cluster, an exiting one leaves it running.
    let held = lock(&users_file(&dir), libc::LOCK_SH).unwrap_or_else(|e| panic!("{e}"));
    run_child(&dir);
    assert!(
        running(&dir),
        "stopped although another process still held it"
    );

    // The holder vanishes without stopping it (a killed run): the next process reuses the running
    // cluster and, being the last, stops it.
    drop(held);
    assert!(running(&dir));
    run_child(&dir);
    assert!(
        !running(&dir),
        "a cluster left by a killed run was not stopped"
    );
}
