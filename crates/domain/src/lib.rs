//! Yingpan's business rules as plain Rust.
//!
//! Nothing in this crate performs I/O or reads the system clock: callers pass "now" in.

pub mod account_plan;
pub mod appeal;
pub mod attribution;
pub mod audit;
pub mod budget;
pub mod calendar;
pub mod campaign;
pub mod coaching;
pub mod cube;
pub mod custom;
pub mod customer;
pub mod daily_report;
pub mod day;
pub mod dedupe;
pub mod development;
pub mod economics;
pub mod error;
pub mod escalation;
pub mod funnel;
pub mod hierarchy;
pub mod import;
pub mod ledger;
pub mod meeting;
pub mod money;
pub mod objection;
pub mod opportunity;
pub mod order;
pub mod ownership;
pub mod pay;
pub mod permission;
pub mod person;
pub mod policy;
pub mod product;
pub mod profile;
pub mod qualification;
pub mod quotation;
pub mod record_import;
pub mod rollup;
pub mod screening;
pub mod search;
pub mod service;
pub mod statistics;
pub mod survey;
pub mod target;
pub mod task;
pub mod text;
pub mod visit_plan;
pub mod weekly_report;

pub use error::{DomainError, Refusal, ValidationError};
pub mod geo;
pub mod picklist;
pub mod segment;
pub mod webhook;
pub mod workbench;
