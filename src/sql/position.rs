//! PostgreSQL's error positions. PostgreSQL reports where an error is as a 1-based *character*
//! offset into the statement it was sent; strata's positions are byte offsets, so this converts.
//!
//! What it must not do: slice inside a character or panic on a position past the statement.

/// PostgreSQL reports error positions as 1-based *character* offsets into the statement sent;
/// convert to a byte offset into `stmt` (clamped to `stmt.len()`; position 0, "no position",
/// gives 0).
pub fn char_pos_to_byte(stmt: &str, pos_1based: usize) -> usize {
    if pos_1based == 0 {
        return 0;
    }
    stmt.char_indices()
        .nth(pos_1based - 1)
        .map_or(stmt.len(), |(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn char_pos_to_byte_handles_multibyte_and_clamps() {
        let stmt = "SELECT 'é' + x";
        assert_eq!(char_pos_to_byte(stmt, 1), 0);
        assert_eq!(char_pos_to_byte(stmt, 9), 8); // é
        assert_eq!(char_pos_to_byte(stmt, 10), 10); // the quote after é
        assert_eq!(char_pos_to_byte(stmt, 0), 0);
        assert_eq!(char_pos_to_byte(stmt, 1000), stmt.len());
    }
}
