//! Owners: `ALTER <object> OWNER TO role`.
//!
//! An object owned by the role that runs the migrations is owned "by default" (`CURRENT_USER`
//! in SQL): that is what `CREATE` gives it, so both sides compare equal whoever built them.

use super::{authz, Sql};

/// Who owns an object, as compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ownership<'a> {
    /// The object as `ALTER … OWNER TO` names it: `TABLE public.t`, `FUNCTION public.f(integer)`.
    pub target: String,
    /// Quoted role name; None when it is the role that read the catalog.
    pub owner: Option<&'a str>,
}

impl<'a> Ownership<'a> {
    pub fn new(target: String, owner: &'a str, current_role: &str) -> Ownership<'a> {
        Ownership {
            target,
            owner: (owner != current_role).then_some(owner),
        }
    }

    /// `CURRENT_USER` for the default owner.
    fn role(&self) -> &str {
        self.owner.unwrap_or("CURRENT_USER")
    }
}

pub fn create_sql(o: &Ownership<'_>) -> String {
    format!("ALTER {} OWNER TO {};", o.target, o.role())
}

pub fn set(o: &Ownership<'_>) -> Sql {
    Sql::new(
        vec![create_sql(o)],
        vec![authz(
            "the owner holds every privilege on the object and is exempt from its table's row-level security unless it is forced",
        )],
    )
}
