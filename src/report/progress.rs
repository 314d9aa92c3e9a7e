//! Workflow events on stderr: a progress bar (indicatif) when stderr is a terminal, plain lines
//! otherwise (CI logs); with `--quiet`, nothing but warnings (a lock wait is always shown: a
//! run that waits must say why). Timings only with `-v`.

use crate::engine::{Direction, Event as EngineEvent};
use crate::ops::{Answer, Confirm, Event, Note, SeedEvent, ServerAction, Sink, TargetInfo};
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
        let mut text = crate::secret::mask(text);
        if super::style::stderr_enabled() {
            text = super::style::paint_lines(&text);
        }
        let text = &text;
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
            EngineEvent::Resumed {
                direction,
                version,
                name,
                after,
            } => {
                let what = match direction {
                    Direction::Up => "migration",
                    Direction::Down => "rollback of",
                };
                self.note(&format!(
                    "continuing the {what} {version} {name} after statement {after} (the statements before it are committed)"
                ));
            }
            EngineEvent::Checked {
                version,
                statement,
                finding,
            } => self.note(&format!(
                "{version}: statement {statement} was running when the last run stopped: {finding}"
            )),
            EngineEvent::NewSession { after } => {
                if self.verbose > 0 {
                    self.line(&format!(
                        "{after} changes settings for new sessions: continuing on a new connection"
                    ));
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
    fn confirm(&mut self, q: &Confirm) -> Answer {
        if !(self.terminal && std::io::stdin().is_terminal()) {
            return Answer::CannotAsk;
        }
        self.finish_bar();
        let prompt = crate::secret::mask(&format!(
            "`strata {}` will {} on {}.\nContinue? [y/N] ",
            q.command, q.what, q.target
        ));
        let mut err = std::io::stderr();
        let _ = err.write_all(super::style::warning(&prompt).as_bytes());
        let _ = err.flush();
        let mut answer = String::new();
        match std::io::stdin().read_line(&mut answer) {
            Ok(_) if matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") => {
                Answer::Yes
            }
            _ => Answer::No,
        }
    }

    fn event(&mut self, e: &Event) {
        match e {
            // Always shown, even with --quiet: which database is about to change is not a note.
            Event::Target { command, target } => self.line(&target_text(command, target)),
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

/// The line printed before a command changes a database that is not the local one.
pub fn target_text(command: &str, t: &TargetInfo) -> String {
    format!("strata {command}: changing {t}")
}

/// A note as one line.
pub fn note_text(n: &Note) -> String {
    match n {
        Note::CheckedLexicallyOnly => "note: SQL checked lexically only; with a database (`strata db start` or --database-url) strata also runs PostgreSQL's parser and compares checksums".to_string(),
        Note::ServerCheckSkipped { reason } => {
            format!("note: syntax and checksums not checked by the server: {reason}")
        }
        Note::DryRunWithShim => "note: the real run installs the Supabase auth shim first; this plan was made with it installed in the dry run's transaction, which is rolled back".to_string(),
        Note::EnvironmentUrlUnused { env, source } => format!(
            "note: environment `{env}` is selected, but its url is not used: {source} comes first (its `protected` setting still applies)"
        ),
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish_bar();
    }
}
