//! `strata audit [--probe]`: introspect the configured schemas (the one `catalog::introspect`),
//! judge them (`audit::check`), optionally probe live rows (`audit::probe`, rolled back), and
//! hand the report to `report::audit`. Exit 1 on a finding of severity error or a leak.

use super::Ctx;
use crate::audit::{self, probe::ProbeError, AuditConfig};
use crate::error::{Error, Result};
use crate::report::{self, Format};

pub async fn run(ctx: &Ctx, probe: bool) -> Result<()> {
    let cfg = AuditConfig::from_config(&ctx.cfg);
    if probe && cfg.probe_role.is_none() {
        return Err(Error::Usage(ProbeError::NoRole.to_string()));
    }
    let target = ctx.target()?;
    let mut conn = ctx.connect(&target).await?;
    let exclude = vec![ctx.cfg.database.history_schema.clone()];
    let cat = crate::catalog::introspect(&mut conn, &cfg.schemas, &exclude).await?;
    let mut result = audit::check(&cat, &cfg);
    if probe {
        let owners = audit::owner_columns(&cat, &cfg);
        let p = audit::probe::run(
            &mut conn,
            &cat,
            &cfg,
            &ctx.cfg.auth,
            &result.matrix,
            &owners,
        )
        .await;
        match p {
            Ok(p) => result.probe = Some(p),
            Err(ProbeError::NoRole) => {
                return Err(Error::Usage(ProbeError::NoRole.to_string()));
            }
            Err(ProbeError::Db(e)) => return Err(Error::Db(e)),
        }
    }
    crate::db::close(conn).await;
    match ctx.format {
        Format::Json => ctx.json(&result),
        Format::Text => ctx.out(&report::audit::render_audit(&result)),
    }
    if result.failed() {
        return Err(Error::Failed(String::new()));
    }
    Ok(())
}
