//! Validation suites: load `tests/validation/*.sql`, select by pattern, run, judge, and the
//! JUnit rendering of the result.
//!
//! Owns: the run protocol. One connection; per file `BEGIN`, the setup statements, then per
//! test `SAVEPOINT` → `-- as:` (through `auth::assume_sql`) → the body, statement by statement
//! → judge the last statement → `ROLLBACK TO SAVEPOINT`; at the end of the file `ROLLBACK`.
//! Must not: commit. Every statement of a suite runs inside a transaction that is rolled back,
//! and a suite that contains transaction control (`COMMIT`, `BEGIN`, …) is refused before
//! anything runs, because such a statement would end that transaction and let the suite's
//! changes persist.
//!
//! Why statement by statement: a failing statement must be named by `file:line:col`, and `rows N`
//! / `value V` judge the last statement alone. Statements go through the simple-query protocol
//! (`raw_sql`), so values arrive in PostgreSQL's own text format, which is what `value V`
//! compares against ("as PostgreSQL prints it"), and each statement's command tag gives the rows
//! it affected. Decisions (selection, judging) are pure functions with unit tests.
//!
//! Files: [`load`](mod@load) reads and parses the suite files ([`parse`]), [`select`](mod@select)
//! chooses tests by pattern, [`run`](mod@run) is the protocol above against one connection,
//! [`judge`](mod@judge) decides pass/fail from what a statement did, [`result`] holds the
//! structs every renderer reads, [`condition`] is PostgreSQL's SQLSTATE names as data, and
//! [`junit`] renders a result as JUnit XML.

pub mod condition;
pub mod judge;
pub mod junit;
pub mod load;
pub mod parse;
pub mod result;
pub mod run;
pub mod select;

pub use condition::{describe_sqlstate, sqlstate_to_condition};
pub use judge::{judge, Outcome};
pub use load::{load, Malformed, SuiteFile};
pub use result::{Failure, Location, RunReport, SuiteReport, TestReport, Verdict};
pub use run::{run, RunOptions};
pub use select::{select, Selection};

/// A problem that stops `strata test` before anything runs (or a connection problem).
#[derive(Debug, thiserror::Error)]
pub enum ValidationError {
    #[error("{} problem(s) in the validation suites; nothing was run", .0.len())]
    Malformed(Vec<Malformed>),
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("no validation test matches `{pattern}` ({suites} suite(s) with {tests} test(s) in {dir}); the pattern is a substring of a suite's file name or of a test's name")]
    NoMatch {
        pattern: String,
        suites: usize,
        tests: usize,
        dir: String,
    },
}
