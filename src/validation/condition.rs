//! PostgreSQL's condition names ↔ SQLSTATEs: `-- expect: error check_violation` reads a name,
//! failure messages show `23514 (check_violation)`.
//!
//! Owns: the table, which is data (`conditions.txt`, PostgreSQL 15's error codes appendix, one
//! `SQLSTATE name` pair per line), read once on first use; lookups both ways and the
//! "did you mean" for a misspelled name. Must not: hold suite-parsing or judging logic.
//!
//! Why a data file: the table is PostgreSQL's, not strata's code; kept as text it can be compared
//! with the appendix line by line and updated for a new PostgreSQL without touching Rust.

use std::sync::OnceLock;

/// The table as shipped: `SQLSTATE condition_name` lines, `#` comments, blank lines.
const TABLE: &str = include_str!("conditions.txt");

/// One entry of the table, or `None` for a comment or blank line. A line that is not exactly
/// two fields is malformed: `Err` with the line, so the table test can name it.
fn parse_line(line: &str) -> Result<Option<(&str, &str)>, &str> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let mut fields = line.split_whitespace();
    match (fields.next(), fields.next(), fields.next()) {
        (Some(code), Some(name), None) => Ok(Some((name, code))),
        _ => Err(line),
    }
}

/// (condition name, SQLSTATE), in appendix order.
fn conditions() -> &'static [(&'static str, &'static str)] {
    static PARSED: OnceLock<Vec<(&'static str, &'static str)>> = OnceLock::new();
    PARSED.get_or_init(|| {
        // A malformed line is skipped here; `table_is_well_formed` fails on it.
        TABLE
            .lines()
            .filter_map(|line| parse_line(line).ok().flatten())
            .collect()
    })
}

/// The SQLSTATE of a PostgreSQL condition name (case-insensitive), from the PostgreSQL 15
/// error codes appendix (<https://www.postgresql.org/docs/15/errcodes-appendix.html>).
/// Warning and no-data classes (00, 01, 02) are left out: a statement never fails with them.
/// Four names appear in two classes; the first error class wins (`null_value_not_allowed` is
/// 22004, the `*_sql_data_not_permitted` names are 2F00x).
pub fn condition_to_sqlstate(name: &str) -> Option<&'static str> {
    conditions()
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(name))
        .map(|&(_, code)| code)
}

/// The condition name of a SQLSTATE (case-insensitive), when PostgreSQL names it.
pub fn sqlstate_to_condition(code: &str) -> Option<&'static str> {
    conditions()
        .iter()
        .find(|(_, known)| known.eq_ignore_ascii_case(code))
        .map(|&(name, _)| name)
}

/// A SQLSTATE with its condition name, when PostgreSQL names it: `23514 (check_violation)`.
pub fn describe_sqlstate(code: &str) -> String {
    match sqlstate_to_condition(code) {
        Some(name) => format!("{code} ({name})"),
        None => code.to_string(),
    }
}

/// Five ASCII letters or digits, at least one a digit: the shape of every SQLSTATE.
pub fn is_sqlstate(code: &str) -> bool {
    code.len() == 5
        && code.bytes().all(|b| b.is_ascii_alphanumeric())
        && code.bytes().any(|b| b.is_ascii_digit())
}

/// The known condition name closest to `name` (at most 3 edits away), for a "did you mean".
pub fn closest_condition(name: &str) -> Option<&'static str> {
    let name = name.to_ascii_lowercase();
    conditions()
        .iter()
        .map(|&(known, _)| (edit_distance(&name, known), known))
        .filter(|&(distance, _)| distance <= 3)
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, known)| known)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_required_by_the_spec() {
        let expected = [
            ("check_violation", "23514"),
            ("unique_violation", "23505"),
            ("foreign_key_violation", "23503"),
            ("not_null_violation", "23502"),
            ("exclusion_violation", "23P01"),
            ("restrict_violation", "23001"),
            ("insufficient_privilege", "42501"),
            ("undefined_table", "42P01"),
            ("undefined_function", "42883"),
            ("undefined_column", "42703"),
            ("syntax_error", "42601"),
            ("division_by_zero", "22012"),
            ("invalid_text_representation", "22P02"),
            ("numeric_value_out_of_range", "22003"),
            ("string_data_right_truncation", "22001"),
            ("raise_exception", "P0001"),
            ("no_data_found", "P0002"),
            ("too_many_rows", "P0003"),
            ("assert_failure", "P0004"),
            ("lock_not_available", "55P03"),
            ("query_canceled", "57014"),
            ("serialization_failure", "40001"),
            ("deadlock_detected", "40P01"),
            ("read_only_sql_transaction", "25006"),
            ("invalid_parameter_value", "22023"),
            ("datetime_field_overflow", "22008"),
            ("invalid_datetime_format", "22007"),
            ("with_check_option_violation", "44000"),
            ("invalid_password", "28P01"),
            ("dependent_objects_still_exist", "2BP01"),
            ("out_of_memory", "53200"),
            ("null_value_not_allowed", "22004"),
        ];
        for (name, code) in expected {
            assert_eq!(condition_to_sqlstate(name), Some(code), "{name}");
        }
        assert_eq!(condition_to_sqlstate("UNIQUE_VIOLATION"), Some("23505"));
        assert_eq!(condition_to_sqlstate("no_such_thing"), None);
        assert_eq!(condition_to_sqlstate("successful_completion"), None);
    }

    #[test]
    fn table_is_well_formed() {
        let mut seen: Vec<(&str, &str)> = Vec::new();
        for line in TABLE.lines() {
            let Some((name, code)) = parse_line(line).unwrap_or_else(|bad| {
                panic!("conditions.txt: `{bad}` is not `SQLSTATE condition_name`")
            }) else {
                continue;
            };
            assert!(is_sqlstate(code), "{code}");
            assert!(!is_sqlstate(name), "{name} would read as a SQLSTATE");
            assert!(
                name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{name}"
            );
            assert!(
                seen.iter().all(|(n, c)| *n != name && *c != code),
                "{name} {code} appears twice"
            );
            seen.push((name, code));
        }
        assert_eq!(conditions(), seen.as_slice());
        assert!(seen.len() > 200, "only {} conditions read", seen.len());
    }

    #[test]
    fn malformed_lines_are_reported() {
        assert_eq!(parse_line("  # comment"), Ok(None));
        assert_eq!(parse_line(""), Ok(None));
        assert_eq!(
            parse_line("23514 check_violation"),
            Ok(Some(("check_violation", "23514")))
        );
        assert_eq!(parse_line("23514"), Err("23514"));
        assert_eq!(parse_line("23514 a b"), Err("23514 a b"));
    }

    /// The codes failure messages named before the table became data keep their names.
    const NAMED_IN_MESSAGES: &[(&str, &str)] = &[
        ("23000", "integrity_constraint_violation"),
        ("23001", "restrict_violation"),
        ("23502", "not_null_violation"),
        ("23503", "foreign_key_violation"),
        ("23505", "unique_violation"),
        ("23514", "check_violation"),
        ("23P01", "exclusion_violation"),
        ("42501", "insufficient_privilege"),
        ("42601", "syntax_error"),
        ("42703", "undefined_column"),
        ("42883", "undefined_function"),
        ("42P01", "undefined_table"),
        ("42704", "undefined_object"),
        ("42710", "duplicate_object"),
        ("42P07", "duplicate_table"),
        ("42804", "datatype_mismatch"),
        ("428C9", "generated_always"),
        ("22000", "data_exception"),
        ("22001", "string_data_right_truncation"),
        ("22003", "numeric_value_out_of_range"),
        ("22007", "invalid_datetime_format"),
        ("22008", "datetime_field_overflow"),
        ("22012", "division_by_zero"),
        ("22023", "invalid_parameter_value"),
        ("22P02", "invalid_text_representation"),
        ("22004", "null_value_not_allowed"),
        ("21000", "cardinality_violation"),
        ("25006", "read_only_sql_transaction"),
        ("25P02", "in_failed_sql_transaction"),
        ("40001", "serialization_failure"),
        ("40P01", "deadlock_detected"),
        ("55000", "object_not_in_prerequisite_state"),
        ("55P03", "lock_not_available"),
        ("57014", "query_canceled"),
        ("P0001", "raise_exception"),
        ("P0002", "no_data_found"),
        ("P0003", "too_many_rows"),
        ("P0004", "assert_failure"),
        ("0A000", "feature_not_supported"),
        ("2BP01", "dependent_objects_still_exist"),
        ("39P01", "trigger_protocol_violated"),
        ("09000", "triggered_action_exception"),
    ];

    #[test]
    fn sqlstates_name_their_condition() {
        for (code, name) in NAMED_IN_MESSAGES {
            assert_eq!(sqlstate_to_condition(code), Some(*name), "{code}");
            assert_eq!(condition_to_sqlstate(name), Some(*code), "{name}");
        }
        assert_eq!(sqlstate_to_condition("23p01"), Some("exclusion_violation"));
        assert_eq!(sqlstate_to_condition("99999"), None);
        assert_eq!(describe_sqlstate("23514"), "23514 (check_violation)");
        assert_eq!(describe_sqlstate("99999"), "99999");
    }

    #[test]
    fn closest_condition_within_three_edits() {
        assert_eq!(closest_condition("Check_Violaton"), Some("check_violation"));
        assert_eq!(
            closest_condition("unique_violatoin"),
            Some("unique_violation")
        );
        assert_eq!(closest_condition("nothing_like_it_at_all"), None);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
