//! `strata completions SHELL` and `strata wait` as text and JSON.

use super::{Render, Text};
use crate::ops::wait::WaitOutcome;
use serde::Serialize;

/// A completion script; the text is the script itself.
#[derive(Debug, Clone, Serialize)]
pub struct Completions {
    pub shell: String,
    pub script: String,
}

impl Render for Completions {
    fn text(&self, t: &mut Text) {
        t.out.push_str(&self.script);
    }
}

impl Render for WaitOutcome {
    fn text(&self, t: &mut Text) {
        t.out
            .push_str(&format!("{}\n", self.summary().unwrap_or_default()));
    }

    fn summary(&self) -> Option<String> {
        Some(format!(
            "{} accepts connections (after {} ms, {} attempt(s))",
            self.database, self.waited_ms, self.attempts
        ))
    }
}
