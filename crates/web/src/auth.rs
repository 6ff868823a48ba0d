//! Who is asking: password login, web sessions (cookie + CSRF token), API bearer tokens, and
//! login throttling. All state lives in the database so any app server can answer.

use crate::described::{answer, Answer};

use crate::error::AppError;
use crate::extract::Query;
use crate::extract::{FormBody, JsonBody};
use crate::i18n::{negotiate, Locale, Tr};
use crate::AppState;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use askama::Template;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use chrono::Duration;
use rand::RngCore;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use yingpan_domain::permission::{self, Action, Policy};
use yingpan_domain::person::{scope_for, DisplayName, NewPassword, Role};
use yingpan_store::{SessionKind, User, UserUpdate, Viewer};

pub const SESSION_COOKIE: &str = "yp_session";
const LOGIN_CSRF_COOKIE: &str = "yp_login_csrf";
/// Failed logins per (username, client) within the window before that client is refused.
const MAX_FAILURES: i64 = 5;
/// Failed logins per username from all unknown clients within the window: a softer limit on
/// guessing spread over many addresses. A known device is not held by it.
const MAX_FAILURES_PER_USER: i64 = 50;
const FAILURE_WINDOW_MINUTES: i64 = 15;
/// A device that logged in before (see `known_devices`).
const DEVICE_COOKIE: &str = "yp_device";
/// How long a login waits for a free hashing slot before answering 503.
const HASHING_WAIT_SECS: u64 = 10;
const WEB_SESSION_HOURS: i64 = 12;
const API_TOKEN_DAYS: i64 = 30;

/// Hashes a password with argon2id and a random salt.
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashing with default parameters cannot fail")
        .to_string()
}

/// Each argon2 run holds ~19 MiB for its duration; at most one per core runs at once, so a
/// flood of logins queues (then gets 503) instead of taking the process's memory.
static HASHING: std::sync::LazyLock<std::sync::Arc<tokio::sync::Semaphore>> =
    std::sync::LazyLock::new(|| {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        std::sync::Arc::new(tokio::sync::Semaphore::new(cores))
    });

/// Runs a password hash or check on the blocking pool, within the hashing bound.
async fn hashing<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, AppError> {
    let permit = tokio::time::timeout(
        std::time::Duration::from_secs(HASHING_WAIT_SECS),
        HASHING.clone().acquire_owned(),
    )
    .await
    .map_err(|_| AppError::Busy {
        retry_after_secs: 5,
    })?
    .map_err(|e| AppError::Internal(Box::new(e)))?;
    tokio::task::spawn_blocking(move || {
        let out = f();
        drop(permit);
        out
    })
    .await
    .map_err(|e| AppError::Internal(Box::new(e)))
}

async fn hash_password_async(password: String) -> Result<String, AppError> {
    hashing(move || hash_password(&password)).await
}

fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex(&bytes)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn digest(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Compares secrets without an early exit, so timing does not reveal a prefix.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The logged-in person behind a request (bearer token or session cookie).
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: User,
    pub viewer: Viewer,
    pub session_id: i64,
    /// The company settings that widen a role's actions.
    pub policy: Policy,
    /// Unread escalations, for the menu.
    pub unread: i64,
    csrf_token: String,
    via_cookie: bool,
    /// What the last action did, carried by the redirect after it (`?done=claimed&n=3`), so
    /// that no server keeps a message between two requests.
    done: Option<(String, Option<u64>)>,
}

impl CurrentUser {
    /// The confirmation of the action that led here, in the person's language; only messages
    /// the catalog knows (`done.*`) are shown, so a link cannot put words on the page.
    pub fn notice(&self) -> Option<String> {
        let (key, n) = self.done.as_ref()?;
        let key = format!("done.{key}");
        let text = crate::i18n::t(self.user.locale, &key);
        (text != key).then(|| {
            let n = n.map(|n| self.tr().int(i64::try_from(n).unwrap_or(i64::MAX)));
            text.replace("{n}", n.as_deref().unwrap_or(""))
        })
    }
    pub fn locale(&self) -> Locale {
        self.user.locale
    }
    pub fn tr(&self) -> Tr {
        Tr::new(self.user.locale, &self.user.time_zone)
    }
    pub fn role(&self) -> Role {
        self.user.role
    }
    /// Whether the person's role may take `action` (`domain::permission`, the one place
    /// roles are named).
    pub fn can(&self, action: Action) -> bool {
        permission::allows(self.user.role, action, &self.policy)
    }
    /// [`CurrentUser::can`] as a refusal: 403.
    pub fn may(&self, action: Action) -> Result<(), AppError> {
        if self.can(action) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
    /// The audit trail (and the history links that lead to it).
    pub fn manages(&self) -> bool {
        self.can(Action::ReadAuditTrail)
    }
    pub fn is_admin(&self) -> bool {
        self.can(Action::ManageOrganization)
    }
    /// The people directory, and the menus of those who manage or support people.
    pub fn can_review_pay(&self) -> bool {
        self.can(Action::ReviewPay)
    }
    /// Whether the person's menu offers this kind of work (`permission::works_in`).
    pub fn works_in(&self, work: permission::Work) -> bool {
        permission::works_in(self.user.role, work)
    }
    pub fn sells(&self) -> bool {
        self.works_in(permission::Work::Selling)
    }
    pub fn keeps_daily_process(&self) -> bool {
        self.works_in(permission::Work::DailyProcess)
    }
    pub fn reads_results(&self) -> bool {
        self.works_in(permission::Work::Results)
    }
    pub fn is_paid(&self) -> bool {
        self.works_in(permission::Work::Pay)
    }
    /// A manager who keeps their teams' group robots but not every endpoint (the admin's menu
    /// has the full page).
    pub fn keeps_team_robots(&self) -> bool {
        !self.can(Action::ManageWebhooks) && self.can(Action::ManageTeamRobots)
    }
    pub fn sees_people(&self) -> bool {
        self.can(Action::ReadDirectory)
    }
    pub fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
    /// Forms posted with the session cookie must carry the session's CSRF token; requests
    /// authenticated by a bearer token carry no ambient credential and need none.
    pub fn check_csrf(&self, submitted: Option<&str>) -> Result<(), AppError> {
        if !self.via_cookie {
            return Ok(());
        }
        match submitted {
            Some(s) if same_secret(s, &self.csrf_token) => Ok(()),
            _ => Err(AppError::BadRequest {
                code: "csrf_failed",
                message: "the form has expired or did not come from this site; reload the page and try again".into(),
            }),
        }
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(u) = parts.extensions.get::<CurrentUser>() {
            return Ok(u.clone());
        }
        let missing = if parts.uri.path().starts_with("/api/") {
            AppError::Unauthorized
        } else {
            AppError::LoginRequired
        };
        let jar = CookieJar::from_headers(&parts.headers);
        let (token, via_cookie) = match bearer(&parts.headers) {
            Some(t) => (t.to_string(), false),
            None => match jar.get(SESSION_COOKIE) {
                Some(c) => (c.value().to_string(), true),
                None => return Err(missing),
            },
        };
        let session = state
            .store
            .session_user(&digest(&token), state.now())
            .await?
            .ok_or(missing)?;
        let user = session.user;
        let current = CurrentUser {
            viewer: Viewer {
                org_id: user.org_id,
                user_id: user.id,
                role: user.role,
                scope: scope_for(user.role, session.clerk_visibility),
            },
            user,
            session_id: session.session_id,
            policy: session.policy,
            unread: session.unread,
            csrf_token: session.csrf_token,
            via_cookie: via_cookie && session.kind == SessionKind::Web,
            done: done_of(parts.uri.query()),
        };
        // The API answers a session cookie too (the browser sends it on its own), so an
        // unsafe API request made with the cookie must prove it came from our pages.
        if current.via_cookie && parts.uri.path().starts_with("/api/") && !parts.method.is_safe() {
            let token = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok());
            current.check_csrf(token)?;
        }
        parts.extensions.insert(current.clone());
        Ok(current)
    }
}

/// `done` and `n` from a query string.
fn done_of(query: Option<&str>) -> Option<(String, Option<u64>)> {
    let mut key = None;
    let mut n = None;
    for (k, v) in form_urlencoded::parse(query?.as_bytes()) {
        match k.as_ref() {
            "done" if v.len() <= 40 && v.chars().all(|c| c.is_ascii_lowercase() || c == '_') => {
                key = Some(v.into_owned())
            }
            "n" => n = v.parse().ok(),
            _ => {}
        }
    }
    key.map(|k| (k, n))
}

/// A form posted from a page: the logged-in user, the parsed form, CSRF already checked.
pub struct PageForm<T> {
    pub user: CurrentUser,
    pub form: T,
}

#[derive(Deserialize)]
struct CsrfField {
    csrf: Option<String>,
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for PageForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let user = CurrentUser::from_request_parts(&mut parts, state)
            .await
            .map_err(|e| e.into_page(Locale::ZhCn))?;
        let locale = user.locale();
        let req = Request::from_parts(parts, body);
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|_| {
                AppError::BadRequest {
                    code: "payload_too_large",
                    message: "the request body is too large".into(),
                }
                .into_page(locale)
            })?;
        if let Some(field) = crate::extract::urlencoded_control_field(&bytes) {
            return Err(AppError::InvalidText { field }.into_page(locale));
        }
        let csrf: CsrfField =
            serde_urlencoded::from_bytes(&bytes).unwrap_or(CsrfField { csrf: None });
        user.check_csrf(csrf.csrf.as_deref())
            .map_err(|e| e.into_page(locale))?;
        let form = serde_urlencoded::from_bytes(&bytes).map_err(|e| {
            AppError::BadRequest {
                code: "invalid_form",
                message: e.to_string(),
            }
            .into_page(locale)
        })?;
        Ok(PageForm { user, form })
    }
}

/// Where a login comes from: the client's address and, if it has one, the device cookie it
/// received at an earlier successful login.
#[derive(Debug, Clone)]
pub struct LoginClient {
    address: String,
    device: Option<String>,
}

impl LoginClient {
    /// A password check made inside a session (changing one's password) is throttled per
    /// session.
    fn session(id: i64) -> Self {
        Self {
            address: format!("session:{id}"),
            device: None,
        }
    }
}

impl FromRequestParts<AppState> for LoginClient {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let forwarded = state
            .config
            .trust_proxy
            .then(|| parts.headers.get("x-forwarded-for"))
            .flatten()
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty());
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip().to_string());
        Ok(LoginClient {
            address: forwarded.or(peer).unwrap_or_else(|| "unknown".into()),
            device: CookieJar::from_headers(&parts.headers)
                .get(DEVICE_COOKIE)
                .map(|c| c.value().to_string())
                .filter(|v| v.len() == 64),
        })
    }
}

/// A successful login: the person, and a device token to hand out when the device was new.
struct LoggedIn {
    user: User,
    new_device: Option<String>,
}

/// Counts the attempt (before any hashing, so simultaneous attempts cannot slip past the
/// limit), checks the throttles, then the password. A failed attempt stays counted against its
/// (username, client); a success clears that client's count and remembers the device.
async fn authenticate(
    state: &AppState,
    username: &str,
    password: &str,
    client: &LoginClient,
) -> Result<LoggedIn, AppError> {
    let now = state.now();
    let since = now - Duration::minutes(FAILURE_WINDOW_MINUTES);
    let found = state.store.user_for_login(username).await?;
    let known_device = match (&found, &client.device) {
        (Some((u, _)), Some(d)) => state.store.is_known_device(u.id, &digest(d)).await?,
        _ => false,
    };
    let key = match (&client.device, known_device) {
        (Some(d), true) => format!("device:{}", &digest(d)[..32]),
        _ => format!("address:{}", client.address),
    };
    let Some(attempt) = state
        .store
        .begin_login_attempt(username, &key, MAX_FAILURES, since, now)
        .await?
    else {
        return Err(AppError::TooManyAttempts);
    };
    if !known_device
        && state.store.login_attempts_since(username, since).await? > MAX_FAILURES_PER_USER
    {
        state.store.forget_login_attempt(attempt).await?;
        return Err(AppError::TooManyAttempts);
    }
    let (user, hash) = match found {
        Some((u, h)) => (Some(u), h),
        // Verify against a throwaway hash anyway so response time does not reveal usernames.
        None => (None, DUMMY_HASH.clone()),
    };
    let pw = password.to_string();
    let ok = match hashing(move || verify_password(&hash, &pw)).await {
        Ok(ok) => ok,
        Err(e) => {
            // A login turned away for load checked no password: it does not count.
            state.store.forget_login_attempt(attempt).await?;
            return Err(e);
        }
    };
    match user {
        Some(u) if ok && u.active => {
            state.store.clear_login_attempts(username, &key).await?;
            let new_device = if known_device {
                None
            } else {
                let token = random_token();
                state
                    .store
                    .remember_device(&u, &digest(&token), now)
                    .await?;
                Some(token)
            };
            Ok(LoggedIn {
                user: u,
                new_device,
            })
        }
        _ => Err(AppError::BadCredentials),
    }
}

fn device_cookie(state: &AppState, token: String) -> Cookie<'static> {
    Cookie::build((DEVICE_COOKIE, token))
        .path("/")
        .http_only(true)
        .secure(state.config.secure_cookies)
        .same_site(SameSite::Lax)
        .permanent()
        .build()
}

static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| hash_password("not-a-real-password"));

async fn start_session(
    state: &AppState,
    user: &User,
    kind: SessionKind,
) -> Result<String, AppError> {
    let token = random_token();
    let now = state.now();
    let expires = match kind {
        SessionKind::Web => now + Duration::hours(WEB_SESSION_HOURS),
        SessionKind::Api => now + Duration::days(API_TOKEN_DAYS),
    };
    state
        .store
        .create_session(user, &digest(&token), kind, &random_token(), now, expires)
        .await?;
    Ok(token)
}

#[derive(Deserialize, utoipa::ToSchema)]
struct LoginRequest {
    username: String,
    password: String,
}

async fn api_login(
    State(state): State<AppState>,
    client: LoginClient,
    jar: CookieJar,
    JsonBody(req): JsonBody<LoginRequest>,
) -> Result<(CookieJar, Json<Token>), AppError> {
    let login = authenticate(&state, &req.username, &req.password, &client).await?;
    let token = start_session(&state, &login.user, SessionKind::Api).await?;
    let jar = match login.new_device {
        Some(d) => jar.add(device_cookie(&state, d)),
        None => jar,
    };
    Ok((
        jar,
        Json(Token {
            token,
            expires_in_days: API_TOKEN_DAYS,
        }),
    ))
}

/// A bearer token for the API.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Token {
    token: String,
    expires_in_days: i64,
}

/// An answer that only says the request was done.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Done {
    ok: bool,
}

impl Done {
    pub(crate) fn json() -> Json<Done> {
        Json(Done { ok: true })
    }
}

async fn api_logout(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<Done>, AppError> {
    state.store.delete_session(user.session_id).await?;
    Ok(Done::json())
}

/// A person as the API shows them (no e-mail, no organization id).
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Person)]
pub struct UserView {
    id: i64,
    username: String,
    display_name: String,
    role: yingpan_domain::person::Role,
    superior_id: Option<i64>,
    active: bool,
    locale: yingpan_domain::person::Locale,
    time_zone: String,
    version: i64,
    created_at: String,
}

pub fn user_json(u: &User) -> UserView {
    UserView {
        id: u.id,
        username: u.username.clone(),
        display_name: u.display_name.clone(),
        role: u.role,
        superior_id: u.superior_id,
        active: u.active,
        locale: u.locale,
        time_zone: u.time_zone.clone(),
        version: u.version,
        created_at: u.created_at.clone(),
    }
}

async fn api_me(user: CurrentUser) -> Json<UserView> {
    Json(user_json(&user.user))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct MeUpdate {
    display_name: Option<String>,
    /// Empty removes the address.
    email: Option<String>,
    locale: Option<String>,
    current_password: Option<String>,
    new_password: Option<String>,
}

/// `None`: leave the address; `""`: remove it; otherwise a valid address.
pub(crate) fn parse_email_change(
    raw: Option<&str>,
) -> Result<Option<Option<yingpan_domain::customer::Email>>, AppError> {
    Ok(match raw.map(str::trim) {
        None => None,
        Some("") => Some(None),
        Some(e) => Some(Some(yingpan_domain::customer::Email::parse_field(
            "email", e,
        )?)),
    })
}

async fn update_me(state: &AppState, user: &CurrentUser, req: MeUpdate) -> Result<User, AppError> {
    let mut update = UserUpdate {
        display_name: req
            .display_name
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(DisplayName::parse)
            .transpose()?,
        locale: req
            .locale
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(Locale::parse)
            .transpose()?,
        email: parse_email_change(req.email.as_deref())?,
        ..Default::default()
    };
    if let Some(new) = req.new_password.as_deref().filter(|s| !s.is_empty()) {
        let new = NewPassword::parse_for(new, &[&user.user.username, &user.user.display_name])?;
        // Changing one's password needs the current one, so a stolen session cannot lock the owner out.
        authenticate(
            state,
            &user.user.username,
            req.current_password.as_deref().unwrap_or(""),
            &LoginClient::session(user.session_id),
        )
        .await
        .map_err(|e| match e {
            AppError::BadCredentials => yingpan_domain::ValidationError::new(
                "current_password",
                "wrong_password",
                "the current password is not correct",
            )
            .into(),
            e => e,
        })?;
        update.password_hash = Some(hash_password_async(new.expose().to_string()).await?);
    }
    Ok(state
        .store
        .update_user(&user.viewer, user.user.id, None, update, state.now())
        .await?)
}

async fn api_update_me(
    State(state): State<AppState>,
    user: CurrentUser,
    JsonBody(req): JsonBody<MeUpdate>,
) -> Result<Json<UserView>, AppError> {
    let u = update_me(&state, &user, req).await?;
    Ok(Json(user_json(&u)))
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    tr: Tr,
    csrf: &'a str,
    username: &'a str,
    error: Option<String>,
}

#[derive(Deserialize)]
struct LangQuery {
    lang: Option<String>,
}

fn page_locale(headers: &HeaderMap, lang: Option<&str>) -> Locale {
    negotiate(
        lang,
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    )
}

fn login_csrf_cookie(value: String, secure: bool) -> Cookie<'static> {
    Cookie::build((LOGIN_CSRF_COOKIE, value))
        .path("/login")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Strict)
        .build()
}

fn render_login(
    state: &AppState,
    jar: CookieJar,
    locale: Locale,
    username: &str,
    error: Option<String>,
) -> Response {
    let csrf = random_token();
    let page = LoginPage {
        tr: Tr::new(locale, ""),
        csrf: &csrf,
        username,
        error,
    };
    let status = if page.error.is_some() {
        axum::http::StatusCode::UNAUTHORIZED
    } else {
        axum::http::StatusCode::OK
    };
    match page.render() {
        Ok(html) => (
            status,
            jar.add(login_csrf_cookie(csrf, state.config.secure_cookies)),
            Html(html),
        )
            .into_response(),
        Err(e) => AppError::Internal(Box::new(e)).into_page(locale),
    }
}

async fn login_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    Query(q): Query<LangQuery>,
) -> Response {
    render_login(
        &state,
        jar,
        page_locale(&headers, q.lang.as_deref()),
        "",
        None,
    )
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    csrf: String,
    lang: Option<String>,
}

async fn login_submit(
    State(state): State<AppState>,
    client: LoginClient,
    headers: HeaderMap,
    jar: CookieJar,
    FormBody(form): FormBody<LoginForm>,
) -> Response {
    let locale = page_locale(&headers, form.lang.as_deref());
    let cookie_ok = jar
        .get(LOGIN_CSRF_COOKIE)
        .is_some_and(|c| same_secret(c.value(), &form.csrf));
    if !cookie_ok {
        let msg = AppError::BadRequest {
            code: "csrf_failed",
            message: String::new(),
        }
        .localized(locale);
        return render_login(&state, jar, locale, &form.username, Some(msg));
    }
    let (user, new_device) =
        match authenticate(&state, &form.username, &form.password, &client).await {
            Ok(l) => (l.user, l.new_device),
            Err(e @ (AppError::BadCredentials | AppError::TooManyAttempts)) => {
                return render_login(
                    &state,
                    jar,
                    locale,
                    &form.username,
                    Some(e.localized(locale)),
                )
            }
            Err(e) => return e.into_page(locale),
        };
    match start_session(&state, &user, SessionKind::Web).await {
        Ok(token) => {
            let cookie = Cookie::build((SESSION_COOKIE, token))
                .path("/")
                .http_only(true)
                .secure(state.config.secure_cookies)
                .same_site(SameSite::Lax)
                .build();
            let jar = jar
                .remove(Cookie::build(LOGIN_CSRF_COOKIE).path("/login"))
                .add(cookie);
            let jar = match new_device {
                Some(d) => jar.add(device_cookie(&state, d)),
                None => jar,
            };
            (jar, Redirect::to("/")).into_response()
        }
        Err(e) => e.into_page(locale),
    }
}

async fn logout(
    State(state): State<AppState>,
    jar: CookieJar,
    page: PageForm<CsrfField>,
) -> Response {
    let _ = &page.form.csrf;
    if let Err(e) = state.store.delete_session(page.user.session_id).await {
        return AppError::from(e).into_page(page.user.locale());
    }
    (
        jar.remove(Cookie::build(SESSION_COOKIE).path("/")),
        Redirect::to("/login"),
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct SettingsForm {
    display_name: Option<String>,
    email: Option<String>,
    locale: Option<String>,
    current_password: Option<String>,
    new_password: Option<String>,
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    error: Option<String>,
    saved: bool,
}

#[derive(Deserialize)]
struct SavedQuery {
    saved: Option<String>,
}

async fn settings_page(user: CurrentUser, Query(q): Query<SavedQuery>) -> Response {
    crate::render::render(
        &SettingsPage {
            tr: user.tr(),
            me: &user,
            error: None,
            saved: q.saved.is_some(),
        },
        user.locale(),
    )
}

async fn settings_submit(State(state): State<AppState>, page: PageForm<SettingsForm>) -> Response {
    let PageForm { user, form } = page;
    let req = MeUpdate {
        display_name: form.display_name,
        email: form.email,
        locale: form.locale,
        current_password: form.current_password,
        new_password: form.new_password,
    };
    match update_me(&state, &user, req).await {
        Ok(_) => Redirect::to("/settings?saved=1").into_response(),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            let msg = e.localized(user.locale());
            let status = e.status();
            let mut resp = crate::render::render(
                &SettingsPage {
                    tr: user.tr(),
                    me: &user,
                    error: Some(msg),
                    saved: false,
                },
                user.locale(),
            );
            *resp.status_mut() = status;
            resp
        }
        Err(e) => e.into_page(user.locale()),
    }
}

pub(crate) fn answers() -> Vec<Answer> {
    vec![
        answer("post", "/auth/login", api_login),
        answer("post", "/auth/logout", api_logout),
        answer("get", "/me", api_me),
        answer("patch", "/me", api_update_me),
    ]
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/auth/login", post(api_login))
        .route("/api/v1/auth/logout", post(api_logout))
        .route("/api/v1/me", get(api_me).patch(api_update_me))
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout))
        .route("/settings", get(settings_page).post(settings_submit))
}
