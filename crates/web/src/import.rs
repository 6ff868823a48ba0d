//! Customer import and export over HTTP: the API, the upload page and the export buttons. The
//! reading and writing of files is `yingpan_exchange`'s, shared with the `yingpan` command.

use crate::described::{answer, Answer};

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
use yingpan_domain::record_import::RecordKind;
use yingpan_domain::ValidationError;
use yingpan_exchange::export::{export_csv, export_xlsx};
use yingpan_exchange::import::{import, import_records, spreadsheet_text};
use yingpan_store::{ImportOptions, ImportOutcome, RecordOutcome};

/// The largest upload accepted: room for `MAX_ROWS` rows of a full prospect card. The body is
/// held once, read in place, and each row becomes a parsed customer as it is read, so an
/// import's memory is about the file plus its customers.
pub const IMPORT_BODY_LIMIT: usize = 64 * 1024 * 1024;

#[derive(Deserialize, utoipa::ToSchema)]
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

/// A CSV table as a file to save.
fn csv_attachment(file_name: &str, body: String) -> Response {
    use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
    (
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// Every contact in the caller's scope as CSV, under the customers' export rule.
async fn export_contacts(
    State(state): State<AppState>,
    me: CurrentUser,
) -> Result<Response, AppError> {
    let (body, _) =
        yingpan_exchange::export::export_contacts_csv(&state.store, &me.viewer, state.now())
            .await?;
    Ok(csv_attachment("contacts.csv", body))
}

/// Every order in the caller's scope as CSV, under the customers' export rule.
async fn export_orders(
    State(state): State<AppState>,
    me: CurrentUser,
) -> Result<Response, AppError> {
    let (body, _) =
        yingpan_exchange::export::export_orders_csv(&state.store, &me.viewer, state.now()).await?;
    Ok(csv_attachment("orders.csv", body))
}

/// Every follow-up on the customers in the caller's scope as CSV, under the customers' export
/// rule.
async fn export_activities(
    State(state): State<AppState>,
    me: CurrentUser,
) -> Result<Response, AppError> {
    let (body, _) =
        yingpan_exchange::export::export_activities_csv(&state.store, &me.viewer, state.now())
            .await?;
    Ok(csv_attachment("activities.csv", body))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct ImportQuery {
    owner_id: Option<i64>,
    /// Import the good rows and report the others (default: all or nothing).
    skip_rejected: Option<bool>,
    /// Check everything and write nothing: each row's outcome.
    dry_run: Option<bool>,
    /// The columns' fields as a JSON object, header → field (`name`, `phone`, …,
    /// `custom.<key>`, or empty for none).
    map: Option<String>,
}

/// A mapping as the API sends it: a JSON object of header → field.
fn parse_map(raw: Option<&str>) -> Result<Option<Vec<(String, String)>>, ValidationError> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    let bad = || {
        ValidationError::new(
            "map",
            "invalid_map",
            "must be a JSON object of column header to field name",
        )
    };
    let object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(raw).map_err(|_| bad())?;
    object
        .into_iter()
        .map(|(h, v)| match v {
            serde_json::Value::String(f) => Ok((h, f)),
            serde_json::Value::Null => Ok((h, String::new())),
            _ => Err(bad()),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

async fn api_import(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<ImportQuery>,
    body: Bytes,
) -> Result<(StatusCode, Json<ImportOutcome>), AppError> {
    let mapping = parse_map(q.map.as_deref())?;
    let options = ImportOptions {
        owner: q.owner_id,
        skip_rejected: q.skip_rejected.unwrap_or(false),
        dry_run: q.dry_run.unwrap_or(false),
    };
    let outcome = import(
        &state.store,
        &me.viewer,
        &spreadsheet_text(&body)?,
        mapping.as_deref(),
        options,
        &|_| {},
        state.now(),
    )
    .await?;
    let status = outcome_status(outcome.aborted, outcome.dry_run);
    Ok((status, Json(outcome)))
}

/// 422 for an import that rejections stopped (nothing written), 200 otherwise — a dry run
/// reports what would stop it without being stopped.
fn outcome_status(aborted: bool, dry_run: bool) -> StatusCode {
    if aborted && !dry_run {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    }
}

/// Contacts, follow-ups or orders from another system: `?skip_rejected=`, `?dry_run=`.
async fn api_import_records(
    state: &AppState,
    me: &CurrentUser,
    kind: RecordKind,
    q: &ImportQuery,
    body: &Bytes,
) -> Result<(StatusCode, Json<RecordOutcome>), AppError> {
    let options = ImportOptions {
        owner: None,
        skip_rejected: q.skip_rejected.unwrap_or(false),
        dry_run: q.dry_run.unwrap_or(false),
    };
    let outcome = import_records(
        &state.store,
        &me.viewer,
        kind,
        &spreadsheet_text(body)?,
        options,
        state.now(),
    )
    .await?;
    let status = outcome_status(outcome.aborted, outcome.dry_run);
    Ok((status, Json(outcome)))
}

async fn api_import_contacts(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<ImportQuery>,
    body: Bytes,
) -> Result<(StatusCode, Json<RecordOutcome>), AppError> {
    api_import_records(&state, &me, RecordKind::Contacts, &q, &body).await
}

async fn api_import_activities(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<ImportQuery>,
    body: Bytes,
) -> Result<(StatusCode, Json<RecordOutcome>), AppError> {
    api_import_records(&state, &me, RecordKind::Activities, &q, &body).await
}

async fn api_import_orders(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<ImportQuery>,
    body: Bytes,
) -> Result<(StatusCode, Json<RecordOutcome>), AppError> {
    api_import_records(&state, &me, RecordKind::Orders, &q, &body).await
}

/// The page's second form: contacts, follow-ups or orders, checked or imported at once.
async fn records_submit(
    State(state): State<AppState>,
    me: CurrentUser,
    mut form: Multipart,
) -> Response {
    let result = async {
        let interrupted = |_: axum::extract::multipart::MultipartError| {
            AppError::Invalid(ValidationError::new(
                "file",
                "invalid_form",
                "the upload was interrupted",
            ))
        };
        let (mut csrf, mut file, mut kind) = (None, None, String::new());
        let mut options = ImportOptions::default();
        while let Some(field) = form.next_field().await.map_err(interrupted)? {
            match field.name() {
                Some("csrf") => csrf = field.text().await.ok(),
                Some("kind") => kind = field.text().await.unwrap_or_default(),
                Some("skip_rejected") => options.skip_rejected = true,
                Some("dry_run") => options.dry_run = true,
                Some("file") => file = Some(field.bytes().await.map_err(interrupted)?),
                _ => {}
            }
        }
        me.check_csrf(csrf.as_deref())?;
        let kind = RecordKind::parse(&kind)?;
        let file = file
            .filter(|f| !f.is_empty())
            .ok_or_else(|| ValidationError::new("file", "required", "choose a CSV file"))?;
        Ok::<_, AppError>(
            import_records(
                &state.store,
                &me.viewer,
                kind,
                &spreadsheet_text(&file)?,
                options,
                state.now(),
            )
            .await?,
        )
    }
    .await;
    let (status, records, error) = match result {
        Ok(o) => (outcome_status(o.aborted, o.dry_run), Some(o), None),
        Err(e @ AppError::Invalid(_)) => (e.status(), None, Some(e.localized(me.locale()))),
        Err(e) => return e.into_page(me.locale()),
    };
    render_status(
        &ImportPage {
            tr: me.tr(),
            me: &me,
            outcome: None,
            error,
            draft: None,
            records,
        },
        me.locale(),
        status,
    )
}

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    outcome: Option<ImportOutcome>,
    error: Option<String>,
    /// The draft an import that stopped came from, to map it again.
    draft: Option<i64>,
    /// What an import of contacts or follow-ups did.
    records: Option<RecordOutcome>,
}

impl ImportPage<'_> {
    fn rejection(&self, r: &yingpan_domain::import::Rejected) -> String {
        rejection_reason(&self.tr, r)
    }
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
            draft: None,
            records: None,
        },
        me.locale(),
        StatusCode::OK,
    )
}

/// The upload: the file waits as a draft while its columns are mapped and checked.
async fn import_submit(
    State(state): State<AppState>,
    me: CurrentUser,
    mut form: Multipart,
) -> Response {
    let result = async {
        me.may(Action::ImportCustomers)?;
        // Any multipart error means the upload did not arrive whole.
        let interrupted = |_: axum::extract::multipart::MultipartError| {
            AppError::Invalid(ValidationError::new(
                "file",
                "invalid_form",
                "the upload was interrupted",
            ))
        };
        let (mut csrf, mut file, mut name) = (None, None, String::new());
        while let Some(field) = form.next_field().await.map_err(interrupted)? {
            match field.name() {
                Some("csrf") => csrf = field.text().await.ok(),
                Some("file") => {
                    name = field
                        .file_name()
                        .unwrap_or_default()
                        .chars()
                        .take(200)
                        .collect();
                    file = Some(field.bytes().await.map_err(interrupted)?)
                }
                _ => {}
            }
        }
        me.check_csrf(csrf.as_deref())?;
        let file = file
            .filter(|f| !f.is_empty())
            .ok_or_else(|| ValidationError::new("file", "required", "choose a CSV file"))?;
        let text = spreadsheet_text(&file)?;
        if !yingpan_exchange::vcard::is_vcard(&text) {
            // A file without a readable header row is refused now, not after mapping.
            yingpan_exchange::import::head(&text, 0)?;
        }
        Ok::<_, AppError>(
            state
                .store
                .create_import_draft(&me.viewer, &name, &text, state.now())
                .await?,
        )
    }
    .await;
    match result {
        Ok(id) => axum::response::Redirect::to(&format!("/customers/import/{id}")).into_response(),
        Err(e @ AppError::Invalid(_)) => render_status(
            &ImportPage {
                tr: me.tr(),
                me: &me,
                outcome: None,
                error: Some(e.localized(me.locale())),
                draft: None,
                records: None,
            },
            me.locale(),
            e.status(),
        ),
        Err(e) => e.into_page(me.locale()),
    }
}

/// A column of the file on the mapping page.
struct MappedColumn {
    header: String,
    /// The field it fills (`name`, `custom.interest`, or empty).
    field: String,
    samples: Vec<String>,
}

#[derive(Template)]
#[template(path = "import_map.html")]
struct MapPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    draft: i64,
    file_name: String,
    vcard: bool,
    columns: Vec<MappedColumn>,
    /// Every field a column may fill: (value, label).
    fields: Vec<(String, String)>,
    remembered: bool,
    skip_rejected: bool,
    outcome: Option<ImportOutcome>,
    error: Option<String>,
}

impl MapPage<'_> {
    fn rejection(&self, r: &yingpan_domain::import::Rejected) -> String {
        rejection_reason(&self.tr, r)
    }
}

/// Why a row is not imported, in the reader's words: the earlier line it repeats, the
/// registered customer it duplicates, or the rule it breaks.
fn rejection_reason(tr: &Tr, r: &yingpan_domain::import::Rejected) -> String {
    if let (Some(n), "order_incomplete" | "inconsistent_order") = (r.same_as, r.code.as_str()) {
        return tr.tn(&format!("error.{}", r.code), n);
    }
    if let Some(n) = r.same_as {
        return tr.tn("import.same_as", n);
    }
    if let Some(d) = &r.duplicate_of {
        return tr
            .t("import.duplicate_of")
            .replace("{name}", &d.name)
            .replace("{owner}", d.owner_name.as_deref().unwrap_or("—"));
    }
    tr.tp("error", &r.code)
}

async fn map_fields(state: &AppState, me: &CurrentUser) -> Result<Vec<(String, String)>, AppError> {
    let tr = me.tr();
    let mut fields: Vec<(String, String)> =
        vec![(String::new(), tr.t("import.ignore").to_string())];
    for c in yingpan_domain::import::Column::ALL {
        let key = if c == yingpan_domain::import::Column::Owner {
            "import.owner_column".to_string()
        } else {
            format!("field.{}", c.as_str())
        };
        fields.push((c.as_str().to_string(), tr.t(&key).to_string()));
    }
    for d in state.store.custom_fields(me.viewer.org_id).await? {
        if d.active {
            fields.push((format!("custom.{}", d.key), d.label));
        }
    }
    Ok(fields)
}

struct MapRequest {
    mapping: Option<Vec<(String, String)>>,
    skip_rejected: bool,
    outcome: Option<ImportOutcome>,
    error: Option<String>,
}

async fn show_map(state: &AppState, me: &CurrentUser, id: i64, req: MapRequest) -> Response {
    let result = async {
        me.may(Action::ImportCustomers)?;
        let (file_name, text) = state.store.import_draft(&me.viewer, id).await?;
        let vcard = yingpan_exchange::vcard::is_vcard(&text);
        let (mut columns, mut remembered) = (Vec::new(), false);
        if !vcard {
            let (headers, rows) = yingpan_exchange::import::head(&text, 3)?;
            let targets = match &req.mapping {
                // As the person chose, even when the choice was refused, so they can fix it.
                Some(m) => headers
                    .iter()
                    .map(|h| {
                        m.iter()
                            .find(|(x, _)| x == h)
                            .map(|(_, f)| f.clone())
                            .unwrap_or_default()
                    })
                    .collect::<Vec<_>>(),
                None => {
                    let (targets, from_memory) = yingpan_exchange::import::columns_for(
                        &state.store,
                        &me.viewer,
                        &headers,
                        None,
                        state.now(),
                    )
                    .await?;
                    remembered = from_memory;
                    targets.iter().map(|t| t.as_string()).collect()
                }
            };
            columns = headers
                .into_iter()
                .zip(targets)
                .enumerate()
                .map(|(i, (header, field))| MappedColumn {
                    header,
                    field,
                    samples: rows
                        .iter()
                        .map(|r| r.get(i).cloned().unwrap_or_default())
                        .collect(),
                })
                .collect();
        }
        let fields = map_fields(state, me).await?;
        Ok::<_, AppError>((file_name, vcard, columns, fields, remembered))
    }
    .await;
    match result {
        Ok((file_name, vcard, columns, fields, remembered)) => {
            let status = if req.error.is_some() {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::OK
            };
            render_status(
                &MapPage {
                    tr: me.tr(),
                    me,
                    draft: id,
                    file_name,
                    vcard,
                    columns,
                    fields,
                    remembered,
                    skip_rejected: req.skip_rejected,
                    outcome: req.outcome,
                    error: req.error,
                },
                me.locale(),
                status,
            )
        }
        Err(e) => e.into_page(me.locale()),
    }
}

async fn map_page(
    State(state): State<AppState>,
    me: CurrentUser,
    crate::extract::Path(id): crate::extract::Path<i64>,
) -> Response {
    let req = MapRequest {
        mapping: None,
        skip_rejected: false,
        outcome: None,
        error: None,
    };
    show_map(&state, &me, id, req).await
}

/// The mapping form: `col.<i>` is the field of the i-th column; `step` is `preview` (a dry
/// run) or `import`.
async fn map_submit(
    State(state): State<AppState>,
    crate::extract::Path(id): crate::extract::Path<i64>,
    page: crate::auth::PageForm<Vec<(String, String)>>,
) -> Response {
    let crate::auth::PageForm { user: me, form } = page;
    let one = |k: &str| {
        form.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    let skip_rejected = one("skip_rejected").is_some();
    let dry_run = one("step") != Some("import");
    let result = async {
        me.may(Action::ImportCustomers)?;
        let (file_name, text) = state.store.import_draft(&me.viewer, id).await?;
        let mapping = if yingpan_exchange::vcard::is_vcard(&text) {
            None
        } else {
            let (headers, _) = yingpan_exchange::import::head(&text, 0)?;
            Some(
                headers
                    .iter()
                    .enumerate()
                    .map(|(i, h)| {
                        (
                            h.clone(),
                            one(&format!("col.{i}")).unwrap_or("").to_string(),
                        )
                    })
                    .collect::<Vec<_>>(),
            )
        };
        let options = ImportOptions {
            owner: None,
            skip_rejected,
            dry_run,
        };
        if !dry_run && text.matches('\n').count() > STREAM_ROWS {
            return Ok(Err((file_name, text, mapping, options)));
        }
        let outcome = import(
            &state.store,
            &me.viewer,
            &text,
            mapping.as_deref(),
            options,
            &|_| {},
            state.now(),
        )
        .await;
        Ok::<_, AppError>(Ok((mapping, outcome)))
    }
    .await;
    let (mapping, outcome) = match result {
        Ok(Ok(r)) => r,
        Ok(Err((file_name, text, mapping, options))) => {
            return streamed_import(state, me, id, file_name, text, mapping, options).await
        }
        Err(e) => return e.into_page(me.locale()),
    };
    match outcome {
        Ok(o) if !dry_run && !o.aborted => {
            if let Err(e) = state.store.drop_import_draft(&me.viewer, id).await {
                return AppError::from(e).into_page(me.locale());
            }
            render_status(
                &ImportPage {
                    tr: me.tr(),
                    me: &me,
                    outcome: Some(o),
                    error: None,
                    draft: None,
                    records: None,
                },
                me.locale(),
                StatusCode::OK,
            )
        }
        Ok(o) => {
            let req = MapRequest {
                mapping,
                skip_rejected,
                outcome: Some(o),
                error: None,
            };
            show_map(&state, &me, id, req).await
        }
        Err(e) => {
            let e = AppError::from(e);
            if !matches!(e, AppError::Invalid(_)) {
                return e.into_page(me.locale());
            }
            let req = MapRequest {
                mapping,
                skip_rejected,
                outcome: None,
                error: Some(e.localized(me.locale())),
            };
            show_map(&state, &me, id, req).await
        }
    }
}

/// Files of more rows than this stream their progress to the page while they import.
const STREAM_ROWS: usize = 2000;

#[derive(Template)]
#[template(path = "import_running.html")]
struct RunningPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    file_name: String,
}

#[derive(Template)]
#[template(path = "import_result.html")]
struct ResultPart {
    tr: Tr,
    outcome: Option<ImportOutcome>,
    error: Option<String>,
    draft: Option<i64>,
}

impl ResultPart {
    fn rejection(&self, r: &yingpan_domain::import::Rejected) -> String {
        rejection_reason(&self.tr, r)
    }
}

/// A long import answered as it runs: the page down to its list of steps at once, a line per
/// step (the stylesheet shows the latest: no script, nothing kept between requests), then the
/// outcome and the rest of the page. The import runs to its end (one transaction) even if the
/// person leaves the page. The answer is 200 whatever the outcome, which the page states.
async fn streamed_import(
    state: AppState,
    me: CurrentUser,
    id: i64,
    file_name: String,
    text: String,
    mapping: Option<Vec<(String, String)>>,
    options: ImportOptions,
) -> Response {
    let tr = me.tr();
    let page = match (RunningPage {
        tr: me.tr(),
        me: &me,
        file_name,
    })
    .render()
    {
        Ok(html) => html,
        Err(e) => return AppError::Internal(Box::new(e)).into_page(me.locale()),
    };
    let (head, rest) = page.split_once("<!--steps-->").unwrap_or((&page, ""));
    let (middle, tail) = rest.split_once("<!--result-->").unwrap_or((rest, ""));
    let (head, middle, tail) = (head.to_string(), middle.to_string(), tail.to_string());
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let _ = tx.send(head);
    tokio::spawn(async move {
        let last = std::sync::Mutex::new((0u8, 0u64));
        let step_line = |step: yingpan_store::ImportStep| {
            let (key, done, total, phase) = match step {
                yingpan_store::ImportStep::Checked(d, t) => ("import.step_checked", d, t, 0u8),
                yingpan_store::ImportStep::Written(d, t) => ("import.step_written", d, t, 1u8),
            };
            // Checking counts as the first half of the bar, writing as the second.
            let permille = if total == 0 {
                0
            } else {
                (u64::from(phase) * 500 + (done as u64 * 500) / total as u64).min(1000)
            };
            let mut seen = last.lock().unwrap_or_else(|p| p.into_inner());
            // One line per percent is plenty for a person and a browser.
            if (phase, permille / 10) == (seen.0, seen.1 / 10) && done != total {
                return;
            }
            *seen = (phase, permille);
            let words = tr
                .t(key)
                .replace("{done}", &tr.int(done as i64))
                .replace("{total}", &tr.int(total as i64));
            let _ = tx.send(format!(
                "<p><progress max=\"1000\" value=\"{permille}\">{}%</progress>{}</p>\n",
                permille / 10,
                askama::filters::escape(&words, askama::filters::Html)
                    .map(|w| w.to_string())
                    .unwrap_or_default()
            ));
        };
        let outcome = import(
            &state.store,
            &me.viewer,
            &text,
            mapping.as_deref(),
            options,
            &step_line,
            state.now(),
        )
        .await;
        let mut part = ResultPart {
            tr: me.tr(),
            outcome: None,
            error: None,
            draft: None,
        };
        match outcome {
            Ok(o) => {
                if o.aborted {
                    part.draft = Some(id);
                } else if let Err(e) = state.store.drop_import_draft(&me.viewer, id).await {
                    tracing::warn!(error = %e, "the imported draft stays");
                }
                part.outcome = Some(o);
            }
            Err(e) => {
                let e = AppError::from(e);
                if !matches!(e, AppError::Invalid(_)) {
                    tracing::error!(error = ?e, "import failed");
                }
                part.error = Some(e.localized(me.locale()));
            }
        }
        let _ = tx.send(middle);
        let _ = tx.send(part.render().unwrap_or_default());
        let _ = tx.send(tail);
    });
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|chunk| (Ok::<_, std::convert::Infallible>(chunk), rx))
    });
    (
        [(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")],
        axum::body::Body::from_stream(body),
    )
        .into_response()
}

/// The export from a page link: a refusal or a bad parameter is a page in the person's
/// language, not the API's JSON.
async fn export_page(state: State<AppState>, me: CurrentUser, q: Query<ExportQuery>) -> Response {
    let locale = me.locale();
    export(state, me, q)
        .await
        .unwrap_or_else(|e| e.into_page(locale))
}

pub(crate) fn answers() -> Vec<Answer> {
    vec![
        answer("post", "/customers/import", api_import),
        answer("get", "/customers/export", export),
        answer("get", "/contacts/export", export_contacts),
        answer("get", "/orders/export", export_orders),
        answer("get", "/activities/export", export_activities),
        answer("post", "/contacts/import", api_import_contacts),
        answer("post", "/activities/import", api_import_activities),
        answer("post", "/orders/import", api_import_orders),
    ]
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
        .route(
            "/customers/import/{id}",
            axum::routing::get(map_page).post(map_submit),
        )
        .route(
            "/api/v1/contacts/import",
            post(api_import_contacts).layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT)),
        )
        .route(
            "/api/v1/activities/import",
            post(api_import_activities).layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT)),
        )
        .route(
            "/api/v1/orders/import",
            post(api_import_orders).layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT)),
        )
        .route(
            "/records/import",
            post(records_submit).layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT)),
        )
}

/// A rejected row in the import page's words, for the command line: "第 4 行 · 电话：…".
pub fn rejection_words(
    locale: crate::i18n::Locale,
    r: &yingpan_domain::import::Rejected,
) -> String {
    let tr = Tr::new(locale, "Asia/Shanghai");
    let reason = rejection_reason(&tr, r);
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
