//! Colour on a terminal: `error` in red, `warning` in yellow, nothing else. Off when the stream
//! is not a terminal (CI logs, pipes, files) and whenever `NO_COLOR` is set to anything non-empty
//! (<https://no-color.org>). Applied after secrets are masked, to text already rendered.

use anstyle::{AnsiColor, Style};
use std::io::IsTerminal;
use std::sync::OnceLock;

const ERROR: Style = AnsiColor::Red.on_default().bold();
const WARNING: Style = AnsiColor::Yellow.on_default().bold();

/// Whether stderr gets colour.
pub fn stderr_enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| allowed(std::env::var_os("NO_COLOR")) && std::io::stderr().is_terminal())
}

fn allowed(no_color: Option<std::ffi::OsString>) -> bool {
    no_color.is_none_or(|v| v.is_empty())
}

/// `text` in the warning colour, when stderr takes colour.
pub fn warning(text: &str) -> String {
    if stderr_enabled() {
        paint(WARNING, text)
    } else {
        text.to_string()
    }
}

fn paint(style: Style, text: &str) -> String {
    format!("{style}{text}{style:#}")
}

/// Colours the leading `error`/`ERROR` and `warning` word of each line.
pub fn paint_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 32);
    for line in text.split_inclusive('\n') {
        let word_end = line.find([':', ' ']).unwrap_or(0);
        let style = match &line[..word_end] {
            "error" | "ERROR" => Some(ERROR),
            "warning" | "WARNING" => Some(WARNING),
            _ => None,
        };
        match style {
            Some(s) => {
                out.push_str(&paint(s, &line[..word_end]));
                out.push_str(&line[word_end..]);
            }
            None => out.push_str(line),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_set_to_anything_turns_colour_off() {
        assert!(allowed(None));
        assert!(allowed(Some("".into())));
        assert!(!allowed(Some("1".into())));
    }

    #[test]
    fn only_the_leading_word_is_painted() {
        let s = paint_lines("error: boom\nplain error: x\nwarning: w\nERROR 42P01: y\n");
        assert_eq!(
            s,
            format!(
                "{}: boom\nplain error: x\n{}: w\n{} 42P01: y\n",
                paint(ERROR, "error"),
                paint(WARNING, "warning"),
                paint(ERROR, "ERROR")
            )
        );
    }
}
