//! `strata audit` as text: tables and their policies, the access matrix, findings, summary,
//! and the probe's leaks. JSON is the same [`AuditReport`] serialized.

use super::{plural, table, Render, Text};
use crate::audit::probe::{Outcome, ProbeReport};
use crate::audit::AuditReport;

impl Render for AuditReport {
    fn text(&self, t: &mut Text) {
        t.out.push_str(&render_audit(self));
    }

    fn summary(&self) -> Option<String> {
        render_summary(self).lines().next().map(str::to_string)
    }
}

/// The whole report.
pub fn render_audit(r: &AuditReport) -> String {
    let mut out = String::new();
    out.push_str(&render_tables(r));
    out.push_str(&render_matrix(r));
    out.push_str(&render_findings(r));
    if let Some(p) = &r.probe {
        out.push_str(&render_probe(p));
    }
    out.push_str(&render_summary(r));
    out
}

fn render_tables(r: &AuditReport) -> String {
    let mut out = format!(
        "Row-level security: {} in {} (auth model {})\n",
        plural(r.tables.len(), "table", "tables"),
        r.schemas.join(", "),
        match r.model {
            crate::config::AuthModel::Supabase => "supabase",
            crate::config::AuthModel::Setting => "setting",
        }
    );
    if r.tables.is_empty() {
        return out;
    }
    let rows = r
        .tables
        .iter()
        .map(|t| {
            let policies = t
                .policies
                .iter()
                .map(|p| {
                    format!(
                        "{} {}{} to {}",
                        p.name,
                        p.command,
                        if p.permissive { "" } else { " (restrictive)" },
                        p.roles.join(", ")
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            vec![
                t.table.clone(),
                if t.rls_enabled { "on" } else { "OFF" }.to_string(),
                if t.rls_forced { "yes" } else { "no" }.to_string(),
                t.owner_columns
                    .iter()
                    .map(|o| o.column.clone())
                    .collect::<Vec<_>>()
                    .join(", "),
                if policies.is_empty() {
                    "-".to_string()
                } else {
                    policies
                },
            ]
        })
        .collect();
    out.push_str(&table(
        &["table", "RLS", "forced", "owner column", "policies"],
        rows,
    ));
    out
}

fn render_matrix(r: &AuditReport) -> String {
    if r.matrix.is_empty() {
        return "Access matrix: no roles to show (set [auth] role for the setting model).\n"
            .to_string();
    }
    let mut out = format!(
        "Access matrix ({}):\n",
        r.roles
            .iter()
            .map(|x| {
                if x.exists {
                    x.name.clone()
                } else {
                    format!("{} (missing)", x.name)
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    );
    let rows = r
        .matrix
        .iter()
        .map(|m| {
            vec![
                m.table.clone(),
                m.role.clone(),
                m.select.label(),
                m.insert.label(),
                m.update.label(),
                m.delete.label(),
            ]
        })
        .collect();
    out.push_str(&table(
        &["table", "role", "SELECT", "INSERT", "UPDATE", "DELETE"],
        rows,
    ));
    out
}

fn render_findings(r: &AuditReport) -> String {
    if r.findings.is_empty() {
        return "Findings: none.\n".to_string();
    }
    let mut out = format!("Findings ({}):\n", r.findings.len());
    let rows = r
        .findings
        .iter()
        .map(|f| {
            vec![
                f.severity.to_string(),
                f.id.to_string(),
                f.object.clone(),
                format!("{}\nfix: {}", f.message, f.fix),
            ]
        })
        .collect();
    out.push_str(&table(
        &["severity", "finding", "object", "problem and fix"],
        rows,
    ));
    out
}

fn render_probe(p: &ProbeReport) -> String {
    let mut out = format!(
        "Probe as {} (one transaction, rolled back): {} probed, {}, {} not probed\n",
        p.role,
        plural(p.probed.len(), "table", "tables"),
        plural(p.leaks.len(), "leak", "leaks"),
        p.not_probed.len()
    );
    if !p.leaks.is_empty() {
        let rows = p
            .leaks
            .iter()
            .map(|l| {
                vec![
                    l.table.clone(),
                    l.command.to_string(),
                    if l.user_a.is_empty() {
                        l.role.clone()
                    } else {
                        format!("{} {}", l.role, l.user_a)
                    },
                    l.user_b.clone(),
                    l.allowed_by.join(", "),
                    l.detail.clone(),
                ]
            })
            .collect();
        out.push_str("LEAKS: user B's rows reached by another user or a signed-out visitor:\n");
        out.push_str(&table(
            &[
                "table",
                "command",
                "as",
                "row of user B",
                "allowed by",
                "what happened",
            ],
            rows,
        ));
    } else if !p.probed.is_empty() {
        out.push_str("No leak: no attempt reached another user's row.\n");
    }
    let odd: Vec<Vec<String>> = p
        .probed
        .iter()
        .flat_map(|t| {
            t.attempts.iter().filter_map(move |a| match &a.outcome {
                Outcome::Inconclusive { detail } => Some(vec![
                    t.table.clone(),
                    format!("{} as {}", a.command, a.role),
                    format!("inconclusive: {detail}"),
                ]),
                Outcome::Skipped { reason } => Some(vec![
                    t.table.clone(),
                    format!("{} as {}", a.command, a.role),
                    format!("not tried: {reason}"),
                ]),
                _ => None,
            })
        })
        .collect();
    if !odd.is_empty() {
        out.push_str("Attempts without a verdict:\n");
        out.push_str(&table(&["table", "command", "result"], odd));
    }
    if !p.not_probed.is_empty() {
        out.push_str("Not probed:\n");
        let rows = p
            .not_probed
            .iter()
            .map(|n| vec![n.table.clone(), n.reason.clone()])
            .collect();
        out.push_str(&table(&["table", "reason"], rows));
    }
    out
}

fn render_summary(r: &AuditReport) -> String {
    let s = &r.summary;
    let mut line = format!(
        "audit: {}, {}; {}, {}, {}",
        plural(s.tables, "table", "tables"),
        plural(s.policies, "policy", "policies"),
        plural(s.errors, "error", "errors"),
        plural(s.warnings, "warning", "warnings"),
        plural(s.infos, "info", "infos"),
    );
    if let Some(p) = &r.probe {
        line.push_str(&format!(
            "; probe: {}",
            plural(p.leaks.len(), "leak", "leaks")
        ));
    }
    line.push('\n');
    let leaks = r.probe.as_ref().map_or(0, |p| p.leaks.len());
    if r.failed() {
        let mut why = Vec::new();
        if s.errors > 0 {
            why.push(plural(
                s.errors,
                "finding of severity error",
                "findings of severity error",
            ));
        }
        if leaks > 0 {
            why.push(plural(leaks, "leak", "leaks"));
        }
        line.push_str(&format!("exit status 1: {}\n", why.join(" and ")));
    }
    line
}
