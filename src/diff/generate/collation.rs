//! Collations: `CREATE COLLATION` from provider and locales (versions are not compared: they
//! are the server's library). A changed collation is replaced.

use super::Sql;
use crate::catalog::Collation;
use crate::sql::quote_literal;

pub fn create_sql(key: &str, c: &Collation) -> String {
    let mut opts = vec![format!("provider = {}", c.provider)];
    // Before PostgreSQL 15 an ICU collation's locale is stored as its lc_collate.
    let locale = c.locale.as_ref().or(if c.provider == "libc" {
        None
    } else {
        c.lc_collate.as_ref()
    });
    match (c.provider.as_str(), locale) {
        ("libc", _) | (_, None) => {
            if let Some(v) = &c.lc_collate {
                opts.push(format!("lc_collate = {}", quote_literal(v)));
            }
            if let Some(v) = &c.lc_ctype {
                opts.push(format!("lc_ctype = {}", quote_literal(v)));
            }
        }
        (_, Some(l)) => opts.push(format!("locale = {}", quote_literal(l))),
    }
    if !c.deterministic {
        opts.push("deterministic = false".into());
    }
    if let Some(r) = &c.rules {
        opts.push(format!("rules = {}", quote_literal(r)));
    }
    format!("CREATE COLLATION {key} ({});", opts.join(", "))
}

pub fn drop(c: &Collation) -> Sql {
    Sql::one(format!(
        "DROP COLLATION IF EXISTS {};",
        super::table::qualified(&c.schema, &c.name)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn icu_and_libc_collations_read_like_sql() {
        let icu = Collation {
            provider: "icu".into(),
            locale: Some("und-u-ks-level2".into()),
            deterministic: false,
            ..Default::default()
        };
        assert_eq!(
            create_sql("public.ci", &icu),
            "CREATE COLLATION public.ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);"
        );
        let libc = Collation {
            provider: "libc".into(),
            lc_collate: Some("C".into()),
            lc_ctype: Some("C".into()),
            deterministic: true,
            ..Default::default()
        };
        assert_eq!(
            create_sql("public.c", &libc),
            "CREATE COLLATION public.c (provider = libc, lc_collate = 'C', lc_ctype = 'C');"
        );
    }
}
