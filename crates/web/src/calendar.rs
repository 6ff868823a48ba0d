//! Calendar subscriptions (`domain::calendar`): each person's secret, revocable iCalendar URL
//! with their approved visits, due calls and visits, and open tasks (a superior's may carry the
//! team's visits too). The URL works without a session — the token is the credential, kept
//! only as its SHA-256 digest — so a phone's calendar app can subscribe.

use crate::described::{answer, Answer};

use crate::auth::{digest, random_token, CurrentUser, PageForm};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::render::{absolute_url, done, render};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use icalendar::{Calendar, Component, EventLike};
use serde::{Deserialize, Serialize};
use yingpan_domain::calendar::{Event, When, Words};
use yingpan_store::{CalendarFeed, Viewer};

fn words(tr: &Tr) -> Words {
    Words {
        visit: tr.t("calendar.visit").into(),
        call_due: tr.t("calendar.call_due").into(),
        visit_due: tr.t("calendar.visit_due").into(),
        task: tr.t("calendar.task").into(),
        assigned_by: tr.t("calendar.assigned_by").into(),
    }
}

/// The feed as RFC 5545 text.
fn ics(name: &str, events: &[Event]) -> String {
    let mut cal = Calendar::new();
    cal.name(name);
    for e in events {
        let mut ev = icalendar::Event::new();
        ev.uid(&e.uid).summary(&e.summary);
        if !e.description.is_empty() {
            ev.description(&e.description);
        }
        match e.when {
            When::Span(start, end) => {
                ev.starts(start).ends(end);
            }
            When::Day(day) => {
                // A whole day: the end is the next day (RFC 5545's end is exclusive).
                ev.starts(day).ends(day + chrono::Duration::days(1));
            }
        }
        cal.push(ev.done());
    }
    cal.done().to_string()
}

/// Whether the person has anyone below them (a team feed means something).
async fn has_team(state: &AppState, org_id: i64, user_id: i64) -> Result<bool, AppError> {
    Ok(state
        .store
        .users(org_id)
        .await?
        .iter()
        .any(|u| u.active && u.superior_id == Some(user_id)))
}

/// Starts or replaces the viewer's feed; the URL (with its token) is shown this once.
async fn start(
    state: &AppState,
    me: &CurrentUser,
    headers: &HeaderMap,
    include_team: bool,
) -> Result<String, AppError> {
    let team = include_team && has_team(state, me.viewer.org_id, me.user.id).await?;
    let token = random_token();
    state
        .store
        .set_calendar_feed(&me.viewer, &digest(&token), team, state.now())
        .await?;
    Ok(absolute_url(state, headers, &format!("/cal/{token}.ics")))
}

async fn api_get(
    State(state): State<AppState>,
    me: CurrentUser,
) -> Result<Json<FeedAnswer>, AppError> {
    let feed = state.store.calendar_feed(&me.viewer).await?;
    Ok(Json(FeedAnswer { feed }))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
struct StartRequest {
    #[serde(default)]
    include_team: bool,
}

async fn api_start(
    State(state): State<AppState>,
    me: CurrentUser,
    headers: HeaderMap,
    crate::extract::JsonBody(req): crate::extract::JsonBody<StartRequest>,
) -> Result<crate::described::Created<FeedUrl>, AppError> {
    let url = start(&state, &me, &headers, req.include_team).await?;
    Ok(crate::described::Created(FeedUrl { url }))
}

async fn api_stop(State(state): State<AppState>, me: CurrentUser) -> Result<StatusCode, AppError> {
    if state
        .store
        .drop_calendar_feed(&me.viewer, state.now())
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::NotFound)
    }
}

/// The subscription itself: `/cal/<token>.ics`. An unknown, replaced or stopped token, or a
/// deactivated person, answers 404 — never more than that.
async fn feed(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let result = async {
        let token = file.strip_suffix(".ics").ok_or(AppError::NotFound)?;
        let owner = state
            .store
            .calendar_feed_owner(&digest(token))
            .await?
            .ok_or(AppError::NotFound)?;
        let user = owner.user;
        let viewer = Viewer {
            org_id: user.org_id,
            user_id: user.id,
            role: user.role,
            scope: yingpan_domain::person::scope_for(user.role, owner.clerk_visibility),
        };
        let tr = Tr::new(user.locale, &user.time_zone);
        let events = state
            .store
            .calendar_events(
                &viewer,
                owner.include_team,
                &words(&tr),
                |p| tr.tp("purpose", p),
                state.now(),
            )
            .await?;
        let name = format!("{} · {}", tr.t("app.name"), user.display_name);
        Ok::<_, AppError>(ics(&name, &events))
    }
    .await;
    match result {
        Ok(body) => (
            [
                (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
                (header::CACHE_CONTROL, "private, max-age=300"),
            ],
            body,
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

#[derive(Template)]
#[template(path = "calendar.html")]
struct CalendarPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    feed: Option<CalendarFeed>,
    has_team: bool,
    /// Just started: the URL to copy (shown once).
    url: Option<String>,
}

async fn page(State(state): State<AppState>, me: CurrentUser) -> Response {
    let result = async {
        let feed = state.store.calendar_feed(&me.viewer).await?;
        let team = has_team(&state, me.viewer.org_id, me.user.id).await?;
        Ok::<_, AppError>((feed, team))
    }
    .await;
    match result {
        Ok((feed, has_team)) => render(
            &CalendarPage {
                tr: me.tr(),
                me: &me,
                feed,
                has_team,
                url: None,
            },
            me.locale(),
        ),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Deserialize)]
struct StartForm {
    include_team: Option<String>,
}

async fn start_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    page: PageForm<StartForm>,
) -> Response {
    let PageForm { user: me, form } = page;
    let result = async {
        let url = start(&state, &me, &headers, form.include_team.is_some()).await?;
        let feed = state.store.calendar_feed(&me.viewer).await?;
        let team = has_team(&state, me.viewer.org_id, me.user.id).await?;
        Ok::<_, AppError>((url, feed, team))
    }
    .await;
    match result {
        Ok((url, feed, has_team)) => render(
            &CalendarPage {
                tr: me.tr(),
                me: &me,
                feed,
                has_team,
                url: Some(url),
            },
            me.locale(),
        ),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Deserialize)]
struct Empty {}

async fn stop_submit(State(state): State<AppState>, page: PageForm<Empty>) -> Response {
    let PageForm { user: me, .. } = page;
    match state
        .store
        .drop_calendar_feed(&me.viewer, state.now())
        .await
    {
        Ok(_) => done("/calendar", "saved", None),
        Err(e) => AppError::from(e).into_page(me.locale()),
    }
}

/// The caller's calendar feed, if they started one.
#[derive(Serialize, utoipa::ToSchema)]
struct FeedAnswer {
    feed: Option<yingpan_store::CalendarFeed>,
}

/// The secret address of a new feed, answered this once.
#[derive(Serialize, utoipa::ToSchema)]
struct FeedUrl {
    url: String,
}

pub(crate) fn answers() -> Vec<Answer> {
    vec![
        answer("get", "/calendar-feed", api_get),
        answer("post", "/calendar-feed", api_start),
        answer("delete", "/calendar-feed", api_stop),
    ]
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/calendar-feed",
            get(api_get).post(api_start).delete(api_stop),
        )
        .route("/cal/{file}", get(feed))
        .route("/calendar", get(page).post(start_submit))
        .route("/calendar/stop", post(stop_submit))
}
