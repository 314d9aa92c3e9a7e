//! Properties every function of `sql` keeps on any input (deterministic fuzzing): spans are
//! ordered, trimmed and on character boundaries; nothing panics; pathological inputs finish.

use super::*;

/// xorshift64*: a tiny deterministic generator, so fuzz failures reproduce.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn check_invariants(sql: &str) {
    let result = split(sql);
    if let Ok(spans) = &result {
        let mut previous_end = 0;
        for span in spans {
            assert!(span.start < span.end, "{sql:?} {span:?}");
            assert!(span.start >= previous_end, "{sql:?} {spans:?}");
            assert!(sql.is_char_boundary(span.start) && sql.is_char_boundary(span.end));
            let text = &sql[span.start..span.end];
            assert_eq!(text.trim(), text, "{sql:?} {span:?}");
            assert!(
                !text.starts_with("--") && !text.starts_with("/*"),
                "{sql:?}"
            );
            previous_end = span.end;
        }
    }
    if let Err(e) = &result {
        assert!(e.start() <= sql.len() && sql.is_char_boundary(e.start()));
        let _ = e.to_string();
    }
    let index = LineIndex::new(sql);
    for byte in [0, sql.len() / 3, sql.len() / 2, sql.len(), sql.len() + 5] {
        let (line, col) = index.line_col(sql, byte);
        assert!(line >= 1 && col >= 1);
        let (a, b) = index.line_range(sql, line);
        assert!(a <= b && b <= sql.len());
    }
    let _ = char_pos_to_byte(sql, sql.len() / 2);
    let _ = non_transactional_reason(sql);
    let _ = is_transaction_control(sql);
    let _ = added_enum_type(sql);
    let _ = quote_ident(sql);
    let _ = quote_literal(sql);
}

#[test]
fn fuzz_special_character_mixes() {
    const PIECES: &[&str] = &[
        "'",
        "''",
        "\"",
        "$",
        "$$",
        "$a$",
        "$A$",
        "$1",
        "$é$",
        "E'",
        "e'",
        "\\",
        "\\'",
        "--",
        "/*",
        "*/",
        "\n",
        "\r\n",
        "\r",
        ";",
        "(",
        ")",
        " ",
        "x",
        "é",
        "日本",
        "🦀",
        "begin",
        "atomic",
        "end",
        "case",
        "create ",
        "function ",
        "procedure ",
        "or replace ",
        "BEGIN ATOMIC ",
        "\n\\i f\n",
        "alter type ",
        "add value ",
        ".",
        "create index concurrently ",
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..20_000 {
        let len = rng.below(24);
        let sql: String = (0..len).map(|_| PIECES[rng.below(PIECES.len())]).collect();
        check_invariants(&sql);
    }
}

#[test]
fn fuzz_random_bytes() {
    let mut rng = Rng(42);
    for _ in 0..20_000 {
        let len = rng.below(64);
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                // Bias towards the bytes the lexer cares about.
                const SPECIAL: &[u8] = b"'\"$;()-/*\\\nEe_a1 ";
                if rng.below(2) == 0 {
                    SPECIAL[rng.below(SPECIAL.len())]
                } else {
                    (rng.next() & 0xFF) as u8
                }
            })
            .collect();
        check_invariants(&String::from_utf8_lossy(&bytes));
    }
}

#[test]
fn large_pathological_inputs_keep_the_invariants() {
    // No timing assertion (timings never gate tests): a quadratic slip shows as a test that
    // does not finish, not as a flaky failure on a busy machine.
    let n = 200_000;
    for input in [
        "$a".repeat(n),
        "$a$".repeat(n),
        "/*".repeat(n),
        "'".repeat(n),
        "e'\\".repeat(n),
        "(".repeat(n) + &";".repeat(n),
        "create function f() begin atomic case ".repeat(n / 8),
        "\"\"".repeat(n),
        "$$$".repeat(n),
        "-".repeat(n),
    ] {
        check_invariants(&input);
    }
}
