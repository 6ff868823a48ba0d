//! Market situation and complaint reports, and the inbox where superiors receive them.

use crate::described::{answer, Answer};

use crate::auth::{CurrentUser, PageForm};
use crate::error::AppError;
use crate::extract::JsonBody;
use crate::extract::Path;
use crate::i18n::Tr;
use crate::render::render;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use yingpan_domain::escalation::EscalationInput;
use yingpan_store::{Escalation, InboxItem};

async fn api_file(
    State(state): State<AppState>,
    me: CurrentUser,
    JsonBody(req): JsonBody<EscalationInput>,
) -> Result<crate::described::Created<Filed>, AppError> {
    let f = req.parse()?;
    let (e, reached) = state
        .store
        .file_escalation(&me.viewer, &f, state.config.smtp.is_some(), state.now())
        .await?;
    Ok(crate::described::Created(Filed {
        escalation: e,
        recipients: reached,
    }))
}

async fn api_get(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<Escalation>, AppError> {
    Ok(Json(state.store.escalation(&me.viewer, id).await?))
}

async fn api_inbox(
    State(state): State<AppState>,
    me: CurrentUser,
) -> Result<Json<Inbox>, AppError> {
    let (items, unread) = state.store.inbox(&me.viewer, 200).await?;
    Ok(Json(Inbox {
        total: items.len(),
        items,
        unread,
    }))
}

async fn api_read(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<Read>, AppError> {
    state.store.mark_read(&me.viewer, id, state.now()).await?;
    Ok(Json(Read {
        id,
        read: true,
        unread: state.store.unread(&me.viewer).await?,
    }))
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    items: Vec<InboxItem>,
    sent: Vec<Escalation>,
}

async fn inbox_page(State(state): State<AppState>, me: CurrentUser) -> Response {
    let result = async {
        let (items, _) = state.store.inbox(&me.viewer, 100).await?;
        let sent = state.store.sent_escalations(&me.viewer, 50).await?;
        Ok::<_, AppError>(InboxPage {
            tr: me.tr(),
            me: &me,
            items,
            sent,
        })
    }
    .await;
    match result {
        Ok(p) => render(&p, me.locale()),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Template)]
#[template(path = "escalation.html")]
struct EscalationPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    e: Escalation,
}

impl EscalationPage<'_> {
    fn body(&self) -> String {
        body_text(&self.tr, &self.e)
    }
}

async fn escalation_page(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Response {
    match state.store.escalation(&me.viewer, id).await {
        Ok(e) => render(
            &EscalationPage {
                tr: me.tr(),
                me: &me,
                e,
            },
            me.locale(),
        ),
        Err(e) => AppError::from(e).into_page(me.locale()),
    }
}

#[derive(Deserialize)]
struct FileForm {
    kind: Option<String>,
    subject: Option<String>,
    body: Option<String>,
    customer_id: Option<String>,
}

async fn file_submit(State(state): State<AppState>, page: PageForm<FileForm>) -> Response {
    let PageForm { user: me, form } = page;
    let result = async {
        let input = EscalationInput {
            kind: form.kind,
            subject: form.subject,
            body: form.body,
            customer_id: form
                .customer_id
                .as_deref()
                .and_then(|c| c.trim().parse().ok()),
        };
        let f = input.parse()?;
        Ok::<_, AppError>(
            state
                .store
                .file_escalation(&me.viewer, &f, state.config.smtp.is_some(), state.now())
                .await?,
        )
    }
    .await;
    match result {
        Ok((e, _)) => Redirect::to(&format!("/escalations/{}", e.id)).into_response(),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Deserialize)]
struct Empty {}

/// Opening an inbox item marks it read.
async fn open_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    page: PageForm<Empty>,
) -> Response {
    let me = page.user;
    let result = async {
        state.store.mark_read(&me.viewer, id, state.now()).await?;
        let (items, _) = state.store.inbox(&me.viewer, 500).await?;
        Ok::<_, AppError>(
            items
                .into_iter()
                .find(|i| i.id == id)
                .map(|i| i.escalation.id),
        )
    }
    .await;
    match result {
        Ok(Some(e)) => Redirect::to(&format!("/escalations/{e}")).into_response(),
        Ok(None) => Redirect::to("/inbox").into_response(),
        Err(e) => e.into_page(me.locale()),
    }
}

/// What an escalation says, in the reader's words: a report's own text, or for a ticket's
/// deadline which one passed.
pub fn body_text(tr: &Tr, e: &Escalation) -> String {
    match e.ticket_id {
        Some(_) => tr.tp("ticket_deadline", &e.body),
        None => e.body.clone(),
    }
}

#[derive(Serialize, utoipa::ToSchema)]
struct Filed {
    escalation: yingpan_store::Escalation,
    /// People told (in the inbox, and by e-mail when configured).
    recipients: usize,
}

#[derive(Serialize, utoipa::ToSchema)]
struct Inbox {
    items: Vec<yingpan_store::InboxItem>,
    total: usize,
    unread: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
struct Read {
    id: i64,
    read: bool,
    /// Still unread in the caller's inbox.
    unread: i64,
}

pub(crate) fn answers() -> Vec<Answer> {
    vec![
        answer("post", "/escalations", api_file),
        answer("get", "/escalations/{id}", api_get),
        answer("get", "/inbox", api_inbox),
        answer("post", "/inbox/{id}/read", api_read),
    ]
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/escalations", post(api_file))
        .route("/api/v1/escalations/{id}", get(api_get))
        .route("/api/v1/inbox", get(api_inbox))
        .route("/api/v1/inbox/{id}/read", post(api_read))
        .route("/inbox", get(inbox_page))
        .route("/inbox/{id}/open", post(open_submit))
        .route("/escalations", post(file_submit))
        .route("/escalations/{id}", get(escalation_page))
}
