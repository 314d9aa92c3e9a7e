//! `strata audit` as text, fitted to the terminal's width: whether intent is declared, one row per
//! table with the level each command reaches (and the contract's, where they differ), the
//! per-role matrix for small schemas, findings as wrapped blocks, the probe's verdicts, the
//! `--compare` delta and a summary. JSON is the same [`AuditReport`] serialized, with every
//! detail (each role's cell, each reach's sources, each probe attempt).

use super::{plural, Annotation, AnnotationLevel, Render, Text};
use crate::access::compare::Verdict;
use crate::access::Command;
use crate::audit::probe::{Outcome, ProbeReport};
use crate::audit::{AccessCell, AuditReport, Finding, Severity};
use comfy_table::{presets::UTF8_FULL_CONDENSED, ContentArrangement, Table};

/// Above this many tables the per-role matrix is left to JSON.
const ROLE_MATRIX_MAX_TABLES: usize = 10;

impl Render for AuditReport {
    fn text(&self, t: &mut Text) {
        t.out
            .push_str(&render_audit_width(self, terminal_width(), t.verbose > 0));
    }

    fn annotations(&self) -> Vec<Annotation> {
        let mut out: Vec<Annotation> = self
            .findings
            .iter()
            .filter(|f| f.severity != Severity::Info)
            .map(|f| Annotation {
                level: match f.severity {
                    Severity::Error => AnnotationLevel::Error,
                    Severity::Warning => AnnotationLevel::Warning,
                    Severity::Info => AnnotationLevel::Notice,
                },
                file: self
                    .contract
                    .path
                    .clone()
                    .filter(|_| f.id.as_str().contains("contract")),
                line: None,
                column: None,
                title: Some(format!("strata audit: {}", f.id)),
                message: format!("{}: {} (fix: {})", f.object, f.message, f.fix),
            })
            .collect();
        if let Some(p) = &self.probe {
            out.extend(p.leaks.iter().map(|l| Annotation {
                level: AnnotationLevel::Error,
                file: None,
                line: None,
                column: None,
                title: Some("strata audit --probe: leak".into()),
                message: format!(
                    "{} {}: {} as {}: {} (allowed by {})",
                    l.table,
                    l.command.map_or_else(|| "CALL".into(), |c| c.to_string()),
                    l.kind.as_str(),
                    l.principal,
                    l.detail,
                    l.allowed_by.join("; ")
                ),
            }));
        }
        out
    }

    fn summary(&self) -> Option<String> {
        render_summary(self).lines().next().map(str::to_string)
    }
}

/// The terminal's width: `COLUMNS`, else the terminal's own, else 100.
pub fn terminal_width() -> usize {
    if let Some(n) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse::<usize>().ok())
    {
        return n.clamp(40, 400);
    }
    #[cfg(unix)]
    {
        // SAFETY: TIOCGWINSZ fills a winsize struct; on failure the struct stays zeroed.
        let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
        let ok = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut ws) } == 0;
        if ok && ws.ws_col >= 40 {
            return usize::from(ws.ws_col);
        }
    }
    100
}

/// The whole report at the terminal's width.
pub fn render_audit(r: &AuditReport) -> String {
    render_audit_width(r, terminal_width(), false)
}

/// The whole report at `width` columns; `verbose` adds each table's policies.
pub fn render_audit_width(r: &AuditReport, width: usize, verbose: bool) -> String {
    let mut out = String::new();
    out.push_str(&render_header(r, width));
    out.push_str(&render_access(r, width, verbose));
    if r.tables.len() <= ROLE_MATRIX_MAX_TABLES {
        out.push_str(&render_matrix(r, width));
    } else {
        out.push_str(&format!(
            "Per-role matrix ({} rows): in the JSON report (--format json), with every policy and grant behind each cell.\n",
            r.matrix.len()
        ));
    }
    out.push_str(&render_findings(&r.findings, width, verbose));
    if let Some(p) = &r.probe {
        out.push_str(&render_probe(p, width, verbose));
    }
    if let Some(c) = &r.compare {
        out.push_str(&render_compare(c, width));
    }
    if let Some(w) = &r.written {
        out.push_str(&format!(
            "Wrote {w}: the contract as the policies define it today. Review it (every level, the principals, the trusted functions), then commit it.\n"
        ));
    }
    out.push_str(&render_summary(r));
    out
}

fn table(header: &[&str], rows: Vec<Vec<String>>, width: usize) -> String {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(u16::try_from(width).unwrap_or(u16::MAX))
        .set_header(header.to_vec());
    for r in rows {
        t.add_row(r);
    }
    format!("{t}\n")
}

/// Words wrapped at `width`, the first line after `first`, the others after `indent`.
pub fn wrap(text: &str, width: usize, first: &str, indent: &str) -> String {
    let mut out = String::new();
    let mut line = first.to_string();
    // After a label (`fix:`) the first word gets a space; after a bare indent it does not.
    let mut empty = first.trim().is_empty();
    for word in text.split_whitespace() {
        let len = line.chars().count() + word.chars().count() + usize::from(!empty);
        if !empty && len > width {
            out.push_str(line.trim_end());
            out.push('\n');
            line = indent.to_string();
            empty = indent.trim().is_empty();
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    out.push_str(line.trim_end());
    out.push('\n');
    out
}

fn render_header(r: &AuditReport, width: usize) -> String {
    let model = match r.model {
        crate::config::AuthModel::Supabase => "supabase",
        crate::config::AuthModel::Setting => "setting",
    };
    let mut out = format!(
        "Row-level security: {} in {} (auth model {})\n",
        plural(r.tables.len(), "table", "tables"),
        r.schemas.join(", "),
        model
    );
    match (&r.contract.path, &r.contract.note) {
        (Some(p), _) => out.push_str(&format!(
            "Access contract: {p} (findings and probe verdicts compare with it)\n"
        )),
        (None, Some(n)) => out.push_str(&wrap(n, width, "Access contract: none;", "  ")),
        (None, None) => {}
    }
    if !r.bypassing_roles.is_empty() {
        out.push_str(&wrap(
            &format!(
                "{} (outside the contract: they skip row-level security everywhere)",
                r.bypassing_roles.join(", ")
            ),
            width,
            "Roles that bypass RLS:",
            "  ",
        ));
    }
    out
}

/// `owner`, or `public > owner!` (wider than declared), `none < owner` (narrower), `owner..public ?`.
fn cell_text(c: &AccessCell) -> String {
    match (c.verdict, c.declared) {
        (Some(Verdict::Exceeds), Some(d)) => format!("{} > {d} !", c.effective),
        (Some(Verdict::AdminExceeds), Some(d)) => format!("{} > {d} (admins) !", c.effective),
        (Some(Verdict::Unclassified), Some(d)) => format!("{} ? {d}", c.effective),
        (Some(Verdict::Below), Some(d)) => format!("{} < {d}", c.effective),
        _ => c.effective.clone(),
    }
}

fn render_access(r: &AuditReport, width: usize, verbose: bool) -> String {
    if r.access.is_empty() {
        return String::new();
    }
    let mut out = wrap(
        "as levels (public > signed-in > tenant > owner > admin > none; `x > y !`: reaches x where the contract says y; `+admin`: admins reach every row):",
        width,
        "Access per table,",
        "  ",
    );
    let by_table: std::collections::BTreeMap<&str, &crate::audit::TableReport> =
        r.tables.iter().map(|t| (t.table.as_str(), t)).collect();
    let rows = r
        .access
        .iter()
        .map(|a| {
            let (rls, policies) = match by_table.get(a.table.as_str()) {
                Some(t) => (
                    match (t.rls_enabled, t.rls_forced) {
                        (false, _) => "OFF".to_string(),
                        (true, true) => "forced".to_string(),
                        (true, false) => "on".to_string(),
                    },
                    if verbose {
                        t.policies
                            .iter()
                            .map(|p| format!("{} {}", p.name, p.command))
                            .collect::<Vec<_>>()
                            .join("\n")
                    } else {
                        t.policies.len().to_string()
                    },
                ),
                None => (a.kind.clone(), "-".to_string()),
            };
            vec![
                a.table.clone(),
                rls,
                policies,
                cell_text(&a.select),
                cell_text(&a.insert),
                cell_text(&a.update),
                cell_text(&a.delete),
            ]
        })
        .collect();
    out.push_str(&table(
        &[
            "table", "RLS", "policies", "SELECT", "INSERT", "UPDATE", "DELETE",
        ],
        rows,
        width,
    ));
    out
}

fn render_matrix(r: &AuditReport, width: usize) -> String {
    if r.matrix.is_empty() {
        return "Access matrix: no roles to show (set [auth] role for the setting model).\n"
            .to_string();
    }
    let mut out = format!(
        "Access matrix ({}):\n",
        r.roles
            .iter()
            .map(|x| if x.exists {
                x.name.clone()
            } else {
                format!("{} (missing)", x.name)
            })
            .collect::<Vec<_>>()
            .join(", ")
    );
    let rows = r
        .matrix
        .iter()
        .map(|m| {
            let mut row = vec![m.table.clone(), m.role.clone()];
            row.extend(Command::ALL.iter().map(|c| m.get(*c).label()));
            row
        })
        .collect();
    out.push_str(&table(
        &["table", "role", "SELECT", "INSERT", "UPDATE", "DELETE"],
        rows,
        width,
    ));
    out
}

/// Above this many findings of one kind, the text lists their objects under one block (every
/// finding stays in JSON; `-v` shows each).
const GROUP_ABOVE: usize = 3;

/// Findings as wrapped blocks: `error[id] object`, the message, the fix.
pub fn render_findings_list(findings: &[Finding]) -> String {
    render_findings(findings, 100, true)
}

fn render_findings(findings: &[Finding], width: usize, verbose: bool) -> String {
    if findings.is_empty() {
        return "Findings: none.\n".to_string();
    }
    let mut out = format!("Findings ({}):\n", findings.len());
    let mut i = 0;
    while i < findings.len() {
        let f = &findings[i];
        let same = findings[i..]
            .iter()
            .take_while(|g| g.severity == f.severity && g.id == f.id)
            .count();
        // Findings come sorted by severity, table, id: gather one kind across tables.
        let group: Vec<&Finding> = findings
            .iter()
            .filter(|g| g.severity == f.severity && g.id == f.id)
            .collect();
        if !verbose && group.len() > GROUP_ABOVE {
            if group.first().is_some_and(|g| std::ptr::eq(*g, f)) {
                out.push_str(&wrap(
                    &format!(
                        "on {} objects (each in the JSON report; -v lists them here)",
                        group.len()
                    ),
                    width,
                    &format!("{}[{}]", f.severity, f.id),
                    "    ",
                ));
                // Where they are: each table (or object) once, the first dozen.
                let mut places: Vec<&str> = Vec::new();
                for g in &group {
                    let p = g.table.as_deref().unwrap_or(g.object.as_str());
                    if !places.contains(&p) {
                        places.push(p);
                    }
                }
                let mut list = places
                    .iter()
                    .take(12)
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", ");
                if places.len() > 12 {
                    list.push_str(&format!(" and {} more", places.len() - 12));
                }
                out.push_str(&wrap(&list, width, "  in:", "    "));
                out.push_str(&wrap(&f.message, width, "  first:", "    "));
                out.push_str(&wrap(&f.fix, width, "  fix:", "    "));
            }
            i += same.max(1);
            continue;
        }
        out.push_str(&wrap(
            &f.object,
            width,
            &format!("{}[{}]", f.severity, f.id),
            "    ",
        ));
        out.push_str(&wrap(&f.message, width, "  ", "    "));
        out.push_str(&wrap(&f.fix, width, "  fix:", "    "));
        i += 1;
    }
    out
}

fn render_probe(p: &ProbeReport, width: usize, verbose: bool) -> String {
    let mut out = format!(
        "Probe ({}; one transaction, rolled back): {} probed as {}; {}, {}, {} not probed\n",
        if p.judged_against == "declared" {
            "against the contract"
        } else {
            "heuristic: owner-only tables"
        },
        plural(p.probed.len(), "table", "tables"),
        p.principals
            .iter()
            .map(|x| x.label.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        plural(p.leaks.len(), "leak", "leaks"),
        plural(
            p.denied.len(),
            "refusal of allowed access",
            "refusals of allowed access"
        ),
        p.not_probed.len()
    );
    if !p.admins.is_empty() {
        out.push_str(&format!(
            "Admins (never attackers): {}\n",
            p.admins.join(", ")
        ));
    }
    if p.leaks.is_empty() {
        if !p.probed.is_empty() {
            out.push_str("No leak: no attempt reached beyond the contract.\n");
        }
    } else {
        out.push_str("LEAKS:\n");
        for l in &p.leaks {
            let what = match l.command {
                Some(c) => format!("{} {} ({})", l.table, c, l.kind.as_str()),
                None => format!("function {} (called with another user's id)", l.table),
            };
            out.push_str(&wrap(
                &format!("{what} as {}", l.principal),
                width,
                "  leak:",
                "    ",
            ));
            let mut detail = l.detail.clone();
            if !l.victims.is_empty() {
                detail.push_str(&format!("; rows of {}", l.victims.join(", ")));
            }
            out.push_str(&wrap(&detail, width, "   ", "    "));
            out.push_str(&wrap(
                &l.allowed_by.join("; "),
                width,
                "    allowed by:",
                "      ",
            ));
        }
    }
    if !p.denied.is_empty() {
        out.push_str("Refused although the contract allows it (probe-denied):\n");
        for d in &p.denied {
            out.push_str(&wrap(
                &format!("{} {} as {}: {}", d.table, d.command, d.principal, d.detail),
                width,
                "  probe-denied:",
                "    ",
            ));
        }
    }
    let mut inconclusive = Vec::new();
    let mut skipped = Vec::new();
    for t in &p.probed {
        for a in &t.attempts {
            let head = format!(
                "{} {} {} as {}",
                t.table,
                a.command,
                a.kind.as_str(),
                a.principal
            );
            match &a.outcome {
                Outcome::Inconclusive { detail } => inconclusive.push(format!("{head}: {detail}")),
                Outcome::Skipped { reason } => skipped.push(format!("{head}: not tried: {reason}")),
                _ => {}
            }
        }
    }
    if !inconclusive.is_empty() || (verbose && !skipped.is_empty()) {
        out.push_str("Attempts without a verdict (an error that says neither yes nor no):\n");
        let shown = if verbose { usize::MAX } else { 10 };
        for o in inconclusive
            .iter()
            .chain(skipped.iter().filter(|_| verbose))
            .take(shown)
        {
            out.push_str(&wrap(o, width, "  -", "    "));
        }
        if !verbose && inconclusive.len() > shown {
            out.push_str(&format!(
                "  … and {} more (-v or the JSON report)\n",
                inconclusive.len() - shown
            ));
        }
    }
    if !verbose && !skipped.is_empty() {
        out.push_str(&format!(
            "{} not tried (e.g. no second row can be owned when the key is the owner): -v or the JSON report lists them.\n",
            plural(skipped.len(), "attempt was", "attempts were")
        ));
    }
    if !p.not_probed.is_empty() {
        out.push_str("Not probed:\n");
        for n in &p.not_probed {
            out.push_str(&wrap(
                &format!("{}: {}", n.table, n.reason),
                width,
                "  -",
                "    ",
            ));
        }
    }
    out
}

fn render_compare(c: &crate::access::delta::DeltaReport, width: usize) -> String {
    let mut out = format!("Access changes from {} to {}:\n", c.base, c.new);
    if c.changes.is_empty() {
        out.push_str("  none: every table and command reaches the same levels.\n");
        return out;
    }
    for ch in &c.changes {
        let verb = match ch.direction {
            crate::access::delta::Direction::Gained => "gains",
            crate::access::delta::Direction::Lost => "loses",
        };
        out.push_str(&wrap(
            &format!(
                "{} {}: {} → {} ({} {verb} it)",
                ch.table, ch.command, ch.before, ch.after, ch.who
            ),
            width,
            match ch.direction {
                crate::access::delta::Direction::Gained => "  +",
                crate::access::delta::Direction::Lost => "  -",
            },
            "    ",
        ));
        if !ch.via.is_empty() {
            out.push_str(&wrap(&ch.via.join("; "), width, "    via", "      "));
        }
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
    if let Some(c) = &r.compare {
        line.push_str(&format!(
            "; compare: {}",
            plural(c.changes.len(), "change", "changes")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_words_at_the_width() {
        assert_eq!(
            wrap("aaa bbb ccc ddd", 9, "x:", "  "),
            "x: aaa\n  bbb ccc\n  ddd\n"
        );
        assert_eq!(wrap("", 10, "  fix:", "    "), "  fix:\n");
        assert_eq!(wrap("a b", 10, "  ", "    "), "  a b\n");
    }
}
