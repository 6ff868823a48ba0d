//! Quotations (`domain::quotation`): the API, the list (with the company's discount limit for
//! admins), the form to quote a customer, and the quotation's page where it is submitted,
//! approved, sent, accepted into an order or revised.

use crate::described::{answer, Answer, Listing};

use crate::auth::{CurrentUser, PageForm};
use crate::error::AppError;
use crate::extract::{JsonBody, Path, Query};
use crate::i18n::Tr;
use crate::render::{done, render};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use std::collections::HashMap;
use yingpan_domain::quotation::{
    parse_valid_until, price_lines, LineInput, ListedProduct, QuotationSettings, Status, Step,
};
use yingpan_domain::ValidationError;
use yingpan_store::{Product, Quotation, QuotationDetail, QuotationFields};

#[derive(Deserialize, Default, utoipa::ToSchema)]
struct ListQuery {
    customer_id: Option<i64>,
    status: Option<String>,
}

async fn list(
    state: &AppState,
    me: &CurrentUser,
    q: &ListQuery,
) -> Result<(Vec<Quotation>, i64), AppError> {
    let status = match q.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(Status::parse(s)?),
    };
    Ok(state
        .store
        .quotations(&me.viewer, q.customer_id, status, 200)
        .await?)
}

async fn api_list(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<ListQuery>,
) -> Result<Json<Listing<Quotation>>, AppError> {
    let (items, total) = list(&state, &me, &q).await?;
    Ok(Json(Listing::counted(items, total)))
}

/// A quotation as submitted: lines, validity, terms.
#[derive(Deserialize, Default, utoipa::ToSchema)]
struct QuotationInput {
    customer_id: Option<i64>,
    #[serde(default)]
    lines: Vec<LineInput>,
    valid_until: Option<String>,
    terms: Option<String>,
    version: Option<i64>,
}

async fn listed(state: &AppState, me: &CurrentUser) -> Result<Vec<ListedProduct>, AppError> {
    Ok(state
        .store
        .products(me.viewer.org_id, false)
        .await?
        .into_iter()
        .map(|p| ListedProduct {
            id: p.id,
            name: p.name,
            unit: p.unit,
            currency: p.currency,
            price: p.price,
        })
        .collect())
}

fn parse_terms(raw: Option<&str>) -> Result<String, ValidationError> {
    let t = raw.unwrap_or("").trim();
    if t.chars().count() > 5000 {
        return Err(ValidationError::new(
            "terms",
            "too_long",
            "at most 5000 characters",
        ));
    }
    Ok(t.to_string())
}

/// Checks the input against the price list and the company's settings.
async fn fields(
    state: &AppState,
    me: &CurrentUser,
    input: &QuotationInput,
) -> Result<
    (
        Vec<yingpan_domain::quotation::QuoteLine>,
        chrono::NaiveDate,
        String,
    ),
    AppError,
> {
    let products = listed(state, me).await?;
    let lines = price_lines(&input.lines, &products)?;
    let settings = state
        .store
        .company_setting::<QuotationSettings>(me.viewer.org_id)
        .await?;
    let valid_until = parse_valid_until(input.valid_until.as_deref(), state.today(), &settings)?;
    Ok((lines, valid_until, parse_terms(input.terms.as_deref())?))
}

async fn create(
    state: &AppState,
    me: &CurrentUser,
    input: &QuotationInput,
) -> Result<QuotationDetail, AppError> {
    let customer = input
        .customer_id
        .ok_or_else(|| ValidationError::new("customer_id", "required", "name the customer"))?;
    let (lines, valid_until, terms) = fields(state, me, input).await?;
    let f = QuotationFields {
        lines: &lines,
        valid_until,
        terms: &terms,
    };
    Ok(state
        .store
        .create_quotation(&me.viewer, customer, &f, state.now())
        .await?)
}

async fn api_create(
    State(state): State<AppState>,
    me: CurrentUser,
    JsonBody(input): JsonBody<QuotationInput>,
) -> Result<crate::described::Created<QuotationDetail>, AppError> {
    Ok(crate::described::Created(
        create(&state, &me, &input).await?,
    ))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
struct VersionQuery {
    version: Option<i64>,
}

async fn api_get(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<VersionQuery>,
) -> Result<Json<QuotationDetail>, AppError> {
    Ok(Json(
        state.store.quotation(&me.viewer, id, q.version).await?,
    ))
}

fn version_of(v: Option<i64>) -> Result<i64, ValidationError> {
    v.ok_or_else(|| ValidationError::new("version", "required", "send the version you read"))
}

async fn save(
    state: &AppState,
    me: &CurrentUser,
    id: i64,
    input: &QuotationInput,
) -> Result<QuotationDetail, AppError> {
    let version = version_of(input.version)?;
    let (lines, valid_until, terms) = fields(state, me, input).await?;
    let f = QuotationFields {
        lines: &lines,
        valid_until,
        terms: &terms,
    };
    Ok(state
        .store
        .save_quotation(&me.viewer, id, version, &f, state.now())
        .await?)
}

async fn api_save(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(input): JsonBody<QuotationInput>,
) -> Result<Json<QuotationDetail>, AppError> {
    Ok(Json(save(&state, &me, id, &input).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = QuotationStepRequest)]
struct StepRequest {
    step: Option<String>,
    note: Option<String>,
    /// For `accept`: the order's due date (net 30 by default).
    due_date: Option<String>,
    version: Option<i64>,
}

async fn take_step(
    state: &AppState,
    me: &CurrentUser,
    id: i64,
    req: &StepRequest,
) -> Result<QuotationDetail, AppError> {
    let step = Step::parse(req.step.as_deref().unwrap_or(""))?;
    let note = req.note.as_deref().unwrap_or("").trim();
    if note.chars().count() > 2000 {
        return Err(ValidationError::new("note", "too_long", "at most 2000 characters").into());
    }
    let today = state.today();
    let due = yingpan_domain::order::parse_due_date(req.due_date.as_deref(), today)?;
    let version = version_of(req.version)?;
    Ok(state
        .store
        .quotation_step(&me.viewer, id, step, note, due, version, today, state.now())
        .await?)
}

async fn api_step(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<StepRequest>,
) -> Result<Json<QuotationDetail>, AppError> {
    Ok(Json(take_step(&state, &me, id, &req).await?))
}

#[derive(Template)]
#[template(path = "quotations.html")]
struct ListPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    items: Vec<Quotation>,
    total: i64,
    settings: QuotationSettings,
}

async fn list_page(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<ListQuery>,
) -> Response {
    let result = async {
        let (items, total) = list(&state, &me, &q).await?;
        let settings = state
            .store
            .company_setting::<QuotationSettings>(me.viewer.org_id)
            .await?;
        Ok::<_, AppError>((items, total, settings))
    }
    .await;
    match result {
        Ok((items, total, settings)) => render(
            &ListPage {
                tr: me.tr(),
                me: &me,
                items,
                total,
                settings,
            },
            me.locale(),
        ),
        Err(e) => e.into_page(me.locale()),
    }
}

/// A row of the line form: (product id, quantity, discount).
type LineRow = (Option<i64>, String, String);

/// Blank line rows the form offers beyond the quotation's own.
const BLANK_LINES: usize = 3;

#[derive(Template)]
#[template(path = "quotation_form.html")]
struct FormPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    customer_id: i64,
    customer_name: String,
    products: Vec<Product>,
    rows: Vec<LineRow>,
    valid_until: String,
    terms: String,
    settings: QuotationSettings,
    form_action: String,
    version: Option<i64>,
}

#[derive(Deserialize)]
struct NewQuery {
    customer_id: Option<i64>,
}

async fn new_page(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<NewQuery>,
) -> Response {
    let result = async {
        let id = q
            .customer_id
            .ok_or_else(|| ValidationError::new("customer_id", "required", "name the customer"))?;
        let c = state.store.customer(&me.viewer, id).await?;
        let products = state.store.products(me.viewer.org_id, false).await?;
        let settings = state
            .store
            .company_setting::<QuotationSettings>(me.viewer.org_id)
            .await?;
        Ok::<_, AppError>((c, products, settings))
    }
    .await;
    match result {
        Ok((c, products, settings)) => {
            let valid = parse_valid_until(None, state.today(), &settings)
                .map(|d| d.to_string())
                .unwrap_or_default();
            render(
                &FormPage {
                    tr: me.tr(),
                    me: &me,
                    customer_id: c.id,
                    customer_name: c.name,
                    products,
                    rows: vec![Default::default(); BLANK_LINES + 1],
                    valid_until: valid,
                    terms: String::new(),
                    settings,
                    form_action: "/quotations".into(),
                    version: None,
                },
                me.locale(),
            )
        }
        Err(e) => e.into_page(me.locale()),
    }
}

/// The form's fields: numbered line rows (a row without a product is skipped), validity, terms.
fn input_from_form(form: &HashMap<String, String>) -> QuotationInput {
    let mut lines = Vec::new();
    for i in 0.. {
        let get = |k: &str| form.get(&format!("lines.{i}.{k}")).cloned();
        let Some(product) = get("product_id") else {
            break;
        };
        if product.trim().is_empty() {
            continue;
        }
        lines.push(LineInput {
            product_id: Some(product.trim().parse().unwrap_or(-1)),
            quantity: get("quantity"),
            discount_percent: get("discount_percent"),
        });
    }
    QuotationInput {
        customer_id: form.get("customer_id").and_then(|v| v.trim().parse().ok()),
        lines,
        valid_until: form.get("valid_until").cloned(),
        terms: form.get("terms").cloned(),
        version: form.get("version").and_then(|v| v.trim().parse().ok()),
    }
}

async fn create_submit(
    State(state): State<AppState>,
    page: PageForm<HashMap<String, String>>,
) -> Response {
    let PageForm { user: me, form } = page;
    match create(&state, &me, &input_from_form(&form)).await {
        Ok(d) => done(&format!("/quotations/{}", d.quotation.id), "saved", None),
        Err(e) => e.into_page(me.locale()),
    }
}

async fn save_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    page: PageForm<HashMap<String, String>>,
) -> Response {
    let PageForm { user: me, form } = page;
    match save(&state, &me, id, &input_from_form(&form)).await {
        Ok(_) => done(&format!("/quotations/{id}"), "saved", None),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Template)]
#[template(path = "quotation.html")]
struct QuotationPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    d: QuotationDetail,
    /// The viewer may change the draft: the form below is shown.
    editable: bool,
    /// The viewer is the salesperson's own superior.
    approves: bool,
    today: String,
    customer_id: i64,
    products: Vec<Product>,
    rows: Vec<LineRow>,
    valid_until: String,
    terms: String,
    settings: QuotationSettings,
    form_action: String,
    version: Option<i64>,
}

impl QuotationPage<'_> {
    fn mine(&self) -> bool {
        self.d.quotation.owner_id == self.me.user.id
    }
    fn current(&self) -> bool {
        self.d.shown.number == self.d.quotation.current_version
    }
    fn status(&self) -> &str {
        self.d.quotation.status.as_str()
    }
    fn expired(&self) -> bool {
        self.d.shown.valid_until < self.today
    }
}

async fn quotation_page(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<VersionQuery>,
) -> Response {
    let result = async {
        let d = state.store.quotation(&me.viewer, id, q.version).await?;
        let users = state.store.users(me.viewer.org_id).await?;
        let products = state.store.products(me.viewer.org_id, false).await?;
        let settings = state
            .store
            .company_setting::<QuotationSettings>(me.viewer.org_id)
            .await?;
        Ok::<_, AppError>((d, users, products, settings))
    }
    .await;
    let (d, users, products, settings) = match result {
        Ok(v) => v,
        Err(e) => return e.into_page(me.locale()),
    };
    let superior = users
        .iter()
        .find(|u| u.id == d.quotation.owner_id)
        .and_then(|u| u.superior_id);
    let editable = d.quotation.owner_id == me.user.id
        && d.quotation.status == "draft"
        && d.shown.number == d.quotation.current_version;
    let mut rows: Vec<LineRow> = d
        .shown
        .lines
        .iter()
        .map(|l| {
            (
                Some(l.product_id),
                l.quantity.normalize().to_string(),
                l.discount_percent.normalize().to_string(),
            )
        })
        .collect();
    rows.extend(std::iter::repeat_n(LineRow::default(), BLANK_LINES));
    render(
        &QuotationPage {
            tr: me.tr(),
            me: &me,
            editable,
            approves: superior == Some(me.user.id),
            today: state.today().to_string(),
            customer_id: d.quotation.customer_id,
            products,
            rows,
            valid_until: d.shown.valid_until.clone(),
            terms: d.shown.terms.clone(),
            settings,
            form_action: format!("/quotations/{id}"),
            version: Some(d.quotation.version),
            d,
        },
        me.locale(),
    )
}

#[derive(Deserialize)]
struct StepForm {
    step: Option<String>,
    note: Option<String>,
    due_date: Option<String>,
    version: Option<String>,
}

async fn step_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    page: PageForm<StepForm>,
) -> Response {
    let PageForm { user: me, form } = page;
    let req = StepRequest {
        step: form.step,
        note: form.note,
        due_date: form.due_date,
        version: form.version.as_deref().and_then(|v| v.trim().parse().ok()),
    };
    match take_step(&state, &me, id, &req).await {
        Ok(_) => done(&format!("/quotations/{id}"), "saved", None),
        Err(e) => e.into_page(me.locale()),
    }
}

async fn settings_submit(
    State(state): State<AppState>,
    page: PageForm<HashMap<String, String>>,
) -> Response {
    let PageForm { user: me, form } = page;
    let result = async {
        let limit = yingpan_domain::money::parse_optional_percent(
            "discount_limit",
            form.get("discount_limit").map(String::as_str),
        )?
        .ok_or_else(|| ValidationError::new("discount_limit", "required", "give a percent"))?;
        let days = form
            .get("validity_days")
            .and_then(|v| v.trim().parse::<u32>().ok())
            .ok_or_else(|| {
                ValidationError::new("validity_days", "invalid_number", "must be a whole number")
            })?;
        crate::setting::save(
            &state,
            &me,
            QuotationSettings {
                discount_limit: limit,
                validity_days: days,
            },
        )
        .await
    }
    .await;
    match result {
        Ok(_) => done("/quotations", "saved", None),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Template)]
#[template(path = "quotation_print.html")]
struct PrintPage {
    tr: Tr,
    d: QuotationDetail,
    org_name: String,
}

impl PrintPage {
    /// Only a quotation cleared for the customer goes out without a warning on it.
    fn for_customer(&self) -> bool {
        matches!(
            self.d.quotation.status.as_str(),
            "approved" | "sent" | "accepted"
        ) && self.d.shown.number == self.d.quotation.current_version
    }
}

/// The quotation as the customer receives it: one printable sheet in the company's name.
async fn print_page(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<VersionQuery>,
) -> Response {
    let result = async {
        let d = state.store.quotation(&me.viewer, id, q.version).await?;
        let org = state.store.organization(me.viewer.org_id).await?;
        Ok::<_, AppError>((d, org.name))
    }
    .await;
    match result {
        Ok((d, org_name)) => render(
            &PrintPage {
                tr: me.tr(),
                d,
                org_name,
            },
            me.locale(),
        ),
        Err(e) => e.into_page(me.locale()),
    }
}

pub(crate) fn answers() -> Vec<Answer> {
    vec![
        answer("get", "/quotations", api_list),
        answer("post", "/quotations", api_create),
        answer("get", "/quotations/{id}", api_get),
        answer("put", "/quotations/{id}", api_save),
        answer("post", "/quotations/{id}/steps", api_step),
    ]
    .into_iter()
    .chain(crate::setting::answers::<QuotationSettings>(
        "/quotation-settings",
    ))
    .collect()
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/quotations", get(api_list).post(api_create))
        .route("/api/v1/quotations/{id}", get(api_get).put(api_save))
        .route("/api/v1/quotations/{id}/steps", post(api_step))
        .route(
            "/api/v1/quotation-settings",
            crate::setting::api::<QuotationSettings>(),
        )
        .route("/quotations", get(list_page).post(create_submit))
        .route("/quotations/new", get(new_page))
        .route("/quotations/settings", post(settings_submit))
        .route("/quotations/{id}", get(quotation_page).post(save_submit))
        .route("/quotations/{id}/steps", post(step_submit))
        .route("/quotations/{id}/print", get(print_page))
}
