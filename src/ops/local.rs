//! `strata db start|stop|status|url`, and starting the project's local development database for
//! the other workflows (SPEC section 6).

use super::{Event, ServerAction, Sink, Workspace, LOCAL_DATABASE};
use crate::error::{Error, Result};
use crate::localdb::{self, Options, Server};
use serde::Serialize;

/// Starts (or finds running) the project's local server, without saying so.
pub(crate) fn start_server(ws: &Workspace) -> Result<Server> {
    ws.require_project()?;
    Ok(localdb::start_version(
        &ws.cfg.root,
        &Options {
            durable: true,
            database: LOCAL_DATABASE.into(),
        },
        ws.cfg.local.version.as_deref(),
    )?)
}

/// Starts (or finds running) the project's local server and tells the sink.
pub fn start_local(ws: &Workspace, sink: &mut dyn Sink) -> Result<Server> {
    let server = start_server(ws)?;
    sink.event(&Event::LocalServer {
        action: if server.created {
            ServerAction::Created
        } else if server.started {
            ServerAction::Started
        } else {
            ServerAction::Using
        },
        url: server.url(),
        cluster_dir: server.cluster_dir.clone(),
        relocated: server.relocated,
    });
    Ok(server)
}

/// What `strata db …` asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbAction {
    Start,
    Stop,
    Status,
    Url,
}

/// What `strata db …` found or did.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum DbOutcome {
    /// Running (started now or already): its URL and cluster folder.
    Running {
        url: String,
        cluster_dir: String,
    },
    /// `db status` on a running server (the same data, shown as a sentence).
    #[serde(rename = "running")]
    RunningStatus {
        url: String,
        cluster_dir: String,
    },
    NotRunning {
        cluster_dir: String,
    },
    Stopped,
    WasNotRunning,
}

/// `strata db start|stop|status|url`.
pub fn db(ws: &Workspace, action: DbAction, sink: &mut dyn Sink) -> Result<DbOutcome> {
    // The local database belongs to a project: never create one in any other folder.
    ws.require_project()?;
    let root = &ws.cfg.root;
    let running = |s: &Server| DbOutcome::Running {
        url: s.url_for(LOCAL_DATABASE),
        cluster_dir: s.cluster_dir.display().to_string(),
    };
    Ok(match action {
        DbAction::Start => running(&start_local(ws, sink)?),
        DbAction::Stop => {
            if localdb::stop(root)? {
                DbOutcome::Stopped
            } else {
                DbOutcome::WasNotRunning
            }
        }
        DbAction::Status => match localdb::status(root)? {
            Some(s) => DbOutcome::RunningStatus {
                url: s.url_for(LOCAL_DATABASE),
                cluster_dir: s.cluster_dir.display().to_string(),
            },
            None => DbOutcome::NotRunning {
                cluster_dir: localdb::cluster_dir(root).display().to_string(),
            },
        },
        // Never starts anything: a URL for a server that is not running would be a lie.
        DbAction::Url => match localdb::status(root)? {
            Some(s) => running(&s),
            None => {
                return Err(Error::LocalNotRunning {
                    cluster_dir: localdb::cluster_dir(root).display().to_string(),
                })
            }
        },
    })
}
