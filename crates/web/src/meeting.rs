//! Sales meetings (`domain::meeting`): the API, the list with the form to call one, and the
//! meeting's page with the period's figures per member, attendance, minutes and decisions.

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
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use std::collections::HashMap;
use yingpan_domain::meeting::{check_day, parse_minutes, Attendance, Kind};
use yingpan_domain::task::TaskInput;
use yingpan_domain::ValidationError;
use yingpan_store::{Meeting, MeetingDetail};

async fn api_list(
    State(state): State<AppState>,
    me: CurrentUser,
) -> Result<Json<Listing<yingpan_store::Meeting>>, AppError> {
    let items = state.store.meetings(&me.viewer, 100).await?;
    Ok(Json(Listing::all(items)))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct NewMeeting {
    kind: Option<String>,
    /// Today by default.
    held_on: Option<String>,
}

async fn create(
    state: &AppState,
    me: &CurrentUser,
    req: &NewMeeting,
) -> Result<MeetingDetail, AppError> {
    let kind = Kind::parse(req.kind.as_deref().unwrap_or(""))?;
    let today = state.today();
    let held_on = match req
        .held_on
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => today,
        Some(s) => check_day(yingpan_domain::day::parse("held_on", s)?, today)?,
    };
    Ok(state
        .store
        .create_meeting(&me.viewer, kind, held_on, state.now())
        .await?)
}

async fn api_create(
    State(state): State<AppState>,
    me: CurrentUser,
    JsonBody(req): JsonBody<NewMeeting>,
) -> Result<crate::described::Created<MeetingDetail>, AppError> {
    Ok(crate::described::Created(create(&state, &me, &req).await?))
}

async fn api_get(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<MeetingDetail>, AppError> {
    Ok(Json(state.store.meeting(&me.viewer, id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct AttendanceInput {
    user_id: i64,
    status: String,
    #[serde(default)]
    note: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
struct RecordRequest {
    minutes: Option<String>,
    #[serde(default)]
    attendance: Vec<AttendanceInput>,
    version: Option<i64>,
}

fn version_of(v: Option<i64>) -> Result<i64, ValidationError> {
    v.ok_or_else(|| ValidationError::new("version", "required", "send the version you read"))
}

async fn record(
    state: &AppState,
    me: &CurrentUser,
    id: i64,
    req: &RecordRequest,
) -> Result<MeetingDetail, AppError> {
    let version = version_of(req.version)?;
    let minutes = parse_minutes(req.minutes.as_deref())?;
    let attendance = req
        .attendance
        .iter()
        .map(|a| {
            let note = a.note.trim();
            if note.chars().count() > 200 {
                return Err(ValidationError::new(
                    "note",
                    "too_long",
                    "at most 200 characters",
                ));
            }
            Ok((a.user_id, Attendance::parse(&a.status)?, note.to_string()))
        })
        .collect::<Result<Vec<_>, ValidationError>>()?;
    Ok(state
        .store
        .record_meeting(&me.viewer, id, &minutes, &attendance, version, state.now())
        .await?)
}

async fn api_record(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<RecordRequest>,
) -> Result<Json<MeetingDetail>, AppError> {
    Ok(Json(record(&state, &me, id, &req).await?))
}

async fn decide(
    state: &AppState,
    me: &CurrentUser,
    id: i64,
    input: &TaskInput,
) -> Result<MeetingDetail, AppError> {
    let f = input.parse(state.now())?;
    Ok(state
        .store
        .meeting_decision(&me.viewer, id, &f, state.now())
        .await?)
}

async fn api_decide(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(input): JsonBody<TaskInput>,
) -> Result<crate::described::Created<MeetingDetail>, AppError> {
    Ok(crate::described::Created(
        decide(&state, &me, id, &input).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct CloseRequest {
    version: Option<i64>,
}

async fn api_close(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<CloseRequest>,
) -> Result<Json<MeetingDetail>, AppError> {
    Ok(Json(
        state
            .store
            .close_meeting(&me.viewer, id, version_of(req.version)?, state.now())
            .await?,
    ))
}

#[derive(Template)]
#[template(path = "meetings.html")]
struct ListPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    items: Vec<Meeting>,
    has_team: bool,
    today: String,
}

async fn list_page(State(state): State<AppState>, me: CurrentUser) -> Response {
    let result = async {
        let items = state.store.meetings(&me.viewer, 100).await?;
        let users = state.store.users(me.viewer.org_id).await?;
        let has_team = users
            .iter()
            .any(|u| u.active && u.superior_id == Some(me.user.id));
        Ok::<_, AppError>((items, has_team))
    }
    .await;
    match result {
        Ok((items, has_team)) => render(
            &ListPage {
                tr: me.tr(),
                me: &me,
                items,
                has_team,
                today: state.today().to_string(),
            },
            me.locale(),
        ),
        Err(e) => e.into_page(me.locale()),
    }
}

async fn create_submit(State(state): State<AppState>, page: PageForm<NewMeeting>) -> Response {
    let PageForm { user: me, form } = page;
    match create(&state, &me, &form).await {
        Ok(d) => done(&format!("/meetings/{}", d.meeting.id), "saved", None),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Template)]
#[template(path = "meeting.html")]
struct MeetingPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    d: MeetingDetail,
}

impl MeetingPage<'_> {
    fn organizes(&self) -> bool {
        self.d.meeting.organizer_id == self.me.user.id && self.d.meeting.closed_at.is_none()
    }
    fn total_visits(&self) -> i64 {
        self.d.members.iter().map(|m| m.visits).sum()
    }
    fn total_orders(&self) -> i64 {
        self.d.members.iter().map(|m| m.orders).sum()
    }
    fn total_amount(&self) -> rust_decimal::Decimal {
        self.d.members.iter().map(|m| m.order_total).sum()
    }
    fn total_collected(&self) -> rust_decimal::Decimal {
        self.d.members.iter().map(|m| m.collected).sum()
    }
    fn total_escalations(&self) -> i64 {
        self.d.members.iter().map(|m| m.escalations).sum()
    }
}

async fn meeting_page(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Response {
    match state.store.meeting(&me.viewer, id).await {
        Ok(d) => render(
            &MeetingPage {
                tr: me.tr(),
                me: &me,
                d,
            },
            me.locale(),
        ),
        Err(e) => AppError::from(e).into_page(me.locale()),
    }
}

/// The record form: `minutes`, `version`, and per member `status.<id>` and `note.<id>`.
async fn record_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    page: PageForm<HashMap<String, String>>,
) -> Response {
    let PageForm { user: me, form } = page;
    let attendance = form
        .iter()
        .filter_map(|(k, v)| {
            let user_id = k.strip_prefix("status.")?.parse().ok()?;
            Some(AttendanceInput {
                user_id,
                status: v.clone(),
                note: form
                    .get(&format!("note.{user_id}"))
                    .cloned()
                    .unwrap_or_default(),
            })
        })
        .collect();
    let req = RecordRequest {
        minutes: form.get("minutes").cloned(),
        attendance,
        version: form.get("version").and_then(|v| v.trim().parse().ok()),
    };
    match record(&state, &me, id, &req).await {
        Ok(_) => done(&format!("/meetings/{id}"), "saved", None),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Deserialize)]
struct DecisionForm {
    assignee_id: Option<String>,
    title: Option<String>,
    due_at: Option<String>,
}

async fn decision_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    page: PageForm<DecisionForm>,
) -> Response {
    let PageForm { user: me, form } = page;
    let result = async {
        let input = TaskInput {
            assignee_id: crate::customer::parse_int("assignee_id", form.assignee_id.as_deref())?,
            title: form.title.clone(),
            place: None,
            plan: None,
            check: None,
            due_at: crate::campaign::local_instant("due_at", form.due_at.as_deref())?,
            customer_id: None,
        };
        decide(&state, &me, id, &input).await
    }
    .await;
    match result {
        Ok(_) => done(&format!("/meetings/{id}#decisions"), "saved", None),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Deserialize)]
struct CloseForm {
    version: Option<String>,
}

async fn close_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    page: PageForm<CloseForm>,
) -> Response {
    let PageForm { user: me, form } = page;
    let result = async {
        let version = version_of(form.version.as_deref().and_then(|v| v.trim().parse().ok()))?;
        Ok::<_, AppError>(
            state
                .store
                .close_meeting(&me.viewer, id, version, state.now())
                .await?,
        )
    }
    .await;
    match result {
        Ok(_) => done(&format!("/meetings/{id}"), "saved", None),
        Err(e) => e.into_page(me.locale()),
    }
}

pub(crate) fn answers() -> Vec<Answer> {
    vec![
        answer("get", "/meetings", api_list),
        answer("post", "/meetings", api_create),
        answer("get", "/meetings/{id}", api_get),
        answer("put", "/meetings/{id}", api_record),
        answer("post", "/meetings/{id}/decisions", api_decide),
        answer("post", "/meetings/{id}/close", api_close),
    ]
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/meetings", get(api_list).post(api_create))
        .route("/api/v1/meetings/{id}", get(api_get).put(api_record))
        .route("/api/v1/meetings/{id}/decisions", post(api_decide))
        .route("/api/v1/meetings/{id}/close", post(api_close))
        .route("/meetings", get(list_page).post(create_submit))
        .route("/meetings/{id}", get(meeting_page).post(record_submit))
        .route("/meetings/{id}/decisions", post(decision_submit))
        .route("/meetings/{id}/close", post(close_submit))
}
