//! The audit trail, for admins and directors.

use crate::described::{answer, Answer, Listing};

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::extract::Query;
use crate::i18n::Tr;
use crate::render::render;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;
use yingpan_domain::permission::Action;
use yingpan_store::AuditEntry;

const PER_PAGE: i64 = 50;

#[derive(Deserialize, utoipa::ToSchema)]
struct AuditQuery {
    entity: Option<String>,
    entity_id: Option<i64>,
    page: Option<i64>,
}

async fn load(
    state: &AppState,
    me: &CurrentUser,
    q: &AuditQuery,
) -> Result<(Vec<AuditEntry>, i64), AppError> {
    me.may(Action::ReadAuditTrail)?;
    let filter = match (q.entity.as_deref(), q.entity_id) {
        (Some(e), Some(id)) if !e.is_empty() => Some((e, id)),
        _ => None,
    };
    let page = q.page.unwrap_or(1).max(1);
    Ok(state
        .store
        .audit_log(me.viewer.org_id, filter, PER_PAGE, (page - 1) * PER_PAGE)
        .await?)
}

async fn api_audit(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Listing<AuditEntry>>, AppError> {
    let (items, total) = load(&state, &me, &q).await?;
    Ok(Json(Listing::counted(items, total)))
}

/// One change as a reader sees it: the field in words, values in words.
pub struct ChangeView {
    pub label: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// One audit entry in words: who, what, which record (named, linked where it has a page).
pub struct EntryView {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub record: String,
    pub link: Option<String>,
    pub changes: Vec<ChangeView>,
}

/// What the presenter needs besides the entries: names of people, records and custom fields.
pub struct Names {
    pub users: HashMap<i64, String>,
    pub subjects: HashMap<(String, i64), String>,
    pub custom: HashMap<String, String>,
}

/// Fields whose values are money.
const MONEY: &[&str] = &[
    "total",
    "deposit",
    "payment",
    "refund",
    "amount",
    "price",
    "cost",
    "advance",
    "settlement",
    "outstanding",
    "annual_revenue",
    "credit_limit",
    "average_monthly_sales",
    "first_order_amount",
    "category_spend_estimate",
    "pay",
    "revenue",
    "gross_margin",
    "collected",
    "base_salary",
    "process_amount",
    "referral_reward",
];

/// Fields whose values are a person's id.
const PEOPLE: &[&str] = &[
    "owner_id",
    "superior_id",
    "customers_handed_over_to",
    "credited_to",
    "to_user_id",
    "handover_to",
    "assignee_id",
];

/// The catalog prefixes that name a field's coded values, tried in order.
fn value_prefixes(field: &str) -> &'static [&'static str] {
    match field {
        "status" => &[
            "opportunity_status",
            "plan_status",
            "pay.status",
            "ticket_status",
        ],
        "category" => &["ticket_category"],
        "severity" => &["severity"],
        "deadline" => &["ticket_deadline"],
        "result" => &["visit_result"],
        "stage" => &["stage"],
        "tier" => &["tier"],
        "key_account" => &["key_account"],
        "kind" => &[
            "kind",
            "custom_kind",
            "advance_kind",
            "escalation_kind",
            "payment_kind",
            "meeting_kind",
        ],
        "attendance" => &["attendance_kind"],
        "format" => &["webhook_format"],
        "role" => &["role"],
        "delivery_status" => &["delivery"],
        "clerk_visibility" => &["clerk_visibility"],
        _ => &[],
    }
}

fn known(tr: &Tr, key: &str) -> Option<String> {
    let text = tr.t(key);
    (text != key).then(|| text.to_string())
}

/// A field's name in words; a name made of parts (`dealer.credit_limit`, `custom.budget`,
/// `revenue · rep_a2 · 2027`, `pay 2026-11`) has each known part translated.
fn field_label(tr: &Tr, names: &Names, entity: &str, field: &str) -> String {
    // A word that means one thing for a person and another for a product (在职 / 在售).
    if let Some(t) = known(tr, &format!("field.{entity}_{field}")) {
        return t;
    }
    // A composite name with its own label (`critical.response_hours`).
    if let Some(t) = known(tr, &format!("field.{field}")) {
        return t;
    }
    let (head, rest) = match field.split_once([' ', '·']) {
        Some((h, r)) => (h.trim(), Some(r.trim_start_matches(['·', ' ']))),
        None => (field, None),
    };
    let word =
        |part: &str| known(tr, &format!("field.{part}")).unwrap_or_else(|| part.replace('_', " "));
    let label = if let Some(key) = head.strip_prefix("custom.") {
        names
            .custom
            .get(key)
            .cloned()
            .unwrap_or_else(|| key.to_string())
    } else if let Some((group, part)) = head.split_once('.') {
        format!("{} · {}", word(group), word(part))
    } else {
        word(head)
    };
    match rest {
        Some(r) if !r.is_empty() => format!("{label} {r}"),
        _ => label,
    }
}

/// The last part of a field's name, which says what kind of value it holds.
fn field_kind(field: &str) -> &str {
    let head = field.split([' ', '·']).next().unwrap_or(field);
    let last = head.rsplit('.').next().unwrap_or(head);
    // `category_spend_estimate.2025`: the year is not the kind.
    if last.chars().all(|c| c.is_ascii_digit()) {
        head.split('.').next().unwrap_or(head)
    } else {
        last
    }
}

fn money_text(tr: &Tr, raw: &str) -> Option<String> {
    raw.trim()
        .parse::<rust_decimal::Decimal>()
        .ok()
        .map(|d| tr.money(d))
}

/// A stored value in words: yes/no, people's names, coded values translated, money formatted,
/// a JSON object as its fields.
fn value_text(tr: &Tr, names: &Names, entity: &str, field: &str, raw: &str) -> String {
    let kind = field_kind(field);
    match raw {
        "true" => return tr.t("audit.yes").to_string(),
        "false" => return tr.t("audit.no").to_string(),
        _ => {}
    }
    if PEOPLE.contains(&kind) {
        if raw == "pool" {
            return tr.t("audit.to_pool").to_string();
        }
        if let Some(n) = raw.parse::<i64>().ok().and_then(|id| names.users.get(&id)) {
            return n.clone();
        }
    }
    if kind == "members" {
        return raw
            .split(',')
            .filter(|m| !m.is_empty())
            .map(|m| {
                let (id, admin) = match m.strip_suffix('*') {
                    Some(id) => (id, true),
                    None => (m, false),
                };
                let name = id
                    .parse::<i64>()
                    .ok()
                    .and_then(|id| names.users.get(&id).cloned())
                    .unwrap_or_else(|| id.to_string());
                if admin {
                    format!("{name}（{}）", tr.t("audit.pool_admin"))
                } else {
                    name
                }
            })
            .collect::<Vec<_>>()
            .join("、");
    }
    if kind == "locale" {
        return match raw {
            "zh-CN" => "简体中文".into(),
            "en" => "English".into(),
            other => other.into(),
        };
    }
    for prefix in value_prefixes(kind) {
        if let Some(t) = known(tr, &format!("{prefix}.{raw}")) {
            return t;
        }
    }
    if entity == "budget" {
        // "sales / expenses"
        return raw
            .split(" / ")
            .zip(["budgets.sales", "budgets.expenses"])
            .map(|(v, key)| {
                let v = money_text(tr, v).unwrap_or_else(|| v.to_string());
                format!("{} {v}", tr.t(key))
            })
            .collect::<Vec<_>>()
            .join(" · ");
    }
    if entity == "pay_month" {
        if let Some(n) = raw.strip_suffix(" sheets") {
            return tr.t("audit.sheets").replace("{n}", n);
        }
    }
    if MONEY.contains(&kind) {
        if let Some(m) = money_text(tr, raw) {
            return m;
        }
        // "71.00 CNY": an amount in its currency; "-50 迟交周报": an amount and its reason.
        if let Some((amount, rest)) = raw.split_once(' ') {
            if let Ok(d) = amount.parse::<rust_decimal::Decimal>() {
                let currency = rest.len() == 3 && rest.chars().all(|c| c.is_ascii_uppercase());
                return if rest == yingpan_domain::weekly_report::REPORTING_CURRENCY {
                    tr.money(d)
                } else if currency {
                    format!("{rest} {}", tr.count_dp(d, 2))
                } else {
                    format!("{} {rest}", tr.money(d))
                };
            }
        }
    }
    if raw.starts_with('{') {
        if let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<Value>(raw) {
            return map
                .iter()
                .map(|(k, v)| {
                    let label = known(tr, &format!("field.{k}"))
                        .or_else(|| known(tr, &format!("tier.{k}")))
                        .unwrap_or_else(|| k.replace('_', " "));
                    let text = match v {
                        Value::Null => "—".to_string(),
                        Value::Bool(b) => tr.t(if *b { "audit.yes" } else { "audit.no" }).into(),
                        Value::String(x) if MONEY.contains(&k.as_str()) => {
                            money_text(tr, x).unwrap_or_else(|| x.clone())
                        }
                        Value::String(x) => x.clone(),
                        Value::Number(n) => n.to_string(),
                        Value::Array(a) => tr.t("audit.items").replace("{n}", &a.len().to_string()),
                        Value::Object(o) => {
                            tr.t("audit.items").replace("{n}", &o.len().to_string())
                        }
                    };
                    format!("{label}: {text}")
                })
                .collect::<Vec<_>>()
                .join(" · ");
        }
    }
    if raw == "(from merge)" {
        return tr.t("audit.from_merge").to_string();
    }
    // A record named with its id ("营盘科技 #2", "#2"): its name.
    if let Some(id) = referenced_id(raw) {
        if let Some(name) = names.subjects.get(&("customer".to_string(), id)) {
            return name.clone();
        }
    }
    if let Some((name, id)) = raw.rsplit_once(" #") {
        if id.chars().all(|c| c.is_ascii_digit()) && !name.is_empty() {
            return name.to_string();
        }
    }
    raw.to_string()
}

/// Where a record of this kind has its own page.
fn link_of(entity: &str, id: i64) -> Option<String> {
    match entity {
        "customer" => Some(format!("/customers/{id}")),
        "order" => Some(format!("/orders/{id}")),
        "daily_report" => Some(format!("/reports/{id}")),
        "weekly_report" => Some(format!("/weekly-reports/{id}")),
        "visit_plan" => Some(format!("/plans/{id}")),
        "escalation" => Some(format!("/escalations/{id}")),
        _ => None,
    }
}

pub fn present(tr: &Tr, names: &Names, e: &AuditEntry) -> EntryView {
    let kind = tr.tp("audit", format!("entity_{}", e.entity));
    let subject = names.subjects.get(&(e.entity.clone(), e.entity_id));
    EntryView {
        at: tr.time(&e.at),
        actor: e
            .actor_name
            .clone()
            .unwrap_or_else(|| tr.t("audit.system").to_string()),
        action: tr.tp("audit", format!("action_{}", e.action)),
        record: match subject {
            Some(s) => format!("{kind} · {s}"),
            None => kind,
        },
        link: subject.and_then(|_| link_of(&e.entity, e.entity_id)),
        changes: e
            .changes
            .iter()
            .map(|c| ChangeView {
                label: field_label(tr, names, &e.entity, &c.field),
                before: c
                    .before
                    .as_deref()
                    .map(|v| value_text(tr, names, &e.entity, &c.field, v)),
                after: c
                    .after
                    .as_deref()
                    .map(|v| value_text(tr, names, &e.entity, &c.field, v)),
            })
            .collect(),
    }
}

/// The records an entry names: its own, and customers its values refer to by id (`#26`).
fn subjects_of(items: &[AuditEntry]) -> Vec<(&str, i64)> {
    let mut out = Vec::new();
    for e in items {
        out.push((e.entity.as_str(), e.entity_id));
        for c in &e.changes {
            for v in [&c.before, &c.after].into_iter().flatten() {
                if let Some(id) = referenced_id(v) {
                    out.push(("customer", id));
                }
            }
        }
    }
    out
}

/// The id in a value that names a record by it: `#26` or `营盘科技 #26`.
fn referenced_id(raw: &str) -> Option<i64> {
    let (_, id) = raw.rsplit_once('#')?;
    id.parse().ok()
}

async fn names(
    state: &AppState,
    me: &CurrentUser,
    items: &[AuditEntry],
) -> Result<Names, AppError> {
    let org = me.viewer.org_id;
    Ok(Names {
        users: state
            .store
            .users(org)
            .await?
            .into_iter()
            .map(|u| (u.id, u.display_name))
            .collect(),
        subjects: state.store.audit_subjects(org, &subjects_of(items)).await?,
        custom: state
            .store
            .custom_fields(org)
            .await?
            .into_iter()
            .map(|f| (f.key, f.label))
            .collect(),
    })
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    items: Vec<EntryView>,
    total: i64,
    page: i64,
    next: bool,
    filter: String,
}

async fn audit_page(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<AuditQuery>,
) -> Response {
    let loaded = match load(&state, &me, &q).await {
        Ok((items, total)) => names(&state, &me, &items).await.map(|n| (items, total, n)),
        Err(e) => Err(e),
    };
    match loaded {
        Ok((items, total, names)) => {
            let tr = me.tr();
            let items = items.iter().map(|e| present(&tr, &names, e)).collect();
            let page = q.page.unwrap_or(1).max(1);
            let filter = match (&q.entity, q.entity_id) {
                (Some(e), Some(id)) => format!("&entity={e}&entity_id={id}"),
                _ => String::new(),
            };
            render(
                &AuditPage {
                    tr: me.tr(),
                    me: &me,
                    items,
                    total,
                    page,
                    next: page * PER_PAGE < total,
                    filter,
                },
                me.locale(),
            )
        }
        Err(e) => e.into_page(me.locale()),
    }
}

pub(crate) fn answers() -> Vec<Answer> {
    vec![answer("get", "/audit", api_audit)]
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/audit", get(api_audit))
        .route("/audit", get(audit_page))
}

#[cfg(test)]
mod tests {
    use super::*;
    use yingpan_domain::audit::FieldChange;
    use yingpan_domain::person::Locale;

    fn entry(entity: &str, id: i64, action: &str, changes: &[(&str, &str, &str)]) -> AuditEntry {
        AuditEntry {
            id: 1,
            actor_id: None,
            actor_name: None,
            entity: entity.into(),
            entity_id: id,
            action: action.into(),
            changes: changes
                .iter()
                .map(|(f, b, a)| FieldChange {
                    field: (*f).into(),
                    before: (!b.is_empty()).then(|| (*b).into()),
                    after: (!a.is_empty()).then(|| (*a).into()),
                })
                .collect(),
            at: "2026-11-02T01:30:00Z".into(),
        }
    }

    fn names() -> Names {
        Names {
            users: HashMap::from([(4, "王芳".to_string()), (5, "李强".to_string())]),
            subjects: HashMap::from([
                (("customer".to_string(), 26), "上海恒达".to_string()),
                (("customer".to_string(), 2), "营盘科技（北京）".to_string()),
            ]),
            custom: HashMap::from([("call_again".to_string(), "需再次致电".to_string())]),
        }
    }

    fn changes(v: &EntryView) -> Vec<String> {
        v.changes
            .iter()
            .map(|c| {
                format!(
                    "{}: {} → {}",
                    c.label,
                    c.before.as_deref().unwrap_or(""),
                    c.after.as_deref().unwrap_or("")
                )
            })
            .collect()
    }

    #[test]
    fn entries_read_in_words() {
        let zh = Tr::new(Locale::ZhCn, "Asia/Shanghai");
        let en = Tr::new(Locale::En, "Asia/Shanghai");
        let n = names();
        let e = entry(
            "customer",
            26,
            "transfer",
            &[
                ("owner_id", "5", "4"),
                ("custom.call_again", "", "true"),
                ("dealer.credit_limit", "", "50000"),
                ("tier", "", "priority"),
                ("merged_from", "", "营盘科技（北京） #2"),
            ],
        );
        let v = present(&zh, &n, &e);
        assert_eq!(v.record, "客户 · 上海恒达");
        assert_eq!(v.link.as_deref(), Some("/customers/26"));
        assert_eq!(v.actor, "系统");
        assert_eq!(v.at, "2026-11-02 09:30");
        assert_eq!(
            changes(&v),
            [
                "负责人: 李强 → 王芳",
                "需再次致电:  → 是",
                "经销商 · 信用额度（元）:  → ¥50,000.00",
                "客户等级:  → 重点客户",
                "并入自:  → 营盘科技（北京）",
            ]
        );
        let text = changes(&v).join("\n");
        for bad in ["field.", "true", "#2", " 5 ", "priority"] {
            assert!(!text.contains(bad), "{bad} in {text}");
        }
        assert!(
            text.contains("李强 → 王芳") && text.contains("¥50,000.00"),
            "{text}"
        );

        // A record with no name of its own (it is gone) is named by its kind only, never by id.
        let gone = present(
            &en,
            &n,
            &entry(
                "visit_plan",
                9,
                "submit",
                &[("status", "draft", "submitted"), ("late", "", "false")],
            ),
        );
        assert_eq!(gone.record, "Visit plan");
        assert_eq!(gone.link, None);
        assert_eq!(changes(&gone)[1], "late:  → no");
        assert!(!changes(&gone)[0].contains("draft"), "{:?}", changes(&gone));

        // Composite names keep their detail; amounts with a reason keep the reason.
        let pay = present(
            &zh,
            &n,
            &entry(
                "pay_adjustment",
                3,
                "create",
                &[("pay 2026-10", "", "-50 迟交周报")],
            ),
        );
        assert_eq!(changes(&pay), ["工资 2026-10:  → ¥-50.00 迟交周报"]);
        let budget = present(
            &zh,
            &n,
            &entry(
                "budget",
                4,
                "create",
                &[("budget 2026-10 · 王芳", "", "2000 / 100")],
            ),
        );
        assert_eq!(
            changes(&budget),
            ["预算 2026-10 · 王芳:  → 销售额 ¥2,000.00 · 费用 ¥100.00"]
        );
        let unmerged = present(
            &zh,
            &n,
            &entry(
                "customer",
                26,
                "unmerge",
                &[("merged_from", "#2", ""), ("email", "(from merge)", "")],
            ),
        );
        assert_eq!(
            changes(&unmerged),
            ["并入自: 营盘科技（北京） → ", "邮箱: （合并时带入） → "]
        );
        let order = present(
            &en,
            &n,
            &entry(
                "order",
                7,
                "create",
                &[("total", "", "71.00 CNY"), ("deposit", "", "1200.5 USD")],
            ),
        );
        assert_eq!(
            changes(&order),
            ["amount:  → CNY 71.00", "deposit:  → USD 1,200.50"]
        );
        let product = present(
            &zh,
            &n,
            &entry("product", 1, "create", &[("active", "", "true")]),
        );
        assert_eq!(changes(&product), ["在售:  → 是"]);
        let pool = present(
            &zh,
            &n,
            &entry("pool", 1, "update", &[("members", "", "4*,5")]),
        );
        assert_eq!(changes(&pool), ["成员:  → 王芳（池管理员）、李强"]);
        let handed = present(
            &en,
            &n,
            &entry(
                "user",
                5,
                "deactivate",
                &[("customers_handed_over_to", "", "pool")],
            ),
        );
        assert!(
            changes(&handed)[0].ends_with("→ the pool"),
            "{:?}",
            changes(&handed)
        );
    }
}
