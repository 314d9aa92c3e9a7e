//! `strata wait`: poll until the target database accepts connections, or give up after a
//! timeout (for CI jobs and containers that start PostgreSQL next to strata). Never starts
//! anything: on the local development database it waits for someone else's `strata db start`.

use super::{target_label, Workspace, LOCAL_DATABASE};
use crate::config::{ConnInfo, Target};
use crate::db::{self, DbError};
use crate::error::Result;
use crate::localdb;
use serde::Serialize;
use std::time::{Duration, Instant};

/// How often to try.
const INTERVAL: Duration = Duration::from_millis(250);

#[derive(Debug, Clone, Copy)]
pub struct WaitOptions {
    /// Give up after this long.
    pub timeout: Duration,
}

/// The database accepted a connection.
#[derive(Debug, Clone, Serialize)]
pub struct WaitOutcome {
    pub database: String,
    pub attempts: u32,
    pub waited_ms: u64,
}

pub async fn wait(ws: &Workspace, opts: &WaitOptions) -> Result<WaitOutcome> {
    let target = ws.target()?;
    let label = target_label(&target);
    let started = Instant::now();
    let deadline = started + opts.timeout;
    let mut attempts = 0;
    loop {
        attempts += 1;
        let last = match info(ws, &target) {
            Err(why) => why,
            Ok(info) => {
                let left = deadline.saturating_duration_since(Instant::now());
                match tokio::time::timeout(left.max(INTERVAL), db::connect(&info)).await {
                    Ok(Ok(conn)) => {
                        db::close(conn).await;
                        return Ok(WaitOutcome {
                            database: label,
                            attempts,
                            waited_ms: u64::try_from(started.elapsed().as_millis())
                                .unwrap_or(u64::MAX),
                        });
                    }
                    Ok(Err(DbError::Connect { message, .. })) => message,
                    Ok(Err(other)) => other.to_string(),
                    Err(_) => "no answer".to_string(),
                }
            }
        };
        let now = Instant::now();
        if now >= deadline {
            return Err(DbError::Connect {
                target: label,
                message: format!(
                    "still not accepting connections after {} ({attempts} attempt(s)); last: {last}",
                    crate::config::format_duration(opts.timeout)
                ),
            }
            .into());
        }
        tokio::time::sleep(INTERVAL.min(deadline - now)).await;
    }
}

/// Where to knock: the URL, or the local server when it is running (else why not).
fn info(ws: &Workspace, target: &Target) -> Result<ConnInfo, String> {
    match target {
        Target::Url { info, .. } => Ok(info.clone()),
        Target::Local { .. } => match localdb::status(&ws.cfg.root) {
            Ok(Some(server)) => {
                ConnInfo::parse(&server.url_for(LOCAL_DATABASE)).map_err(|e| e.to_string())
            }
            Ok(None) => Err(
                "the local development database is not running (`strata db start` starts it)"
                    .to_string(),
            ),
            Err(e) => Err(e.to_string()),
        },
    }
}
