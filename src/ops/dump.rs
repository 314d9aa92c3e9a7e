//! `strata dump [--declared | --live] [-o FILE]`: the schema as canonical, sorted DDL for
//! review, from the declared state (migrations and policies on a shadow database) or from the
//! live database. The text depends on the schema alone (`diff::dump`), so the declared state
//! and a database that `up` brought there dump to the same bytes.

use super::{Sink, Workspace};
use crate::catalog::{self, Catalog};
use crate::diff::dump::{self, DumpObject};
use crate::error::Result;
use crate::shadow::{self, Spec};
use serde::Serialize;
use std::path::PathBuf;

/// Which schema is dumped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, strum::Display)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum DumpSource {
    /// The project's files, built on a shadow database.
    Declared,
    /// The database strata is pointed at.
    Live,
}

#[derive(Debug, Clone)]
pub struct DumpOptions {
    pub source: DumpSource,
    /// `-o FILE`: write the dump there instead of stdout.
    pub output: Option<PathBuf>,
    /// Server for the shadow database of `--declared` (default: the project's local server).
    pub shadow_url: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DumpOutcome {
    pub source: DumpSource,
    pub schemas: Vec<String>,
    pub objects: Vec<DumpObject>,
    /// The file written (`-o`), as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    /// The dump as text (what `-o` writes and text output prints).
    pub sql: String,
}

pub async fn dump(ws: &Workspace, opts: &DumpOptions, sink: &mut dyn Sink) -> Result<DumpOutcome> {
    let schemas = ws.cfg.database.schemas.clone();
    let ex = ws.excluded_schemas();
    let cat: Catalog = match opts.source {
        DumpSource::Live => {
            let target = ws.target()?;
            let mut conn = ws.connect(&target, sink).await?;
            let r = catalog::introspect(&mut conn, &schemas, &ex).await;
            crate::db::close(conn).await;
            r?
        }
        DumpSource::Declared => {
            let project = ws.load_project()?;
            let policies = ws.load_policies()?;
            let server = ws.shadow_server(opts.shadow_url.as_deref(), sink)?;
            let settings = ws.settings();
            let spec = Spec {
                project: &project,
                policies: &policies,
                auth: &ws.cfg.auth,
                settings: &settings,
                root: &ws.cfg.root,
            };
            shadow::declared(&server, &spec, &schemas, &ex).await?
        }
    };
    let objects = dump::objects(&cat);
    let sql = dump::render(&schemas, &objects);
    if let Some(path) = &opts.output {
        super::author::write(path, &sql)?;
    }
    Ok(DumpOutcome {
        source: opts.source,
        schemas,
        objects,
        output: opts.output.as_ref().map(|p| p.display().to_string()),
        sql,
    })
}
