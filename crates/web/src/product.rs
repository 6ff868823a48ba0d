//! Products and the price list: everyone reads it; admins, directors and the clerk keep it.

use crate::described::{answer, Answer, Listing};

use crate::auth::{CurrentUser, PageForm};
use crate::error::AppError;
use crate::extract::JsonBody;
use crate::extract::{Path, Query};
use crate::i18n::Tr;
use crate::render::render;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use yingpan_domain::permission::Action;
use yingpan_domain::product::ProductInput;
use yingpan_domain::ValidationError;
use yingpan_store::Product;

#[derive(Deserialize, utoipa::ToSchema)]
struct ListQuery {
    all: Option<bool>,
}

async fn api_list(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<ListQuery>,
) -> Result<Json<Listing<Product>>, AppError> {
    let items: Vec<Product> = state
        .store
        .products(me.viewer.org_id, q.all.unwrap_or(false))
        .await?
        .into_iter()
        .map(|p| shown_to(&me, p))
        .collect();
    Ok(Json(Listing::all(items)))
}

async fn api_create(
    State(state): State<AppState>,
    me: CurrentUser,
    JsonBody(req): JsonBody<ProductInput>,
) -> Result<crate::described::Created<Product>, AppError> {
    me.may(Action::KeepPriceList)?;
    let f = req.parse()?;
    Ok(crate::described::Created(
        state
            .store
            .create_product(&me.viewer, &f, state.now())
            .await?,
    ))
}

async fn api_get(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<Product>, AppError> {
    Ok(Json(shown_to(
        &me,
        state.store.product(me.viewer.org_id, id).await?,
    )))
}

/// Costs are for those who keep the price list: a salesperson sees prices, not margins.
fn shown_to(me: &CurrentUser, mut p: Product) -> Product {
    if !me.can(Action::KeepPriceList) {
        p.cost = None;
    }
    p
}

#[derive(Deserialize, utoipa::ToSchema)]
struct PatchProduct {
    code: Option<String>,
    name: Option<String>,
    unit: Option<String>,
    price: Option<String>,
    currency: Option<String>,
    unique_item: Option<bool>,
    active: Option<bool>,
    cost: Option<String>,
    category: Option<String>,
    version: Option<i64>,
}

async fn api_patch(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<PatchProduct>,
) -> Result<Json<Product>, AppError> {
    me.may(Action::KeepPriceList)?;
    let cur = state.store.product(me.viewer.org_id, id).await?;
    let version = req
        .version
        .ok_or_else(|| ValidationError::new("version", "required", "send the version you read"))?;
    let f = ProductInput {
        code: req.code.or(Some(cur.code)),
        name: req.name.or(Some(cur.name)),
        unit: req.unit.or(Some(cur.unit)),
        price: req.price.or(Some(cur.price.to_string())),
        currency: req.currency.or(Some(cur.currency)),
        unique_item: req.unique_item.or(Some(cur.unique_item)),
        active: req.active.or(Some(cur.active)),
        cost: req.cost.or(cur.cost.map(|c| c.to_string())),
        category: req.category.or(cur.category),
    }
    .parse()?;
    Ok(Json(
        state
            .store
            .update_product(&me.viewer, id, version, &f, state.now())
            .await?,
    ))
}

#[derive(Template)]
#[template(path = "products.html")]
struct ProductsPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    products: Vec<Product>,
    may_edit: bool,
}

async fn products_page(State(state): State<AppState>, me: CurrentUser) -> Response {
    let may_edit = me.can(Action::KeepPriceList);
    match state.store.products(me.viewer.org_id, may_edit).await {
        Ok(products) => render(
            &ProductsPage {
                tr: me.tr(),
                me: &me,
                products,
                may_edit,
            },
            me.locale(),
        ),
        Err(e) => AppError::from(e).into_page(me.locale()),
    }
}

#[derive(Deserialize)]
struct ProductForm {
    id: Option<String>,
    version: Option<String>,
    code: Option<String>,
    name: Option<String>,
    unit: Option<String>,
    price: Option<String>,
    unique_item: Option<String>,
    active: Option<String>,
    cost: Option<String>,
    category: Option<String>,
}

/// Create (no `id`) or update a product from the price-list page.
async fn save_submit(State(state): State<AppState>, page: PageForm<ProductForm>) -> Response {
    let PageForm { user: me, form } = page;
    let result = async {
        me.may(Action::KeepPriceList)?;
        let f = ProductInput {
            code: form.code,
            name: form.name,
            unit: form.unit,
            price: form.price,
            currency: None,
            unique_item: Some(form.unique_item.is_some()),
            active: Some(form.active.is_some() || form.id.is_none()),
            cost: form.cost,
            category: form.category,
        }
        .parse()?;
        match form.id.as_deref().and_then(|i| i.parse::<i64>().ok()) {
            Some(id) => {
                let version = form
                    .version
                    .as_deref()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                state
                    .store
                    .update_product(&me.viewer, id, version, &f, state.now())
                    .await?;
            }
            None => {
                state
                    .store
                    .create_product(&me.viewer, &f, state.now())
                    .await?;
            }
        }
        Ok::<_, AppError>(())
    }
    .await;
    match result {
        Ok(()) => Redirect::to("/products").into_response(),
        Err(e) => e.into_page(me.locale()),
    }
}

pub(crate) fn answers() -> Vec<Answer> {
    vec![
        answer("get", "/products", api_list),
        answer("post", "/products", api_create),
        answer("get", "/products/{id}", api_get),
        answer("patch", "/products/{id}", api_patch),
    ]
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/products", get(api_list).post(api_create))
        .route("/api/v1/products/{id}", get(api_get).patch(api_patch))
        .route("/products", get(products_page).post(save_submit))
}
