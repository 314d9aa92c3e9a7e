//! Annotation payloads: what follows the colon of `-- as:` (a role and a user id) and of
//! `-- expect:` (`ok`, `rows N`, `error CODE`, `value V`).
//!
//! Must not: find annotations or look at SQL; condition names come from
//! `validation::condition`.

use super::{Assume, Expectation, ParseError};
use crate::validation::condition::{condition_to_sqlstate, is_sqlstate};

/// Split an annotation payload into words; `"…"` and `'…'` words may hold blanks and doubled
/// quotes, and come back unquoted. `None` for an unclosed quote.
fn payload_words(payload: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut chars = payload.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let Some(&first) = chars.peek() else {
            return Some(words);
        };
        let mut word = String::new();
        if first == '"' || first == '\'' {
            chars.next();
            loop {
                match chars.next() {
                    Some(c) if c == first => {
                        if chars.next_if_eq(&first).is_some() {
                            word.push(first);
                        } else {
                            break;
                        }
                    }
                    Some(c) => word.push(c),
                    None => return None,
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                word.push(c);
            }
        }
        words.push(word);
    }
}

pub(super) fn parse_assume(payload: &str, line: usize) -> Result<Assume, ParseError> {
    let bad = || ParseError::BadAs {
        line,
        text: payload.to_string(),
    };
    let words = payload_words(payload).ok_or_else(bad)?;
    match words.as_slice() {
        [role] if !role.is_empty() => Ok(Assume {
            role: role.clone(),
            user_id: None,
        }),
        [role, user_id] if !role.is_empty() => Ok(Assume {
            role: role.clone(),
            user_id: Some(user_id.clone()),
        }),
        _ => Err(bad()),
    }
}

pub(super) fn parse_expectation(payload: &str, line: usize) -> Result<Expectation, ParseError> {
    let unknown = || ParseError::UnknownExpect {
        line,
        text: payload.to_string(),
    };
    let keyword_len = payload.find(char::is_whitespace).unwrap_or(payload.len());
    let (keyword, rest) = payload.split_at(keyword_len);
    let rest = rest.trim();
    match keyword.to_ascii_lowercase().as_str() {
        "ok" if rest.is_empty() => Ok(Expectation::Ok),
        "rows" => rest
            .parse::<u64>()
            .map(Expectation::Rows)
            .map_err(|_| ParseError::BadRows {
                line,
                text: rest.to_string(),
            }),
        "error" if !rest.is_empty() && !rest.contains(char::is_whitespace) => {
            let sqlstate = condition_to_sqlstate(rest)
                .map(str::to_string)
                .or_else(|| is_sqlstate(rest).then(|| rest.to_ascii_uppercase()))
                .ok_or_else(|| ParseError::UnknownCondition {
                    line,
                    name: rest.to_string(),
                })?;
            Ok(Expectation::Error {
                sqlstate,
                written: rest.to_string(),
            })
        }
        "value" if !rest.is_empty() => Ok(Expectation::Value(unquote_value(rest))),
        _ => Err(unknown()),
    }
}

/// `'a ''b'''` → `a 'b'`; anything not wholly in single quotes is returned as written.
fn unquote_value(value: &str) -> String {
    let inner = value
        .strip_prefix('\'')
        .and_then(|v| v.strip_suffix('\''))
        .filter(|_| value.len() >= 2);
    match inner {
        // Only a well-formed literal: every quote inside must be doubled.
        Some(inner) if inner.replace("''", "").find('\'').is_none() => inner.replace("''", "'"),
        _ => value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::super::*;

    #[test]
    fn expect_ok() {
        assert_eq!(
            parse_ok("-- test: t\n-- expect: OK\nSELECT 1").tests[0].expect,
            Expectation::Ok
        );
    }

    #[test]
    fn expect_ok_with_extra_text_is_unknown() {
        assert_eq!(
            parse_err("-- test: t\n-- expect: ok then\nSELECT 1"),
            [ParseError::UnknownExpect {
                line: 2,
                text: "ok then".into()
            }]
        );
    }

    #[test]
    fn bad_rows() {
        for (text, found) in [
            ("rows", ""),
            ("rows -1", "-1"),
            ("rows two", "two"),
            ("rows 1 2", "1 2"),
        ] {
            let sql = format!("-- test: t\n-- expect: {text}\nSELECT 1");
            assert_eq!(
                parse_err(&sql),
                [ParseError::BadRows {
                    line: 2,
                    text: found.into()
                }],
                "{text}"
            );
        }
    }

    #[test]
    fn expect_error_by_condition_name() {
        let suite = parse_ok("-- test: t\n-- expect: error Check_Violation\nSELECT 1");
        assert_eq!(
            suite.tests[0].expect,
            Expectation::Error {
                sqlstate: "23514".into(),
                written: "Check_Violation".into()
            }
        );
    }

    #[test]
    fn expect_error_by_sqlstate() {
        let suite = parse_ok("-- test: t\n-- expect: error p0001\nSELECT 1");
        assert_eq!(
            suite.tests[0].expect,
            Expectation::Error {
                sqlstate: "P0001".into(),
                written: "p0001".into()
            }
        );
    }

    #[test]
    fn unknown_condition_suggests_the_closest_name() {
        let errors = parse_err("-- test: t\n-- expect: error check_violaton\nSELECT 1");
        assert_eq!(
            errors,
            [ParseError::UnknownCondition {
                line: 2,
                name: "check_violaton".into()
            }]
        );
        assert!(
            errors[0]
                .to_string()
                .contains("did you mean `check_violation`?"),
            "{}",
            errors[0]
        );
        let far = parse_err("-- test: t\n-- expect: error 2351\nSELECT 1");
        assert!(
            far[0].to_string().contains("5-character SQLSTATE"),
            "{}",
            far[0]
        );
    }

    #[test]
    fn expect_error_without_code_or_with_two_is_unknown() {
        for text in ["error", "error 23514 check_violation"] {
            let sql = format!("-- test: t\n-- expect: {text}\nSELECT 1");
            assert!(
                matches!(
                    parse_err(&sql)[..],
                    [ParseError::UnknownExpect { line: 2, .. }]
                ),
                "{text}"
            );
        }
    }

    #[test]
    fn expect_value_forms() {
        let cases = [
            ("value 3", "3"),
            ("value  hello world  ", "hello world"),
            ("value ''", ""),
            ("value 'a ''b'' '", "a 'b' "),
            ("value 'a'b'", "'a'b'"),
            ("value '", "'"),
            ("VALUE {1,2}", "{1,2}"),
        ];
        for (text, value) in cases {
            let sql = format!("-- test: t\n-- expect: {text}\nSELECT 1");
            assert_eq!(
                parse_ok(&sql).tests[0].expect,
                Expectation::Value(value.into()),
                "{text}"
            );
        }
    }

    #[test]
    fn expect_value_alone_is_unknown() {
        assert_eq!(
            parse_err("-- test: t\n-- expect: value  \nSELECT 1"),
            [ParseError::UnknownExpect {
                line: 2,
                text: "value".into()
            }]
        );
    }

    #[test]
    fn unknown_expect_keyword() {
        let errors = parse_err("-- test: t\n-- expect: fails\nSELECT 1");
        assert_eq!(
            errors,
            [ParseError::UnknownExpect {
                line: 2,
                text: "fails".into()
            }]
        );
        assert!(errors[0]
            .to_string()
            .starts_with("line 2: unknown expectation `fails`"));
    }

    #[test]
    fn as_with_role_only_and_quoted_parts() {
        let suite = parse_ok(
            "-- test: t\n-- as: anon\nSELECT 1\n-- test: u\n-- as: \"My Role\" 'user 1'\nSELECT 1",
        );
        assert_eq!(
            suite.tests[0].assume,
            Some(Assume {
                role: "anon".into(),
                user_id: None
            })
        );
        assert_eq!(
            suite.tests[1].assume,
            Some(Assume {
                role: "My Role".into(),
                user_id: Some("user 1".into())
            })
        );
    }

    #[test]
    fn bad_as() {
        for text in ["", "a b c", "\"open"] {
            let sql = format!("-- test: t\n-- as: {text}\nSELECT 1");
            assert_eq!(
                parse_err(&sql),
                [ParseError::BadAs {
                    line: 2,
                    text: text.into()
                }],
                "{text:?}"
            );
        }
    }
}
