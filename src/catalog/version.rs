//! Differences between PostgreSQL versions (14 to 18) in the catalog, in one place.
//!
//! Owns: the server version as a number and the version-dependent fragments of the catalog
//! queries. A query writes `{{name}}` where the catalog differs between versions; [`render`]
//! puts in the fragment for the server's version. Must not: run queries, or hold SQL that is
//! the same on every version (that stays in `queries/*.sql`, readable in psql).
//!
//! Why it is shaped so: catalog columns come and go between releases (`colliculocale` became
//! `colllocale` in 17, row filters and column lists of publications arrived in 15). Keeping
//! every such difference in one table makes "what changes on PostgreSQL N" one lookup, and a
//! test renders every query for every supported version so that no `{{…}}` is left over.

/// A version-dependent fragment: the first tier whose minimum the server reaches wins.
struct Fragment {
    name: &'static str,
    /// (minimum `server_version_num`, SQL), newest first; the last tier's minimum is 0.
    tiers: &'static [(i32, &'static str)],
}

const FRAGMENTS: &[Fragment] = &[
    // Column lists of published tables: PostgreSQL 15.
    Fragment {
        name: "publication_columns",
        tiers: &[
            (
                150000,
                "CASE WHEN pr.prattrs IS NULL THEN NULL ELSE \
                 (SELECT json_agg(a.attname ORDER BY a.attnum) FROM pg_attribute a \
                  WHERE a.attrelid = pr.prrelid AND a.attnum = ANY(pr.prattrs)) END",
            ),
            (0, "NULL::json"),
        ],
    },
    // Row filters of published tables: PostgreSQL 15.
    Fragment {
        name: "publication_row_filter",
        tiers: &[
            (150000, "pg_get_expr(pr.prqual, pr.prrelid)"),
            (0, "NULL::text"),
        ],
    },
    // FOR TABLES IN SCHEMA (pg_publication_namespace): PostgreSQL 15.
    Fragment {
        name: "publication_schemas",
        tiers: &[
            (
                150000,
                "SELECT pn.pnpubid, array_agg(quote_ident(sn.nspname) ORDER BY sn.nspname) AS schemas, \
                 bool_or(sn.nspname = ANY($1) AND sn.nspname <> ALL($2)) AS in_scope \
                 FROM pg_publication_namespace pn JOIN pg_namespace sn ON sn.oid = pn.pnnspid \
                 GROUP BY pn.pnpubid",
            ),
            (
                0,
                "SELECT NULL::oid AS pnpubid, NULL::text[] AS schemas, NULL::bool AS in_scope WHERE false",
            ),
        ],
    },
    // ICU (and builtin) locale of a collation: `colliculocale` in 15 and 16, `colllocale` from
    // 17; before 15 an ICU collation's locale is its `collcollate`.
    Fragment {
        name: "collation_locale",
        tiers: &[
            (170000, "c.colllocale"),
            (150000, "c.colliculocale"),
            (0, "NULL::text"),
        ],
    },
    // ICU tailoring rules: PostgreSQL 16.
    Fragment {
        name: "collation_rules",
        tiers: &[(160000, "c.collicurules"), (0, "NULL::text")],
    },
];

/// `query` with every `{{name}}` replaced by its fragment for `version`
/// (`server_version_num`).
pub fn render(query: &str, version: i32) -> String {
    let mut out = query.to_string();
    for f in FRAGMENTS {
        let marker = format!("{{{{{}}}}}", f.name);
        if !out.contains(&marker) {
            continue;
        }
        let sql = f
            .tiers
            .iter()
            .find(|(min, _)| version >= *min)
            .map(|(_, sql)| *sql)
            .unwrap_or("NULL");
        out = out.replace(&marker, sql);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_query_renders_for_every_supported_version() {
        for version in [140000, 150000, 160000, 170000, 180000] {
            for (name, q) in super::super::QUERIES {
                let sql = render(q, version);
                assert!(
                    !sql.contains("{{"),
                    "{name} keeps a marker on {version}: {sql}"
                );
            }
        }
    }

    #[test]
    fn the_newest_tier_the_server_reaches_wins() {
        let q = "SELECT {{collation_locale}}";
        assert_eq!(render(q, 170004), "SELECT c.colllocale");
        assert_eq!(render(q, 160002), "SELECT c.colliculocale");
        assert_eq!(render(q, 140011), "SELECT NULL::text");
    }

    #[test]
    fn every_fragment_ends_with_a_tier_for_any_version() {
        for f in FRAGMENTS {
            assert_eq!(f.tiers.last().map(|t| t.0), Some(0), "{}", f.name);
            assert!(f.tiers.windows(2).all(|w| w[0].0 > w[1].0), "{}", f.name);
        }
    }
}
