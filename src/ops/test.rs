//! `strata test`: run the validation suites (each file in a transaction that is rolled back).

use super::{target_label, Sink, Workspace};
use crate::error::{Error, Result};
use crate::validation::{self, RunOptions, RunReport, ValidationError};
use std::path::PathBuf;

#[derive(Debug, Clone, Default)]
pub struct TestOptions {
    /// Only suites whose file name, or tests whose name, contains this.
    pub pattern: Option<String>,
    /// Also write JUnit XML here.
    pub junit: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub enum TestOutcome {
    /// No suite files at all.
    NoSuites {
        dir: String,
    },
    Ran(RunReport),
}

impl TestOutcome {
    pub fn failed(&self) -> bool {
        match self {
            TestOutcome::NoSuites { .. } => false,
            TestOutcome::Ran(r) => r.failed > 0,
        }
    }
}

pub async fn test(ws: &Workspace, opts: &TestOptions, sink: &mut dyn Sink) -> Result<TestOutcome> {
    let dir = ws.validation_dir()?;
    // Every suite is parsed before anything runs: a malformed one stops the run.
    let files = validation::load(&ws.cfg.root, &dir)?;
    let shown_dir = ws.display(&dir);
    if files.is_empty() {
        return Ok(TestOutcome::NoSuites { dir: shown_dir });
    }
    let selected = validation::select(&files, opts.pattern.as_deref());
    if selected.is_empty() {
        return Err(ValidationError::NoMatch {
            pattern: opts.pattern.clone().unwrap_or_default(),
            suites: files.len(),
            tests: files.iter().map(|f| f.suite.tests.len()).sum(),
            dir: shown_dir,
        }
        .into());
    }
    let target = ws.target()?;
    let mut conn = ws.connect(&target, sink).await?;
    let run_opts = RunOptions {
        auth: &ws.cfg.auth,
        statement_timeout: ws.cfg.database.statement_timeout.as_deref(),
        lock_timeout: ws.cfg.database.lock_timeout.as_deref(),
        target: target_label(&target),
    };
    let result = validation::run(&mut conn, &selected, &run_opts).await;
    crate::db::close(conn).await;
    let result = result?;
    if let Some(path) = &opts.junit {
        let xml = crate::secret::mask(&validation::junit::render(&result));
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        std::fs::write(path, xml).map_err(|e| Error::io(path, e))?;
    }
    Ok(TestOutcome::Ran(result))
}
