//! `strata lint` output: each finding as a diagnostic in the style of `up`'s errors (rule id,
//! message, `file:line:col`, the source lines with a caret, the fix), allowed findings with
//! their reasons, a summary line; with `-v` what each statement was seen doing; GitHub Actions
//! annotations for `--format github`.

use super::{plural, render_snippet, Annotation, AnnotationLevel, Render, Text};
use crate::lint::{LintFinding, LintOutcome, LintStatus, MigrationLint, Severity};
use crate::project::SourceFile;

/// One diagnostic: header, location with source excerpt, fix (or the allow's reason).
fn diagnostic(
    severity: Severity,
    rule: &str,
    message: &str,
    fix: &str,
    allowed: Option<&str>,
    (path, text, offset): (&str, &str, usize),
) -> String {
    match allowed {
        Some(reason) => {
            let (line, col) = crate::sql::LineIndex::new(text).line_col(text, offset);
            format!("allowed[{rule}]: {message}\n  --> {path}:{line}:{col}\n  = allowed because: {reason}\n")
        }
        None => {
            let mut out = format!("{severity}[{rule}]: {message}\n");
            out.push_str(&render_snippet(path, text, offset));
            out.push_str(&format!("  = fix: {fix}\n"));
            out
        }
    }
}

/// A rule's finding in `file`, as `strata lint` prints it.
pub fn render_finding(
    file: &SourceFile,
    f: &crate::lint::Finding,
    allowed: Option<&str>,
) -> String {
    diagnostic(
        f.severity,
        f.rule.as_str(),
        &f.message,
        &f.fix,
        allowed,
        (&file.display, &file.text, f.offset),
    )
}

fn render_lint_finding(m: &MigrationLint, f: &LintFinding) -> String {
    diagnostic(
        f.severity,
        f.rule.as_str(),
        &f.message,
        &f.fix,
        f.allowed.as_deref(),
        (&f.file, &m.text, f.offset),
    )
}

/// The text report: findings (errors and warnings first, allowed ones after), what could not
/// run, with `verbose` what each statement did, then the summary.
pub fn render_text(outcome: &LintOutcome, verbose: bool) -> String {
    let mut out = String::new();
    for m in &outcome.migrations {
        for f in m.findings.iter().filter(|f| f.allowed.is_none()) {
            out.push_str(&render_lint_finding(m, f));
            out.push('\n');
        }
    }
    for m in &outcome.migrations {
        for f in m.findings.iter().filter(|f| f.allowed.is_some()) {
            out.push_str(&render_lint_finding(m, f));
            out.push('\n');
        }
    }
    for m in &outcome.migrations {
        if let (LintStatus::NotRun, Some(by)) = (m.status, &m.blocked_by) {
            out.push_str(&format!(
                "error: {} was not judged: {by}, before it, failed on the shadow database\n\n",
                m.file
            ));
        }
    }
    if verbose {
        for m in &outcome.migrations {
            out.push_str(&render_observed(m));
        }
    }
    let s = &outcome.summary;
    if s.migrations == 0 {
        out.push_str("Nothing to lint: no pending migrations.\n");
        return out;
    }
    let mut parts = Vec::new();
    if s.errors > 0 {
        parts.push(plural(s.errors, "error", "errors"));
    }
    if s.warnings > 0 {
        parts.push(plural(s.warnings, "warning", "warnings"));
    }
    if s.allowed > 0 {
        parts.push(format!("{} allowed", s.allowed));
    }
    if s.not_run > 0 {
        parts.push(format!("{} not judged", s.not_run));
    }
    let findings = if parts.is_empty() {
        "no findings".to_string()
    } else {
        parts.join(", ")
    };
    out.push_str(&format!(
        "Linted {} on a shadow database: {findings}.\n",
        plural(s.migrations, "migration", "migrations")
    ));
    out
}

/// What each statement of a migration was seen doing to relations that existed before it.
fn render_observed(m: &MigrationLint) -> String {
    if m.statements.is_empty() {
        return String::new();
    }
    let rows = m
        .statements
        .iter()
        .map(|s| {
            let locks = s
                .locks
                .iter()
                .map(|l| format!("{} {}", l.mode, l.relation))
                .collect::<Vec<_>>()
                .join("\n");
            vec![
                s.line.to_string(),
                s.statement.clone(),
                locks,
                s.rewritten.join("\n"),
                s.scanned.join("\n"),
            ]
        })
        .collect();
    let mut out = format!(
        "{} on the shadow (relations that existed before it):\n",
        m.file
    );
    out.push_str(&super::table(
        &["line", "statement", "locks taken", "rewritten", "scanned"],
        rows,
    ));
    for size in &m.shadow_sizes {
        out.push_str(&format!(
            "  {}: {} bytes on the shadow\n",
            size.table, size.bytes
        ));
    }
    out.push('\n');
    out
}

impl Render for LintOutcome {
    fn text(&self, t: &mut Text) {
        t.out.push_str(&render_text(self, t.verbose > 0));
    }

    /// One annotation per finding nobody allowed, and per migration that could not be judged.
    fn annotations(&self) -> Vec<Annotation> {
        let mut out = Vec::new();
        for m in &self.migrations {
            for f in m.findings.iter().filter(|f| f.allowed.is_none()) {
                out.push(Annotation {
                    level: match f.severity {
                        Severity::Error => AnnotationLevel::Error,
                        Severity::Warning => AnnotationLevel::Warning,
                    },
                    file: Some(f.file.clone()),
                    line: Some(f.line),
                    column: Some(f.column),
                    title: Some(format!("strata lint: {}", f.rule)),
                    message: format!("{}\nFix: {}", f.message, f.fix),
                });
            }
            if let (LintStatus::NotRun, Some(by)) = (m.status, &m.blocked_by) {
                out.push(Annotation {
                    level: AnnotationLevel::Error,
                    file: Some(m.file.clone()),
                    line: None,
                    column: None,
                    title: Some("strata lint".into()),
                    message: format!("not judged: {by} failed on the shadow database"),
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::{LintFinding, RuleId};

    fn outcome() -> LintOutcome {
        let text = "-- strata:lock-timeout 5s\nCREATE INDEX orders_created_idx ON orders (created_at);\nDROP TABLE legacy; -- strata:allow table-dropped unused since v2\n";
        let finding = |rule, severity, line, offset: usize, allowed: Option<&str>| LintFinding {
            rule,
            severity,
            file: "migrations/002_orders.sql".into(),
            line,
            column: 1,
            object: None,
            message: format!("message of {rule}"),
            fix: "fix, with: colon".into(),
            allowed: allowed.map(str::to_string),
            offset,
        };
        let m = MigrationLint {
            version: "2".into(),
            name: "orders".into(),
            file: "migrations/002_orders.sql".into(),
            status: LintStatus::Linted,
            blocked_by: None,
            findings: vec![
                finding(
                    RuleId::IndexNotConcurrent,
                    Severity::Error,
                    2,
                    text.find("CREATE").unwrap(),
                    None,
                ),
                finding(
                    RuleId::TableDropped,
                    Severity::Error,
                    3,
                    text.find("DROP").unwrap(),
                    Some("unused since v2"),
                ),
            ],
            statements: Vec::new(),
            shadow_sizes: Vec::new(),
            text: text.into(),
        };
        let blocked = MigrationLint {
            version: "3".into(),
            name: "later".into(),
            file: "migrations/003_later.sql".into(),
            status: LintStatus::NotRun,
            blocked_by: Some("migrations/002_orders.sql".into()),
            findings: Vec::new(),
            statements: Vec::new(),
            shadow_sizes: Vec::new(),
            text: String::new(),
        };
        LintOutcome::new(vec![m, blocked])
    }

    #[test]
    fn text_report_layout() {
        let o = outcome();
        assert_eq!(o.summary.errors, 1);
        insta::assert_snapshot!("lint_text_report", render_text(&o, false));
    }

    #[test]
    fn github_annotations_name_the_rule_and_skip_allowed_findings() {
        let notes: Vec<String> = outcome()
            .annotations()
            .iter()
            .map(Annotation::render)
            .collect();
        assert_eq!(
            notes,
            vec![
                "::error file=migrations/002_orders.sql,line=2,col=1,title=strata lint%3A index-not-concurrent::message of index-not-concurrent%0AFix: fix, with: colon\n".to_string(),
                "::error file=migrations/003_later.sql,title=strata lint::not judged: migrations/002_orders.sql failed on the shadow database\n".to_string(),
            ]
        );
    }

    #[test]
    fn nothing_to_lint() {
        let o = LintOutcome::new(Vec::new());
        assert_eq!(
            render_text(&o, false),
            "Nothing to lint: no pending migrations.\n"
        );
    }
}
