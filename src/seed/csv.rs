//! Pure helpers for CSV seeds: the target table from a file name, the header row, and finding
//! where a record starts (for errors). No I/O beyond what the caller hands in.
//!
//! CSV quoting follows PostgreSQL's `COPY … (FORMAT csv)` defaults, which are RFC 4180's:
//! fields separated by `,`, quoted with `"`, a `""` inside quotes is one `"`, and a quoted field
//! may span lines. PostgreSQL's `COPY t, line N` error context counts physical lines, so the data
//! row is found by scanning records the same way.

/// `[NNN_][schema.]table` from a CSV file's stem: the numeric ordering prefix is dropped; a dot
/// separates schema and table. Names are taken as written (case-sensitive, like a quoted
/// identifier), because they are compared with the catalog exactly.
pub fn target_from_stem(stem: &str) -> Result<(Option<String>, String), String> {
    let digits = stem.bytes().take_while(u8::is_ascii_digit).count();
    let rest = if digits > 0 && stem.as_bytes().get(digits) == Some(&b'_') {
        &stem[digits + 1..]
    } else {
        stem
    };
    let parts: Vec<&str> = rest.split('.').collect();
    match parts.as_slice() {
        [t] if !t.is_empty() => Ok((None, t.to_string())),
        [s, t] if !s.is_empty() && !t.is_empty() => Ok((Some(s.to_string()), t.to_string())),
        _ => Err(format!(
            "`{rest}` does not name a table: a CSV seed is named [NNN_]table.csv or [NNN_]schema.table.csv"
        )),
    }
}

/// Parses the header record at the start of `bytes`. Returns the column names and the byte
/// length of the header (including its line end), or `None` when `bytes` does not yet contain a
/// complete record (the caller reads more). A UTF-8 byte-order mark is skipped.
pub fn parse_header(bytes: &[u8], at_eof: bool) -> Option<Result<(Vec<String>, usize), String>> {
    let start = if bytes.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let mut fields = Vec::new();
    let mut field = Vec::new();
    let mut quoted = false;
    let mut i = start;
    let finish = |field: &mut Vec<u8>, fields: &mut Vec<String>| -> Result<(), String> {
        let f = String::from_utf8(std::mem::take(field))
            .map_err(|_| "the header row is not valid UTF-8".to_string())?;
        fields.push(f);
        Ok(())
    };
    while i < bytes.len() {
        let b = bytes[i];
        if quoted {
            if b == b'"' {
                if bytes.get(i + 1) == Some(&b'"') {
                    field.push(b'"');
                    i += 2;
                    continue;
                }
                if i + 1 == bytes.len() && !at_eof {
                    return None;
                }
                quoted = false;
            } else {
                field.push(b);
            }
            i += 1;
            continue;
        }
        match b {
            b'"' => quoted = true,
            b',' => {
                if let Err(e) = finish(&mut field, &mut fields) {
                    return Some(Err(e));
                }
            }
            b'\n' | b'\r' => {
                let mut end = i + 1;
                if b == b'\r' {
                    match bytes.get(i + 1) {
                        Some(b'\n') => end += 1,
                        None if !at_eof => return None,
                        _ => {}
                    }
                }
                if let Err(e) = finish(&mut field, &mut fields) {
                    return Some(Err(e));
                }
                return Some(Ok((fields, end)));
            }
            _ => field.push(b),
        }
        i += 1;
    }
    if !at_eof {
        return None;
    }
    if quoted {
        return Some(Err("the header row has an unterminated quote".into()));
    }
    if i == start && fields.is_empty() {
        return Some(Err(
            "the file is empty: a CSV seed starts with a header row naming its columns".into(),
        ));
    }
    if let Err(e) = finish(&mut field, &mut fields) {
        return Some(Err(e));
    }
    Some(Ok((fields, bytes.len())))
}

/// Scans CSV text to find which record a physical line belongs to. PostgreSQL's COPY error
/// context (`COPY t, line N`) counts physical lines (a quoted newline inside a field counts), so
/// the data row is found by counting records up to that line: row = record - 1 (the header is
/// record 1).
#[derive(Debug)]
pub struct LineRecords {
    quoted: bool,
    /// Current physical line (1-based).
    line: usize,
    /// Record the current line belongs to (1-based).
    record: u64,
    /// The previous byte was `\r` (so a following `\n` belongs to the same line end).
    after_cr: bool,
    want: usize,
}

impl LineRecords {
    /// Looks for the record that physical line `want` (1-based) belongs to.
    pub fn new(want: usize) -> Self {
        LineRecords {
            quoted: false,
            line: 1,
            record: 1,
            after_cr: false,
            want,
        }
    }

    /// The answer so far: `Some(record)` once line `want` has been reached.
    pub fn found(&self) -> Option<u64> {
        (self.line >= self.want).then_some(self.record)
    }

    /// Feeds the next chunk of the file. Returns the record once found.
    pub fn feed(&mut self, chunk: &[u8]) -> Option<u64> {
        for &b in chunk {
            if self.line >= self.want {
                break;
            }
            let was_cr = std::mem::replace(&mut self.after_cr, b == b'\r');
            if b == b'\n' && was_cr {
                continue;
            }
            if b == b'"' {
                self.quoted = !self.quoted;
                continue;
            }
            if b == b'\n' || b == b'\r' {
                self.line += 1;
                if !self.quoted {
                    self.record += 1;
                }
            }
        }
        self.found()
    }
}

/// The line number in PostgreSQL's COPY error context (`COPY t, line 8, column x: "…"`), and
/// the column when named.
pub fn copy_context_position(context: &str) -> (Option<u64>, Option<String>) {
    let Some(i) = context.find(", line ") else {
        return (None, None);
    };
    let rest = &context[i + ", line ".len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let record = digits.parse().ok();
    let after = &rest[digits.len()..];
    let column = after.strip_prefix(", column ").map(|c| {
        let end = c.find(": ").unwrap_or(c.len());
        c[..end].to_string()
    });
    (record, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_from_file_stem() {
        assert_eq!(target_from_stem("002_items"), Ok((None, "items".into())));
        assert_eq!(target_from_stem("items"), Ok((None, "items".into())));
        assert_eq!(
            target_from_stem("010_app.user_tags"),
            Ok((Some("app".into()), "user_tags".into()))
        );
        assert_eq!(
            target_from_stem("2024items"),
            Ok((None, "2024items".into()))
        );
        assert!(target_from_stem("001_a.b.c").is_err());
        assert!(target_from_stem("001_").is_err());
    }

    #[test]
    fn header_with_quotes_bom_and_crlf() {
        let (cols, len) = parse_header(
            b"\xEF\xBB\xBFid,\"full, name\",\"a\"\"b\"\r\n1,x,y\r\n",
            false,
        )
        .unwrap()
        .unwrap();
        assert_eq!(cols, vec!["id", "full, name", "a\"b"]);
        assert_eq!(len, 3 + 24);
        assert!(parse_header(b"id,na", false).is_none());
        assert_eq!(
            parse_header(b"id,name", true).unwrap().unwrap().0,
            vec!["id", "name"]
        );
        assert!(parse_header(b"", true).unwrap().is_err());
        assert!(parse_header(b"\"id", true).unwrap().is_err());
    }

    #[test]
    fn line_to_record_counts_quoted_newlines() {
        let text = b"id,note\n1,\"two\nlines\"\n2,x\r\n3,y\n";
        // line 5 is "3,y": record 4 (header, 1, 2, 3)
        let mut r = LineRecords::new(5);
        assert_eq!(r.feed(&text[..10]), None);
        assert_eq!(r.feed(&text[10..]), Some(4));
        // line 4 is "2,x": record 3
        assert_eq!(LineRecords::new(4).feed(text), Some(3));
        // line 3 is the second line of record 2
        assert_eq!(LineRecords::new(3).feed(text), Some(2));
        assert_eq!(LineRecords::new(1).feed(b""), Some(1));
    }

    #[test]
    fn copy_context() {
        assert_eq!(
            copy_context_position("COPY items, line 8, column qty: \"abc\""),
            (Some(8), Some("qty".into()))
        );
        assert_eq!(
            copy_context_position("COPY items, line 3: \"1,2\""),
            (Some(3), None)
        );
        assert_eq!(copy_context_position("SQL statement"), (None, None));
    }
}
