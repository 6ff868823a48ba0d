//! Importing contacts, follow-ups and orders (issue 16), as a company moving from another CRM
//! brings them: each row names its customer, and may carry the old system's id (外部编号) so
//! that importing the same file again changes nothing — a row whose id is known updates that
//! record instead of adding one. An order is one row per line, held together by its order
//! number (订单号); an order already imported is left as it is.

use crate::customer::{ContactFields, ContactInput};
use crate::error::ValidationError;
use crate::import::{unguard, Rejected, MAX_ROWS};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use rust_decimal::Decimal;

/// What a file imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    Contacts,
    Activities,
    Orders,
}

impl RecordKind {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        match raw.trim() {
            "contacts" => Ok(RecordKind::Contacts),
            "activities" => Ok(RecordKind::Activities),
            "orders" => Ok(RecordKind::Orders),
            _ => Err(ValidationError::new(
                "kind",
                "invalid_choice",
                "must be contacts, activities or orders",
            )),
        }
    }
}

/// Another system's id for a record: 1 to 100 characters, kept as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExternalId(String);

impl ExternalId {
    pub fn parse(raw: &str) -> Result<Option<Self>, ValidationError> {
        let v = raw.trim();
        if v.is_empty() {
            return Ok(None);
        }
        if v.chars().count() > 100 {
            return Err(ValidationError::new(
                "external_id",
                "too_long",
                "must be at most 100 characters",
            ));
        }
        Ok(Some(Self(v.to_string())))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A contact row: which customer, and the contact.
#[derive(Debug, Clone)]
pub struct ContactRow {
    pub line: usize,
    pub external_id: Option<ExternalId>,
    pub customer: String,
    pub contact: ContactFields,
}

/// A follow-up row: which customer, who followed up and when (in the importer's zone), and
/// what was said.
#[derive(Debug, Clone)]
pub struct ActivityRow {
    pub line: usize,
    pub external_id: Option<ExternalId>,
    pub customer: String,
    /// `call`, `visit`, `email` or `meeting`.
    pub kind: &'static str,
    /// The username of who followed up; none: the importer.
    pub by: Option<String>,
    pub at: NaiveDateTime,
    pub summary: String,
    pub outcome: Option<String>,
    pub next_step: Option<String>,
    pub location: Option<String>,
}

/// One line of an order as a row gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderItem {
    pub line: usize,
    /// The product's code in the price list.
    pub product: String,
    pub quantity: Decimal,
    /// None: the price list's.
    pub unit_price: Option<Decimal>,
}

/// An order: the rows that share its order number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRows {
    /// The file lines of its rows, the first first.
    pub lines: Vec<usize>,
    pub order_no: ExternalId,
    pub customer: String,
    /// When it was placed, in the importer's zone.
    pub at: NaiveDateTime,
    pub due_date: Option<NaiveDate>,
    /// Money already received on it (one payment at the order's time).
    pub paid: Option<Decimal>,
    pub items: Vec<OrderItem>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    ExternalId,
    Customer,
    Name,
    Title,
    Phone,
    Email,
    DecisionMaker,
    Notes,
    Kind,
    By,
    At,
    Summary,
    Outcome,
    NextStep,
    Location,
    Product,
    Quantity,
    UnitPrice,
    DueDate,
    Paid,
}

fn column(kind: RecordKind, header: &str) -> Option<Col> {
    let h = header.trim().trim_start_matches('\u{feff}').to_lowercase();
    let shared = match h.as_str() {
        "external_id" | "外部编号" | "原系统编号" | "编号" => Some(Col::ExternalId),
        "order_no" | "订单号" | "订单编号" if kind == RecordKind::Orders => {
            Some(Col::ExternalId)
        }
        "customer" | "customer_name" | "客户名称" | "客户" | "公司名称" => {
            Some(Col::Customer)
        }
        _ => None,
    };
    shared.or(match kind {
        RecordKind::Contacts => match h.as_str() {
            "name" | "contact" | "联系人" | "姓名" => Some(Col::Name),
            "title" | "职务" | "职位" => Some(Col::Title),
            "phone" | "mobile" | "电话" | "手机" => Some(Col::Phone),
            "email" | "邮箱" => Some(Col::Email),
            "decision_maker" | "决策人" => Some(Col::DecisionMaker),
            "notes" | "备注" => Some(Col::Notes),
            _ => None,
        },
        RecordKind::Activities => match h.as_str() {
            "kind" | "跟进方式" | "方式" => Some(Col::Kind),
            "by" | "user" | "跟进人" => Some(Col::By),
            "occurred_at" | "time" | "时间" | "跟进时间" => Some(Col::At),
            "summary" | "内容" | "跟进内容" => Some(Col::Summary),
            "outcome" | "结果" => Some(Col::Outcome),
            "next_step" | "下一步" => Some(Col::NextStep),
            "location" | "地点" => Some(Col::Location),
            _ => None,
        },
        RecordKind::Orders => match h.as_str() {
            "ordered_at" | "time" | "下单时间" | "订单日期" | "日期" => Some(Col::At),
            "product" | "product_code" | "产品编码" | "商品编码" | "产品" => {
                Some(Col::Product)
            }
            "quantity" | "数量" => Some(Col::Quantity),
            "unit_price" | "price" | "单价" => Some(Col::UnitPrice),
            "due_date" | "到期日" | "应收日期" => Some(Col::DueDate),
            "paid" | "已收" | "已收款" => Some(Col::Paid),
            _ => None,
        },
    })
}

/// The position of each known column; the customer is required, and for follow-ups the time
/// and what was said.
pub struct RecordColumns(Vec<(Col, usize)>);

impl RecordColumns {
    pub fn from_headers<'a>(
        kind: RecordKind,
        headers: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, ValidationError> {
        let mut map: Vec<(Col, usize)> = Vec::new();
        for (i, h) in headers.into_iter().enumerate() {
            if let Some(c) = column(kind, h) {
                if !map.iter().any(|(x, _)| *x == c) {
                    map.push((c, i));
                }
            }
        }
        let needed: &[(Col, &str)] = match kind {
            RecordKind::Contacts => &[(Col::Customer, "客户名称"), (Col::Name, "联系人")],
            RecordKind::Activities => &[
                (Col::Customer, "客户名称"),
                (Col::At, "时间"),
                (Col::Summary, "内容"),
            ],
            RecordKind::Orders => &[
                (Col::ExternalId, "订单号"),
                (Col::Customer, "客户名称"),
                (Col::At, "下单时间"),
                (Col::Product, "产品编码"),
                (Col::Quantity, "数量"),
            ],
        };
        for (c, name) in needed {
            if !map.iter().any(|(x, _)| x == c) {
                return Err(ValidationError::new(
                    "file",
                    "missing_column",
                    format!("the first row must name a column {name}"),
                ));
            }
        }
        Ok(Self(map))
    }

    fn get(&self, row: &[&str], c: Col) -> Option<String> {
        self.0
            .iter()
            .find(|(x, _)| *x == c)
            .and_then(|(_, i)| row.get(*i))
            .map(|v| unguard(v.trim()).to_string())
            .filter(|v| !v.is_empty())
    }
}

fn reject(line: usize, e: ValidationError) -> Rejected {
    Rejected {
        line,
        field: Some(e.field.to_string()),
        code: e.code.to_string(),
        message: e.message,
        same_as: None,
        duplicate_of: None,
    }
}

fn customer_of(cols: &RecordColumns, row: &[&str]) -> Result<String, ValidationError> {
    cols.get(row, Col::Customer)
        .ok_or_else(|| ValidationError::new("customer", "required", "name the customer"))
}

/// A time as people write it in a spreadsheet: `2026-11-20 14:30[:00]`, with `/` or `-`, or a
/// date alone (nine in the morning).
pub fn parse_local_time(raw: &str) -> Result<NaiveDateTime, ValidationError> {
    let v = raw.trim().replace('/', "-");
    let bad = || {
        ValidationError::new(
            "occurred_at",
            "invalid_time",
            "must be a time like 2026-11-20 14:30",
        )
    };
    let at = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(&v, f).ok())
        .or_else(|| {
            NaiveDate::parse_from_str(&v, "%Y-%m-%d")
                .ok()
                .map(|d| d.and_time(NaiveTime::from_hms_opt(9, 0, 0).expect("a valid time")))
        })
        .ok_or_else(bad)?;
    use chrono::Datelike;
    if !(crate::day::FIRST_YEAR..=crate::day::LAST_YEAR).contains(&at.year()) {
        return Err(bad());
    }
    Ok(at)
}

fn activity_kind(raw: Option<String>) -> Result<&'static str, ValidationError> {
    match raw.as_deref().map(str::trim) {
        None | Some("") => Ok("call"),
        Some("call" | "电话" | "电话拜访" | "致电") => Ok("call"),
        Some("visit" | "拜访" | "上门" | "上门拜访") => Ok("visit"),
        Some("email" | "邮件" | "电子邮件") => Ok("email"),
        Some("meeting" | "会议" | "会面") => Ok("meeting"),
        Some(_) => Err(ValidationError::new(
            "kind",
            "invalid_choice",
            "must be 电话, 拜访, 邮件 or 会议 (call, visit, email, meeting)",
        )),
    }
}

fn text(
    v: Option<String>,
    field: &'static str,
    max: usize,
) -> Result<Option<String>, ValidationError> {
    crate::customer::optional_text(field, v.as_deref(), max)
}

/// Rows of a contacts file: good ones and rejected ones with their line (the header is 1).
/// An external id used twice in the file rejects the later row.
pub fn contact_rows(
    cols: &RecordColumns,
    rows: impl IntoIterator<Item = (usize, Vec<String>)>,
) -> (Vec<ContactRow>, Vec<Rejected>) {
    let (mut good, mut bad): (Vec<ContactRow>, Vec<Rejected>) = (Vec::new(), Vec::new());
    for (line, cells) in rows {
        let row: Vec<&str> = cells.iter().map(String::as_str).collect();
        let parsed = (|| {
            let external_id =
                ExternalId::parse(&cols.get(&row, Col::ExternalId).unwrap_or_default())?;
            let customer = customer_of(cols, &row)?;
            let decision = cols.get(&row, Col::DecisionMaker);
            let contact = ContactInput {
                name: cols.get(&row, Col::Name),
                title: cols.get(&row, Col::Title),
                phone: cols.get(&row, Col::Phone),
                email: cols.get(&row, Col::Email),
                is_decision_maker: Some(matches!(
                    decision.as_deref(),
                    Some("是" | "yes" | "true" | "1")
                )),
                notes: cols.get(&row, Col::Notes),
                relation: None,
            }
            .parse()?;
            Ok(ContactRow {
                line,
                external_id,
                customer,
                contact,
            })
        })();
        match parsed {
            Ok(r) => good.push(r),
            Err(e) => bad.push(reject(line, e)),
        }
    }
    let (good, repeats) = first_of_each_id(good, |r| (r.line, r.external_id.clone()));
    bad.extend(repeats);
    (good, bad)
}

/// Rows of a follow-ups file, as [`contact_rows`].
pub fn activity_rows(
    cols: &RecordColumns,
    rows: impl IntoIterator<Item = (usize, Vec<String>)>,
) -> (Vec<ActivityRow>, Vec<Rejected>) {
    let (mut good, mut bad): (Vec<ActivityRow>, Vec<Rejected>) = (Vec::new(), Vec::new());
    for (line, cells) in rows {
        let row: Vec<&str> = cells.iter().map(String::as_str).collect();
        let parsed = (|| {
            let external_id =
                ExternalId::parse(&cols.get(&row, Col::ExternalId).unwrap_or_default())?;
            let customer = customer_of(cols, &row)?;
            let summary = cols
                .get(&row, Col::Summary)
                .ok_or_else(|| ValidationError::new("summary", "required", "must not be empty"))?;
            if summary.chars().count() > 2000 {
                return Err(ValidationError::new(
                    "summary",
                    "too_long",
                    "must be at most 2000 characters",
                ));
            }
            Ok(ActivityRow {
                line,
                external_id,
                customer,
                kind: activity_kind(cols.get(&row, Col::Kind))?,
                by: cols.get(&row, Col::By),
                at: parse_local_time(&cols.get(&row, Col::At).unwrap_or_default())?,
                summary,
                outcome: text(cols.get(&row, Col::Outcome), "outcome", 2000)?,
                next_step: text(cols.get(&row, Col::NextStep), "next_step", 1000)?,
                location: text(cols.get(&row, Col::Location), "location", 300)?,
            })
        })();
        match parsed {
            Ok(r) => good.push(r),
            Err(e) => bad.push(reject(line, e)),
        }
    }
    let (good, repeats) = first_of_each_id(good, |r| (r.line, r.external_id.clone()));
    bad.extend(repeats);
    (good, bad)
}

/// Rows of an orders file, gathered into orders by their order number (in the order of their
/// first row). Rows of one order must agree on the customer, the time, the due date and what
/// was paid; a row that does not is rejected, and with it the whole order (an order is never
/// imported without one of its lines).
pub fn order_rows(
    cols: &RecordColumns,
    rows: impl IntoIterator<Item = (usize, Vec<String>)>,
) -> (Vec<OrderRows>, Vec<Rejected>) {
    let mut orders: Vec<OrderRows> = Vec::new();
    let mut index: std::collections::HashMap<ExternalId, usize> = Default::default();
    let mut broken: std::collections::HashSet<usize> = Default::default();
    let mut bad = Vec::new();
    for (line, cells) in rows {
        let row: Vec<&str> = cells.iter().map(String::as_str).collect();
        let parsed = (|| {
            let order_no = ExternalId::parse(&cols.get(&row, Col::ExternalId).unwrap_or_default())
                .map_err(|e| ValidationError::new("order_no", e.code, e.message))?
                .ok_or_else(|| {
                    ValidationError::new("order_no", "required", "every row names its order")
                })?;
            let customer = customer_of(cols, &row)?;
            let at = parse_local_time(&cols.get(&row, Col::At).unwrap_or_default())
                .map_err(|e| ValidationError::new("ordered_at", e.code, e.message))?;
            let product = cols.get(&row, Col::Product).ok_or_else(|| {
                ValidationError::new("product", "required", "name the product's code")
            })?;
            let quantity = crate::money::parse(
                "quantity",
                &cols.get(&row, Col::Quantity).unwrap_or_default(),
                crate::money::QUANTITY,
            )?;
            if quantity.is_zero() {
                return Err(ValidationError::new(
                    "quantity",
                    "out_of_range",
                    "must be more than zero",
                ));
            }
            let unit_price = cols
                .get(&row, Col::UnitPrice)
                .map(|p| crate::money::parse_amount("unit_price", &p))
                .transpose()?;
            let due_date = cols
                .get(&row, Col::DueDate)
                .map(|d| crate::day::parse("due_date", &d.replace('/', "-")))
                .transpose()?;
            if due_date.is_some_and(|d| d < at.date()) {
                return Err(ValidationError::new(
                    "due_date",
                    "out_of_range",
                    "cannot be before the order day",
                ));
            }
            let paid = cols
                .get(&row, Col::Paid)
                .map(|p| crate::money::parse_amount("paid", &p))
                .transpose()?
                .filter(|p| !p.is_zero());
            Ok(OrderRows {
                lines: vec![line],
                order_no,
                customer,
                at,
                due_date,
                paid,
                items: vec![OrderItem {
                    line,
                    product,
                    quantity,
                    unit_price,
                }],
            })
        })();
        let one = match parsed {
            Ok(o) => o,
            Err(e) => {
                // The order this row belonged to, if its number could be read, is incomplete.
                if let Ok(Some(no)) =
                    ExternalId::parse(&cols.get(&row, Col::ExternalId).unwrap_or_default())
                {
                    let i = *index.entry(no.clone()).or_insert_with(|| {
                        orders.push(OrderRows {
                            lines: Vec::new(),
                            order_no: no,
                            customer: String::new(),
                            at: NaiveDateTime::default(),
                            due_date: None,
                            paid: None,
                            items: Vec::new(),
                        });
                        orders.len() - 1
                    });
                    broken.insert(i);
                    orders[i].lines.push(line);
                }
                bad.push(reject(line, e));
                continue;
            }
        };
        match index.get(&one.order_no) {
            None => {
                index.insert(one.order_no.clone(), orders.len());
                orders.push(one);
            }
            Some(&i) => {
                let o = &mut orders[i];
                if o.items.is_empty() {
                    // Its first readable row; an earlier one was rejected.
                    let lines = std::mem::take(&mut o.lines);
                    *o = one;
                    o.lines.splice(0..0, lines);
                    continue;
                }
                let first = o.items[0].line;
                let differs = [
                    ("customer", o.customer != one.customer),
                    ("ordered_at", o.at != one.at),
                    (
                        "due_date",
                        one.due_date.is_some() && o.due_date != one.due_date,
                    ),
                    ("paid", one.paid.is_some() && o.paid != one.paid),
                ]
                .into_iter()
                .find(|(_, d)| *d);
                o.lines.push(line);
                if let Some((field, _)) = differs {
                    broken.insert(i);
                    bad.push(Rejected {
                        line,
                        field: Some(field.into()),
                        code: "inconsistent_order".into(),
                        message: format!("differs from line {first} of the same order"),
                        same_as: Some(first),
                        duplicate_of: None,
                    });
                    continue;
                }
                o.items.extend(one.items);
            }
        }
    }
    let mut good = Vec::new();
    for (i, o) in orders.into_iter().enumerate() {
        if broken.contains(&i) {
            let refused: std::collections::HashSet<usize> = bad.iter().map(|r| r.line).collect();
            let reason = o.lines.iter().copied().find(|l| refused.contains(l));
            for l in o.lines.iter().filter(|l| !refused.contains(l)) {
                bad.push(Rejected {
                    line: *l,
                    field: Some("order_no".into()),
                    code: "order_incomplete".into(),
                    message: format!(
                        "line {} of the same order was rejected",
                        reason.unwrap_or_default()
                    ),
                    same_as: reason,
                    duplicate_of: None,
                });
            }
        } else {
            good.push(o);
        }
    }
    bad.sort_by_key(|r| r.line);
    (good, bad)
}

/// Keeps the first row of each external id; a later one is rejected, naming the first.
fn first_of_each_id<T>(
    rows: Vec<T>,
    key: impl Fn(&T) -> (usize, Option<ExternalId>),
) -> (Vec<T>, Vec<Rejected>) {
    let mut seen: std::collections::HashMap<ExternalId, usize> = Default::default();
    let (mut keep, mut bad) = (Vec::new(), Vec::new());
    for r in rows {
        let (line, id) = key(&r);
        match id {
            Some(id) => match seen.get(&id) {
                Some(first) => bad.push(Rejected {
                    line,
                    field: Some("external_id".into()),
                    code: "duplicate_external_id".into(),
                    message: format!("the same external id as line {first}"),
                    same_as: Some(*first),
                    duplicate_of: None,
                }),
                None => {
                    seen.insert(id, line);
                    keep.push(r);
                }
            },
            None => keep.push(r),
        }
    }
    (keep, bad)
}

/// The most rows one file may hold.
pub const MAX_RECORD_ROWS: usize = MAX_ROWS;

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(v: &[&[&str]]) -> Vec<(usize, Vec<String>)> {
        v.iter()
            .enumerate()
            .map(|(i, r)| (i + 2, r.iter().map(|c| c.to_string()).collect()))
            .collect()
    }

    #[test]
    fn follow_ups_read_with_their_time_kind_and_id() {
        let cols = RecordColumns::from_headers(
            RecordKind::Activities,
            [
                "外部编号",
                "客户名称",
                "跟进方式",
                "跟进人",
                "时间",
                "内容",
                "结果",
            ],
        )
        .unwrap();
        let (good, bad) = activity_rows(
            &cols,
            rows(&[
                &[
                    "A-1",
                    "东方百货",
                    "拜访",
                    "rep1",
                    "2026/11/20 14:30",
                    "演示方案",
                    "有意向",
                ],
                &["A-2", "东方百货", "", "", "2026-11-21", "电话回访", ""],
                &[
                    "A-1",
                    "东方百货",
                    "电话",
                    "",
                    "2026-11-22 10:00",
                    "重复编号",
                    "",
                ],
                &["A-3", "东方百货", "传真", "", "2026-11-22 10:00", "x", ""],
                &["A-4", "东方百货", "电话", "", "2026-13-01", "x", ""],
                &["A-5", "", "电话", "", "2026-11-22", "x", ""],
            ]),
        );
        assert_eq!(good.len(), 2);
        assert_eq!(good[0].kind, "visit");
        assert_eq!(good[0].at.to_string(), "2026-11-20 14:30:00");
        assert_eq!(good[0].by.as_deref(), Some("rep1"));
        assert_eq!(good[1].kind, "call");
        assert_eq!(good[1].at.to_string(), "2026-11-21 09:00:00");
        let codes: Vec<(usize, &str)> = bad.iter().map(|r| (r.line, r.code.as_str())).collect();
        assert!(codes.contains(&(4, "duplicate_external_id")), "{codes:?}");
        assert!(codes.contains(&(5, "invalid_choice")), "{codes:?}");
        assert!(codes.contains(&(6, "invalid_time")), "{codes:?}");
        assert!(codes.contains(&(7, "required")), "{codes:?}");
        assert_eq!(
            RecordColumns::from_headers(RecordKind::Activities, ["客户名称", "内容"])
                .err()
                .map(|e| e.code),
            Some("missing_column")
        );
    }

    #[test]
    fn order_rows_gather_by_number_and_a_bad_line_takes_its_order_with_it() {
        let cols = RecordColumns::from_headers(
            RecordKind::Orders,
            [
                "订单号",
                "客户名称",
                "下单时间",
                "产品编码",
                "数量",
                "单价",
                "到期日",
                "已收",
            ],
        )
        .unwrap();
        let (good, bad) = order_rows(
            &cols,
            rows(&[
                &[
                    "SO-1",
                    "东方百货",
                    "2025/03/02 10:00",
                    "LED-1",
                    "10",
                    "",
                    "",
                    "500",
                ],
                &[
                    "SO-2",
                    "华联超市",
                    "2025-03-05",
                    "LED-1",
                    "1",
                    "99.5",
                    "2025-04-30",
                    "",
                ],
                &[
                    "SO-1",
                    "东方百货",
                    "2025/03/02 10:00",
                    "LED-2",
                    "2",
                    "30",
                    "",
                    "",
                ],
                // SO-3: its second line has no quantity, so SO-3 is not imported at all.
                &["SO-3", "华联超市", "2025-03-06", "LED-1", "1", "", "", ""],
                &["SO-3", "华联超市", "2025-03-06", "LED-2", "", "", "", ""],
                // SO-4: two customers under one number.
                &["SO-4", "华联超市", "2025-03-07", "LED-1", "1", "", "", ""],
                &["SO-4", "东方百货", "2025-03-07", "LED-1", "1", "", "", ""],
                &["", "华联超市", "2025-03-07", "LED-1", "1", "", "", ""],
                &[
                    "SO-5",
                    "华联超市",
                    "2025-03-07",
                    "LED-1",
                    "1",
                    "",
                    "2025-03-01",
                    "",
                ],
            ]),
        );
        assert_eq!(good.len(), 2, "{good:?}");
        let so1 = &good[0];
        assert_eq!(
            (so1.order_no.as_str(), so1.lines.clone(), so1.paid),
            ("SO-1", vec![2, 4], Some(Decimal::from(500)))
        );
        assert_eq!(
            so1.items
                .iter()
                .map(|i| i.product.as_str())
                .collect::<Vec<_>>(),
            vec!["LED-1", "LED-2"]
        );
        assert_eq!(so1.items[1].unit_price, Some(Decimal::from(30)));
        assert_eq!(
            good[1].due_date.map(|d| d.to_string()).as_deref(),
            Some("2025-04-30")
        );
        let codes: Vec<(usize, &str)> = bad.iter().map(|r| (r.line, r.code.as_str())).collect();
        assert_eq!(
            codes,
            vec![
                (5, "order_incomplete"),
                (6, "invalid_amount"),
                (7, "order_incomplete"),
                (8, "inconsistent_order"),
                (9, "required"),
                (10, "out_of_range"),
            ],
            "{bad:?}"
        );
        assert_eq!(bad[0].same_as, Some(6));
        assert_eq!(
            RecordColumns::from_headers(
                RecordKind::Orders,
                ["客户名称", "产品编码", "数量", "下单时间"]
            )
            .err()
            .map(|e| e.message),
            Some("the first row must name a column 订单号".into())
        );
    }

    #[test]
    fn contacts_read_as_the_export_writes_them() {
        let cols = RecordColumns::from_headers(
            RecordKind::Contacts,
            [
                "客户名称",
                "联系人",
                "职务",
                "电话",
                "邮箱",
                "决策人",
                "备注",
            ],
        )
        .unwrap();
        let (good, bad) = contact_rows(
            &cols,
            rows(&[
                &[
                    "东方百货",
                    "王建国",
                    "采购经理",
                    "13800000009",
                    "wang@example.com",
                    "是",
                    "",
                ],
                &["东方百货", "", "", "", "", "", ""],
            ]),
        );
        assert_eq!(good.len(), 1);
        assert!(good[0].contact.is_decision_maker);
        assert_eq!(good[0].contact.title.as_deref(), Some("采购经理"));
        assert_eq!(bad[0].line, 3);
    }
}
