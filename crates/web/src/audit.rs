//! The audit trail, for admins and directors.

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::extract::Query;
use crate::i18n::Tr;
use crate::render::render;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use yingpan_domain::permission::Action;
use yingpan_store::AuditEntry;

const PER_PAGE: i64 = 50;

#[derive(Deserialize)]
struct AuditQuery {
    entity: Option<String>,
    entity_id: Option<i64>,
    page: Option<i64>,
}

async fn load(
    state: &AppState,
    me: &CurrentUser,
    q: &AuditQuery,
) -> Result<(Vec<AuditEntry>, i64), AppError> {
    me.may(Action::ReadAuditTrail)?;
    let filter = match (q.entity.as_deref(), q.entity_id) {
        (Some(e), Some(id)) if !e.is_empty() => Some((e, id)),
        _ => None,
    };
    let page = q.page.unwrap_or(1).max(1);
    Ok(state
        .store
        .audit_log(me.viewer.org_id, filter, PER_PAGE, (page - 1) * PER_PAGE)
        .await?)
}

async fn api_audit(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Value>, AppError> {
    let (items, total) = load(&state, &me, &q).await?;
    Ok(Json(json!({"items": items, "total": total})))
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    items: Vec<AuditEntry>,
    total: i64,
    page: i64,
    next: bool,
    filter: String,
}

async fn audit_page(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<AuditQuery>,
) -> Response {
    match load(&state, &me, &q).await {
        Ok((items, total)) => {
            let page = q.page.unwrap_or(1).max(1);
            let filter = match (&q.entity, q.entity_id) {
                (Some(e), Some(id)) => format!("&entity={e}&entity_id={id}"),
                _ => String::new(),
            };
            render(
                &AuditPage {
                    tr: me.tr(),
                    me: &me,
                    items,
                    total,
                    page,
                    next: page * PER_PAGE < total,
                    filter,
                },
                me.locale(),
            )
        }
        Err(e) => e.into_page(me.locale()),
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/audit", get(api_audit))
        .route("/audit", get(audit_page))
}
