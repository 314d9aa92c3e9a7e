//! `strata audit [--probe]`: introspect the configured schemas (the one `catalog::introspect`),
//! judge them (`audit::check`), optionally probe live rows (`audit::probe`, always rolled back).

use super::{Sink, Workspace};
use crate::audit::{self, probe::ProbeError, AuditConfig, AuditReport};
use crate::error::{Error, Result, UsageError};

#[derive(Debug, Clone, Copy, Default)]
pub struct AuditOptions {
    /// Also act as users on live rows and report any cross-user read or write.
    pub probe: bool,
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
    let target = ws.target()?;
    let mut conn = ws.connect(&target, sink).await?;
    let result = async {
        let cat =
            crate::catalog::introspect(&mut conn, &cfg.schemas, &ws.excluded_schemas()).await?;
        let mut report = audit::check(&cat, &cfg);
        if opts.probe {
            let owners = audit::owner_columns(&cat, &cfg);
            let probe =
                audit::probe::run(&mut conn, &cat, &cfg, &ws.cfg.auth, &report.matrix, &owners)
                    .await
                    .map_err(|e| match e {
                        ProbeError::NoRole => Error::Usage(UsageError::ProbeNeedsRole),
                        ProbeError::Db(e) => Error::Db(e),
                    })?;
            report.probe = Some(probe);
        }
        Ok(report)
    }
    .await;
    crate::db::close(conn).await;
    result
}
