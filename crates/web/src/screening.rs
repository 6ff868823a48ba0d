//! Scored screening of key accounts (`domain::screening`): a customer's screening page and API,
//! the screening matrix within one's scope, and the company's weights, threshold and strategies.

use crate::described::{answer, Answer, Listing};

use crate::auth::{CurrentUser, PageForm};
use crate::error::AppError;
use crate::extract::{JsonBody, Path};
use crate::i18n::Tr;
use crate::render::{done, render};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use yingpan_domain::permission::Action;
use yingpan_domain::screening::{score_field, Axis, ScreeningSettings};
use yingpan_domain::ValidationError;
use yingpan_store::{Customer, Quadrant, ScreeningRecord};

/// How many customers each quadrant of the matrix page lists.
const PER_QUADRANT: i64 = 30;

#[derive(Deserialize, utoipa::ToSchema)]
struct ScreeningInput {
    #[serde(default)]
    scores: BTreeMap<String, u8>,
    #[serde(default)]
    note: String,
}

fn parse_note(raw: &str) -> Result<String, ValidationError> {
    let note = raw.trim();
    if note.chars().count() > 2000 {
        return Err(ValidationError::new(
            "note",
            "too_long",
            "at most 2000 characters",
        ));
    }
    Ok(note.to_string())
}

async fn screen(
    state: &AppState,
    me: &CurrentUser,
    id: i64,
    input: &ScreeningInput,
) -> Result<ScreeningRecord, AppError> {
    let note = parse_note(&input.note)?;
    Ok(state
        .store
        .screen_customer(&me.viewer, id, &input.scores, &note, state.now())
        .await?)
}

async fn api_screen(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(input): JsonBody<ScreeningInput>,
) -> Result<crate::described::Created<ScreeningRecord>, AppError> {
    Ok(crate::described::Created(
        screen(&state, &me, id, &input).await?,
    ))
}

async fn api_screenings(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<Listing<yingpan_store::ScreeningRecord>>, AppError> {
    let items = state.store.screenings(&me.viewer, id).await?;
    Ok(Json(Listing::all(items)))
}

/// A factor on the screening form: its name, weight and the last score given.
type FactorRow = (&'static str, u32, u8);

#[derive(Template)]
#[template(path = "screening.html")]
struct ScreeningPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    c: Customer,
    axes: Vec<(&'static str, Vec<FactorRow>)>,
    history: Vec<ScreeningRecord>,
    threshold: u32,
}

async fn screening_page(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Response {
    let result = async {
        let c = state.store.customer(&me.viewer, id).await?;
        let history = state.store.screenings(&me.viewer, id).await?;
        let settings = state
            .store
            .company_setting::<ScreeningSettings>(me.viewer.org_id)
            .await?;
        Ok::<_, AppError>((c, history, settings))
    }
    .await;
    match result {
        Ok((c, history, settings)) => {
            let last = history
                .first()
                .map(|h| h.scores.clone())
                .unwrap_or_default();
            let axes = Axis::ALL
                .into_iter()
                .map(|axis| {
                    let factors = axis
                        .factors()
                        .iter()
                        .map(|f| {
                            let w = settings.weights.get(*f).copied().unwrap_or(0);
                            (*f, w, last.get(*f).copied().unwrap_or(3))
                        })
                        .collect();
                    (axis.as_str(), factors)
                })
                .collect();
            render(
                &ScreeningPage {
                    tr: me.tr(),
                    me: &me,
                    c,
                    axes,
                    history,
                    threshold: settings.threshold,
                },
                me.locale(),
            )
        }
        Err(e) => e.into_page(me.locale()),
    }
}

async fn screening_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    page: PageForm<HashMap<String, String>>,
) -> Response {
    let PageForm { user: me, form } = page;
    let result = async {
        let mut scores = BTreeMap::new();
        for axis in Axis::ALL {
            for f in axis.factors() {
                let field = score_field(f);
                let raw = form.get(field).map(|v| v.trim()).unwrap_or("");
                let v: u8 = raw.parse().map_err(|_| {
                    ValidationError::new(field, "out_of_range", "must be between 1 and 5")
                })?;
                scores.insert(f.to_string(), v);
            }
        }
        let input = ScreeningInput {
            scores,
            note: form.get("note").cloned().unwrap_or_default(),
        };
        screen(&state, &me, id, &input).await
    }
    .await;
    match result {
        Ok(_) => done(&format!("/customers/{id}/screening"), "saved", None),
        Err(e) => e.into_page(me.locale()),
    }
}

async fn api_matrix(
    State(state): State<AppState>,
    me: CurrentUser,
) -> Result<Json<Matrix>, AppError> {
    let quadrants = state
        .store
        .key_account_matrix(&me.viewer, PER_QUADRANT)
        .await?;
    Ok(Json(Matrix { quadrants }))
}

#[derive(Template)]
#[template(path = "key_accounts.html")]
struct MatrixPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    quadrants: Vec<Quadrant>,
}

impl MatrixPage<'_> {
    /// The quadrants as the seed draws them: attractive ones on top, winnable ones on the left.
    fn cell(&self, class: &str) -> Option<&Quadrant> {
        self.quadrants.iter().find(|q| q.class == class)
    }
    fn score(&self, v: &Option<i64>) -> String {
        v.map(|s| s.to_string()).unwrap_or_else(|| "—".into())
    }
}

async fn matrix_page(State(state): State<AppState>, me: CurrentUser) -> Response {
    match state
        .store
        .key_account_matrix(&me.viewer, PER_QUADRANT)
        .await
    {
        Ok(quadrants) => render(
            &MatrixPage {
                tr: me.tr(),
                me: &me,
                quadrants,
            },
            me.locale(),
        ),
        Err(e) => AppError::from(e).into_page(me.locale()),
    }
}

#[derive(Template)]
#[template(path = "screening_settings.html")]
struct SettingsPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    /// (axis, [(factor, weight)])
    axes: Vec<(&'static str, Vec<(&'static str, u32)>)>,
    /// (class, strategy)
    strategies: Vec<(&'static str, String)>,
    threshold: u32,
}

async fn settings_page(State(state): State<AppState>, me: CurrentUser) -> Response {
    let result = async {
        me.may(Action::ManageOrganization)?;
        Ok::<_, AppError>(
            state
                .store
                .company_setting::<ScreeningSettings>(me.viewer.org_id)
                .await?,
        )
    }
    .await;
    match result {
        Ok(s) => render(
            &SettingsPage {
                tr: me.tr(),
                me: &me,
                axes: Axis::ALL
                    .into_iter()
                    .map(|a| {
                        let ws = a
                            .factors()
                            .iter()
                            .map(|f| (*f, s.weights.get(*f).copied().unwrap_or(0)))
                            .collect();
                        (a.as_str(), ws)
                    })
                    .collect(),
                strategies: yingpan_domain::qualification::KeyAccountClass::ALL
                    .into_iter()
                    .map(|c| (c.as_str(), s.strategy(c).to_string()))
                    .collect(),
                threshold: s.threshold,
            },
            me.locale(),
        ),
        Err(e) => e.into_page(me.locale()),
    }
}

async fn settings_submit(
    State(state): State<AppState>,
    page: PageForm<HashMap<String, String>>,
) -> Response {
    let PageForm { user: me, form } = page;
    let result = async {
        let number = |field: &'static str, name: &str| -> Result<u32, ValidationError> {
            form.get(name)
                .map(|v| v.trim())
                .and_then(|v| v.parse::<u32>().ok())
                .ok_or_else(|| {
                    ValidationError::new(field, "invalid_number", "must be a whole number")
                })
        };
        let mut weights = BTreeMap::new();
        for axis in Axis::ALL {
            for f in axis.factors() {
                let name = format!("weight.{f}");
                weights.insert(f.to_string(), number("weights", &name)?);
            }
        }
        let strategies = yingpan_domain::qualification::KeyAccountClass::ALL
            .into_iter()
            .map(|c| {
                let text = form
                    .get(&format!("strategy.{}", c.as_str()))
                    .map(|v| v.trim().to_string())
                    .unwrap_or_default();
                (c.as_str().to_string(), text)
            })
            .collect();
        let settings = ScreeningSettings {
            weights,
            threshold: number("threshold", "threshold")?,
            strategies,
        };
        crate::setting::save(&state, &me, settings).await
    }
    .await;
    match result {
        Ok(_) => done("/admin/screening", "saved", None),
        Err(e) => e.into_page(me.locale()),
    }
}

/// The screening matrix's four quadrants with their customers.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = KeyAccountMatrix)]
struct Matrix {
    quadrants: Vec<yingpan_store::Quadrant>,
}

pub(crate) fn answers() -> Vec<Answer> {
    vec![
        answer("get", "/customers/{id}/screenings", api_screenings),
        answer("post", "/customers/{id}/screenings", api_screen),
        answer("get", "/key-accounts", api_matrix),
    ]
    .into_iter()
    .chain(crate::setting::answers::<ScreeningSettings>(
        "/screening-settings",
    ))
    .collect()
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/customers/{id}/screenings",
            get(api_screenings).post(api_screen),
        )
        .route("/api/v1/key-accounts", get(api_matrix))
        .route(
            "/api/v1/screening-settings",
            crate::setting::api::<ScreeningSettings>(),
        )
        .route(
            "/customers/{id}/screening",
            get(screening_page).post(screening_submit),
        )
        .route("/key-accounts", get(matrix_page))
        .route("/admin/screening", get(settings_page).post(settings_submit))
}
