//! `migration-fails`: a statement PostgreSQL refused on the shadow, a database at the version
//! before the migration. It would fail the same way in production (unless production differs
//! from the files, which `strata diff` reports); the statements after it were not judged.

use super::{Context, Finding, RuleId, Severity};

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let Some(f) = &cx.facts.failure else {
        return Vec::new();
    };
    let pg = &f.failure;
    let mut message = if pg.code.is_empty() {
        format!("fails on the shadow database: {}", pg.message)
    } else {
        format!(
            "fails on the shadow database: ERROR {}: {}",
            pg.code, pg.message
        )
    };
    if let Some(d) = &pg.detail {
        message.push_str(&format!(" ({d})"));
    }
    let ran = cx.facts.statements.len();
    let total = crate::sql::split(&cx.file.text).map_or(ran, |s| s.len());
    if total > f.statement + 1 {
        message.push_str(&format!(
            "; the {} statement(s) after it were not judged",
            total - f.statement - 1
        ));
    }
    let fix = match &pg.hint {
        Some(h) => format!(
            "{h} The shadow was built from the migrations before this one, so production at that version fails the same way."
        ),
        None => "make the statement run on a database at the version before this migration (the shadow is built from the migrations before it, so production fails the same way)".to_string(),
    };
    vec![Finding {
        rule: RuleId::MigrationFails,
        severity: Severity::Error,
        statement: f.statement,
        offset: f.offset,
        object: None,
        message,
        fix,
    }]
}

#[cfg(test)]
mod tests {
    use super::super::testing::Sample;
    use super::*;
    use crate::db::PgFailure;
    use crate::lint::facts::Failure;

    #[test]
    fn a_refused_statement_is_an_error_at_its_position() {
        let text = "ALTER TABLE orders ADD COLUMN note text;\nALTER TABLE ordrs ADD COLUMN x int;\nSELECT 1;\n";
        let mut s = Sample::new(text);
        s.facts.statements.truncate(1);
        s.facts.failure = Some(Failure {
            statement: 1,
            offset: text.find("ordrs").unwrap(),
            failure: PgFailure {
                code: "42P01".into(),
                message: "relation \"ordrs\" does not exist".into(),
                ..PgFailure::default()
            },
        });
        let found = s.check(check);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].severity, Severity::Error);
        insta::assert_snapshot!(s.render(&found));
    }

    #[test]
    fn nothing_when_every_statement_ran() {
        let s = Sample::new("SELECT 1;");
        assert!(s.check(check).is_empty());
    }
}
