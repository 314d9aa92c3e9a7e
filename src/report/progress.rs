//! Workflow events on stderr: a progress bar (indicatif) when stderr is a terminal, plain lines
//! otherwise (CI logs); with `--quiet`, nothing but warnings (a lock wait is always shown: a
//! run that waits must say why). Timings only with `-v`.

use crate::engine::{Direction, Event as EngineEvent};
use crate::ops::{Event, Note, SeedEvent, ServerAction, Sink};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::{IsTerminal, Write};

/// Files smaller than this load too fast for a seed progress bar to be useful.
const BAR_MIN_BYTES: u64 = 8 << 20;

pub struct Progress {
    quiet: bool,
    verbose: u8,
    terminal: bool,
    bar: Option<ProgressBar>,
}

impl Progress {
    pub fn new(quiet: bool, verbose: u8) -> Self {
        Progress {
            quiet,
            verbose,
            terminal: std::io::stderr().is_terminal(),
            bar: None,
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

    fn note(&self, text: &str) {
        if !self.quiet {
            self.line(text);
        }
    }

    fn finish_bar(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }

    fn lock_waiting(&self, holder: Option<&crate::db::LockHolder>) {
        let who = holder
            .map(|h| h.to_string())
            .unwrap_or_else(|| "another session".into());
        self.line(&format!(
            "waiting for the run lock: another strata run is working on this database, held by {who}"
        ));
    }

    fn engine(&mut self, e: &EngineEvent) {
        match e {
            EngineEvent::LockWaiting(holder) => self.lock_waiting(holder.as_ref()),
            EngineEvent::ShimInstalled(report) => self.note(&format!(
                "installed the Supabase auth shim: {}",
                report.summary()
            )),
            EngineEvent::Plan { total, .. } => {
                if !self.quiet && self.terminal && *total > 1 {
                    let bar = ProgressBar::new(*total as u64);
                    bar.set_style(
                        ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}")
                            .unwrap_or_else(|_| ProgressStyle::default_bar()),
                    );
                    self.bar = Some(bar);
                }
            }
            EngineEvent::Started { version, name, .. } => {
                if let Some(b) = &self.bar {
                    b.set_message(format!("{version} {name}"));
                }
            }
            EngineEvent::Finished {
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
                        self.finish_bar();
                    }
                } else {
                    self.note(&format!(
                        "{verb} {version} {name} ({} ms)",
                        duration.as_millis()
                    ));
                }
            }
        }
    }

    fn seed(&mut self, e: &SeedEvent) {
        match e {
            SeedEvent::LockWaiting(holder) => self.lock_waiting(holder.as_ref()),
            SeedEvent::FileStarted {
                display,
                bytes,
                csv,
            } => {
                if self.quiet || !self.terminal || *bytes < BAR_MIN_BYTES || !csv {
                    return;
                }
                let bar = ProgressBar::new(*bytes);
                bar.set_style(
                    ProgressStyle::with_template(
                        "{msg} {bar:30} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
                bar.set_message(display.clone());
                self.bar = Some(bar);
            }
            SeedEvent::Progress { bytes } => {
                if let Some(b) = &self.bar {
                    b.set_position(*bytes);
                }
            }
            SeedEvent::FileFinished { .. } => self.finish_bar(),
        }
    }
}

impl Sink for Progress {
    fn event(&mut self, e: &Event) {
        match e {
            Event::Engine(e) => self.engine(e),
            Event::Seed(e) => self.seed(e),
            Event::LocalServer {
                action,
                url,
                cluster_dir,
                relocated,
            } => {
                let what = match action {
                    ServerAction::Created => "created and started",
                    ServerAction::Started => "started",
                    ServerAction::Using => "using",
                };
                let mut text = format!(
                    "{what} the local development database {url} (cluster in {})",
                    cluster_dir.display()
                );
                if *relocated {
                    text.push_str(
                        "; placed outside the project because the unprivileged user that runs PostgreSQL cannot enter the project's folder",
                    );
                }
                self.note(&text);
            }
            Event::ShadowServer { url } => self.note(&format!(
                "shadow databases go to the local development server {url} (use --shadow-url for another server)"
            )),
            Event::Note(n) => self.note(&note_text(n)),
            Event::Timing { phase, elapsed } => {
                if self.verbose > 0 {
                    self.line(&timing_line(phase, *elapsed));
                }
            }
        }
    }
}

/// One `-v` timing line: `<phase> in 12.3 ms`.
pub fn timing_line(phase: &str, elapsed: std::time::Duration) -> String {
    format!("{phase} in {:.1} ms", elapsed.as_secs_f64() * 1000.0)
}

/// A note as one line.
pub fn note_text(n: &Note) -> String {
    match n {
        Note::CheckedLexicallyOnly => "note: SQL checked lexically only; with a database (`strata db start` or --database-url) strata also runs PostgreSQL's parser and compares checksums".to_string(),
        Note::ServerCheckSkipped { reason } => {
            format!("note: syntax and checksums not checked by the server: {reason}")
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish_bar();
    }
}
