//! Yingpan's web layer: server-rendered pages and the JSON API under `/api/v1`.
//!
//! Requests flow one way: authentication and permission checks here, parsing into domain types
//! at the handler edge, then the store.

mod absence;
mod account_plan;
mod activity;
mod appeal;
mod audit;
mod auth;
mod coaching;
mod contact;
mod custom;
mod customer;
mod daily_report;
mod described;
mod development;
mod error;
mod escalation;
mod extract;
mod i18n;
pub mod import;
mod ledger;
pub use yingpan_exchange::mailer;
mod budget;
mod calendar;
mod campaign;
mod chart;
mod dashboard;
mod economics;
mod funnel;
mod meeting;
mod merge;
mod objection;
mod openapi;
mod opportunity;
mod order;
mod org;
mod pages;
mod pay;
mod picklist;
mod pool;
mod pool_definitions;
mod product;
mod protection;
mod qualification;
mod quotation;
mod referral;
mod render;
mod replica;
mod request;
mod return_visit;
mod screening;
mod segment;
mod setting;
mod statistics;
mod survey;
mod target;
mod task;
mod ticket;
mod visit_plan;
mod webhook;
mod weekly_report;

pub use auth::hash_password;
pub use error::AppError;
pub use i18n::Catalogs;

use axum::extract::DefaultBodyLimit;
use axum::Router;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use yingpan_store::Store;

/// The one source of "now" for every time-dependent rule.
#[derive(Debug, Clone, Copy)]
pub enum Clock {
    System,
    /// `YINGPAN_FAKE_NOW`: a frozen instant, for scenario tests and demos.
    Fixed(DateTime<Utc>),
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Fixed(t) => *t,
        }
    }

    /// Reads `YINGPAN_FAKE_NOW` (RFC 3339) if set.
    pub fn from_env() -> Result<Self, String> {
        match std::env::var("YINGPAN_FAKE_NOW") {
            Ok(v) if !v.trim().is_empty() => DateTime::parse_from_rfc3339(v.trim())
                .map(|t| Clock::Fixed(t.with_timezone(&Utc)))
                .map_err(|e| format!("YINGPAN_FAKE_NOW={v:?} is not an RFC 3339 instant: {e}")),
            _ => Ok(Clock::System),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    /// Marks session cookies `Secure`; on for any deployment behind HTTPS.
    pub secure_cookies: bool,
    /// Largest request body accepted, in bytes.
    pub body_limit: usize,
    /// E-mail notifications are queued only when a server is configured.
    pub smtp: Option<mailer::SmtpSettings>,
    /// Behind a reverse proxy: take the client's address (for login throttling) from the last
    /// `X-Forwarded-For` entry, which the proxy wrote, instead of the connection's peer.
    pub trust_proxy: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            secure_cookies: false,
            body_limit: 1024 * 1024,
            smtp: None,
            trust_proxy: false,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub clock: Clock,
    pub config: Arc<Config>,
}

impl AppState {
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
    /// Today's date in company time (China), for due dates, reports and ledgers.
    pub fn today(&self) -> chrono::NaiveDate {
        self.now()
            .with_timezone(&yingpan_domain::visit_plan::china_offset())
            .date_naive()
    }
}

pub fn app(state: AppState) -> Router {
    let limit = state.config.body_limit;
    let router = Router::new()
        .merge(auth::router())
        .merge(customer::router())
        .merge(picklist::router())
        .merge(segment::router())
        .merge(ticket::router())
        .merge(survey::router())
        .merge(campaign::router())
        .merge(task::router())
        .merge(appeal::router())
        .merge(screening::router())
        .merge(account_plan::router())
        .merge(quotation::router())
        .merge(objection::router())
        .merge(meeting::router())
        .merge(coaching::router())
        .merge(calendar::router())
        .merge(return_visit::router())
        .merge(contact::router())
        .merge(activity::router())
        .merge(org::router())
        .merge(audit::router())
        .merge(pool::router())
        .merge(qualification::router())
        .merge(merge::router())
        .merge(custom::router())
        .merge(pool_definitions::router())
        .merge(development::router())
        .merge(opportunity::router())
        .merge(visit_plan::router())
        .merge(escalation::router())
        .merge(daily_report::router())
        .merge(product::router())
        .merge(order::router())
        .merge(weekly_report::router())
        .merge(target::router())
        .merge(dashboard::router())
        .merge(statistics::router())
        .merge(funnel::router())
        .merge(economics::router())
        .merge(ledger::router())
        .merge(pay::router())
        .merge(absence::router())
        .merge(referral::router())
        .merge(budget::router())
        .merge(import::router())
        .merge(webhook::router())
        .merge(openapi::router())
        .merge(pages::router())
        .fallback(error::not_found)
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            replica::layer,
        ));
    request::wrap(router).with_state(state)
}

/// Every API operation whose success body the code describes (see `described`).
fn answers() -> Vec<described::Answer> {
    [
        absence::answers(),
        account_plan::answers(),
        activity::answers(),
        appeal::answers(),
        audit::answers(),
        auth::answers(),
        budget::answers(),
        calendar::answers(),
        campaign::answers(),
        coaching::answers(),
        contact::answers(),
        custom::answers(),
        customer::answers(),
        daily_report::answers(),
        dashboard::answers(),
        development::answers(),
        economics::answers(),
        escalation::answers(),
        funnel::answers(),
        import::answers(),
        ledger::answers(),
        meeting::answers(),
        merge::answers(),
        objection::answers(),
        opportunity::answers(),
        order::answers(),
        org::answers(),
        pay::answers(),
        picklist::answers(),
        pool::answers(),
        pool_definitions::answers(),
        product::answers(),
        qualification::answers(),
        quotation::answers(),
        referral::answers(),
        return_visit::answers(),
        screening::answers(),
        segment::answers(),
        statistics::answers(),
        survey::answers(),
        target::answers(),
        task::answers(),
        ticket::answers(),
        visit_plan::answers(),
        webhook::answers(),
        weekly_report::answers(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Serves until ctrl-c / SIGTERM.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
