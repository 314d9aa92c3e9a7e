//! SQL as text: the statement splitter, byte spans ↔ line:column, PostgreSQL's error positions,
//! identifier and literal quoting, and the few statement classifications strata needs before it
//! runs anything (transaction control, statements PostgreSQL refuses inside a transaction block,
//! `ALTER TYPE … ADD VALUE`).
//!
//! What it must not do: any I/O, any parsing beyond the lexical level, any panic on any input,
//! and any slicing inside a UTF-8 character.
//!
//! Why it is shaped so: one file per job, each usable alone and tested beside its code.
//! - [`lexer`]: text → tokens; knows every construct that can hide a `;`.
//! - [`split`](mod@split): tokens → one [`Span`] per statement (parentheses, `BEGIN ATOMIC`).
//! - [`line_index`]: byte offset ↔ line:column, for rendering only.
//! - [`position`]: PostgreSQL's 1-based character error positions → byte offsets.
//! - [`quote`]: the one identifier and literal quoting.
//! - [`classify`]: transaction control, non-transactional statements, enum `ADD VALUE`.
//! - [`client_data`](mod@client_data): `COPY … FROM STDIN` / `TO STDOUT`, refused before running.
//!
//! All positions are byte offsets into the text given. The items are re-exported here, so
//! `crate::sql::split`, `crate::sql::LineIndex` etc. are the paths the rest of strata uses.

pub mod classify;
pub mod client_data;
pub mod lexer;
pub mod line_index;
pub mod position;
pub mod quote;
pub mod split;

#[cfg(test)]
mod robustness;

pub use classify::{added_enum_type, is_transaction_control, non_transactional_reason};
pub use client_data::client_data;
pub use lexer::{tokens, SplitError, Token, TokenKind, Tokens};
pub use line_index::LineIndex;
pub use position::char_pos_to_byte;
pub use quote::{quote_ident, quote_literal};
pub use split::{split, Span};
