//! strata: PostgreSQL schema management from files in a repository.
//!
//! Start reading at `cli` (one function per command), which loads `config` and `project`,
//! connects through `db` (or `localdb`), and hands decisions to `engine` (pure planning in
//! `engine::plan`, execution in `engine`). `report` writes every byte the user sees; `error`
//! decides exit codes.

pub mod auth;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod db;
pub mod diff;
pub mod engine;
pub mod error;
pub mod history;
pub mod localdb;
pub mod project;
pub mod report;
pub mod shadow;
pub mod sql;

pub use error::{Error, Result};
