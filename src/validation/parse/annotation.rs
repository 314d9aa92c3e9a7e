//! Finding annotations: the `-- test:`, `-- as:` and `-- expect:` comments of a suite file, found
//! with the same lexer that splits statements, so that one inside a string, a dollar-quoted body
//! or a `/* … */` comment is not an annotation.
//!
//! Must not: read what follows the colon (that is [`super::payload`]) or split statements.

use super::ParseError;
use crate::sql::{tokens, LineIndex, TokenKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AnnotationKind {
    Test,
    As,
    Expect,
}

impl AnnotationKind {
    pub(super) fn word(self) -> &'static str {
        match self {
            AnnotationKind::Test => "test",
            AnnotationKind::As => "as",
            AnnotationKind::Expect => "expect",
        }
    }
}

/// One annotation comment: where it is and what follows its colon.
#[derive(Debug, Clone, Copy)]
pub(super) struct Annotation<'a> {
    pub(super) kind: AnnotationKind,
    pub(super) line: usize,
    /// Byte offsets of the comment (`--` up to the end of the line).
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) payload: &'a str,
}

/// `-- test: x` → (Test, "x"); `None` for an ordinary comment.
fn annotation_of(comment: &str) -> Option<(AnnotationKind, &str)> {
    let rest = comment.strip_prefix("--")?.trim_start();
    let word_len = rest
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(rest.len());
    let (word, after) = rest.split_at(word_len);
    let kind = [
        AnnotationKind::Test,
        AnnotationKind::As,
        AnnotationKind::Expect,
    ]
    .into_iter()
    .find(|kind| word.eq_ignore_ascii_case(kind.word()))?;
    let payload = after.trim_start().strip_prefix(':')?;
    Some((kind, payload.trim()))
}

/// Whether only blanks precede byte `at` on its line.
fn first_on_line(text: &str, at: usize) -> bool {
    text.as_bytes()
        .get(..at)
        .unwrap_or(&[])
        .iter()
        .rev()
        .take_while(|&&b| b != b'\n')
        .all(|&b| matches!(b, b' ' | b'\t' | b'\r' | 0x0b | 0x0c))
}

/// Start of the first line after byte `from` that reads as a `-- test:` annotation.
fn next_test_line(text: &str, from: usize) -> Option<usize> {
    let mut line_start = text.get(from..)?.find('\n')? + from + 1;
    while let Some(rest) = text.get(line_start..) {
        let line = rest.split('\n').next().unwrap_or("");
        if matches!(annotation_of(line.trim()), Some((AnnotationKind::Test, _))) {
            return Some(line_start);
        }
        line_start += line.len() + 1;
    }
    None
}

/// Every annotation in `text`, in order. After an unterminated quote or comment, the lexer
/// resumes at the next line that reads as `-- test:` (the broken piece is reported when split).
pub(super) fn find_annotations<'a>(
    text: &'a str,
    index: &LineIndex,
    errors: &mut Vec<ParseError>,
) -> Vec<Annotation<'a>> {
    let mut found = Vec::new();
    let mut offset = 0;
    loop {
        let piece = text.get(offset..).unwrap_or("");
        let mut failed_at = None;
        for token in tokens(piece) {
            let token = match token {
                Ok(token) => token,
                Err(error) => {
                    failed_at = Some(offset + error.start());
                    break;
                }
            };
            if token.kind != TokenKind::LineComment {
                continue;
            }
            let (start, end) = (offset + token.start, offset + token.end);
            let comment = text.get(start..end).unwrap_or("");
            let Some((kind, payload)) = annotation_of(comment) else {
                continue;
            };
            let (line, _) = index.line_col(text, start);
            if !first_on_line(text, start) {
                errors.push(ParseError::MisplacedAnnotation {
                    line,
                    what: kind.word(),
                });
                continue;
            }
            found.push(Annotation {
                kind,
                line,
                start,
                end,
                payload,
            });
        }
        match failed_at.and_then(|at| next_test_line(text, at)) {
            Some(resume) => offset = resume,
            None => return found,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::super::*;
    use super::annotation_of;

    #[test]
    fn annotation_of_reads_kind_and_payload() {
        assert!(matches!(
            annotation_of("-- test: a b"),
            Some((AnnotationKind::Test, "a b"))
        ));
        assert!(matches!(
            annotation_of("--AS:anon"),
            Some((AnnotationKind::As, "anon"))
        ));
        assert!(matches!(
            annotation_of("-- expect : ok "),
            Some((AnnotationKind::Expect, "ok"))
        ));
        assert!(annotation_of("-- tests: a").is_none());
        assert!(annotation_of("-- test a").is_none());
        assert!(annotation_of("SELECT 1").is_none());
    }

    #[test]
    fn keywords_are_case_insensitive_and_whitespace_tolerant() {
        let suite = parse_ok("--TEST :  t  \n  --Expect :   ROWS   2  \nSELECT 1");
        assert_eq!(suite.tests[0].name, "t");
        assert_eq!(suite.tests[0].expect, Expectation::Rows(2));
    }

    #[test]
    fn annotation_after_sql_on_the_same_line() {
        assert_eq!(
            parse_err("-- test: a\nSELECT 1; -- expect: rows 1\n"),
            [ParseError::MisplacedAnnotation {
                line: 2,
                what: "expect"
            }]
        );
    }

    #[test]
    fn ordinary_comments_are_not_annotations() {
        let suite = parse_ok("-- testing: nothing\n-- as we said\n-- expected: x\nSELECT 1;");
        assert_eq!(suite.setup.len(), 1);
        assert!(suite.tests.is_empty());
    }

    #[test]
    fn annotations_inside_quotes_and_block_comments_are_ignored() {
        let text = "-- test: a\nDO $$\n-- test: not a test\n$$;\n/*\n-- test: commented out\nSELECT 1;\n*/\nSELECT '\n-- expect: rows 9\n';";
        let suite = parse_ok(text);
        assert_eq!(suite.tests.len(), 1);
        assert_eq!(suite.tests[0].expect, Expectation::Ok);
        assert_eq!(suite.tests[0].statements.len(), 2);
    }
}
