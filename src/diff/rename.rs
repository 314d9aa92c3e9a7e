//! Column renames: a column missing from the live table and one extra in it, that are the same
//! column under two names, are one `RENAME COLUMN`, not a drop that deletes its values and an
//! add that starts empty.
//!
//! Owns: the evidence (same type, default, NOT NULL, generation, identity, collation, comment,
//! privileges, position among the table's columns, and the same constraints once the name is
//! changed) and the rewrite of the live catalog as if the rename had run, so that the rest of
//! the comparison sees one column. Must not: guess. Two candidates, or evidence that does not
//! hold, is no rename: the drop then carries a hazard note naming the possible rename.

use crate::catalog::{Catalog, Column, ObjectKind, ObjectRef, Table};
use crate::sql::quote_ident;
use std::collections::BTreeMap;

/// One column renamed: in table `table`, `from` in the live database is `to` in the declared
/// state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rename {
    pub table: String,
    pub from: String,
    pub to: String,
}

impl Rename {
    pub fn live_key(&self) -> String {
        format!("{}.{}", self.table, quote_ident(&self.from))
    }

    pub fn declared_key(&self) -> String {
        format!("{}.{}", self.table, quote_ident(&self.to))
    }
}

/// A drop that may have been meant as a rename, and why strata did not script one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaybeRename {
    /// The live column's key (the one dropped).
    pub column: String,
    pub to: String,
    pub why_not: String,
}

/// `text` with every reference to column `from` of table `table_name` written as `to`: bare
/// identifiers and `table_name.from`; other qualified names are left alone.
pub fn substitute(text: &str, table_name: &str, from: &str, to: &str) -> String {
    let (qf, qt) = (quote_ident(from), quote_ident(to));
    let qualified_from = format!("{}.{qf}", quote_ident(table_name));
    let qualified_to = format!("{}.{qt}", quote_ident(table_name));
    let text = text.replace(&qualified_from, &qualified_to);
    let bytes = text.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'"' || c >= 0x80;
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        if rest.starts_with(&qf) {
            let before = if i == 0 { None } else { Some(bytes[i - 1]) };
            let after = bytes.get(i + qf.len()).copied();
            let free = !before.is_some_and(|c| word(c) || c == b'.') && !after.is_some_and(word);
            if free {
                out.push_str(&qt);
                i += qf.len();
                continue;
            }
        }
        let ch = rest.chars().next().unwrap_or(' ');
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

fn same_shape(a: &Column, b: &Column) -> Option<&'static str> {
    if a.data_type != b.data_type || a.collation != b.collation {
        return Some("its type differs");
    }
    if a.not_null != b.not_null || a.default != b.default {
        return Some("its default or NOT NULL differs");
    }
    if a.generated != b.generated || a.virtual_generated != b.virtual_generated {
        return Some("its generation differs");
    }
    if a.identity != b.identity {
        return Some("its identity differs");
    }
    if a.comment != b.comment {
        return Some("its comment differs");
    }
    if a.acl != b.acl {
        return Some("its privileges differ");
    }
    None
}

/// The constraints on one column, with its name written as `as_name`.
fn constraints_of(t: &Table, column: &str, as_name: &str) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = t
        .constraints
        .values()
        .filter(|c| c.columns.iter().any(|x| x == column))
        .map(|c| {
            (
                c.name.clone(),
                substitute(&c.definition, &t.name, column, as_name),
            )
        })
        .collect();
    v.sort();
    v
}

/// The renames the evidence proves, and the drops that may be renames it does not prove.
pub fn find(live: &Catalog, declared: &Catalog) -> (Vec<Rename>, Vec<MaybeRename>) {
    let mut renames = Vec::new();
    let mut maybe = Vec::new();
    for (key, x) in &live.tables {
        let Some(y) = declared.tables.get(key) else {
            continue;
        };
        let extra: Vec<(usize, &Column)> = x
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| y.column(&c.name).is_none())
            .collect();
        let missing: Vec<(usize, &Column)> = y
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| x.column(&c.name).is_none())
            .collect();
        // Candidates: every (extra, missing) pair the evidence allows.
        let mut fits: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        let mut back: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        let mut why: BTreeMap<(usize, usize), &'static str> = BTreeMap::new();
        for (i, (pa, a)) in extra.iter().enumerate() {
            for (j, (pb, b)) in missing.iter().enumerate() {
                let reason = same_shape(a, b).or_else(|| {
                    if pa != pb {
                        Some("its position among the columns differs")
                    } else if constraints_of(x, &a.name, &b.name)
                        != constraints_of(y, &b.name, &b.name)
                    {
                        Some("its constraints differ")
                    } else {
                        None
                    }
                });
                match reason {
                    None => {
                        fits.entry(i).or_default().push(j);
                        back.entry(j).or_default().push(i);
                    }
                    Some(r) => {
                        why.insert((i, j), r);
                    }
                }
            }
        }
        for (i, (_, a)) in extra.iter().enumerate() {
            let one = fits
                .get(&i)
                .filter(|v| v.len() == 1)
                .and_then(|v| v.first());
            match one {
                Some(&j) if back.get(&j).is_some_and(|v| v.len() == 1) => {
                    renames.push(Rename {
                        table: key.clone(),
                        from: a.name.clone(),
                        to: missing[j].1.name.clone(),
                    });
                }
                Some(&j) => maybe.push(MaybeRename {
                    column: format!("{key}.{}", quote_ident(&a.name)),
                    to: missing[j].1.name.clone(),
                    why_not: "another column fits as well".into(),
                }),
                None if fits.get(&i).is_some_and(|v| v.len() > 1) => maybe.push(MaybeRename {
                    column: format!("{key}.{}", quote_ident(&a.name)),
                    to: String::new(),
                    why_not: "several new columns fit".into(),
                }),
                // One extra and one missing column: worth a note even when they differ.
                None if extra.len() == 1 && missing.len() == 1 => maybe.push(MaybeRename {
                    column: format!("{key}.{}", quote_ident(&a.name)),
                    to: missing[0].1.name.clone(),
                    why_not: why.get(&(i, 0)).copied().unwrap_or("").to_string(),
                }),
                None => {}
            }
        }
    }
    (renames, maybe)
}

/// `live` as it is after the renames: the columns carry their new names, and the table's
/// constraints, indexes, policies, triggers and statistics refer to them by it.
pub fn apply(live: &Catalog, renames: &[Rename]) -> Catalog {
    let mut cat = live.clone();
    for r in renames {
        let Some(t) = cat.tables.get_mut(&r.table) else {
            continue;
        };
        let tname = t.name.clone();
        let sub = |s: &str| substitute(s, &tname, &r.from, &r.to);
        for c in &mut t.columns {
            if c.name == r.from {
                c.name = r.to.clone();
            }
        }
        for c in t.constraints.values_mut() {
            c.definition = sub(&c.definition);
            for col in &mut c.columns {
                if *col == r.from {
                    *col = r.to.clone();
                }
            }
        }
        for i in cat.indexes.values_mut().filter(|i| i.table == r.table) {
            i.definition = sub(&i.definition);
        }
        for p in cat.policies.values_mut().filter(|p| p.table == r.table) {
            p.using = p.using.as_deref().map(sub);
            p.check = p.check.as_deref().map(sub);
        }
        for g in cat.triggers.values_mut().filter(|g| g.table == r.table) {
            g.definition = sub(&g.definition);
        }
        for s in cat.statistics.values_mut().filter(|s| s.table == r.table) {
            s.definition = sub(&s.definition);
        }
        let (old, new) = (r.live_key(), r.declared_key());
        for (from, to) in &mut cat.dependencies {
            for end in [from, to] {
                if end.kind == ObjectKind::Column && end.key == old {
                    *end = ObjectRef {
                        kind: ObjectKind::Column,
                        key: new.clone(),
                    };
                }
            }
        }
    }
    cat
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitution_renames_bare_and_own_table_references_only() {
        assert_eq!(
            substitute("CHECK ((qty > 0))", "t", "qty", "quantity"),
            "CHECK ((quantity > 0))"
        );
        assert_eq!(
            substitute("(t.qty = o.qty) AND (qty_max > 1)", "t", "qty", "n"),
            "(t.n = o.qty) AND (qty_max > 1)"
        );
        assert_eq!(
            substitute("lower(\"Full Name\")", "t", "Full Name", "name"),
            "lower(name)"
        );
    }

    fn col(name: &str, ty: &str) -> Column {
        Column {
            name: name.into(),
            data_type: ty.into(),
            ..Default::default()
        }
    }

    fn cat(cols: Vec<Column>) -> Catalog {
        let mut c = Catalog::default();
        c.tables.insert(
            "public.t".into(),
            Table {
                schema: "public".into(),
                name: "t".into(),
                columns: cols,
                ..Default::default()
            },
        );
        c
    }

    #[test]
    fn one_fitting_pair_is_a_rename() {
        let live = cat(vec![col("id", "integer"), col("qty", "integer")]);
        let declared = cat(vec![col("id", "integer"), col("quantity", "integer")]);
        let (r, m) = find(&live, &declared);
        assert_eq!(
            r,
            [Rename {
                table: "public.t".into(),
                from: "qty".into(),
                to: "quantity".into()
            }]
        );
        assert!(m.is_empty());
        let after = apply(&live, &r);
        assert!(after.tables["public.t"].column("quantity").is_some());
    }

    #[test]
    fn a_different_type_or_position_is_no_rename_but_a_note() {
        let live = cat(vec![col("id", "integer"), col("qty", "integer")]);
        let declared = cat(vec![col("id", "integer"), col("quantity", "bigint")]);
        let (r, m) = find(&live, &declared);
        assert!(r.is_empty());
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].why_not, "its type differs");
        let declared = cat(vec![col("quantity", "integer"), col("id", "integer")]);
        let (r, _) = find(&live, &declared);
        assert!(r.is_empty());
    }

    #[test]
    fn two_candidates_are_ambiguous() {
        let live = cat(vec![col("a", "text"), col("b", "text")]);
        let declared = cat(vec![col("x", "text"), col("y", "text")]);
        // Positions tell them apart: a→x and b→y are each the only fit.
        let (r, _) = find(&live, &declared);
        assert_eq!(r.len(), 2);
        let live = cat(vec![col("id", "integer"), col("a", "text")]);
        let mut d = col("x", "text");
        d.comment = Some("note".into());
        let declared = cat(vec![col("id", "integer"), d]);
        let (r, m) = find(&live, &declared);
        assert!(r.is_empty());
        assert_eq!(m[0].why_not, "its comment differs");
    }
}
