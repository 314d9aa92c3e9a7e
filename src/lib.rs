//! strata: PostgreSQL schema management from files in a repository.
//!
//! Start reading at `cli` (one function per command), which loads `config` and `project`,
//! connects through `db` (or `localdb`), and hands decisions to `engine` (pure planning in
//! `engine::plan`, execution in `engine`). `report` writes every byte the user sees; `error`
//! decides exit codes.

// Errors carry PostgreSQL's full report (message, detail, hint, positions) as data so that one
// renderer can show it; they travel only on failure paths, where their size costs nothing.
#![allow(clippy::result_large_err)]

pub mod access;
pub mod audit;
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
pub mod policy;
pub mod project;
pub mod report;
pub mod seed;
pub mod shadow;
pub mod sql;
pub mod validation;

pub use error::{Error, Result};
