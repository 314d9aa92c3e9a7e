//! Facts written by hand for the rules' unit tests: a migration's text, split into statements,
//! and builders for what a shadow would have shown. Test-only.

use super::{Context, Finding};
use crate::lint::facts::{
    Change, Column, Constraint, ConstraintKind, Function, Lock, LockMode, MigrationFacts, Oid,
    PolicyDetail, RelKind, Relation, Scan, StatementFacts,
};
use crate::project::{Checksum, SourceFile};
use std::collections::BTreeSet;

pub struct Sample {
    pub file: SourceFile,
    pub facts: MigrationFacts,
    pub exposed: Vec<String>,
    pub api_roles: Vec<String>,
    pub anon: Option<String>,
    pub lock_timeout: Option<String>,
    pub rls_from_policies: BTreeSet<String>,
}

pub fn rel(oid: Oid, name: &str, kind: RelKind) -> Relation {
    Relation {
        oid,
        schema: "public".into(),
        name: name.into(),
        kind,
        filenode: i64::from(oid),
        rls: false,
        rls_forced: false,
        acl: vec!["postgres=arwdDxt/postgres".into()],
        options: Vec::new(),
        partition: false,
        index_of: None,
    }
}

pub fn col(relation: Oid, num: i16, name: &str, type_name: &str) -> Column {
    Column {
        relation,
        num,
        name: name.into(),
        type_name: type_name.into(),
        not_null: false,
        has_default: false,
        dropped: false,
        identity: false,
        generated: false,
    }
}

pub fn constraint(oid: Oid, name: &str, kind: ConstraintKind, relation: Oid) -> Constraint {
    Constraint {
        oid,
        name: name.into(),
        kind,
        validated: true,
        relation,
        references: None,
    }
}

pub fn function(oid: Oid, signature: &str) -> Function {
    Function {
        oid,
        schema: "public".into(),
        signature: signature.into(),
        security_definer: false,
        config: Vec::new(),
        acl: vec!["=X/postgres".into(), "postgres=X/postgres".into()],
    }
}

pub fn policy(oid: Oid, table: &Relation, name: &str, command: &str) -> PolicyDetail {
    PolicyDetail {
        oid,
        relation: table.oid,
        table: table.qualified(),
        name: name.into(),
        command: command.into(),
        permissive: true,
        roles: vec!["public".into()],
        using_expr: None,
        check_expr: None,
    }
}

pub fn changed<T>(before: Option<T>, after: Option<T>) -> Change<T> {
    Change { before, after }
}

pub fn lock(relation: Oid, mode: LockMode) -> Lock {
    Lock { relation, mode }
}

pub fn seq_scan(relation: Oid) -> Scan {
    Scan {
        relation,
        seq: 1,
        index: 0,
    }
}

impl Sample {
    /// A migration with this text; one empty set of facts per statement.
    pub fn new(text: &str) -> Sample {
        let spans = crate::sql::split(text).unwrap_or_default();
        let facts = MigrationFacts {
            statements: spans
                .iter()
                .enumerate()
                .map(|(i, s)| StatementFacts::new(i, *s))
                .collect(),
            server_version: 150000,
            ..MigrationFacts::default()
        };
        Sample {
            file: SourceFile {
                path: "migrations/002_change.sql".into(),
                display: "migrations/002_change.sql".into(),
                text: text.into(),
                checksum: Checksum::of(text.as_bytes()),
            },
            facts,
            exposed: vec!["public".into()],
            api_roles: vec!["anon".into(), "authenticated".into()],
            anon: Some("anon".into()),
            lock_timeout: None,
            rls_from_policies: BTreeSet::new(),
        }
    }

    /// A relation that existed before the migration.
    pub fn existing(&mut self, r: &Relation) -> &mut Self {
        self.facts.pre_existing.insert(r.oid);
        self.facts.first_seen.insert(r.oid, r.clone());
        self.facts.final_state.relations.insert(r.oid, r.clone());
        self
    }

    /// A relation created by statement `i`.
    pub fn created(&mut self, i: usize, r: &Relation) -> &mut Self {
        self.facts.first_seen.insert(r.oid, r.clone());
        self.facts.final_state.relations.insert(r.oid, r.clone());
        self.stmt(i).relations.push(changed(None, Some(r.clone())));
        self
    }

    /// Statement `i`'s facts.
    pub fn stmt(&mut self, i: usize) -> &mut StatementFacts {
        &mut self.facts.statements[i]
    }

    /// Statement `i` took `mode` on `relation` (and holds it from then on).
    pub fn takes(&mut self, i: usize, relation: Oid, mode: LockMode) -> &mut Self {
        let l = lock(relation, mode);
        self.stmt(i).locks_taken.push(l);
        let n = self.facts.statements.len();
        for s in &mut self.facts.statements[i..n] {
            s.locks_held.push(l);
        }
        self
    }

    pub fn check(&self, rule: fn(&Context<'_>) -> Vec<Finding>) -> Vec<Finding> {
        let cx = Context::new(
            &self.file,
            &self.facts,
            &self.exposed,
            &self.api_roles,
            self.anon.as_deref(),
            self.lock_timeout.as_deref(),
            &self.rls_from_policies,
        );
        rule(&cx)
    }

    /// The findings as `strata lint` prints them (for snapshots).
    pub fn render(&self, findings: &[Finding]) -> String {
        findings
            .iter()
            .map(|f| crate::report::lint::render_finding(&self.file, f, None))
            .collect::<Vec<_>>()
            .join("\n")
    }
}
