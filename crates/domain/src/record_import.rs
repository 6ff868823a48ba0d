//! Importing contacts and follow-ups (issue 16), as a company moving from another CRM brings
//! them: each row names its customer, and may carry the old system's id (外部编号) so that
//! importing the same file again changes nothing — a row whose id is known updates that record
//! instead of adding one.

use crate::customer::{ContactFields, ContactInput};
use crate::error::ValidationError;
use crate::import::{unguard, Rejected, MAX_ROWS};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

/// What a file imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    Contacts,
    Activities,
}

impl RecordKind {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        match raw.trim() {
            "contacts" => Ok(RecordKind::Contacts),
            "activities" => Ok(RecordKind::Activities),
            _ => Err(ValidationError::new(
                "kind",
                "invalid_choice",
                "must be contacts or activities",
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
}

fn column(kind: RecordKind, header: &str) -> Option<Col> {
    let h = header.trim().trim_start_matches('\u{feff}').to_lowercase();
    let shared = match h.as_str() {
        "external_id" | "外部编号" | "原系统编号" | "编号" => Some(Col::ExternalId),
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
