//! Choosing what `strata test PATTERN` runs. A pure function, tested without a database.

use super::SuiteFile;

/// The tests of one file chosen to run.
#[derive(Debug, Clone)]
pub struct Selection<'a> {
    pub file: &'a SuiteFile,
    /// Indexes into `file.suite.tests`.
    pub tests: Vec<usize>,
}

/// Chooses what to run: with no pattern, everything; otherwise every test of a suite whose file
/// name contains `pattern`, and in other suites the tests whose name contains it. Suites left
/// without tests are not run (their setup neither).
pub fn select<'a>(files: &'a [SuiteFile], pattern: Option<&str>) -> Vec<Selection<'a>> {
    files
        .iter()
        .filter_map(|f| {
            let tests: Vec<usize> = match pattern {
                None => (0..f.suite.tests.len()).collect(),
                Some(p) if f.name.contains(p) => (0..f.suite.tests.len()).collect(),
                Some(p) => f
                    .suite
                    .tests
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| t.name.contains(p))
                    .map(|(i, _)| i)
                    .collect(),
            };
            (!tests.is_empty()).then_some(Selection { file: f, tests })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validation::parse::{self, Expectation, Suite};

    fn file(name: &str, tests: &[&str]) -> SuiteFile {
        SuiteFile {
            display: format!("tests/validation/{name}"),
            name: name.into(),
            text: String::new(),
            suite: Suite {
                setup: vec![],
                tests: tests
                    .iter()
                    .enumerate()
                    .map(|(i, t)| parse::Test {
                        name: t.to_string(),
                        line: i + 1,
                        assume: None,
                        expect: Expectation::Ok,
                        expect_line: i + 1,
                        statements: vec![],
                    })
                    .collect(),
            },
        }
    }

    #[test]
    fn selects_by_file_name_or_test_name() {
        let files = vec![
            file("01_wallet.sql", &["balance", "ledger"]),
            file("02_rls.sql", &["ledger insert refused", "own rows"]),
        ];
        assert_eq!(select(&files, None).len(), 2);
        let s = select(&files, Some("wallet"));
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].tests, vec![0, 1]);
        let s = select(&files, Some("ledger"));
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].tests, vec![1]);
        assert_eq!(s[1].tests, vec![0]);
        assert!(select(&files, Some("nothing")).is_empty());
    }
}
