//! Golden tests for the statement splitter (`strata::sql::split`).
//!
//! Every `tests/fixtures/split/NN_name.sql` is split and rendered one statement per line,
//! `LINE:COL..LINE:COL <first 60 chars, newlines shown as \n>`, or as a single line
//! `error: <message> at LINE:COL`, and compared with `NN_name.golden` beside it. All mismatches
//! are collected and reported together. `UPDATE_GOLDEN=1 cargo test --test split_golden`
//! rewrites the golden files instead; review their diff before committing.

use std::fs;
use std::path::{Path, PathBuf};

use strata::sql::{split, LineIndex};

/// First 60 characters, with line breaks and tabs made visible so each statement is one line.
fn preview(text: &str) -> String {
    let mut shown = String::new();
    for c in text.chars().take(60) {
        match c {
            '\n' => shown.push_str("\\n"),
            '\r' => shown.push_str("\\r"),
            '\t' => shown.push_str("\\t"),
            c => shown.push(c),
        }
    }
    shown
}

fn render(sql: &str) -> String {
    let index = LineIndex::new(sql);
    let at = |byte: usize| {
        let (line, col) = index.line_col(sql, byte);
        format!("{line}:{col}")
    };
    match split(sql) {
        Ok(spans) => spans
            .iter()
            .map(|span| {
                let text = sql
                    .get(span.start..span.end)
                    .unwrap_or("<span off char boundary>");
                format!("{}..{} {}\n", at(span.start), at(span.end), preview(text))
            })
            .collect(),
        Err(error) => format!("error: {error} at {}\n", at(error.start())),
    }
}

fn fixtures(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "sql"))
        .collect();
    files.sort();
    files
}

#[test]
fn split_matches_golden_files() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/split");
    let update = std::env::var("UPDATE_GOLDEN").is_ok_and(|v| v == "1");
    let files = fixtures(&dir);
    assert!(
        files.len() >= 12,
        "expected the split fixtures in {}",
        dir.display()
    );

    let mut failures = Vec::new();
    for sql_path in files {
        let name = sql_path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let sql = match fs::read_to_string(&sql_path) {
            Ok(sql) => sql,
            Err(e) => {
                failures.push(format!("{name}: cannot read: {e}"));
                continue;
            }
        };
        let actual = render(&sql);
        let golden_path = sql_path.with_extension("golden");
        if update {
            if let Err(e) = fs::write(&golden_path, &actual) {
                failures.push(format!(
                    "{name}: cannot write {}: {e}",
                    golden_path.display()
                ));
            }
            continue;
        }
        match fs::read_to_string(&golden_path) {
            Ok(expected) if expected == actual => {}
            Ok(expected) => failures.push(format!(
                "{name}:\n--- expected ({})\n{expected}--- actual\n{actual}",
                golden_path.display()
            )),
            Err(e) => failures.push(format!(
                "{name}: cannot read {} ({e}); run with UPDATE_GOLDEN=1 to create it",
                golden_path.display()
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} split fixture(s) differ from their golden file:\n\n{}",
        failures.len(),
        failures.join("\n")
    );
}
