//! `-- strata:allow <rule-id> <reason>`: silences one rule's findings on one statement, the
//! statement the comment is in or, failing that, the first one after it. The reason is kept in
//! the report. An allow naming no known rule, giving no reason, or followed by no statement is
//! itself a finding (`allow-invalid`), and one that silenced nothing is reported too
//! (`allow-unused`), so stale allows do not pile up.
//!
//! Owns: finding and applying allow comments. Must not: judge statements.

use super::rules::{Finding, RuleId, Severity};
use crate::sql::{self, Span, TokenKind};

/// One `-- strata:allow` comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allow {
    /// Byte offset of the comment.
    pub offset: usize,
    /// The rule named (the text when it names no known rule).
    pub rule: Result<RuleId, String>,
    /// Everything after the rule id.
    pub reason: Option<String>,
    /// The statement it applies to.
    pub statement: Option<usize>,
}

const PREFIX: &str = "strata:allow";

/// The allow comments of a file whose statements are `spans`.
pub fn parse(text: &str, spans: &[Span]) -> Vec<Allow> {
    let mut out = Vec::new();
    for t in sql::tokens(text).map_while(Result::ok) {
        if t.kind != TokenKind::LineComment {
            continue;
        }
        let body = text
            .get(t.start..t.end)
            .unwrap_or("")
            .trim_start_matches('-')
            .trim();
        let Some(rest) = body.strip_prefix(PREFIX) else {
            continue;
        };
        if !(rest.is_empty() || rest.starts_with(char::is_whitespace)) {
            continue;
        }
        let mut parts = rest.split_whitespace();
        let id = parts.next().unwrap_or("");
        let reason: Vec<&str> = parts.collect();
        out.push(Allow {
            offset: t.start,
            rule: id.parse::<RuleId>().map_err(|_| id.to_string()),
            reason: (!reason.is_empty()).then(|| reason.join(" ")),
            statement: attached_statement(text, spans, t.start),
        });
    }
    out
}

/// The statement a comment at `offset` is about: the one it is inside; else the one whose end
/// is on the same line before it (`ALTER …; -- strata:allow …`); else the next one.
fn attached_statement(text: &str, spans: &[Span], offset: usize) -> Option<usize> {
    let next = spans.iter().position(|s| s.end > offset);
    if let Some(i) = next {
        if spans.get(i).is_some_and(|s| s.start <= offset) {
            return Some(i);
        }
    }
    let previous = match next {
        Some(0) => None,
        Some(i) => Some(i - 1),
        None => spans.len().checked_sub(1),
    };
    if let Some(p) = previous {
        let between = spans
            .get(p)
            .and_then(|s| text.get(s.end..offset))
            .unwrap_or("\n");
        if !between.contains('\n') {
            return Some(p);
        }
    }
    next
}

/// A finding and, when an allow silenced it, the allow's reason.
pub type Judged = (Finding, Option<String>);

/// Applies `allows` to `findings`. `ran` is how many statements ran (allows on statements that
/// never ran are not reported as unused). Returns the findings with their allow reasons, plus
/// the findings about the allows themselves.
pub fn apply(findings: Vec<Finding>, allows: &[Allow], ran: usize) -> Vec<Judged> {
    let mut used = vec![false; allows.len()];
    let mut out: Vec<Judged> = findings
        .into_iter()
        .map(|f| {
            let by = allows.iter().enumerate().find(|(_, a)| {
                a.statement == Some(f.statement)
                    && a.rule == Ok(f.rule)
                    && a.reason.is_some()
                    && f.rule != RuleId::AllowInvalid
            });
            let reason = by.map(|(i, a)| {
                used[i] = true;
                a.reason.clone().unwrap_or_default()
            });
            (f, reason)
        })
        .collect();
    for (i, a) in allows.iter().enumerate() {
        let problem = match (&a.rule, &a.reason, a.statement) {
            (Err(id), _, _) if id.is_empty() => Some(format!(
                "`-- {PREFIX}` names no rule; write `-- {PREFIX} <rule-id> <reason>`"
            )),
            (Err(id), _, _) => Some(format!(
                "`-- {PREFIX} {id}`: no rule has that id; the ids are {}",
                known_ids()
            )),
            (Ok(rule), None, _) => Some(format!(
                "`-- {PREFIX} {rule}` gives no reason; the reason is kept in the report, so write why the finding does not apply"
            )),
            (Ok(rule), Some(_), None) => Some(format!(
                "`-- {PREFIX} {rule}` is after the last statement; put it on or just above the statement it is about"
            )),
            _ => None,
        };
        let statement = a.statement.unwrap_or(ran.saturating_sub(1));
        if let Some(message) = problem {
            out.push((
                Finding {
                    rule: RuleId::AllowInvalid,
                    severity: Severity::Error,
                    statement,
                    offset: a.offset,
                    object: None,
                    message,
                    fix: format!("-- {PREFIX} <rule-id> <why this statement is safe>"),
                },
                None,
            ));
        } else if !used[i] && a.statement.is_some_and(|s| s < ran) {
            let rule = a.rule.as_ref().map(|r| r.as_str()).unwrap_or("");
            out.push((
                Finding {
                    rule: RuleId::AllowUnused,
                    severity: Severity::Warning,
                    statement,
                    offset: a.offset,
                    object: None,
                    message: format!(
                        "`-- {PREFIX} {rule}` silences nothing: the statement it is about has no {rule} finding"
                    ),
                    fix: "remove the comment".into(),
                },
                None,
            ));
        }
    }
    out.sort_by_key(|a| (a.0.offset, a.0.rule));
    out
}

fn known_ids() -> String {
    RuleId::ALL
        .iter()
        .filter(|r| r.category() != "allow")
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(rule: RuleId, statement: usize, offset: usize) -> Finding {
        Finding {
            rule,
            severity: Severity::Error,
            statement,
            offset,
            object: None,
            message: "m".into(),
            fix: "f".into(),
        }
    }

    const TEXT: &str = "CREATE TABLE a (id int);\n\
        -- strata:allow table-dropped the table was never used\n\
        DROP TABLE old;\n\
        ALTER TABLE b DROP COLUMN c; -- strata:allow column-dropped no reader left\n\
        SELECT 1; -- strata:allow table-rewrite\n\
        -- strata:allow no-such-rule because\n\
        SELECT 2;\n\
        -- strata:allowance is not an allow\n";

    #[test]
    fn allows_attach_to_their_statement() {
        let spans = sql::split(TEXT).unwrap();
        let allows = parse(TEXT, &spans);
        assert_eq!(allows.len(), 4);
        assert_eq!(allows[0].statement, Some(1));
        assert_eq!(allows[0].rule, Ok(RuleId::TableDropped));
        assert_eq!(
            allows[0].reason.as_deref(),
            Some("the table was never used")
        );
        // After the `;` on the statement's own line: that statement.
        assert_eq!(allows[1].statement, Some(2));
        assert_eq!(allows[2].statement, Some(3));
        assert_eq!(allows[2].reason, None);
        assert_eq!(allows[3].rule, Err("no-such-rule".into()));
        assert_eq!(allows[3].statement, Some(4));
    }

    #[test]
    fn allowed_findings_keep_the_reason_and_bad_allows_are_findings() {
        let spans = sql::split(TEXT).unwrap();
        let allows = parse(TEXT, &spans);
        let judged = apply(
            vec![
                finding(RuleId::TableDropped, 1, TEXT.find("DROP TABLE").unwrap()),
                finding(
                    RuleId::ColumnDropped,
                    2,
                    TEXT.find("ALTER TABLE b").unwrap(),
                ),
                finding(RuleId::TableRewrite, 3, TEXT.find("SELECT 1").unwrap()),
            ],
            &allows,
            spans.len(),
        );
        let summary: Vec<(RuleId, Option<&str>)> =
            judged.iter().map(|(f, r)| (f.rule, r.as_deref())).collect();
        assert_eq!(
            summary,
            vec![
                (RuleId::TableDropped, Some("the table was never used")),
                (RuleId::ColumnDropped, Some("no reader left")),
                (RuleId::TableRewrite, None),
                (RuleId::AllowInvalid, None),
                (RuleId::AllowInvalid, None),
            ]
        );
        let invalid: Vec<&str> = judged
            .iter()
            .filter(|(f, _)| f.rule == RuleId::AllowInvalid)
            .map(|(f, _)| f.message.as_str())
            .collect();
        assert!(invalid[0].contains("gives no reason"), "{invalid:?}");
        assert!(invalid[1].contains("no rule has that id"), "{invalid:?}");
    }

    #[test]
    fn allows_after_the_last_statement_or_on_statements_that_never_ran() {
        let text = "SELECT 1;\nSELECT 2;\n-- strata:allow table-dropped late\n";
        let spans = sql::split(text).unwrap();
        let allows = parse(text, &spans);
        let judged = apply(Vec::new(), &allows, 2);
        assert_eq!(judged.len(), 1);
        assert!(judged[0].0.message.contains("after the last statement"));

        let text = "SELECT 1;\n-- strata:allow table-dropped never ran\nSELECT 2;\n";
        let spans = sql::split(text).unwrap();
        let allows = parse(text, &spans);
        assert!(apply(Vec::new(), &allows, 1).is_empty());
        // The same allow on a statement that ran and had no such finding.
        let judged = apply(Vec::new(), &allows, 2);
        assert_eq!(judged.len(), 1);
        assert_eq!(judged[0].0.rule, RuleId::AllowUnused);
        assert_eq!(judged[0].0.severity, Severity::Warning);
    }
}
