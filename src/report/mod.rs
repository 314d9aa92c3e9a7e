//! Every byte strata writes: diagnostics, tables, JSON, GitHub annotations, progress. No
//! database, no decisions: workflows (`ops`) return outcomes and this module renders them.
//!
//! Results go to stdout; progress, warnings and errors to stderr. With `--format json` stdout
//! holds exactly one JSON document, errors included (`{"format_version": 1, "error": {…}}`).
//!
//! Every byte goes through `secret::mask` on its way out (JSON: each string value), so no
//! renderer has to remember to mask a URL or a driver's message.

pub mod audit;
mod author;
mod diagnostic;
mod diff;
mod grid;
mod json;
pub mod lint;
mod migrate;
mod policies;
mod progress;
pub mod shell;
pub mod style;
mod suite;

use comfy_table::{presets::UTF8_FULL_CONDENSED, ContentArrangement, Table};
use serde::Serialize;
use std::io::Write;

pub use diagnostic::{error_json, render_error, render_pg_failure, render_snippet};
pub use migrate::render_status;
pub use progress::{note_text, Progress};
pub use suite::{render_seed, render_test_run};

/// The version of every JSON document's shape; raised when a field changes meaning or goes.
pub const FORMAT_VERSION: u32 = 1;

/// `text`, `json` or `github`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    /// The text report plus GitHub Actions annotations (`::error file=…::…`).
    Github,
}

/// A rendered report: what goes to stdout and what goes to stderr.
#[derive(Debug, Default)]
pub struct Text {
    pub out: String,
    pub err: String,
    /// `-v` count: how much detail the renderer may add.
    pub verbose: u8,
}

/// One GitHub Actions annotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    pub level: AnnotationLevel,
    pub file: Option<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub title: Option<String>,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnnotationLevel {
    Error,
    Warning,
    Notice,
}

impl Annotation {
    /// `::error file=F,line=L,col=C,title=T::message`, escaped as GitHub's workflow commands
    /// require (`%`, CR and LF in the message; also `:` and `,` in properties).
    pub fn render(&self) -> String {
        fn data(s: &str) -> String {
            s.replace('%', "%25")
                .replace('\r', "%0D")
                .replace('\n', "%0A")
        }
        fn prop(s: &str) -> String {
            data(s).replace(':', "%3A").replace(',', "%2C")
        }
        let level = match self.level {
            AnnotationLevel::Error => "error",
            AnnotationLevel::Warning => "warning",
            AnnotationLevel::Notice => "notice",
        };
        let mut props = Vec::new();
        if let Some(f) = &self.file {
            props.push(format!("file={}", prop(&crate::secret::mask(f))));
        }
        if let Some(l) = self.line {
            props.push(format!("line={l}"));
        }
        if let Some(c) = self.column {
            props.push(format!("col={c}"));
        }
        if let Some(t) = &self.title {
            props.push(format!("title={}", prop(&crate::secret::mask(t))));
        }
        let props = if props.is_empty() {
            String::new()
        } else {
            format!(" {}", props.join(","))
        };
        format!(
            "::{level}{props}::{}\n",
            data(&crate::secret::mask(&self.message))
        )
    }
}

/// How an outcome is shown. JSON is the outcome serialized (plus `format_version`).
pub trait Render: Serialize {
    fn text(&self, t: &mut Text);
    /// The one line `--quiet` prints instead of the report. `None`: the output is data (a URL,
    /// file names, a script) and is printed whole.
    fn summary(&self) -> Option<String> {
        None
    }
    /// The findings and failures as annotations, for `--format github`.
    fn annotations(&self) -> Vec<Annotation> {
        Vec::new()
    }
}

/// Writes outcomes and errors in the chosen format.
#[derive(Debug, Clone, Copy)]
pub struct Printer {
    pub format: Format,
    pub quiet: bool,
    pub verbose: u8,
}

impl Printer {
    pub fn outcome<T: Render>(&self, o: &T) {
        let started = std::time::Instant::now();
        // (stdout, stderr); JSON was masked string by string, text is masked as it is written.
        let (out, err, is_json) = match self.format {
            Format::Json => (json(o), String::new(), true),
            Format::Text | Format::Github => {
                let (mut out, err) = match o.summary().filter(|_| self.quiet) {
                    Some(line) => (format!("{}\n", line.trim_end()), String::new()),
                    None => {
                        let mut t = Text {
                            verbose: self.verbose,
                            ..Text::default()
                        };
                        o.text(&mut t);
                        (t.out, t.err)
                    }
                };
                if self.format == Format::Github {
                    let notes: String = o.annotations().iter().map(Annotation::render).collect();
                    out.push_str(&notes);
                }
                (out, err, false)
            }
        };
        let rendered = started.elapsed();
        write_err(&err);
        if is_json {
            write_json(&out);
        } else {
            write_out(&out);
        }
        // The last phase of every command's `-v` timings (the others come as events).
        if self.verbose > 0 {
            write_err(&format!(
                "{}\n",
                progress::timing_line("rendered the report", rendered)
            ));
        }
    }

    pub fn error(&self, e: &crate::Error) {
        match self.format {
            Format::Json => write_json(&json_value(error_json(e))),
            Format::Text => write_err(&render_error(e)),
            Format::Github => {
                write_err(&render_error(e));
                write_out(&diagnostic::error_annotation(e).render());
            }
        }
    }
}

/// Text to stdout, secrets masked.
fn write_out(s: &str) {
    write_json(&crate::secret::mask_cow(s));
}

/// Text to stderr, secrets masked, `error`/`warning` coloured on a terminal.
fn write_err(s: &str) {
    let mut text = crate::secret::mask(s);
    if style::stderr_enabled() {
        text = style::paint_lines(&text);
    }
    let _ = std::io::stderr().write_all(text.as_bytes());
}

/// A JSON document to stdout: its strings were masked one by one ([`json`]), so that masking
/// cannot touch its syntax.
fn write_json(s: &str) {
    let _ = std::io::stdout().write_all(s.as_bytes());
}

/// A simple table from a header and rows.
pub fn table(header: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut t = new_table(header);
    for r in rows {
        t.add_row(r);
    }
    format!("{t}\n")
}

/// An empty table with strata's look. On a terminal, long cells wrap so that the table fits its
/// width; elsewhere (files, pipes, CI logs) nothing wraps, so that lines stay greppable.
pub fn new_table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_header(header.to_vec());
    match terminal_width() {
        Some(w) => {
            t.set_content_arrangement(ContentArrangement::Dynamic)
                .set_width(w);
        }
        None => {
            t.set_content_arrangement(ContentArrangement::Disabled);
        }
    }
    t
}

/// The width of the terminal stdout is, if it is one.
fn terminal_width() -> Option<u16> {
    use std::io::IsTerminal;
    static WIDTH: std::sync::OnceLock<Option<u16>> = std::sync::OnceLock::new();
    *WIDTH.get_or_init(|| {
        if !std::io::stdout().is_terminal() {
            return None;
        }
        // COLUMNS first (shells export it; tests set it), then the terminal's own size.
        std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.parse::<u16>().ok())
            .filter(|w| *w >= 20)
            .or_else(|| Table::new().width())
    })
}

/// A report as pretty JSON with `format_version` first and a trailing newline.
pub fn json<T: Serialize>(value: &T) -> String {
    if let Some(doc) = json::document(FORMAT_VERSION, value) {
        return doc;
    }
    match serde_json::to_value(value) {
        Ok(v) => json_value(v),
        Err(e) => json_value(serde_json::json!({
            "error": {"kind": "internal", "message": format!("cannot serialize the report: {e}")}
        })),
    }
}

/// The document around a value, every string in it masked (`secret::mask_json`).
fn json_value(v: serde_json::Value) -> String {
    let mut doc = match v {
        serde_json::Value::Object(fields) => {
            let mut doc = serde_json::Map::new();
            doc.insert("format_version".into(), FORMAT_VERSION.into());
            doc.extend(fields);
            serde_json::Value::Object(doc)
        }
        other => serde_json::json!({"format_version": FORMAT_VERSION, "result": other}),
    };
    crate::secret::mask_json(&mut doc);
    match serde_json::to_string_pretty(&doc) {
        Ok(s) => s + "\n",
        Err(_) => "{\"format_version\": 1, \"error\": {\"kind\": \"internal\"}}\n".into(),
    }
}

/// `n thing` or `n things`.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotations_escape_what_github_requires() {
        let a = Annotation {
            level: AnnotationLevel::Error,
            file: Some("migrations/0,1.sql".into()),
            line: Some(3),
            column: Some(7),
            title: Some("strata: a:b".into()),
            message: "100% broken\nsecond line".into(),
        };
        assert_eq!(
            a.render(),
            "::error file=migrations/0%2C1.sql,line=3,col=7,title=strata%3A a%3Ab::100%25 broken%0Asecond line\n"
        );
    }

    #[test]
    fn json_documents_carry_the_format_version_first() {
        let s = json(&serde_json::json!({"a": 1}));
        assert!(s.starts_with("{\n  \"format_version\": 1,"), "{s}");
        let s = json(&vec![1, 2]);
        assert!(s.contains("\"result\": ["), "{s}");
    }
}
