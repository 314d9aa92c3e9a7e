//! JUnit XML for CI (`strata test --junit FILE`), rendered from the same [`RunReport`] as the
//! text table and the JSON.
//!
//! The shape is the one CI systems read (Jenkins, GitLab, GitHub test reporters): one
//! `<testsuite>` per suite file, one `<testcase>` per test with `classname` = the file and
//! `file`/`line` attributes, a `<failure>` whose `message` is the one-line reason and whose body
//! has the location and PostgreSQL's error. Text is escaped for XML 1.0, and characters XML 1.0
//! cannot carry at all (most C0 controls) are replaced, so a NUL in an error message cannot make
//! the file unreadable.

use super::{RunReport, SuiteReport, TestReport, Verdict};
use std::fmt::Write;

/// Escapes text for an XML attribute or element.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

fn secs(ms: f64) -> String {
    format!("{:.3}", ms / 1000.0)
}

fn failure_body(t: &TestReport) -> String {
    let mut body = String::new();
    if let Some(f) = &t.failure {
        let _ = writeln!(
            body,
            "{}:{}:{}",
            f.location.file, f.location.line, f.location.col
        );
    }
    if let Some(r) = &t.reason {
        let _ = writeln!(body, "{r}");
    }
    if let Some(e) = t.failure.as_ref().and_then(|f| f.error.as_ref()) {
        if let Some(d) = &e.detail {
            let _ = writeln!(body, "detail: {d}");
        }
        if let Some(h) = &e.hint {
            let _ = writeln!(body, "hint: {h}");
        }
        if let Some(c) = &e.context {
            let _ = writeln!(body, "context: {c}");
        }
    }
    body
}

fn testcase(out: &mut String, suite: &SuiteReport, t: &TestReport) {
    let _ = write!(
        out,
        "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\" line=\"{}\" time=\"{}\"",
        escape(&t.name),
        escape(&suite.file),
        escape(&suite.file),
        t.line,
        secs(t.duration_ms)
    );
    match t.result {
        Verdict::Pass => out.push_str("/>\n"),
        Verdict::Fail => {
            let kind = t
                .failure
                .as_ref()
                .and_then(|f| f.error.as_ref())
                .map(|e| e.code.clone())
                .unwrap_or_else(|| "expectation".into());
            let _ = write!(
                out,
                ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>\n",
                escape(t.reason.as_deref().unwrap_or("failed")),
                escape(&kind),
                escape(&failure_body(t))
            );
        }
    }
}

/// The whole run as a JUnit XML document.
pub fn render(report: &RunReport) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"strata\" tests=\"{}\" failures=\"{}\" errors=\"0\" time=\"{}\">",
        report.passed + report.failed,
        report.failed,
        secs(report.duration_ms)
    );
    for s in &report.suites {
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\" time=\"{}\">",
            escape(&s.file),
            s.tests.len(),
            s.failed,
            secs(s.duration_ms)
        );
        for t in &s.tests {
            testcase(&mut out, s, t);
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validation::{Failure, Location};

    #[test]
    fn escapes_markup_quotes_and_controls() {
        assert_eq!(
            escape("a<b & \"c\" 'd'>\u{0}\n"),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;\u{FFFD}\n"
        );
    }

    #[test]
    fn renders_a_failure() {
        let report = RunReport {
            suites: vec![SuiteReport {
                file: "tests/validation/a&b.sql".into(),
                passed: 1,
                failed: 1,
                setup_error: None,
                duration_ms: 2.0,
                text: String::new(),
                tests: vec![
                    TestReport {
                        name: "fine".into(),
                        line: 1,
                        result: Verdict::Pass,
                        reason: None,
                        failure: None,
                        duration_ms: 1.0,
                    },
                    TestReport {
                        name: "rows <3>".into(),
                        line: 5,
                        result: Verdict::Fail,
                        reason: Some("expected rows 1, got 3".into()),
                        failure: Some(Failure {
                            location: Location {
                                file: "tests/validation/a&b.sql".into(),
                                line: 7,
                                col: 1,
                                offset: 0,
                            },
                            error: None,
                        }),
                        duration_ms: 1.0,
                    },
                ],
            }],
            passed: 1,
            failed: 1,
            duration_ms: 2.0,
        };
        let xml = render(&report);
        assert!(xml.contains(
            "<testsuite name=\"tests/validation/a&amp;b.sql\" tests=\"2\" failures=\"1\""
        ));
        assert!(xml.contains("name=\"rows &lt;3&gt;\""));
        assert!(xml.contains(
            "<failure message=\"expected rows 1, got 3\" type=\"expectation\">tests/validation/a&amp;b.sql:7:1\nexpected rows 1, got 3\n</failure>"
        ));
    }
}
