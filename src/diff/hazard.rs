//! Hazards: what could go wrong when a step of the fix script runs.
//!
//! Owns: the hazard vocabulary (kebab-case ids after pg-schema-diff's `pkg/diff/plan.go`) and
//! the one-line explanation each hazard carries. Must not: decide when a hazard applies (the
//! generators do, per object kind).

use serde::Serialize;

/// What could go wrong when a step runs. Ids are kebab-case (`Display` and `FromStr`
/// round-trip).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    strum::Display,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum HazardId {
    /// Rows or columns are deleted.
    DataLoss,
    /// The table is rewritten under an ACCESS EXCLUSIVE lock.
    TableRewrite,
    /// A lock is held while the whole table is scanned.
    LongLock,
    /// An index is built (blocks writes unless CONCURRENTLY).
    IndexBuild,
    /// An index is dropped: queries that used it may get slower.
    IndexDropped,
    /// The statement cannot run inside a transaction block with what follows.
    NotTransactional,
    /// Who may read or write which rows changes.
    AuthzChange,
    /// Other objects may depend on this one in ways PostgreSQL does not record (function
    /// bodies), so dropping it may break them later.
    UntrackedDependencies,
    /// The statement fails if existing rows do not satisfy it.
    MayFail,
    /// An extension changes version: its objects change with it.
    ExtensionVersion,
}

impl HazardId {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// A hazard with a one-line explanation (what happens and what to do instead).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Hazard {
    pub id: HazardId,
    pub message: String,
}

impl Hazard {
    pub fn new(id: HazardId, message: impl Into<String>) -> Hazard {
        Hazard {
            id,
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hazard_ids_round_trip() {
        use strum::VariantArray;
        for &h in HazardId::VARIANTS {
            assert_eq!(h.as_str().parse::<HazardId>(), Ok(h));
            assert_eq!(
                serde_json::to_string(&h).unwrap_or_default(),
                format!("\"{}\"", h.as_str())
            );
        }
        assert!("data_loss".parse::<HazardId>().is_err());
    }
}
