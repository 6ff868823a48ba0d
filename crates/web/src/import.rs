//! Customer import from CSV (UTF-8, or GB18030 as Excel saves it on Chinese Windows): the API,
//! the upload page and the parsing the `yingpan import` command shares.

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
use std::collections::HashMap;
use yingpan_domain::customer::{CustomerFields, CustomerInput};
use yingpan_domain::import::{parse_rows, ColumnMap, Rejected, MAX_ROWS};
use yingpan_domain::permission::{self, Action, Policy};
use yingpan_domain::ValidationError;
use yingpan_store::ImportOutcome;

/// The largest upload accepted: room for `MAX_ROWS` rows of a full prospect card. The body is
/// held once, read in place, and each row becomes a parsed customer as it is read, so an
/// import's memory is about the file plus its customers.
pub const IMPORT_BODY_LIMIT: usize = 64 * 1024 * 1024;

/// Decodes the file: UTF-8 (with or without BOM) in place, otherwise GB18030, a superset of GBK.
pub fn decode(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.trim_start_matches('\u{feff}').into(),
        Err(_) => encoding_rs::GB18030.decode(bytes).0,
    }
}

/// The file as CSV text: an Excel workbook (`.xlsx`, recognised by its zip signature) is read
/// from its first sheet, cell by cell as Excel shows it; anything else is CSV as [`decode`] reads it.
pub fn spreadsheet_text(bytes: &[u8]) -> Result<std::borrow::Cow<'_, str>, ValidationError> {
    if !bytes.starts_with(b"PK\x03\x04") {
        return Ok(decode(bytes));
    }
    use calamine::Reader;
    let unreadable = |e: &dyn std::fmt::Display| {
        ValidationError::new("file", "invalid_xlsx", format!("unreadable workbook: {e}"))
    };
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes)).map_err(|e| unreadable(&e))?;
    let sheet = book
        .worksheet_range_at(0)
        .ok_or_else(|| ValidationError::new("file", "invalid_xlsx", "the workbook has no sheet"))?
        .map_err(|e| unreadable(&e))?;
    let mut out = csv::Writer::from_writer(Vec::new());
    for row in sheet.rows() {
        out.write_record(row.iter().map(|cell| cell.to_string()))
            .map_err(|e| unreadable(&e))?;
    }
    let bytes = out.into_inner().map_err(|e| unreadable(&e))?;
    String::from_utf8(bytes)
        .map(Into::into)
        .map_err(|e| unreadable(&e))
}

/// A row of an import: its line in the file, the form input, and the owner's username.
pub type CsvRow = (usize, CustomerInput, Option<String>);

/// The rows of a CSV as form inputs with their line numbers (the header is line 1) and owner
/// usernames, read one at a time; blank lines are skipped, and more than `MAX_ROWS` rows is
/// an error.
pub fn csv_rows(
    text: &str,
) -> Result<impl Iterator<Item = Result<CsvRow, ValidationError>> + '_, ValidationError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| {
        ValidationError::new("file", "invalid_csv", format!("unreadable header: {e}"))
    })?;
    let map = ColumnMap::from_headers(headers.iter())?;
    let mut seen = 0usize;
    Ok(reader
        .into_records()
        .enumerate()
        .filter_map(move |(i, record)| {
            let record = match record {
                Ok(r) => r,
                Err(e) => {
                    return Some(Err(ValidationError::new(
                        "file",
                        "invalid_csv",
                        format!("line {}: {e}", i + 2),
                    )))
                }
            };
            if record.iter().all(|v| v.trim().is_empty()) {
                return None;
            }
            seen += 1;
            if seen > MAX_ROWS {
                return Some(Err(ValidationError::new(
                    "file",
                    "too_many",
                    format!("at most {MAX_ROWS} rows per import"),
                )));
            }
            let cells: Vec<&str> = record.iter().collect();
            Some(Ok((i + 2, map.input(&cells), map.owner(&cells))))
        }))
}

/// Reads the whole CSV into form inputs (tests and small files).
pub fn read_csv(text: &str) -> Result<Vec<CsvRow>, ValidationError> {
    csv_rows(text)?.collect()
}

/// Parses every row as it is read, then hands the good ones to the store.
pub async fn import(
    store: &yingpan_store::Store,
    viewer: &yingpan_store::Viewer,
    text: &str,
    owner: Option<i64>,
    skip_rejected: bool,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<ImportOutcome, AppError> {
    let policy = store
        .organization(viewer.org_id)
        .await?
        .settings
        .permission_policy();
    if !permission::allows(viewer.role, Action::ImportCustomers, &policy) {
        return Err(AppError::Forbidden);
    }
    // Owner usernames become ids; an unknown one rejects its row.
    let people: HashMap<String, (i64, bool)> = store
        .users(viewer.org_id)
        .await?
        .into_iter()
        .map(|u| (u.username, (u.id, u.active)))
        .collect();
    let mut owners: HashMap<usize, i64> = HashMap::new();
    let mut bad_owner = Vec::new();
    let mut failure = None;
    let inputs = csv_rows(text)?.map_while(|row| match row {
        Ok(r) => Some(r),
        Err(e) => {
            failure = Some(e);
            None
        }
    });
    let inputs = inputs.filter_map(|(line, input, username)| match username {
        None => Some((line, input)),
        Some(u) => match people.get(&u) {
            Some((id, true)) => {
                owners.insert(line, *id);
                Some((line, input))
            }
            _ => {
                bad_owner.push(Rejected {
                    line,
                    field: Some("owner".into()),
                    code: "unknown_user".into(),
                    message: format!("no active person with username {u:?}"),
                });
                None
            }
        },
    });
    let (good, mut bad): (Vec<(usize, CustomerFields)>, Vec<Rejected>) = parse_rows(inputs);
    if let Some(e) = failure {
        return Err(e.into());
    }
    bad.extend(bad_owner);
    let good = good
        .into_iter()
        .map(|(line, f)| (line, f, owners.get(&line).copied()))
        .collect();
    Ok(store
        .import_customers(viewer, owner, good, bad, skip_rejected, now)
        .await?)
}

fn safe_cell(v: &str) -> String {
    yingpan_domain::import::formula_safe(v).into_owned()
}

/// The export's columns: the names the import reads.
const EXPORT_HEADER: [&str; 11] = [
    "客户名称",
    "类型",
    "电话",
    "邮箱",
    "地址",
    "区域",
    "行业",
    "来源",
    "备注",
    "负责人姓名",
    "登记时间",
];

/// Every live customer in the viewer's scope, a row of [`EXPORT_HEADER`] cells each. Salespeople
/// may not export (customer data belongs to the company); every export is recorded on the audit
/// trail with its number of customers.
async fn export_rows(
    store: &yingpan_store::Store,
    viewer: &yingpan_store::Viewer,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<[String; 11]>, AppError> {
    if !permission::allows(viewer.role, Action::ExportCustomers, &Policy::default()) {
        return Err(AppError::Forbidden);
    }
    let mut rows = Vec::new();
    let mut after = 0;
    loop {
        let page = store.customers_after(viewer, after, 5000).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for c in &page {
            let kind = if c.kind == "individual" {
                "个人"
            } else {
                "公司"
            };
            let cell = |v: Option<&str>| v.unwrap_or("").to_string();
            rows.push([
                c.name.clone(),
                kind.to_string(),
                cell(c.phone.as_deref()),
                cell(c.email.as_deref()),
                cell(c.address.as_deref()),
                cell(c.region.as_deref()),
                cell(c.industry.as_deref()),
                cell(c.source.as_deref()),
                cell(c.notes.as_deref()),
                cell(c.owner_name.as_deref()),
                c.created_at.clone(),
            ]);
        }
    }
    store.record_export(viewer, rows.len(), now).await?;
    Ok(rows)
}

/// The export as CSV (UTF-8 with BOM so Excel opens it; cells that would start a formula are
/// neutralised) and the number of customers in it.
pub async fn export_csv(
    store: &yingpan_store::Store,
    viewer: &yingpan_store::Viewer,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(String, usize), AppError> {
    let rows = export_rows(store, viewer, now).await?;
    let mut out = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
    out.write_record(EXPORT_HEADER)
        .map_err(|e| AppError::Internal(Box::new(e)))?;
    for row in &rows {
        out.write_record(row.iter().map(|v| safe_cell(v)))
            .map_err(|e| AppError::Internal(Box::new(e)))?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| AppError::Internal(Box::new(e.into_error())))?;
    let csv = String::from_utf8(bytes).map_err(|e| AppError::Internal(Box::new(e)))?;
    Ok((csv, rows.len()))
}

/// The export as an Excel workbook (every cell is text, so nothing is evaluated as a formula)
/// and the number of customers in it.
pub async fn export_xlsx(
    store: &yingpan_store::Store,
    viewer: &yingpan_store::Viewer,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(Vec<u8>, usize), AppError> {
    let rows = export_rows(store, viewer, now).await?;
    let internal = |e: rust_xlsxwriter::XlsxError| AppError::Internal(Box::new(e));
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("客户").map_err(internal)?;
    for (col, name) in EXPORT_HEADER.iter().enumerate() {
        sheet.write_string(0, col as u16, *name).map_err(internal)?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (col, value) in row.iter().enumerate() {
            if !value.is_empty() {
                sheet
                    .write_string(r as u32 + 1, col as u16, value)
                    .map_err(internal)?;
            }
        }
    }
    Ok((book.save_to_buffer().map_err(internal)?, rows.len()))
}

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
        import(
            &state.store,
            &me.viewer,
            &spreadsheet_text(&file)?,
            None,
            skip,
            state.now(),
        )
        .await
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

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/customers/import",
            post(api_import).layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT)),
        )
        .route("/api/v1/customers/export", axum::routing::get(export))
        .route("/customers/export", axum::routing::get(export))
        .route(
            "/customers/import",
            axum::routing::get(import_page)
                .post(import_submit)
                .layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT)),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gbk_files_from_excel_are_read() {
        let (gbk, _, _) = encoding_rs::GBK.encode("客户名称,电话\n杭州嘉禾,0571-88886666\n");
        let rows = read_csv(&decode(&gbk)).unwrap();
        assert_eq!(rows[0].1.name.as_deref(), Some("杭州嘉禾"));
        assert_eq!(rows[0].0, 2);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

        /// A bounded fuzz of the import parser: any bytes (CSV in any encoding, broken
        /// workbooks) give rows or a refusal naming the file, never a panic.
        #[test]
        fn any_upload_parses_or_is_refused(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600)) {
            if let Ok(text) = spreadsheet_text(&bytes) {
                if let Err(e) = read_csv(&text) {
                    proptest::prop_assert_eq!(e.field, "file");
                }
            }
            let mut zip = b"PK\x03\x04".to_vec();
            zip.extend_from_slice(&bytes);
            // A broken workbook is refused, naming the file (reaching here means no panic).
            if let Err(e) = spreadsheet_text(&zip) {
                proptest::prop_assert_eq!(e.field, "file");
            }
        }

        /// Rows under a known header: every row is read, with its line, whatever the cells hold.
        #[test]
        fn rows_under_a_header_are_all_read(cells in proptest::collection::vec("[^\"\r\n]{0,12}", 1..40)) {
            let mut csv = String::from("客户名称,电话,负责人\n");
            for c in &cells {
                csv.push_str(&format!("\"{c}\",138,\"{c}\"\n"));
            }
            let rows = read_csv(&csv).unwrap();
            proptest::prop_assert_eq!(rows.len(), cells.len());
            for (i, (line, input, _)) in rows.iter().enumerate() {
                proptest::prop_assert_eq!(*line, i + 2);
                proptest::prop_assert_eq!(input.phone.as_deref(), Some("138"));
            }
        }
    }

    #[test]
    fn blank_lines_are_skipped_and_lines_counted() {
        let rows = read_csv("name,phone\n甲,13800000001\n,\n乙,13800000002\n").unwrap();
        assert_eq!(
            rows.iter().map(|(l, _, _)| *l).collect::<Vec<_>>(),
            vec![2, 4]
        );
    }
}
