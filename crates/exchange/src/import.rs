//! Customer import from CSV (UTF-8, or GB18030 as Excel saves it on Chinese Windows) and Excel
//! workbooks: reading the file row by row, and handing the parsed rows to the store. The web
//! upload, the API and `yingpan import` all come through here.

use crate::ExchangeError;
use std::collections::HashMap;
use yingpan_domain::customer::{ContactFields, ContactInput, CustomerFields, CustomerInput};
use yingpan_domain::import::{
    checked_mapping, layout_signature, parse_rows, suggest, ColumnMap, Rejected, Target, MAX_ROWS,
};
use yingpan_domain::permission::{self, Action};
use yingpan_domain::record_import::{
    activity_rows, contact_rows, order_rows, RecordColumns, RecordKind, MAX_RECORD_ROWS,
};
use yingpan_domain::ValidationError;
use yingpan_store::{ImportOptions, ImportOutcome, RecordOutcome};

/// Decodes the file: UTF-8 (with or without BOM) in place, otherwise GB18030, a superset of GBK.
pub fn decode(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.trim_start_matches('\u{feff}').into(),
        Err(_) => encoding_rs::GB18030.decode(bytes).0,
    }
}

/// The file as text: a `.vcf` file as [`crate::vcard::vcard_text`] reads it, an Excel workbook (`.xlsx`, recognised by its zip signature) is read
/// from its first sheet, cell by cell as Excel shows it; anything else is CSV as [`decode`] reads it.
pub fn spreadsheet_text(bytes: &[u8]) -> Result<std::borrow::Cow<'_, str>, ValidationError> {
    let head = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let head = &head[head.iter().take_while(|b| b.is_ascii_whitespace()).count()..];
    if head.len() >= 11 && head[..11].eq_ignore_ascii_case(b"BEGIN:VCARD") {
        // A vCard file: its charset is declared, never guessed.
        return crate::vcard::vcard_text(bytes).map(Into::into);
    }
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
pub fn csv_rows<'a>(
    text: &'a str,
    columns: Columns<'_>,
) -> Result<impl Iterator<Item = Result<CsvRow, ValidationError>> + 'a, ValidationError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| {
        ValidationError::new("file", "invalid_csv", format!("unreadable header: {e}"))
    })?;
    let map = match columns {
        Columns::Suggested(custom_fields) => {
            ColumnMap::with_custom_fields(headers.iter(), custom_fields)?
        }
        Columns::Chosen(targets) => ColumnMap::from_targets(targets)?,
    };
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

/// Which column fills which field.
#[derive(Debug, Clone, Copy)]
pub enum Columns<'a> {
    /// By the headers' names, custom fields by label or key ((label, key) pairs).
    Suggested(&'a [(String, String)]),
    /// As chosen, one target per column (`domain::import::checked_mapping`).
    Chosen(&'a [Target]),
}

/// Reads the whole CSV into form inputs (tests and small files).
pub fn read_csv(text: &str) -> Result<Vec<CsvRow>, ValidationError> {
    csv_rows(text, Columns::Suggested(&[]))?.collect()
}

/// The header row and up to `n` rows after it, as cells (for choosing a mapping).
pub fn head(text: &str, n: usize) -> Result<(Vec<String>, Vec<Vec<String>>), ValidationError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let unreadable =
        |e: csv::Error| ValidationError::new("file", "invalid_csv", format!("unreadable: {e}"));
    let headers: Vec<String> = reader
        .headers()
        .map_err(unreadable)?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_string())
        .collect();
    let mut rows = Vec::new();
    for record in reader.records().take(n) {
        rows.push(
            record
                .map_err(unreadable)?
                .iter()
                .map(str::to_string)
                .collect(),
        );
    }
    Ok((headers, rows))
}

/// How a file's columns will be read: the mapping given (checked, then remembered for the
/// layout), else the one remembered for the layout, else the headers' own names. Returns one
/// target per column, and whether they came from a remembered mapping.
pub async fn columns_for(
    store: &yingpan_store::Store,
    viewer: &yingpan_store::Viewer,
    headers: &[String],
    mapping: Option<&[(String, String)]>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(Vec<Target>, bool), ExchangeError> {
    let defs: Vec<_> = store
        .custom_fields(viewer.org_id)
        .await?
        .into_iter()
        .filter(|d| d.active)
        .collect();
    let keys: Vec<String> = defs.iter().map(|d| d.key.clone()).collect();
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    let signature = layout_signature(headers.iter().copied());
    if let Some(mapping) = mapping {
        let targets = checked_mapping(&headers, mapping, &keys)?;
        ColumnMap::from_targets(&targets)?;
        store
            .save_import_layout(viewer, &signature, mapping, now)
            .await?;
        return Ok((targets, false));
    }
    if let Some(remembered) = store.import_layout(viewer.org_id, &signature).await? {
        // A field removed since is not an error in a file nobody re-mapped: names decide.
        if let Ok(targets) = checked_mapping(&headers, &remembered, &keys) {
            if ColumnMap::from_targets(&targets).is_ok() {
                return Ok((targets, true));
            }
        }
    }
    let labels: Vec<(String, String)> = defs
        .iter()
        .map(|d| (d.label.clone(), d.key.clone()))
        .collect();
    Ok((suggest(&headers, &labels), false))
}

/// Whether the viewer may import, under the company's policy (salespeople when it allows).
async fn may_import(
    store: &yingpan_store::Store,
    viewer: &yingpan_store::Viewer,
) -> Result<(), ExchangeError> {
    let policy = store
        .organization(viewer.org_id)
        .await?
        .settings
        .permission_policy();
    if permission::allows(viewer.role, Action::ImportCustomers, &policy) {
        Ok(())
    } else {
        Err(ExchangeError::Forbidden)
    }
}

/// Parses every row as it is read, then hands the good ones to the store. `mapping`:
/// (header, field) pairs chosen for this file, else as [`columns_for`] decides.
pub async fn import(
    store: &yingpan_store::Store,
    viewer: &yingpan_store::Viewer,
    text: &str,
    mapping: Option<&[(String, String)]>,
    options: ImportOptions,
    progress: &yingpan_store::ImportProgress<'_>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<ImportOutcome, ExchangeError> {
    may_import(store, viewer).await?;
    if crate::vcard::is_vcard(text) {
        let (inputs, contacts, mut bad) = vcard_inputs(&crate::vcard::read(text)?);
        let (good, more) = parse_rows(inputs);
        bad.extend(more);
        let args = Finish {
            options,
            owners: HashMap::new(),
            contacts,
        };
        return finish(store, viewer, good, bad, args, progress, now).await;
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
    // Custom fields by label, as the export heads them; each row's values are checked against
    // the field's kind once the row is known to be a customer.
    let defs: Vec<_> = store
        .custom_fields(viewer.org_id)
        .await?
        .into_iter()
        .filter(|d| d.active)
        .collect();
    let (headers, _) = head(text, 0)?;
    let (targets, _) = columns_for(store, viewer, &headers, mapping, now).await?;
    let mut raw_custom: HashMap<usize, std::collections::BTreeMap<String, serde_json::Value>> =
        HashMap::new();
    let inputs = csv_rows(text, Columns::Chosen(&targets))?.map_while(|row| match row {
        Ok(r) => Some(r),
        Err(e) => {
            failure = Some(e);
            None
        }
    });
    let inputs = inputs.map(|(line, mut input, username)| {
        if let Some(c) = input.custom.take() {
            raw_custom.insert(line, c);
        }
        (line, input, username)
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
                    same_as: None,
                    duplicate_of: None,
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
    let mut valued = Vec::with_capacity(good.len());
    for (line, mut f) in good {
        match raw_custom
            .get(&line)
            .map(|raw| yingpan_domain::custom::parse_values(&defs, raw))
        {
            None => valued.push((line, f)),
            Some(Ok(values)) => {
                f.custom = values;
                valued.push((line, f));
            }
            Some(Err(e)) => bad.push(rejected(line, e)),
        }
    }
    let args = Finish {
        options,
        owners,
        contacts: HashMap::new(),
    };
    finish(store, viewer, valued, bad, args, progress, now).await
}

fn rejected(line: usize, e: ValidationError) -> Rejected {
    Rejected {
        line,
        field: Some(e.field.to_string()),
        code: e.code.to_string(),
        message: e.message,
        same_as: None,
        duplicate_of: None,
    }
}

/// What an import was asked beside its rows.
struct Finish {
    options: ImportOptions,
    /// Each row's own owner (the file's 负责人 column), by line.
    owners: HashMap<usize, i64>,
    /// Contacts to add to each row's customer, by line.
    contacts: HashMap<usize, Vec<ContactFields>>,
}

/// The rows' region, industry and source checked against the company's lists, as on the form;
/// then everything to the store in one transaction.
async fn finish(
    store: &yingpan_store::Store,
    viewer: &yingpan_store::Viewer,
    good: Vec<(usize, CustomerFields)>,
    mut bad: Vec<Rejected>,
    args: Finish,
    progress: &yingpan_store::ImportProgress<'_>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<ImportOutcome, ExchangeError> {
    let lists = store.picklists(viewer.org_id).await?;
    let mut listed = Vec::with_capacity(good.len());
    for (line, f) in good {
        match lists.check(&f) {
            Ok(()) => listed.push((line, f)),
            Err(e) => bad.push(Rejected {
                line,
                field: Some(e.field.to_string()),
                code: e.code.to_string(),
                message: e.message,
                same_as: None,
                duplicate_of: None,
            }),
        }
    }
    bad.sort_by_key(|r| r.line);
    let good = listed
        .into_iter()
        .map(|(line, f)| (line, f, args.owners.get(&line).copied()))
        .collect();
    Ok(store
        .import_customers(
            viewer,
            good,
            bad,
            args.contacts,
            args.options,
            progress,
            now,
        )
        .await?)
}

/// Imports contacts, follow-ups or orders from a CSV (or a workbook read by [`spreadsheet_text`]):
/// every row checked, then all or nothing, skipping the bad rows, or a dry run. Follow-up times
/// are read in the importer's own zone.
pub async fn import_records(
    store: &yingpan_store::Store,
    viewer: &yingpan_store::Viewer,
    kind: RecordKind,
    text: &str,
    options: ImportOptions,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<RecordOutcome, ExchangeError> {
    may_import(store, viewer).await?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| {
        ValidationError::new("file", "invalid_csv", format!("unreadable header: {e}"))
    })?;
    let columns = RecordColumns::from_headers(kind, headers.iter())?;
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| {
            ValidationError::new("file", "invalid_csv", format!("line {}: {e}", i + 2))
        })?;
        if record.iter().all(|v| v.trim().is_empty()) {
            continue;
        }
        if rows.len() == MAX_RECORD_ROWS {
            return Err(ValidationError::new(
                "file",
                "too_many",
                format!("at most {MAX_RECORD_ROWS} rows per import"),
            )
            .into());
        }
        rows.push((i + 2, record.iter().map(str::to_string).collect::<Vec<_>>()));
    }
    match kind {
        RecordKind::Contacts => {
            let (good, bad) = contact_rows(&columns, rows);
            Ok(store
                .import_contacts(viewer, good, bad, options, now)
                .await?)
        }
        RecordKind::Activities => {
            let zone = crate::export::viewer_zone(store, viewer).await?;
            let (good, mut bad) = activity_rows(&columns, rows);
            let mut timed = Vec::with_capacity(good.len());
            for row in good {
                use chrono::TimeZone;
                match zone.from_local_datetime(&row.at).earliest() {
                    Some(t) => {
                        let at = t.with_timezone(&chrono::Utc);
                        timed.push((row, at));
                    }
                    None => bad.push(rejected(
                        row.line,
                        ValidationError::new("occurred_at", "invalid_time", "no such local time"),
                    )),
                }
            }
            Ok(store
                .import_activities(viewer, timed, bad, options, now)
                .await?)
        }
        RecordKind::Orders => {
            let zone = crate::export::viewer_zone(store, viewer).await?;
            let (good, mut bad) = order_rows(&columns, rows);
            let mut timed = Vec::with_capacity(good.len());
            for order in good {
                use chrono::TimeZone;
                match zone.from_local_datetime(&order.at).earliest() {
                    Some(t) => {
                        let at = t.with_timezone(&chrono::Utc);
                        timed.push((order, at));
                    }
                    None => {
                        for l in &order.lines {
                            bad.push(rejected(
                                *l,
                                ValidationError::new(
                                    "ordered_at",
                                    "invalid_time",
                                    "no such local time",
                                ),
                            ));
                        }
                    }
                }
            }
            Ok(store
                .import_orders(viewer, timed, bad, options, now)
                .await?)
        }
    }
}

/// The customers a `.vcf` file makes, by the number of the card that opens each: the cards of
/// one organisation become one company with a contact per card (its phone and e-mail those of
/// the first card, so the duplicate check sees them); a card without an organisation becomes
/// an individual customer. Phones beyond the first go to the notes.
#[allow(clippy::type_complexity)]
pub fn vcard_inputs(
    cards: &[crate::vcard::ReadCard],
) -> (
    Vec<(usize, CustomerInput)>,
    HashMap<usize, Vec<ContactFields>>,
    Vec<Rejected>,
) {
    let mut inputs = Vec::new();
    let mut contacts: HashMap<usize, Vec<ContactFields>> = HashMap::new();
    let mut bad = Vec::new();
    let mut companies: Vec<(String, usize)> = Vec::new();
    let extra_phones = |c: &crate::vcard::ReadCard| {
        let more: Vec<&str> = c.phones.iter().skip(1).map(String::as_str).collect();
        let mut notes: Vec<String> = Vec::new();
        if !more.is_empty() {
            notes.push(format!("其他电话：{}", more.join("，")));
        }
        notes.extend(c.note.clone());
        Some(notes.join("\n")).filter(|n| !n.is_empty())
    };
    for c in cards {
        match &c.organization {
            None => inputs.push((
                c.number,
                CustomerInput {
                    kind: Some("individual".into()),
                    name: Some(c.name.clone()).filter(|n| !n.is_empty()),
                    phone: c.phones.first().cloned(),
                    email: c.emails.first().cloned(),
                    address: c.address.clone(),
                    notes: extra_phones(c),
                    ..CustomerInput::default()
                },
            )),
            Some(org) => {
                let contact = ContactInput {
                    name: Some(c.name.clone()).filter(|n| !n.is_empty()),
                    title: c.title.clone(),
                    phone: c.phones.first().cloned(),
                    email: c.emails.first().cloned(),
                    notes: extra_phones(c),
                    ..ContactInput::default()
                }
                .parse();
                let contact = match contact {
                    Ok(f) => f,
                    Err(e) => {
                        bad.push(rejected(c.number, e));
                        continue;
                    }
                };
                let line = match companies.iter().find(|(o, _)| o == org) {
                    Some((_, line)) => *line,
                    None => {
                        companies.push((org.clone(), c.number));
                        inputs.push((
                            c.number,
                            CustomerInput {
                                kind: Some("company".into()),
                                name: Some(org.clone()),
                                phone: c.phones.first().cloned(),
                                email: c.emails.first().cloned(),
                                address: c.address.clone(),
                                ..CustomerInput::default()
                            },
                        ));
                        c.number
                    }
                };
                contacts.entry(line).or_default().push(contact);
            }
        }
    }
    (inputs, contacts, bad)
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
