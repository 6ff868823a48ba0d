//! Static files, the health check and the dashboard.

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::i18n::Tr;
use crate::render::render;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use yingpan_domain::ownership::{recycle_rules, warning_cutoff, PoolPeriods};
use yingpan_store::{Customer, CustomerListQuery, CustomerSort, ReturningSoon};

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/app.css"),
    )
        .into_response()
}

async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/app.js"),
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Dashboard<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    customer_total: i64,
    pool_total: i64,
    protection_days: i64,
    expiring: Vec<Customer>,
    dealers: yingpan_store::DealerStats,
}

async fn dashboard(State(state): State<AppState>, me: CurrentUser) -> Response {
    let locale = me.locale();
    let result: Result<Response, AppError> = async {
        let org = state.store.organization(me.viewer.org_id).await?;
        let (_, customer_total) = state
            .store
            .list_customers(
                &me.viewer,
                &CustomerListQuery {
                    per_page: 1,
                    ..Default::default()
                },
            )
            .await?;
        let (_, pool_total) = state.store.pool(&me.viewer, None, 1, 1).await?;
        // Customers the recycle returns to the pool within the warning period unless their
        // owner logs a contact: the recycle's own rules (pool and tier periods, exemptions).
        let now = state.now();
        let company = org.settings.protection();
        let periods: Vec<(i64, PoolPeriods)> = state
            .store
            .pools(me.viewer.org_id)
            .await?
            .iter()
            .map(|p| (p.id, p.periods()))
            .collect();
        let returning = ReturningSoon {
            cutoffs: recycle_rules(company, &periods)
                .into_iter()
                .map(|r| {
                    let cutoff = warning_cutoff(r.policy, now, org.settings.warning_days);
                    (r.pool_id, r.tier, cutoff)
                })
                .collect(),
            exempt_open: org.settings.exempt_open_opportunity,
            exempt_deal: org.settings.exempt_with_deal,
        };
        let (expiring, _) = state
            .store
            .list_customers(
                &me.viewer,
                &CustomerListQuery {
                    returning_soon: Some(returning),
                    sort: CustomerSort::LastContactAsc,
                    per_page: 10,
                    skip_count: true,
                    ..Default::default()
                },
            )
            .await?;
        Ok(render(
            &Dashboard {
                tr: me.tr(),
                me: &me,
                customer_total,
                pool_total,
                protection_days: org.settings.protection_days,
                expiring,
                dealers: state.store.dealer_stats(&me.viewer).await?,
            },
            locale,
        ))
    }
    .await;
    result.unwrap_or_else(|e| e.into_page(locale))
}

async fn health() -> &'static str {
    "ok"
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(dashboard))
        .route("/static/app.css", get(stylesheet))
        .route("/static/app.js", get(script))
        .route("/healthz", get(health))
}
