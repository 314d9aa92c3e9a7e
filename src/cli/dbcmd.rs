//! `strata db start|stop|status|url`, and starting the local database for other commands.

use super::{Ctx, DbAction};
use crate::error::Result;
use crate::localdb::{self, Options, Server};

/// The database strata creates in its local server.
pub const LOCAL_DATABASE: &str = "strata_dev";

/// Starts (or finds running) the project's local server and says so on stderr.
pub fn start_local(ctx: &Ctx) -> Result<Server> {
    let server = localdb::start(
        &ctx.cfg.root,
        &Options {
            durable: true,
            database: LOCAL_DATABASE.into(),
        },
    )?;
    describe(ctx, &server);
    Ok(server)
}

fn describe(ctx: &Ctx, s: &Server) {
    let what = if s.created {
        "created and started"
    } else if s.started {
        "started"
    } else {
        "using"
    };
    let mut text = format!(
        "{what} the local development database {} (cluster in {})",
        s.url(),
        s.cluster_dir.display()
    );
    if s.relocated {
        text.push_str(
            "; placed outside the project because the unprivileged user that runs PostgreSQL cannot enter the project's folder",
        );
    }
    ctx.note(&text);
}

pub async fn run(ctx: &Ctx, action: DbAction) -> Result<()> {
    let root = &ctx.cfg.root;
    match action {
        DbAction::Start => {
            let s = start_local(ctx)?;
            ctx.out(&format!("{}\n", s.url()));
        }
        DbAction::Stop => {
            if localdb::stop(root)? {
                ctx.out("stopped the local development database\n");
            } else {
                ctx.out("the local development database was not running\n");
            }
        }
        DbAction::Status => match localdb::status(root)? {
            Some(s) => ctx.out(&format!(
                "running: {} (cluster in {})\n",
                s.url_for(LOCAL_DATABASE),
                s.cluster_dir.display()
            )),
            None => ctx.out(&format!(
                "not running (cluster location: {}); `strata db start` starts it\n",
                localdb::cluster_dir(root).display()
            )),
        },
        DbAction::Url => match localdb::status(root)? {
            Some(s) => ctx.out(&format!("{}\n", s.url_for(LOCAL_DATABASE))),
            None => {
                let s = start_local(ctx)?;
                ctx.out(&format!("{}\n", s.url()));
            }
        },
    }
    Ok(())
}
