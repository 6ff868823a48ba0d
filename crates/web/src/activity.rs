//! Logged contacts with a customer (calls, visits, e-mails, meetings): the JSON API and the
//! form on the customer's page.

use crate::described::{answer, Answer, Listing};

use crate::auth::{CurrentUser, PageForm};
use crate::customer::detail;
use crate::error::AppError;
use crate::extract::JsonBody;
use crate::extract::Path;
use crate::render::done;
use crate::AppState;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use yingpan_domain::customer::ContactInput;
use yingpan_store::{Activity, ActivityKind};

#[derive(Deserialize, utoipa::ToSchema)]
struct LogActivity {
    kind: Option<String>,
    summary: Option<String>,
    outcome: Option<String>,
    next_step: Option<String>,
    location: Option<String>,
    /// A call: whether it reached the person called (a form sends "on" or "true").
    reached: Option<serde_json::Value>,
    purpose: Option<String>,
    /// Minutes (a number, or text from a form).
    duration_minutes: Option<serde_json::Value>,
    /// The browser's position at check-in (numbers, or text from a form); both or neither.
    latitude: Option<serde_json::Value>,
    longitude: Option<serde_json::Value>,
    /// The API: objections met, `[{objection_id, answer_id, worked}]`.
    #[serde(default)]
    objections: Vec<yingpan_domain::objection::Encounter>,
    /// The form: one objection as `objection` or `objection:answer`, and whether it worked.
    objection: Option<String>,
    objection_worked: Option<String>,
}

/// The objections met: the API's list, or the form's one choice.
fn encounters(req: &LogActivity) -> Result<Vec<yingpan_domain::objection::Encounter>, AppError> {
    let Some(choice) = req
        .objection
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    else {
        return Ok(req.objections.clone());
    };
    let bad = || {
        yingpan_domain::ValidationError::new(
            "objection_id",
            "unknown_objection",
            "no such objection in the library",
        )
    };
    let (objection, answer) = match choice.split_once(':') {
        Some((o, a)) => (o, Some(a.parse::<i64>().map_err(|_| bad())?)),
        None => (choice, None),
    };
    let worked = match req.objection_worked.as_deref().map(str::trim) {
        Some("yes") => Some(true),
        Some("no") => Some(false),
        _ => None,
    };
    Ok(vec![yingpan_domain::objection::Encounter {
        objection_id: objection.parse().map_err(|_| bad())?,
        answer_id: answer,
        worked: worked.filter(|_| answer.is_some()),
    }])
}

/// A coordinate as sent: a JSON number or text.
fn degrees(raw: Option<&serde_json::Value>) -> Option<String> {
    match raw {
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        _ => None,
    }
}

fn parse_minutes(raw: Option<&serde_json::Value>) -> Result<Option<i64>, AppError> {
    use serde_json::Value as V;
    let bad = || {
        AppError::from(yingpan_domain::ValidationError::new(
            "duration_minutes",
            "invalid_number",
            "must be a whole number of minutes",
        ))
    };
    match raw {
        None | Some(V::Null) => Ok(None),
        Some(V::Number(n)) => n.as_i64().map(Some).ok_or_else(bad),
        Some(V::String(s)) if s.trim().is_empty() => Ok(None),
        Some(V::String(s)) => s.trim().parse().map(Some).map_err(|_| bad()),
        Some(_) => Err(bad()),
    }
}

fn parse_reached(raw: Option<&serde_json::Value>) -> Result<Option<bool>, AppError> {
    use serde_json::Value as V;
    match raw {
        None | Some(V::Null) => Ok(None),
        Some(V::Bool(b)) => Ok(Some(*b)),
        Some(V::String(s)) if s.trim().is_empty() => Ok(None),
        Some(V::String(s)) if matches!(s.trim(), "true" | "on" | "1" | "yes") => Ok(Some(true)),
        Some(V::String(s)) if matches!(s.trim(), "false" | "0" | "no") => Ok(Some(false)),
        Some(_) => Err(yingpan_domain::ValidationError::new(
            "reached",
            "invalid_choice",
            "must be true or false",
        )
        .into()),
    }
}

async fn log_activity(
    state: &AppState,
    me: &CurrentUser,
    id: i64,
    req: &LogActivity,
) -> Result<Activity, AppError> {
    let kind = ActivityKind::parse(req.kind.as_deref().unwrap_or(""))?;
    // Any client-supplied time is ignored: the protection clock runs on the server's clock.
    Ok(state
        .store
        .log_activity_with(
            &me.viewer,
            id,
            kind,
            req.summary.as_deref().unwrap_or(""),
            &yingpan_store::ActivityDetails {
                outcome: req.outcome.clone(),
                next_step: req.next_step.clone(),
                location: req.location.clone(),
                reached: parse_reached(req.reached.as_ref())?,
                purpose: req.purpose.clone(),
                duration_minutes: parse_minutes(req.duration_minutes.as_ref())?,
                position: yingpan_domain::geo::Position::parse(
                    degrees(req.latitude.as_ref()).as_deref(),
                    degrees(req.longitude.as_ref()).as_deref(),
                )?,
                objections: encounters(req)?,
                ..Default::default()
            },
            state.now(),
        )
        .await?)
}

async fn api_log_activity(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<LogActivity>,
) -> Result<crate::described::Created<Activity>, AppError> {
    Ok(crate::described::Created(
        log_activity(&state, &me, id, &req).await?,
    ))
}

async fn api_activities(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<Listing<Activity>>, AppError> {
    let (items, total) = state.store.activities(&me.viewer, id, 200).await?;
    Ok(Json(Listing::counted(items, total)))
}

async fn activity_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    page: PageForm<LogActivity>,
) -> Response {
    let PageForm { user: me, form } = page;
    match log_activity(&state, &me, id, &form).await {
        Ok(_) => done(
            &format!("/customers/{id}#timeline"),
            "follow_up_logged",
            None,
        ),
        Err(e @ AppError::Invalid(_)) => detail(
            &state,
            &me,
            id,
            Some(e.localized(me.locale())),
            ContactInput::default(),
        )
        .await
        .unwrap_or_else(|e| e.into_page(me.locale())),
        Err(e) => e.into_page(me.locale()),
    }
}

pub(crate) fn answers() -> Vec<Answer> {
    vec![
        answer("get", "/customers/{id}/activities", api_activities),
        answer("post", "/customers/{id}/activities", api_log_activity),
    ]
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/customers/{id}/activities",
            get(api_activities).post(api_log_activity),
        )
        .route("/customers/{id}/activities", post(activity_submit))
}
