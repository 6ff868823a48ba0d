//! The web crate's integration tests in one binary (one link instead of seventeen): the API
//! and pages over real HTTP on SQLite and PostgreSQL, the permission matrix, the probe's
//! defects, and the browser tests.

#[macro_use]
mod common;

mod api;
mod calendar;
mod campaigns;
mod coaching;
mod custom_fields;
mod daily_reports;
mod dashboards;
mod e2e;
mod economics;
mod escalations;
mod funnel;
mod hardening;
mod import;
mod key_accounts;
mod meetings;
mod notifications;
mod objections;
mod opportunities;
mod orders;
mod ownership;
mod pages;
mod pay;
mod permissions;
mod products;
mod qualification;
mod quotations;
mod replicas;
mod service;
mod statistics;
mod surveys;
mod targets;
mod tasks;
mod visit_plans;
mod webhooks;
mod weekly_reports;
