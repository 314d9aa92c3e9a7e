//! Engine events on stderr: a progress bar (indicatif) when stderr is a terminal, plain lines
//! otherwise (CI logs), nothing but warnings with `--quiet`.

use crate::engine::{Direction, Event, Observer};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::{IsTerminal, Write};

pub struct ProgressObserver {
    quiet: bool,
    bar: Option<ProgressBar>,
    terminal: bool,
}

impl ProgressObserver {
    pub fn new(quiet: bool) -> Self {
        ProgressObserver {
            quiet,
            bar: None,
            terminal: std::io::stderr().is_terminal(),
        }
    }

    fn line(&self, text: &str) {
        match &self.bar {
            Some(b) => b.println(text),
            None => {
                let _ = writeln!(std::io::stderr(), "{text}");
            }
        }
    }
}

impl Observer for ProgressObserver {
    fn event(&mut self, e: &Event) {
        match e {
            Event::LockWaiting(holder) => {
                let who = holder
                    .as_ref()
                    .map(|h| h.to_string())
                    .unwrap_or_else(|| "another session".into());
                // Always shown: a run that waits must say why.
                self.line(&format!(
                    "waiting for the run lock: another strata run is working on this database, held by {who}"
                ));
            }
            Event::ShimInstalled => {
                if !self.quiet {
                    self.line("installed the Supabase auth shim (schema auth, roles anon/authenticated/service_role)");
                }
            }
            Event::Plan { total, .. } => {
                if !self.quiet && self.terminal && *total > 1 {
                    let bar = ProgressBar::new(*total as u64);
                    bar.set_style(
                        ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}")
                            .unwrap_or_else(|_| ProgressStyle::default_bar()),
                    );
                    self.bar = Some(bar);
                }
            }
            Event::Started { version, name, .. } => {
                if let Some(b) = &self.bar {
                    b.set_message(format!("{version} {name}"));
                }
            }
            Event::Finished {
                direction,
                version,
                name,
                duration,
            } => {
                let verb = match direction {
                    Direction::Up => "applied",
                    Direction::Down => "rolled back",
                };
                if let Some(b) = &self.bar {
                    b.inc(1);
                    if b.position() >= b.length().unwrap_or(0) {
                        b.finish_and_clear();
                        self.bar = None;
                    }
                } else if !self.quiet {
                    self.line(&format!(
                        "{verb} {version} {name} ({} ms)",
                        duration.as_millis()
                    ));
                }
            }
        }
    }
}

impl Drop for ProgressObserver {
    fn drop(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}
