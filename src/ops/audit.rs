//! `strata audit [--probe] [--write-contract] [--compare [URL]]`: introspect the configured
//! schemas (the one `catalog::introspect`), judge them against `policies/access.toml` when it
//! exists (`audit::check_with`; heuristics otherwise), optionally probe live rows
//! (`audit::probe`, always rolled back), write a contract from what the policies allow today,
//! or list who gains and loses access between two states.
//!
//! `--compare` with no URL compares the live database (the base) with the declared state (the
//! project's migrations and policies built on a shadow database: what applying them would
//! change); `--compare URL` compares that database (the base) with the audited one.

use super::{Sink, Workspace};
use crate::access::delta::{self, DeltaReport};
use crate::access::{self, Contract};
use crate::audit::{self, probe::ProbeError, AuditConfig, AuditReport};
use crate::catalog::Catalog;
use crate::config::ConnInfo;
use crate::error::{Error, Result, UsageError};
use crate::shadow::{self, Spec};

/// What `--compare` compares the audited database with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompareWith {
    /// The project's declared state, built on a shadow database.
    Declared,
    /// Another database.
    Url(String),
}

#[derive(Debug, Clone, Default)]
pub struct AuditOptions {
    /// Also act as users on live rows (every listed user, an outsider, the signed-out).
    pub probe: bool,
    /// Write `policies/access.toml` from what the policies allow today.
    pub write_contract: bool,
    pub compare: Option<CompareWith>,
    /// Where shadow databases go for `--compare` (default: the local development server).
    pub shadow_url: Option<String>,
}

/// The report's `failed()` says whether a finding of severity error or a leak was found.
pub async fn audit(
    ws: &Workspace,
    opts: &AuditOptions,
    sink: &mut dyn Sink,
) -> Result<AuditReport> {
    let cfg = AuditConfig::from_config(&ws.cfg);
    if opts.probe && cfg.probe_role.is_none() {
        return Err(UsageError::ProbeNeedsRole.into());
    }
    // Writing the contract and building the declared state need the project; auditing a
    // database given by URL does not (a DBA may audit any database), and then no contract
    // file is looked for outside a project.
    if opts.write_contract || opts.compare == Some(CompareWith::Declared) {
        ws.require_project()?;
    }
    let in_project = crate::ops::scope::in_project(&ws.cfg);
    let file = ws.cfg.policies_dir().join(access::FILE_NAME);
    let shown = ws.display(&file);
    let contract = if opts.write_contract {
        if file.exists() {
            return Err(access::AccessError::Exists { path: shown }.into());
        }
        None
    } else if in_project {
        access::load(&file, &shown)?
    } else {
        None
    };
    let target = ws.target()?;
    let mut conn = ws.connect(&target, sink).await?;
    let result = run(&mut conn, ws, opts, &cfg, contract, &file, &shown).await;
    crate::db::close(conn).await;
    let (mut report, contract) = result?;
    if let Some(with) = &opts.compare {
        report.compare =
            Some(compare(ws, opts, with, &cfg, contract.as_ref(), &report, sink).await?);
    }
    Ok(report)
}

/// Introspect, judge, write the contract, probe: everything on the audited connection.
async fn run(
    conn: &mut sqlx::postgres::PgConnection,
    ws: &Workspace,
    opts: &AuditOptions,
    cfg: &AuditConfig,
    mut contract: Option<Contract>,
    file: &std::path::Path,
    shown: &str,
) -> Result<(AuditReport, Option<Contract>)> {
    let cat = crate::catalog::introspect(conn, &cfg.schemas, &ws.excluded_schemas()).await?;
    let mut report = audit::check_with(&cat, cfg, contract.as_ref());
    if opts.write_contract {
        let by_table = audit::policies_by_table(&cat);
        let owners = audit::owner_columns(&cat, cfg);
        let mut d = audit::draft::draft(&cat, cfg, &by_table, &report.reaches, &owners);
        let (users, admins) =
            audit::draft::discover(conn, &cat, cfg, &ws.cfg.auth, &by_table, &owners, 3).await?;
        d.users = users;
        d.admins = admins;
        let text = access::write::write(&d);
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        std::fs::write(file, &text).map_err(|e| Error::io(file, e))?;
        // From here on the project is judged against the contract just written: it must hold.
        let written = access::parse::parse(shown, &text)?;
        report = audit::check_with(&cat, cfg, Some(&written));
        report.written = Some(shown.to_string());
        contract = Some(written);
    }
    if opts.probe {
        let owners = audit::owner_columns(&cat, cfg);
        let input = audit::probe::Input {
            catalog: &cat,
            config: cfg,
            auth: &ws.cfg.auth,
            contract: contract.as_ref(),
            reaches: &report.reaches,
            owners: &owners,
        };
        let probe = audit::probe::run(conn, &input).await.map_err(|e| match e {
            ProbeError::NoRole => Error::Usage(UsageError::ProbeNeedsRole),
            ProbeError::Db(e) => Error::Db(e),
        })?;
        report.probe = Some(probe);
    }
    Ok((report, contract))
}

async fn compare(
    ws: &Workspace,
    opts: &AuditOptions,
    with: &CompareWith,
    cfg: &AuditConfig,
    contract: Option<&Contract>,
    report: &AuditReport,
    sink: &mut dyn Sink,
) -> Result<DeltaReport> {
    let schemas = &cfg.schemas;
    let ex = ws.excluded_schemas();
    let reaches_of = |cat: &Catalog| {
        let by_table = audit::policies_by_table(cat);
        audit::Reacher::new(cat, cfg, contract, &by_table).all()
    };
    match with {
        CompareWith::Declared => {
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
            let declared = shadow::declared(&server, &spec, schemas, &ex).await?;
            let new = reaches_of(&declared);
            Ok(DeltaReport {
                base: "the live database".into(),
                new: "the declared state (migrations and policies/)".into(),
                changes: delta::delta(&report.reaches, &new),
            })
        }
        CompareWith::Url(url) => {
            let info = ConnInfo::parse(url)?;
            let mut conn = crate::db::connect(&info).await?;
            let other = crate::catalog::introspect(&mut conn, schemas, &ex).await;
            crate::db::close(conn).await;
            let base = reaches_of(&other?);
            Ok(DeltaReport {
                base: info.to_string(),
                new: "the audited database".into(),
                changes: delta::delta(&base, &report.reaches),
            })
        }
    }
}
