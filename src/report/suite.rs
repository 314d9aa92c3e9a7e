//! Rendering for `test`, `seed` and `reset`: the per-suite tables and failure details, the seed
//! table and its progress bar, and the diagnostics of validation and seed errors.

use super::{render_pg_failure, render_snippet, table, Annotation, AnnotationLevel, Render, Text};
use crate::ops::reset::ResetOutcome;
use crate::ops::seed::SeedOutcome;
use crate::ops::test::TestOutcome;
use crate::seed::{self, SeedError, SeedReport};
use crate::validation::{RunReport, ValidationError, Verdict};
use serde::ser::{Serialize, Serializer};

impl Serialize for TestOutcome {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            TestOutcome::Ran(r) => r.serialize(s),
            TestOutcome::NoSuites { dir } => serde_json::json!({
                "suites": [], "passed": 0, "failed": 0,
                "note": format!("No validation suites in {dir}/.")
            })
            .serialize(s),
        }
    }
}

impl Render for TestOutcome {
    fn summary(&self) -> Option<String> {
        Some(match self {
            TestOutcome::NoSuites { dir } => format!("No validation suites in {dir}/."),
            TestOutcome::Ran(r) => format!("{} passed, {} failed", r.passed, r.failed),
        })
    }

    fn text(&self, t: &mut Text) {
        match self {
            TestOutcome::NoSuites { dir } => t
                .err
                .push_str(&format!("No validation suites in {dir}/.\n")),
            TestOutcome::Ran(r) => t.out.push_str(&render_test_run(r)),
        }
    }

    fn annotations(&self) -> Vec<Annotation> {
        let TestOutcome::Ran(r) = self else {
            return Vec::new();
        };
        r.suites
            .iter()
            .flat_map(|s| {
                s.tests
                    .iter()
                    .filter(|t| t.result == Verdict::Fail)
                    .map(move |t| Annotation {
                        level: AnnotationLevel::Error,
                        file: Some(s.file.clone()),
                        line: t.failure.as_ref().map(|f| f.location.line).or(Some(t.line)),
                        column: t.failure.as_ref().map(|f| f.location.col),
                        title: Some("strata test".into()),
                        message: format!(
                            "test `{}`: {}",
                            t.name,
                            t.reason.as_deref().unwrap_or("failed")
                        ),
                    })
            })
            .collect()
    }
}

impl Serialize for SeedOutcome {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            SeedOutcome::Loaded(r) => r.serialize(s),
            SeedOutcome::NoSeeds { .. } => {
                serde_json::json!({"loaded": false, "files": []}).serialize(s)
            }
        }
    }
}

impl Render for SeedOutcome {
    fn summary(&self) -> Option<String> {
        Some(match self {
            SeedOutcome::NoSeeds { dir } => format!("No seed files in {dir}/."),
            SeedOutcome::Loaded(r) => seed_summary(r),
        })
    }

    fn text(&self, t: &mut Text) {
        match self {
            SeedOutcome::NoSeeds { dir } => t.out.push_str(&format!("No seed files in {dir}/.\n")),
            SeedOutcome::Loaded(r) => t.out.push_str(&render_seed(r)),
        }
    }
}

impl Render for ResetOutcome {
    fn summary(&self) -> Option<String> {
        let dropped = render_dropped(&self.dropped);
        let up = self.up.summary().unwrap_or_default();
        let seed = self
            .seed
            .as_ref()
            .map_or_else(|| "No seed files.".to_string(), seed_summary);
        Some(format!(
            "{} {} {}",
            dropped.trim_end(),
            up.trim_end(),
            seed.trim_end()
        ))
    }

    fn text(&self, t: &mut Text) {
        t.out.push_str(&render_dropped(&self.dropped));
        self.up.text(t);
        match &self.seed {
            Some(s) => t.out.push_str(&render_seed(s)),
            None => t.out.push_str("No seed files.\n"),
        }
    }
}

/// `strata test`: a table per suite (test, result, reason), the details of each failure (where,
/// the source, PostgreSQL's message), then `N passed, N failed` on its own line.
pub fn render_test_run(r: &RunReport) -> String {
    let mut out = String::new();
    for s in &r.suites {
        out.push_str(&format!(
            "{}  ({} passed, {} failed, {:.0} ms)\n",
            s.file, s.passed, s.failed, s.duration_ms
        ));
        let rows = s
            .tests
            .iter()
            .map(|t| {
                vec![
                    t.name.clone(),
                    match t.result {
                        Verdict::Pass => "pass".to_string(),
                        Verdict::Fail => "FAIL".to_string(),
                    },
                    t.reason.clone().unwrap_or_default(),
                ]
            })
            .collect();
        out.push_str(&table(&["test", "result", "reason"], rows));
        out.push('\n');
    }
    let mut details = String::new();
    for s in &r.suites {
        if let Some(se) = &s.setup_error {
            details.push_str(&format!(
                "{}:{}:{}: the suite's setup failed; none of its tests ran\n",
                se.location.file, se.location.line, se.location.col
            ));
            details.push_str(&render_snippet(&s.file, &s.text, se.location.offset));
            if let Some(e) = &se.error {
                details.push_str(&render_pg_failure(e));
            }
            details.push('\n');
        }
        for t in s.tests.iter().filter(|t| t.result == Verdict::Fail) {
            let Some(f) = &t.failure else { continue };
            details.push_str(&format!(
                "{}:{}:{}: test `{}` (line {}): {}\n",
                f.location.file,
                f.location.line,
                f.location.col,
                t.name,
                t.line,
                t.reason.as_deref().unwrap_or("failed")
            ));
            details.push_str(&render_snippet(&s.file, &s.text, f.location.offset));
            if let Some(e) = &f.error {
                details.push_str(&render_pg_failure(e));
            }
            details.push('\n');
        }
    }
    if !details.is_empty() {
        out.push_str("failures:\n\n");
        out.push_str(&details);
    }
    out.push_str(&format!("{} passed, {} failed\n", r.passed, r.failed));
    out
}

pub(super) fn render_validation_error(e: &ValidationError) -> String {
    match e {
        ValidationError::Malformed(problems) => {
            let mut out = String::new();
            for p in problems {
                out.push_str(&format!("error: {p}\n"));
            }
            out.push_str("Nothing was run: fix the suites first.\n");
            out
        }
        other => format!("error: {other}\n"),
    }
}

/// What `seed` did, in one line.
fn seed_summary(r: &SeedReport) -> String {
    if !r.loaded {
        return "seeds unchanged; nothing loaded (use --force to reload)".to_string();
    }
    let total: u64 = r.files.iter().map(|f| f.rows).sum();
    format!(
        "Loaded {} seed file(s), {total} row(s), in one transaction in {} ms.",
        r.files.len(),
        r.duration_ms
    )
}

/// `strata seed`: what was loaded, or why nothing was.
pub fn render_seed(r: &SeedReport) -> String {
    if !r.loaded {
        return format!("{}\n", seed_summary(r));
    }
    let mut out = String::new();
    if !r.changes.is_empty() {
        let list: Vec<String> = r
            .changes
            .iter()
            .map(|c| format!("{} ({})", c.file, c.change))
            .collect();
        let data_gone = r
            .changes
            .iter()
            .all(|c| matches!(c.change, "recreated" | "emptied"));
        if data_gone {
            out.push_str(&format!(
                "The seeds are unchanged but the rows they loaded are gone: {}; loading them again.\n",
                list.join(", ")
            ));
        } else {
            out.push_str(&format!(
                "Seeds changed since the last load: {}; loading all of them.\n",
                list.join(", ")
            ));
        }
    }
    let rows = r
        .files
        .iter()
        .map(|f| {
            vec![
                f.file.clone(),
                f.table.clone().unwrap_or_else(|| "(sql)".into()),
                f.rows.to_string(),
                format!("{} ms", f.duration_ms),
            ]
        })
        .collect();
    out.push_str(&table(&["seed", "into", "rows", "time"], rows));
    out.push_str(&format!("{}\n", seed_summary(r)));
    out
}

/// `strata reset`: the first line, what was dropped.
fn render_dropped(d: &seed::reset::Dropped) -> String {
    let dropped = if d.schemas.is_empty() {
        "nothing to drop".to_string()
    } else {
        format!("dropped schema(s) {}", d.schemas.join(", "))
    };
    if d.recreated.is_empty() {
        format!("Reset: {dropped}.\n")
    } else {
        format!(
            "Reset: {dropped}; created {} again, empty.\n",
            d.recreated.join(", ")
        )
    }
}

pub(super) fn render_seed_error(e: &SeedError) -> String {
    let rolled_back =
        "Nothing was loaded: all seeds run in one transaction, which was rolled back.\n";
    match e {
        SeedError::Files(problems) => {
            let mut out = String::new();
            for p in problems {
                out.push_str(&format!("error: {p}\n"));
            }
            out.push_str("Nothing was loaded.\n");
            out
        }
        SeedError::Statement(f) => {
            let mut out = format!("error: seed {} failed\n", f.file.display);
            match f.offset {
                Some(o) => out.push_str(&render_snippet(&f.file.display, &f.file.text, o)),
                None => out.push_str(&format!("  --> {}\n", f.file.display)),
            }
            out.push_str(&render_pg_failure(&f.failure));
            out.push_str(rolled_back);
            out
        }
        SeedError::Copy(c) => {
            let mut out = format!("error: {e}\n");
            if let Some(l) = c.line {
                let width = l.to_string().len();
                out.push_str(&format!("  --> {}:{l}\n", c.file));
                if let Some(text) = &c.line_text {
                    out.push_str(&format!("{:width$} |\n{l} | {text}\n", ""));
                }
            } else {
                out.push_str(&format!("  --> {}\n", c.file));
            }
            if let Some(col) = &c.column {
                out.push_str(&format!("  column: {col}\n"));
            }
            out.push_str(&render_pg_failure(&c.failure));
            if c.failure.code == "23505" {
                out.push_str("hint: the rows may already be there from an earlier load; `strata reset` starts from an empty database\n");
            }
            out.push_str(rolled_back);
            out
        }
        SeedError::Header { .. }
        | SeedError::UnknownTable { .. }
        | SeedError::UnknownColumns { .. } => format!("error: {e}\n{rolled_back}"),
        SeedError::Io { .. } | SeedError::Db(_) => format!("error: {e}\n"),
        SeedError::DataPartlyGone { .. } => format!("error: {e}\nNothing was loaded.\n"),
    }
}
