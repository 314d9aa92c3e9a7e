//! Tables in strata's look, written by hand when that gives comfy-table's bytes exactly.
//!
//! Why hand-written: comfy-table (what [`super::new_table`] builds) splits every cell into
//! lines, measures each line's Unicode width, and allocates a string per cell, per padding and
//! per line, then joins them; with a thousand migrations that was a fifth of `strata status`'s
//! instructions and made the table 1.2x slower than the JSON (issue 14). Most tables strata
//! prints are printable ASCII, one line per cell, and either are not on a terminal or fit it:
//! then every column is as wide as its longest cell (comfy-table's dynamic arrangement gives the
//! same widths when everything fits), and the table is drawn into one buffer in one pass.
//!
//! Anything else goes to comfy-table, so the look, and the wrapping on a narrow terminal that
//! docs/conventions.md promises, stay the same: a character outside printable ASCII (wide,
//! combining, control, a line break), or a table wider than the terminal. The tests hold the
//! two renderings side by side.

use std::borrow::Cow;

/// comfy-table's `UTF8_FULL_CONDENSED`, the preset [`super::new_table`] loads.
const TOP: (&str, &str, &str, &str) = ("┌", "─", "┬", "┐");
const HEADER_RULE: (&str, &str, &str, &str) = ("╞", "═", "╪", "╡");
const BOTTOM: (&str, &str, &str, &str) = ("└", "─", "┴", "┘");
const OUTER: &str = "│";
const INNER: &str = "┆";

/// The table of `rows` under `header`, without a final newline (as comfy-table's `Display`).
pub fn render<const N: usize>(header: &[&str; N], rows: &[[Cow<'_, str>; N]]) -> String {
    match widths(header, rows, super::terminal_width()) {
        Some(widths) => draw(header, rows, &widths),
        None => {
            let mut t = super::new_table(header);
            for r in rows {
                t.add_row(r.iter().map(|c| c.as_ref()).collect::<Vec<&str>>());
            }
            t.to_string()
        }
    }
}

/// Whether comfy-table would measure `s` as one line of `s.len()` columns.
fn plain(s: &str) -> bool {
    s.bytes().all(|b| (0x20..0x7f).contains(&b))
}

/// Each column's content width, or `None` when the table is not for the hand-drawn path: a
/// cell that is not [`plain`], or a table wider than `terminal` (comfy-table wraps it).
fn widths<const N: usize>(
    header: &[&str; N],
    rows: &[[Cow<'_, str>; N]],
    terminal: Option<u16>,
) -> Option<[usize; N]> {
    let mut widths = [1usize; N]; // comfy-table: a column is at least one character wide
    let cells = header
        .iter()
        .copied()
        .chain(rows.iter().flat_map(|r| r.iter().map(|c| c.as_ref())));
    for (i, cell) in cells.enumerate() {
        if !plain(cell) {
            return None;
        }
        let w = &mut widths[i % N];
        *w = (*w).max(cell.len());
    }
    // comfy-table counts in u16; leave such widths (and their saturation) to it.
    if widths.iter().any(|w| *w > usize::from(u16::MAX / 2)) {
        return None;
    }
    let total: usize = widths.iter().map(|w| w + 3).sum::<usize>() + 1;
    match terminal {
        Some(t) if total > usize::from(t) => None,
        _ => Some(widths),
    }
}

fn draw<const N: usize>(
    header: &[&str; N],
    rows: &[[Cow<'_, str>; N]],
    widths: &[usize; N],
) -> String {
    // Box-drawing characters are 3 bytes; cells and padding 1 byte per column.
    let line_bytes: usize = widths.iter().map(|w| w + 2 + 3).sum::<usize>() + 3 + 1;
    let rule_bytes: usize = widths.iter().map(|w| (w + 2) * 3 + 3).sum::<usize>() + 3 + 1;
    let mut out = String::with_capacity(line_bytes * (rows.len() + 1) + rule_bytes * 3);
    rule(&mut out, widths, TOP);
    line(&mut out, header.iter().copied(), widths);
    rule(&mut out, widths, HEADER_RULE);
    for r in rows {
        line(&mut out, r.iter().map(|c| c.as_ref()), widths);
    }
    rule(&mut out, widths, BOTTOM);
    out.pop(); // the last newline: comfy-table joins its lines
    out
}

fn rule(out: &mut String, widths: &[usize], (left, fill, cross, right): (&str, &str, &str, &str)) {
    out.push_str(left);
    for (i, w) in widths.iter().enumerate() {
        if i > 0 {
            out.push_str(cross);
        }
        for _ in 0..w + 2 {
            out.push_str(fill);
        }
    }
    out.push_str(right);
    out.push('\n');
}

fn line<'a>(out: &mut String, cells: impl Iterator<Item = &'a str>, widths: &[usize]) {
    out.push_str(OUTER);
    for (i, (cell, w)) in cells.zip(widths).enumerate() {
        if i > 0 {
            out.push_str(INNER);
        }
        out.push(' ');
        out.push_str(cell);
        for _ in cell.len()..=*w {
            out.push(' ');
        }
    }
    out.push_str(OUTER);
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use comfy_table::{presets::UTF8_FULL_CONDENSED, ContentArrangement, Table};

    fn comfy<const N: usize>(
        header: &[&str; N],
        rows: &[[Cow<'_, str>; N]],
        width: Option<u16>,
    ) -> String {
        let mut t = Table::new();
        t.load_preset(UTF8_FULL_CONDENSED)
            .set_header(header.to_vec());
        match width {
            Some(w) => {
                t.set_content_arrangement(ContentArrangement::Dynamic)
                    .set_width(w);
            }
            None => {
                t.set_content_arrangement(ContentArrangement::Disabled);
            }
        }
        for r in rows {
            t.add_row(r.iter().map(|c| c.as_ref()).collect::<Vec<&str>>());
        }
        t.to_string()
    }

    fn rows(cells: &[[&'static str; 3]]) -> Vec<[Cow<'static, str>; 3]> {
        cells
            .iter()
            .map(|r| r.map(Cow::Borrowed))
            .collect::<Vec<_>>()
    }

    const HEADER: [&str; 3] = ["version", "name", "duration"];

    #[test]
    fn hand_drawn_tables_are_comfy_tables_bytes() {
        for cells in [
            rows(&[]),
            rows(&[["1", "init", "12 ms"]]),
            rows(&[
                ["1", "init", ""],
                ["20240101000002", "a_much_longer_name", "1234567 ms"],
                ["3", "", "0 ms"],
            ]),
            rows(&[["", "", ""]]),
        ] {
            let w = widths(&HEADER, &cells, None).expect("plain ASCII takes the fast path");
            assert_eq!(draw(&HEADER, &cells, &w), comfy(&HEADER, &cells, None));
        }
    }

    #[test]
    fn a_table_that_fits_the_terminal_is_drawn_as_comfy_tables_dynamic_arrangement_does() {
        let cells = rows(&[["20240101000002", "a_much_longer_name", "1234567 ms"]]);
        let natural = widths(&HEADER, &cells, None).expect("plain");
        let total = (natural.iter().map(|w| w + 3).sum::<usize>() + 1) as u16;
        for width in [total, total + 1, 200] {
            let w = widths(&HEADER, &cells, Some(width)).expect("fits");
            assert_eq!(
                draw(&HEADER, &cells, &w),
                comfy(&HEADER, &cells, Some(width))
            );
        }
        // One column narrower and comfy-table wraps: that is left to it.
        assert_eq!(widths(&HEADER, &cells, Some(total - 1)), None);
    }

    #[test]
    fn cells_outside_printable_ascii_are_left_to_comfy_table() {
        for odd in ["tschüß", "表", "two\nlines", "tab\there", "e\u{301}"] {
            let cells = vec![[Cow::Borrowed("1"), Cow::Borrowed(odd), Cow::Borrowed("")]];
            assert_eq!(widths(&HEADER, &cells, None), None, "{odd:?}");
        }
    }
}
