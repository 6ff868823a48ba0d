//! Customer export as CSV (with formula guards) or as an Excel workbook of text cells: what a
//! person may see, recorded on the audit trail. The web button, the API and `yingpan export`
//! all come through here.

use crate::ExchangeError;
use yingpan_domain::permission::{self, Action, Policy};

/// Customer data belongs to the company: exports are for those whose role may take it out.
fn may_export(viewer: &yingpan_store::Viewer) -> Result<(), ExchangeError> {
    if permission::allows(viewer.role, Action::ExportCustomers, &Policy::default()) {
        Ok(())
    } else {
        Err(ExchangeError::Forbidden)
    }
}

/// The person's own time zone; China time when none is set.
pub(crate) fn zone_of(people: &[yingpan_store::User], person: i64) -> chrono_tz::Tz {
    people
        .iter()
        .find(|u| u.id == person)
        .and_then(|u| u.time_zone.parse().ok())
        .unwrap_or(chrono_tz::Asia::Shanghai)
}

/// The viewer's own time zone, read from the people directory.
pub(crate) async fn viewer_zone(
    store: &yingpan_store::Store,
    viewer: &yingpan_store::Viewer,
) -> Result<chrono_tz::Tz, ExchangeError> {
    Ok(zone_of(&store.users(viewer.org_id).await?, viewer.user_id))
}

/// A stored instant in `zone`, to the second, as an export writes it (as stored if unreadable).
fn local_time(zone: chrono_tz::Tz, stored: &str) -> String {
    yingpan_store::parse_ts(stored)
        .map(|t| {
            t.with_timezone(&zone)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
        .unwrap_or_else(|_| stored.to_string())
}

fn safe_cell(v: &str) -> String {
    yingpan_domain::import::formula_safe(v).into_owned()
}

/// The export's fixed columns, then one per active custom field (by its label). The import
/// reads them back: the owner by username (负责人), the kind in the words the pages use, custom
/// fields by label; the owner's name and the times are for people.
pub const EXPORT_HEADER: [&str; 13] = [
    "客户名称",
    "类型",
    "电话",
    "邮箱",
    "地址",
    "区域",
    "行业",
    "来源",
    "备注",
    "负责人",
    "负责人姓名",
    "登记时间",
    "最近跟进",
];

/// Every live customer in the viewer's scope, a row of [`EXPORT_HEADER`] cells each, times in
/// the viewer's own zone. Salespeople may not export (customer data belongs to the company);
/// every export is recorded on the audit trail with its number of customers.
async fn export_rows(
    store: &yingpan_store::Store,
    viewer: &yingpan_store::Viewer,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(Vec<String>, Vec<Vec<String>>), ExchangeError> {
    may_export(viewer)?;
    let people = store.users(viewer.org_id).await?;
    let zone = zone_of(&people, viewer.user_id);
    let usernames: std::collections::HashMap<i64, String> =
        people.into_iter().map(|u| (u.id, u.username)).collect();
    let fields: Vec<_> = store
        .custom_fields(viewer.org_id)
        .await?
        .into_iter()
        .filter(|f| f.active)
        .collect();
    let mut header: Vec<String> = EXPORT_HEADER.iter().map(|h| h.to_string()).collect();
    header.extend(fields.iter().map(|f| f.label.clone()));
    let local = |stored: &str| local_time(zone, stored);
    let mut rows = Vec::new();
    let mut after = 0;
    loop {
        let page = store.customers_after(viewer, after, 5000).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for c in &page {
            let kind = if c.kind == "individual" {
                "个人客户"
            } else {
                "企业客户"
            };
            let cell = |v: Option<&str>| v.unwrap_or("").to_string();
            let mut row = vec![
                c.name.clone(),
                kind.to_string(),
                cell(c.phone.as_deref()),
                cell(c.email.as_deref()),
                cell(c.address.as_deref()),
                cell(c.region.as_deref()),
                cell(c.industry.as_deref()),
                cell(c.source.as_deref()),
                cell(c.notes.as_deref()),
                cell(
                    c.owner_id
                        .and_then(|o| usernames.get(&o))
                        .map(String::as_str),
                ),
                cell(c.owner_name.as_deref()),
                local(&c.created_at),
                local(&c.last_contact_at),
            ];
            row.extend(
                fields
                    .iter()
                    .map(|f| c.custom.get(&f.key).cloned().unwrap_or_default()),
            );
            rows.push(row);
        }
    }
    store.record_export(viewer, rows.len(), now).await?;
    Ok((header, rows))
}

/// A table as CSV: UTF-8 with BOM so Excel opens it, cells that would start a formula
/// neutralised.
pub fn table_csv<R: AsRef<[String]>>(header: &[&str], rows: &[R]) -> Result<String, ExchangeError> {
    let mut out = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
    out.write_record(header).map_err(ExchangeError::internal)?;
    for row in rows {
        out.write_record(row.as_ref().iter().map(|v| safe_cell(v)))
            .map_err(ExchangeError::internal)?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| ExchangeError::internal(e.into_error()))?;
    String::from_utf8(bytes).map_err(ExchangeError::internal)
}

/// A table as an Excel workbook of one sheet. Cells are text (nothing is evaluated as a
/// formula) except the columns in `numeric`, written as numbers so that they can be summed.
pub fn table_xlsx<R: AsRef<[String]>>(
    sheet_name: &str,
    header: &[&str],
    rows: &[R],
    numeric: &[usize],
) -> Result<Vec<u8>, ExchangeError> {
    let internal = |e: rust_xlsxwriter::XlsxError| ExchangeError::internal(e);
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(sheet_name).map_err(internal)?;
    for (col, name) in header.iter().enumerate() {
        sheet.write_string(0, col as u16, *name).map_err(internal)?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (col, value) in row.as_ref().iter().enumerate() {
            let (r, c) = (r as u32 + 1, col as u16);
            match value.parse::<f64>() {
                Ok(n) if numeric.contains(&col) => sheet.write_number(r, c, n).map(|_| ()),
                _ if value.is_empty() => Ok(()),
                _ => sheet.write_string(r, c, value).map(|_| ()),
            }
            .map_err(internal)?;
        }
    }
    book.save_to_buffer().map_err(internal)
}

/// The export as CSV and the number of customers in it.
pub async fn export_csv(
    store: &yingpan_store::Store,
    viewer: &yingpan_store::Viewer,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(String, usize), ExchangeError> {
    let (header, rows) = export_rows(store, viewer, now).await?;
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    Ok((table_csv(&header, &rows)?, rows.len()))
}

/// The export as an Excel workbook (every cell is text) and the number of customers in it.
pub async fn export_xlsx(
    store: &yingpan_store::Store,
    viewer: &yingpan_store::Viewer,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(Vec<u8>, usize), ExchangeError> {
    let (header, rows) = export_rows(store, viewer, now).await?;
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    Ok((table_xlsx("客户", &header, &rows, &[])?, rows.len()))
}

/// The contacts export's columns.
pub const CONTACTS_HEADER: [&str; 7] = [
    "客户名称",
    "联系人",
    "职务",
    "电话",
    "邮箱",
    "决策人",
    "备注",
];

/// Every contact of the live customers in the viewer's scope as CSV, and how many: under the
/// same permission and audit rule as the customers.
pub async fn export_contacts_csv(
    store: &yingpan_store::Store,
    viewer: &yingpan_store::Viewer,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(String, usize), ExchangeError> {
    may_export(viewer)?;
    let mut rows: Vec<[String; 7]> = Vec::new();
    let mut after = 0;
    loop {
        let page = store.contacts_after(viewer, after, 5000).await?;
        let Some((last, _)) = page.last() else { break };
        after = last.id;
        for (k, customer) in &page {
            let cell = |v: Option<&str>| v.unwrap_or("").to_string();
            rows.push([
                customer.clone(),
                k.name.clone(),
                cell(k.title.as_deref()),
                cell(k.phone.as_deref()),
                cell(k.email.as_deref()),
                if k.is_decision_maker { "是" } else { "" }.to_string(),
                cell(k.notes.as_deref()),
            ]);
        }
    }
    store
        .record_export_of(viewer, "contacts_export", rows.len(), now)
        .await?;
    Ok((table_csv(&CONTACTS_HEADER, &rows)?, rows.len()))
}

/// The orders export's columns.
pub const ORDERS_HEADER: [&str; 9] = [
    "订单号",
    "客户名称",
    "负责人姓名",
    "金额",
    "已收",
    "应收",
    "币种",
    "到期日",
    "下单时间",
];

/// Every order in the viewer's scope as CSV, and how many: under the customers' export rule;
/// times in the viewer's own zone, money as exact decimals.
pub async fn export_orders_csv(
    store: &yingpan_store::Store,
    viewer: &yingpan_store::Viewer,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(String, usize), ExchangeError> {
    may_export(viewer)?;
    let zone = viewer_zone(store, viewer).await?;
    let mut rows: Vec<[String; 9]> = Vec::new();
    let mut after = 0;
    loop {
        let page = store.orders_after(viewer, after, 5000).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for o in &page {
            let at = local_time(zone, &o.created_at);
            rows.push([
                format!("SO-{:06}", o.id),
                o.customer_name.clone(),
                o.owner_name.clone().unwrap_or_default(),
                o.total.normalize().to_string(),
                o.paid.normalize().to_string(),
                (o.total - o.paid).normalize().to_string(),
                o.currency.clone(),
                o.due_date.clone(),
                at,
            ]);
        }
    }
    store
        .record_export_of(viewer, "orders_export", rows.len(), now)
        .await?;
    Ok((table_csv(&ORDERS_HEADER, &rows)?, rows.len()))
}

/// The follow-ups export's columns.
pub const ACTIVITIES_HEADER: [&str; 11] = [
    "客户名称",
    "跟进方式",
    "跟进人",
    "时间",
    "内容",
    "结果",
    "下一步",
    "地点",
    "已接通",
    "目的",
    "用时（分钟）",
];

fn activity_kind_words(kind: &str) -> &str {
    match kind {
        "call" => "电话",
        "visit" => "拜访",
        "email" => "邮件",
        "meeting" => "会议",
        other => other,
    }
}

fn purpose_words(purpose: &str) -> &str {
    match purpose {
        "appointment" => "约见面谈",
        "presentation" => "产品推荐",
        "closing" => "成交",
        "service" => "售后服务",
        "other" => "其他",
        other => other,
    }
}

/// Every follow-up on the live customers in the viewer's scope as CSV, and how many: under the
/// customers' export rule and on the audit trail; times in the viewer's own zone.
pub async fn export_activities_csv(
    store: &yingpan_store::Store,
    viewer: &yingpan_store::Viewer,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(String, usize), ExchangeError> {
    may_export(viewer)?;
    let zone = viewer_zone(store, viewer).await?;
    let mut rows: Vec<[String; 11]> = Vec::new();
    let mut after = 0;
    loop {
        let page = store.activities_after(viewer, after, 5000).await?;
        let Some(last) = page.last() else { break };
        after = last.activity.id;
        for row in &page {
            let a = &row.activity;
            let at = local_time(zone, &a.occurred_at);
            let text = |v: &Option<String>| v.clone().unwrap_or_default();
            rows.push([
                row.customer_name.clone(),
                activity_kind_words(&a.kind).to_string(),
                text(&a.user_name),
                at,
                a.summary.clone(),
                text(&a.outcome),
                text(&a.next_step),
                text(&a.location),
                a.reached
                    .map(|r| if r { "是" } else { "否" }.to_string())
                    .unwrap_or_default(),
                a.purpose
                    .as_deref()
                    .map(|p| purpose_words(p).to_string())
                    .unwrap_or_default(),
                a.duration_minutes
                    .map(|m| m.to_string())
                    .unwrap_or_default(),
            ]);
        }
    }
    store
        .record_export_of(viewer, "activities_export", rows.len(), now)
        .await?;
    Ok((table_csv(&ACTIVITIES_HEADER, &rows)?, rows.len()))
}
