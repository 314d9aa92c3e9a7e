//! JSON reports written straight from the report's `Serialize`, every string masked as it is
//! written.
//!
//! Why it is shaped so: a report used to be turned into a `serde_json::Value` (a map and a string
//! per field of every row), walked to mask each string (`secret::mask_json`), then printed; with
//! a thousand migrations `status --format json` spent 1.5 ms there, most of what it took more
//! than the table (issue 14). [`Masking`] wraps serde_json's pretty formatter: it holds back the
//! text of each string (values and keys alike) until the string ends, masks it with
//! `secret::mask_cow`, and writes it escaped. Every other call goes to the pretty formatter, so
//! the output is byte for byte the one of the `Value` path (tested against it below), which stays
//! for what this cannot write (a report that is not an object: `format_version` cannot be put
//! first in it).

use serde::Serialize;
use serde_json::ser::{CharEscape, Formatter, PrettyFormatter};
use std::io;

/// The document `format_version` + the report's own fields, pretty, masked; `None` when the
/// report does not serialize as an object (the caller takes the `Value` path).
pub(super) fn document<T: Serialize>(format_version: u32, report: &T) -> Option<String> {
    #[derive(Serialize)]
    struct Doc<'a, T: Serialize> {
        format_version: u32,
        #[serde(flatten)]
        report: &'a T,
    }
    let mut out = Vec::with_capacity(4096);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, Masking::new());
    Doc {
        format_version,
        report,
    }
    .serialize(&mut ser)
    .ok()?;
    let mut text = String::from_utf8(out).ok()?;
    text.push('\n');
    Some(text)
}

/// serde_json's pretty formatter, with every string masked before it is written.
struct Masking {
    pretty: PrettyFormatter<'static>,
    /// The text of the string being written (`Some` between its start and its end).
    string: Option<String>,
}

impl Masking {
    fn new() -> Masking {
        Masking {
            pretty: PrettyFormatter::new(),
            string: None,
        }
    }

    /// Inside a string (a map key that is a number or a bool), a scalar is part of its text.
    fn push_to_string(&mut self, bytes: &[u8]) {
        if let Some(s) = self.string.as_mut() {
            s.push_str(&String::from_utf8_lossy(bytes));
        }
    }
}

fn unescaped(e: CharEscape) -> char {
    match e {
        CharEscape::Quote => '"',
        CharEscape::ReverseSolidus => '\\',
        CharEscape::Solidus => '/',
        CharEscape::Backspace => '\u{8}',
        CharEscape::FormFeed => '\u{c}',
        CharEscape::LineFeed => '\n',
        CharEscape::CarriageReturn => '\r',
        CharEscape::Tab => '\t',
        CharEscape::AsciiControl(b) => char::from(b),
    }
}

macro_rules! scalars {
    ($($name:ident($t:ty)),* $(,)?) => {
        $(
            fn $name<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: $t) -> io::Result<()> {
                if self.string.is_none() {
                    return self.pretty.$name(writer, value);
                }
                let mut bytes = Vec::new();
                self.pretty.$name(&mut bytes, value)?;
                self.push_to_string(&bytes);
                Ok(())
            }
        )*
    };
}

macro_rules! delegate {
    ($($name:ident),* $(,)?) => {
        $(
            fn $name<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
                self.pretty.$name(writer)
            }
        )*
    };
}

macro_rules! delegate_first {
    ($($name:ident),* $(,)?) => {
        $(
            fn $name<W: ?Sized + io::Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
                self.pretty.$name(writer, first)
            }
        )*
    };
}

impl Formatter for Masking {
    scalars!(
        write_bool(bool),
        write_i8(i8),
        write_i16(i16),
        write_i32(i32),
        write_i64(i64),
        write_i128(i128),
        write_u8(u8),
        write_u16(u16),
        write_u32(u32),
        write_u64(u64),
        write_u128(u128),
        write_f32(f32),
        write_f64(f64),
        write_number_str(&str),
        write_raw_fragment(&str),
        write_byte_array(&[u8]),
    );

    fn write_null<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        if self.string.is_none() {
            return self.pretty.write_null(writer);
        }
        self.push_to_string(b"null");
        Ok(())
    }

    fn begin_string<W: ?Sized + io::Write>(&mut self, _writer: &mut W) -> io::Result<()> {
        self.string = Some(String::new());
        Ok(())
    }

    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        match self.string.as_mut() {
            Some(s) => {
                s.push_str(fragment);
                Ok(())
            }
            None => self.pretty.write_string_fragment(writer, fragment),
        }
    }

    fn write_char_escape<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        escape: CharEscape,
    ) -> io::Result<()> {
        match self.string.as_mut() {
            Some(s) => {
                s.push(unescaped(escape));
                Ok(())
            }
            None => self.pretty.write_char_escape(writer, escape),
        }
    }

    fn end_string<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        let text = self.string.take().unwrap_or_default();
        let masked = crate::secret::mask_cow(&text);
        serde_json::to_writer(writer, masked.as_ref()).map_err(io::Error::other)
    }

    delegate!(
        begin_array,
        end_array,
        end_array_value,
        begin_object,
        end_object
    );
    delegate!(end_object_key, begin_object_value, end_object_value);
    delegate_first!(begin_array_value, begin_object_key);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// What the `Value` path prints: the value's fields after `format_version`, every string
    /// masked, pretty.
    fn through_value(v: &serde_json::Value) -> String {
        let mut doc = serde_json::Map::new();
        doc.insert("format_version".into(), 1.into());
        if let serde_json::Value::Object(fields) = v.clone() {
            doc.extend(fields);
        }
        let mut doc = serde_json::Value::Object(doc);
        crate::secret::mask_json(&mut doc);
        serde_json::to_string_pretty(&doc)
            .map(|s| s + "\n")
            .unwrap_or_default()
    }

    #[test]
    fn writes_what_the_value_path_writes_masking_values_and_keys() {
        crate::secret::register("Sup3r\"s3cret\\pw");
        let samples = [
            json!({"a": 1, "b": [true, null, 2.5, -7], "c": {"d": "x", "e": []}, "f": {}}),
            json!({"database": "postgres://u:Sup3r\"s3cret\\pw@h/db", "note": "password=hunter22 and more"}),
            json!({"rows": [{"version": "1", "applied_at": "2026-12-02 12:50:51", "tab\there": "line\nfeed \u{1}"}]}),
            json!({"key with Sup3r\"s3cret\\pw in it": "v", "url": "see https://x:pw1234@h/p, then"}),
            json!({"unicode": "café ☕ \u{7f}", "slash": "a/b", "empty": ""}),
        ];
        for v in samples {
            let direct = document(1, &v);
            assert_eq!(direct.as_deref(), Some(through_value(&v).as_str()), "{v}");
        }
        let leaked = document(1, &json!({"x": "Sup3r\"s3cret\\pw"})).unwrap_or_default();
        assert!(!leaked.contains("s3cret"), "{leaked}");
    }

    #[test]
    fn numbers_and_bools_as_map_keys_stay_keys() {
        let mut m = std::collections::BTreeMap::new();
        m.insert(7_i64, "seven");
        m.insert(-1_i64, "minus one");
        #[derive(Serialize)]
        struct R {
            by_number: std::collections::BTreeMap<i64, &'static str>,
        }
        let out = document(1, &R { by_number: m }).unwrap_or_default();
        assert!(out.contains("\"-1\": \"minus one\""), "{out}");
        assert!(out.contains("\"7\": \"seven\""), "{out}");
    }

    #[test]
    fn a_report_that_is_not_an_object_is_left_to_the_value_path() {
        assert_eq!(document(1, &vec![1, 2]), None);
        assert_eq!(document(1, &"text"), None);
    }
}
