//! strata: PostgreSQL schema management from files in a repository.
//!
//! Start reading at `ops` (one workflow per command: `ops::up::up`, `ops::diff::diff`, …). A
//! workflow loads `config` and `project`, connects through `db` (or `localdb`), and calls the
//! modules that decide (`engine::plan`, `diff::compare`, `audit::check`, all pure) and those that
//! act (`engine`, `shadow`, `policy`, `seed`, `validation`). It returns a typed outcome; `report`
//! writes every byte the user sees; `error` decides exit codes. `cli` only maps flags to an
//! `ops` call and its outcome to `report`.

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
pub mod lint;
pub mod localdb;
pub mod ops;
pub mod policy;
pub mod project;
pub mod report;
pub mod secret;
pub mod seed;
pub mod shadow;
pub mod snapshot;
pub mod sql;
pub mod validation;

pub use error::{Error, Result};
