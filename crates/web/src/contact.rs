//! A customer's contacts and decision makers: the JSON API and the contact forms.

use crate::described::{answer, Answer, Listing};

use crate::auth::{CurrentUser, PageForm};
use crate::customer::{detail, require_version, Empty};
use crate::error::AppError;
use crate::extract::JsonBody;
use crate::extract::Path;
use crate::i18n::Tr;
use crate::render::{done, render};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use yingpan_domain::customer::ContactInput;
use yingpan_store::Contact;

async fn api_contacts(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<Listing<Contact>>, AppError> {
    let items = state.store.contacts(&me.viewer, id).await?;
    Ok(Json(Listing::all(items)))
}

async fn api_create_contact(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<ContactInput>,
) -> Result<crate::described::Created<Contact>, AppError> {
    let f = req.parse()?;
    Ok(crate::described::Created(
        state
            .store
            .create_contact(&me.viewer, id, &f, state.now())
            .await?,
    ))
}

async fn api_get_contact(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<Contact>, AppError> {
    Ok(Json(state.store.contact(&me.viewer, id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct PatchContact {
    #[serde(flatten)]
    fields: ContactInput,
    version: Option<i64>,
}

async fn api_patch_contact(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<PatchContact>,
) -> Result<Json<Contact>, AppError> {
    let current = state.store.contact(&me.viewer, id).await?;
    let version = require_version(req.version)?;
    let f = req.fields.merge_into(&current.as_input()).parse()?;
    Ok(Json(
        state
            .store
            .update_contact(&me.viewer, id, version, &f, state.now())
            .await?,
    ))
}

async fn api_delete_contact(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    state
        .store
        .delete_contact(&me.viewer, id, state.now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
struct ContactForm {
    name: Option<String>,
    title: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    is_decision_maker: Option<String>,
    notes: Option<String>,
    relation: Option<String>,
    version: Option<String>,
}

impl ContactForm {
    fn input(&self) -> ContactInput {
        let keep = |v: &Option<String>| Some(v.clone().unwrap_or_default());
        ContactInput {
            name: keep(&self.name),
            title: keep(&self.title),
            phone: keep(&self.phone),
            email: keep(&self.email),
            is_decision_maker: Some(self.is_decision_maker.is_some()),
            notes: keep(&self.notes),
            relation: keep(&self.relation),
        }
    }
}

async fn contact_create_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    page: PageForm<ContactForm>,
) -> Response {
    let PageForm { user: me, form } = page;
    let input = form.input();
    let result = async {
        let f = input.parse()?;
        Ok::<_, AppError>(
            state
                .store
                .create_contact(&me.viewer, id, &f, state.now())
                .await?,
        )
    }
    .await;
    match result {
        Ok(_) => done(&format!("/customers/{id}#contacts"), "contact_added", None),
        Err(e @ AppError::Invalid(_)) => {
            detail(&state, &me, id, Some(e.localized(me.locale())), input)
                .await
                .unwrap_or_else(|e| e.into_page(me.locale()))
        }
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Template)]
#[template(path = "contact_form.html")]
struct ContactFormPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    id: i64,
    customer_id: i64,
    version: i64,
    input: ContactInput,
    error: Option<String>,
}

impl ContactFormPage<'_> {
    fn value<'b>(&self, v: &'b Option<String>) -> &'b str {
        v.as_deref().unwrap_or("")
    }
}

async fn contact_edit_page(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Response {
    match state.store.contact(&me.viewer, id).await {
        Ok(k) => render(
            &ContactFormPage {
                tr: me.tr(),
                me: &me,
                id,
                customer_id: k.customer_id,
                version: k.version,
                input: k.as_input(),
                error: None,
            },
            me.locale(),
        ),
        Err(e) => AppError::from(e).into_page(me.locale()),
    }
}

async fn contact_edit_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    page: PageForm<ContactForm>,
) -> Response {
    let PageForm { user: me, form } = page;
    let input = form.input();
    let version = form
        .version
        .as_deref()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let result = async {
        let current = state.store.contact(&me.viewer, id).await?;
        let f = input.parse()?;
        state
            .store
            .update_contact(&me.viewer, id, version, &f, state.now())
            .await?;
        Ok::<_, AppError>(current.customer_id)
    }
    .await;
    match result {
        Ok(cid) => Redirect::to(&format!("/customers/{cid}#contacts")).into_response(),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            let customer_id = state
                .store
                .contact(&me.viewer, id)
                .await
                .map(|k| k.customer_id)
                .unwrap_or(0);
            let status = e.status();
            crate::render::render_status(
                &ContactFormPage {
                    tr: me.tr(),
                    me: &me,
                    id,
                    customer_id,
                    version,
                    input,
                    error: Some(e.localized(me.locale())),
                },
                me.locale(),
                status,
            )
        }
        Err(e) => e.into_page(me.locale()),
    }
}

async fn contact_delete_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    page: PageForm<Empty>,
) -> Response {
    let me = page.user;
    match state
        .store
        .delete_contact(&me.viewer, id, state.now())
        .await
    {
        Ok(cid) => Redirect::to(&format!("/customers/{cid}#contacts")).into_response(),
        Err(e) => AppError::from(e).into_page(me.locale()),
    }
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
struct VcardQuery {
    /// `3.0` (default) or `4.0`.
    version: Option<String>,
}

/// A customer's contacts as a `.vcf` file for phones and Outlook. Contact data belongs to the
/// company: it leaves only with the export permission, and each export is on the audit trail.
async fn vcard_export(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    crate::extract::Query(q): crate::extract::Query<VcardQuery>,
) -> Result<Response, AppError> {
    use yingpan_exchange::vcard::{vcards, Card, Version};
    me.may(yingpan_domain::permission::Action::ExportCustomers)?;
    let version = Version::parse(q.version.as_deref())?;
    let customer = state.store.customer(&me.viewer, id).await?;
    let contacts = state.store.contacts(&me.viewer, id).await?;
    let company = (customer.kind == "company").then_some(customer.name.as_str());
    let cards: Vec<Card<'_>> = contacts
        .iter()
        .map(|k| Card {
            uid: format!("yingpan-contact-{}-{}", me.viewer.org_id, k.id),
            name: &k.name,
            organization: company,
            title: k.title.as_deref(),
            phone: k.phone.as_deref(),
            email: k.email.as_deref(),
            note: k.notes.as_deref(),
        })
        .collect();
    let body = vcards(version, &cards);
    state
        .store
        .record_export_of(&me.viewer, "contacts_export", cards.len(), state.now())
        .await?;
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/vcard; charset=utf-8",
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                "attachment; filename=\"contacts.vcf\"",
            ),
        ],
        body,
    )
        .into_response())
}

pub(crate) fn answers() -> Vec<Answer> {
    vec![
        answer("get", "/customers/{id}/contacts.vcf", vcard_export),
        answer("get", "/customers/{id}/contacts", api_contacts),
        answer("post", "/customers/{id}/contacts", api_create_contact),
        answer("get", "/contacts/{id}", api_get_contact),
        answer("patch", "/contacts/{id}", api_patch_contact),
        answer("delete", "/contacts/{id}", api_delete_contact),
    ]
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/customers/{id}/contacts.vcf", get(vcard_export))
        .route("/customers/{id}/contacts.vcf", get(vcard_export))
        .route(
            "/api/v1/customers/{id}/contacts",
            get(api_contacts).post(api_create_contact),
        )
        .route(
            "/api/v1/contacts/{id}",
            get(api_get_contact)
                .patch(api_patch_contact)
                .delete(api_delete_contact),
        )
        .route("/customers/{id}/contacts", post(contact_create_submit))
        .route(
            "/contacts/{id}/edit",
            get(contact_edit_page).post(contact_edit_submit),
        )
        .route("/contacts/{id}/delete", post(contact_delete_submit))
}
