//! Judging: did a test's last statement do what its `-- expect:` says? A pure function from the
//! expectation and what the statement did ([`Outcome`]) to `None` (pass) or the one-line reason it
//! failed, tested without a database.
//!
//! Must not: run statements (that is [`super::run`](mod@super::run)).

use super::condition::describe_sqlstate;
use super::parse::Expectation;
use crate::db::PgFailure;

/// What one statement did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Succeeded {
        /// Rows the statement returned.
        returned: u64,
        /// Rows it affected (its command tag's count).
        affected: u64,
        /// First column of the first row, as text (`None` for NULL); `None` without rows or
        /// columns.
        first: Option<Option<String>>,
        /// The first row has no columns (`SELECT FROM t`).
        no_columns: bool,
    },
    Failed(PgFailure),
}

pub(super) fn got_error(f: &PgFailure) -> String {
    format!("got error {}: {}", f.code, f.message)
}

fn expected_text(e: &Expectation) -> String {
    match e {
        Expectation::Ok => "ok".into(),
        Expectation::Rows(n) => format!("rows {n}"),
        Expectation::Error { sqlstate, .. } => format!("error {}", describe_sqlstate(sqlstate)),
        Expectation::Value(v) => format!("value {v}"),
    }
}

/// Judges the last statement of a test: `None` is a pass, otherwise the reason it failed.
pub fn judge(expect: &Expectation, outcome: &Outcome) -> Option<String> {
    let want = expected_text(expect);
    match (expect, outcome) {
        (Expectation::Ok, Outcome::Succeeded { .. }) => None,
        (Expectation::Error { sqlstate, .. }, Outcome::Failed(f)) => {
            if f.code.eq_ignore_ascii_case(sqlstate) {
                None
            } else {
                Some(format!(
                    "expected {want}, got error {}: {}",
                    describe_sqlstate(&f.code),
                    f.message
                ))
            }
        }
        (Expectation::Error { .. }, Outcome::Succeeded { .. }) => {
            Some(format!("expected {want}, statement succeeded"))
        }
        (_, Outcome::Failed(f)) => Some(format!("expected {want}, {}", got_error(f))),
        (
            Expectation::Rows(n),
            Outcome::Succeeded {
                returned, affected, ..
            },
        ) => {
            let got = if *returned > 0 { *returned } else { *affected };
            (got != *n).then(|| format!("expected {want}, got {got}"))
        }
        (
            Expectation::Value(v),
            Outcome::Succeeded {
                returned,
                first,
                no_columns,
                ..
            },
        ) => {
            if *returned == 0 {
                return Some(format!("expected {want}, got no rows"));
            }
            if *returned > 1 {
                return Some(format!(
                    "expected {want}, got {returned} rows (value needs exactly one)"
                ));
            }
            if *no_columns {
                return Some(format!("expected {want}, the row has no columns"));
            }
            match first {
                Some(Some(text)) if text == v => None,
                Some(None) if v == "NULL" => None,
                Some(Some(text)) => Some(format!("expected {want}, got {text}")),
                Some(None) | None => Some(format!("expected {want}, got NULL")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(returned: u64, affected: u64, first: Option<Option<&str>>) -> Outcome {
        Outcome::Succeeded {
            returned,
            affected,
            first: first.map(|f| f.map(str::to_string)),
            no_columns: false,
        }
    }

    fn err(code: &str, message: &str) -> Outcome {
        Outcome::Failed(PgFailure {
            code: code.into(),
            message: message.into(),
            ..PgFailure::default()
        })
    }

    fn error(code: &str) -> Expectation {
        Expectation::Error {
            sqlstate: code.into(),
            written: code.into(),
        }
    }

    #[test]
    fn judges_ok() {
        assert_eq!(judge(&Expectation::Ok, &ok(0, 0, None)), None);
        assert_eq!(
            judge(
                &Expectation::Ok,
                &err("42501", "permission denied for table x")
            )
            .as_deref(),
            Some("expected ok, got error 42501: permission denied for table x")
        );
    }

    #[test]
    fn judges_rows_returned_or_affected() {
        assert_eq!(
            judge(&Expectation::Rows(3), &ok(3, 3, Some(Some("a")))),
            None
        );
        assert_eq!(judge(&Expectation::Rows(2), &ok(0, 2, None)), None);
        assert_eq!(judge(&Expectation::Rows(0), &ok(0, 0, None)), None);
        assert_eq!(
            judge(&Expectation::Rows(1), &ok(3, 3, Some(Some("a")))).as_deref(),
            Some("expected rows 1, got 3")
        );
    }

    #[test]
    fn judges_errors_with_condition_names() {
        assert_eq!(judge(&error("23514"), &err("23514", "x")), None);
        assert_eq!(
            judge(&error("23514"), &ok(1, 1, None)).as_deref(),
            Some("expected error 23514 (check_violation), statement succeeded")
        );
        assert_eq!(
            judge(&error("23514"), &err("23505", "duplicate key")).as_deref(),
            Some("expected error 23514 (check_violation), got error 23505 (unique_violation): duplicate key")
        );
    }

    #[test]
    fn judges_values_as_text() {
        let v = |s: &str| Expectation::Value(s.into());
        assert_eq!(judge(&v("3"), &ok(1, 1, Some(Some("3")))), None);
        assert_eq!(
            judge(&v("3"), &ok(1, 1, Some(Some("3.00")))).as_deref(),
            Some("expected value 3, got 3.00")
        );
        assert_eq!(
            judge(&v("t"), &ok(0, 0, None)).as_deref(),
            Some("expected value t, got no rows")
        );
        assert_eq!(
            judge(&v("t"), &ok(2, 2, Some(Some("t")))).as_deref(),
            Some("expected value t, got 2 rows (value needs exactly one)")
        );
        assert_eq!(judge(&v("NULL"), &ok(1, 1, Some(None))), None);
        assert_eq!(
            judge(&v("1"), &ok(1, 1, Some(None))).as_deref(),
            Some("expected value 1, got NULL")
        );
    }
}
