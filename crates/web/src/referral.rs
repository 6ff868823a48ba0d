//! The referral register (转介绍登记, rule 6): register who a customer referred — before the
//! person is a customer, or when they come in person — and link the referral to the customer
//! they become. Whether it counts is the domain's (`attribution::check_referral`).

use crate::described::{answer, Answer, Listing};

use crate::auth::{CurrentUser, PageForm};
use crate::error::AppError;
use crate::extract::{JsonBody, Path};
use crate::i18n::Tr;
use crate::render::render;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use yingpan_domain::ValidationError;
use yingpan_store::{Customer, CustomerListQuery, NewReferral, Referral};

#[derive(Deserialize, utoipa::ToSchema)]
struct NewReferralRequest {
    referrer_id: Option<i64>,
    referred_id: Option<i64>,
    referred_name: Option<String>,
    referred_phone: Option<String>,
    #[serde(default)]
    brought_in_person: bool,
    note: Option<String>,
}

async fn create(
    state: &AppState,
    me: &CurrentUser,
    req: &NewReferralRequest,
) -> Result<Referral, AppError> {
    let referrer_id = req.referrer_id.ok_or_else(|| {
        ValidationError::new("referrer_id", "required", "name the referring customer")
    })?;
    Ok(state
        .store
        .create_referral(
            &me.viewer,
            &NewReferral {
                referrer_id,
                referred_id: req.referred_id,
                referred_name: req.referred_name.clone(),
                referred_phone: req.referred_phone.clone(),
                brought_in_person: req.brought_in_person,
                note: req.note.clone(),
            },
            state.now(),
        )
        .await?)
}

async fn api_list(
    State(state): State<AppState>,
    me: CurrentUser,
) -> Result<Json<Listing<Referral>>, AppError> {
    let items = state.store.referrals(&me.viewer, 500).await?;
    Ok(Json(Listing::all(items)))
}

async fn api_create(
    State(state): State<AppState>,
    me: CurrentUser,
    JsonBody(req): JsonBody<NewReferralRequest>,
) -> Result<crate::described::Created<Referral>, AppError> {
    Ok(crate::described::Created(create(&state, &me, &req).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct LinkRequest {
    customer_id: Option<i64>,
}

async fn link(
    state: &AppState,
    me: &CurrentUser,
    id: i64,
    customer: Option<i64>,
) -> Result<Referral, AppError> {
    let customer = customer.ok_or_else(|| {
        ValidationError::new(
            "customer_id",
            "required",
            "name the customer the person became",
        )
    })?;
    Ok(state
        .store
        .link_referral(&me.viewer, id, customer, state.now())
        .await?)
}

async fn api_link(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<LinkRequest>,
) -> Result<Json<Referral>, AppError> {
    Ok(Json(link(&state, &me, id, req.customer_id).await?))
}

#[derive(Template)]
#[template(path = "referrals.html")]
struct ReferralsPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    referrals: Vec<Referral>,
    /// The customers the viewer may name (most recently changed first).
    customers: Vec<Customer>,
}

async fn page(State(state): State<AppState>, me: CurrentUser) -> Response {
    let result = async {
        let referrals = state.store.referrals(&me.viewer, 200).await?;
        let (customers, _) = state
            .store
            .list_customers(
                &me.viewer,
                &CustomerListQuery {
                    per_page: 200,
                    skip_count: true,
                    ..Default::default()
                },
            )
            .await?;
        Ok::<_, AppError>(ReferralsPage {
            tr: me.tr(),
            me: &me,
            referrals,
            customers,
        })
    }
    .await;
    match result {
        Ok(p) => render(&p, me.locale()),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Deserialize)]
struct ReferralForm {
    referrer_id: Option<i64>,
    referred_name: Option<String>,
    referred_phone: Option<String>,
    brought_in_person: Option<String>,
    note: Option<String>,
}

async fn create_submit(State(state): State<AppState>, page: PageForm<ReferralForm>) -> Response {
    let PageForm { user: me, form } = page;
    let req = NewReferralRequest {
        referrer_id: form.referrer_id,
        referred_id: None,
        referred_name: form.referred_name.clone(),
        referred_phone: form.referred_phone.clone(),
        brought_in_person: form.brought_in_person.is_some(),
        note: form.note.clone(),
    };
    match create(&state, &me, &req).await {
        Ok(_) => Redirect::to("/referrals").into_response(),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Deserialize)]
struct LinkForm {
    id: i64,
    customer_id: Option<i64>,
}

async fn link_submit(State(state): State<AppState>, page: PageForm<LinkForm>) -> Response {
    let PageForm { user: me, form } = page;
    match link(&state, &me, form.id, form.customer_id).await {
        Ok(_) => Redirect::to("/referrals").into_response(),
        Err(e) => e.into_page(me.locale()),
    }
}

pub(crate) fn answers() -> Vec<Answer> {
    vec![
        answer("get", "/referrals", api_list),
        answer("post", "/referrals", api_create),
        answer("post", "/referrals/{id}/link", api_link),
    ]
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/referrals", get(api_list).post(api_create))
        .route("/api/v1/referrals/{id}/link", post(api_link))
        .route("/referrals", get(page).post(create_submit))
        .route("/referrals/link", post(link_submit))
}
