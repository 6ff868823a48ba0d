//! Customer import and export over HTTP: the API, the upload page and the export buttons. The
//! reading and writing of files is `yingpan_exchange`'s, shared with the `yingpan` command.

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::extract::Query;
use crate::i18n::Tr;
use crate::render::render_status;
use crate::AppState;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use yingpan_domain::permission::Action;
use yingpan_domain::ValidationError;
use yingpan_exchange::export::{export_csv, export_xlsx};
use yingpan_exchange::import::{import, spreadsheet_text};
use yingpan_store::ImportOutcome;

/// The largest upload accepted: room for `MAX_ROWS` rows of a full prospect card. The body is
/// held once, read in place, and each row becomes a parsed customer as it is read, so an
/// import's memory is about the file plus its customers.
pub const IMPORT_BODY_LIMIT: usize = 64 * 1024 * 1024;

#[derive(Deserialize)]
struct ExportQuery {
    /// `csv` (the default) or `xlsx`.
    format: Option<String>,
}

async fn export(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<ExportQuery>,
) -> Result<Response, AppError> {
    use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
    match q.format.as_deref().unwrap_or("csv") {
        "csv" => {
            let (body, _) = export_csv(&state.store, &me.viewer, state.now()).await?;
            Ok((
                [
                    (CONTENT_TYPE, "text/csv; charset=utf-8"),
                    (
                        CONTENT_DISPOSITION,
                        "attachment; filename=\"customers.csv\"",
                    ),
                ],
                body,
            )
                .into_response())
        }
        "xlsx" => {
            let (body, _) = export_xlsx(&state.store, &me.viewer, state.now()).await?;
            Ok((
                [
                    (
                        CONTENT_TYPE,
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    ),
                    (
                        CONTENT_DISPOSITION,
                        "attachment; filename=\"customers.xlsx\"",
                    ),
                ],
                body,
            )
                .into_response())
        }
        _ => Err(ValidationError::new("format", "unknown_format", "choose csv or xlsx").into()),
    }
}

/// Every contact in the caller's scope as CSV, under the customers' export rule.
async fn export_contacts(
    State(state): State<AppState>,
    me: CurrentUser,
) -> Result<Response, AppError> {
    use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
    let (body, _) =
        yingpan_exchange::export::export_contacts_csv(&state.store, &me.viewer, state.now())
            .await?;
    Ok((
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8"),
            (CONTENT_DISPOSITION, "attachment; filename=\"contacts.csv\""),
        ],
        body,
    )
        .into_response())
}

/// Every order in the caller's scope as CSV, under the customers' export rule.
async fn export_orders(
    State(state): State<AppState>,
    me: CurrentUser,
) -> Result<Response, AppError> {
    use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
    let (body, _) =
        yingpan_exchange::export::export_orders_csv(&state.store, &me.viewer, state.now()).await?;
    Ok((
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8"),
            (CONTENT_DISPOSITION, "attachment; filename=\"orders.csv\""),
        ],
        body,
    )
        .into_response())
}

/// Every follow-up on the customers in the caller's scope as CSV, under the customers' export
/// rule.
async fn export_activities(
    State(state): State<AppState>,
    me: CurrentUser,
) -> Result<Response, AppError> {
    use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
    let (body, _) =
        yingpan_exchange::export::export_activities_csv(&state.store, &me.viewer, state.now())
            .await?;
    Ok((
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                CONTENT_DISPOSITION,
                "attachment; filename=\"activities.csv\"",
            ),
        ],
        body,
    )
        .into_response())
}

#[derive(Deserialize)]
struct ImportQuery {
    owner_id: Option<i64>,
    /// Import the good rows and report the others (default: all or nothing).
    skip_rejected: Option<bool>,
}

async fn api_import(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<ImportQuery>,
    body: Bytes,
) -> Result<Response, AppError> {
    let outcome = import(
        &state.store,
        &me.viewer,
        &spreadsheet_text(&body)?,
        q.owner_id,
        q.skip_rejected.unwrap_or(false),
        &|_| {},
        state.now(),
    )
    .await?;
    let status = if outcome.aborted {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, Json(outcome)).into_response())
}

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    outcome: Option<ImportOutcome>,
    error: Option<String>,
}

async fn import_page(me: CurrentUser) -> Response {
    if let Err(e) = me.may(Action::ImportCustomers) {
        return e.into_page(me.locale());
    }
    render_status(
        &ImportPage {
            tr: me.tr(),
            me: &me,
            outcome: None,
            error: None,
        },
        me.locale(),
        StatusCode::OK,
    )
}

async fn import_submit(
    State(state): State<AppState>,
    me: CurrentUser,
    mut form: Multipart,
) -> Response {
    let result = async {
        // Any multipart error means the upload did not arrive whole.
        let interrupted = |_: axum::extract::multipart::MultipartError| {
            AppError::Invalid(ValidationError::new(
                "file",
                "invalid_form",
                "the upload was interrupted",
            ))
        };
        let (mut csrf, mut file, mut skip) = (None, None, false);
        while let Some(field) = form.next_field().await.map_err(interrupted)? {
            match field.name() {
                Some("csrf") => csrf = field.text().await.ok(),
                Some("skip_rejected") => skip = true,
                Some("file") => file = Some(field.bytes().await.map_err(interrupted)?),
                _ => {}
            }
        }
        me.check_csrf(csrf.as_deref())?;
        let file = file
            .filter(|f| !f.is_empty())
            .ok_or_else(|| ValidationError::new("file", "required", "choose a CSV file"))?;
        Ok::<_, AppError>(
            import(
                &state.store,
                &me.viewer,
                &spreadsheet_text(&file)?,
                None,
                skip,
                &|_| {},
                state.now(),
            )
            .await?,
        )
    }
    .await;
    let tr = me.tr();
    let (status, outcome, error) = match result {
        Ok(o) if o.aborted => (StatusCode::UNPROCESSABLE_ENTITY, Some(o), None),
        Ok(o) => (StatusCode::OK, Some(o), None),
        Err(e @ AppError::Invalid(_)) => (e.status(), None, Some(e.localized(me.locale()))),
        Err(e) => return e.into_page(me.locale()),
    };
    render_status(
        &ImportPage {
            tr,
            me: &me,
            outcome,
            error,
        },
        me.locale(),
        status,
    )
}

/// The export from a page link: a refusal or a bad parameter is a page in the person's
/// language, not the API's JSON.
async fn export_page(state: State<AppState>, me: CurrentUser, q: Query<ExportQuery>) -> Response {
    let locale = me.locale();
    export(state, me, q)
        .await
        .unwrap_or_else(|e| e.into_page(locale))
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/customers/import",
            post(api_import).layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT)),
        )
        .route("/api/v1/customers/export", axum::routing::get(export))
        .route(
            "/api/v1/contacts/export",
            axum::routing::get(export_contacts),
        )
        .route("/contacts/export", axum::routing::get(export_contacts))
        .route("/api/v1/orders/export", axum::routing::get(export_orders))
        .route("/orders/export", axum::routing::get(export_orders))
        .route(
            "/api/v1/activities/export",
            axum::routing::get(export_activities),
        )
        .route("/activities/export", axum::routing::get(export_activities))
        .route("/customers/export", axum::routing::get(export_page))
        .route(
            "/customers/import",
            axum::routing::get(import_page)
                .post(import_submit)
                .layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT)),
        )
}

/// A rejected row in the import page's words, for the command line: "第 4 行 · 电话：…".
pub fn rejection_words(
    locale: crate::i18n::Locale,
    r: &yingpan_domain::import::Rejected,
) -> String {
    let tr = Tr::new(locale, "Asia/Shanghai");
    let reason = match r.same_as {
        Some(n) => tr.tn("import.same_as", n),
        None => tr.tp("error", &r.code),
    };
    let line = tr.tn("import.line_n", r.line);
    let colon = if locale == crate::i18n::Locale::En {
        ": "
    } else {
        "："
    };
    match r.field.as_deref() {
        Some(f) => format!("{line} · {}{colon}{reason}", tr.tp("field", f)),
        None => format!("{line}{colon}{reason}"),
    }
}

/// A message of the import page's catalog with `{n}` and `{s}` filled in, for the command line.
pub fn import_words(locale: crate::i18n::Locale, key: &str, n: usize, s: &str) -> String {
    Tr::new(locale, "Asia/Shanghai")
        .tn(&format!("import.{key}"), n)
        .replace("{s}", s)
}
