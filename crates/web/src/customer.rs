//! Customers: the JSON API and the pages (list, form, card, recycle bin). Their contacts and
//! logged activities are `contact` and `activity`.

use crate::auth::{CurrentUser, PageForm};
use crate::described::{answer, Answer, Listing};
use crate::error::AppError;
use crate::extract::JsonBody;
use crate::extract::{Path, Query};
use crate::i18n::Tr;
use crate::render::{done, render};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::Value;
use yingpan_domain::custom::{parse_values, CustomFieldDef, CustomFieldKind};
use yingpan_domain::customer::{
    optional, ContactInput, CustomerFields, CustomerInput, Email, Phone,
};
use yingpan_domain::permission::Action;
use yingpan_domain::person::{Role, Scope};
use yingpan_store::{
    Activity, Contact, Customer, CustomerListQuery, CustomerSort, DuplicateKeys, DuplicateMatch,
    OwnershipChange, User,
};

#[derive(Debug, Deserialize, Default, utoipa::ToSchema)]
pub struct ListParams {
    q: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
    owner_id: Option<String>,
    sort: Option<String>,
    deleted: Option<String>,
    /// `true`: dealers only.
    dealers: Option<String>,
    /// Card fields, each exact: `?region=&industry=&source=&tier=&kind=&man_class=&key_account=`.
    kind: Option<String>,
    region: Option<String>,
    industry: Option<String>,
    source: Option<String>,
    tier: Option<String>,
    man_class: Option<String>,
    key_account: Option<String>,
    /// History: no follow-up for this many days; bought a product; ordered, but not since a
    /// day; total spent at least / at most (reporting currency).
    inactive_days: Option<String>,
    bought_product: Option<String>,
    last_order_before: Option<String>,
    spent_min: Option<String>,
    spent_max: Option<String>,
    /// Size bands of the card: annual revenue and net assets (yuan), employees.
    revenue_min: Option<String>,
    revenue_max: Option<String>,
    employees_min: Option<String>,
    employees_max: Option<String>,
    net_assets_min: Option<String>,
    net_assets_max: Option<String>,
    /// Customers of this person's team (them and everyone below).
    team: Option<String>,
    /// The kind of the latest follow-up: call, visit, email, meeting.
    last_activity: Option<String>,
    /// `cf.<key>=value` filters on admin-defined fields.
    #[serde(flatten)]
    extra: std::collections::HashMap<String, String>,
}

pub(crate) fn parse_int(field: &'static str, raw: Option<&str>) -> Result<Option<i64>, AppError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => s.parse().map(Some).map_err(|_| {
            yingpan_domain::ValidationError::new(field, "invalid_number", "must be a whole number")
                .into()
        }),
    }
}

impl ListParams {
    /// The card fields asked for, each parsed as its field (an unknown tier or class is 422).
    fn card(&self) -> Result<yingpan_store::CardFilter, AppError> {
        use yingpan_domain::qualification::{KeyAccountClass, Man, Tier};
        let text = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        Ok(yingpan_store::CardFilter {
            kind: text(&self.kind)
                .map(|k| {
                    yingpan_domain::customer::CustomerKind::parse(&k)
                        .map(|k| k.as_str().to_string())
                })
                .transpose()?,
            region: text(&self.region),
            industry: text(&self.industry),
            source: text(&self.source),
            tier: text(&self.tier)
                .map(|t| Tier::parse(&t).map(|t| t.as_str().to_string()))
                .transpose()?,
            man_class: text(&self.man_class)
                .map(|m| Man::parse_class("man_class", &m))
                .transpose()?,
            key_account: text(&self.key_account)
                .map(|k| KeyAccountClass::parse("key_account", &k))
                .transpose()?,
        })
    }

    /// Every card and history filter as asked (already checked by `to_query`), for the page's
    /// controls and its pager.
    fn filters(&self) -> Vec<(&'static str, String)> {
        [
            ("kind", &self.kind),
            ("region", &self.region),
            ("industry", &self.industry),
            ("source", &self.source),
            ("tier", &self.tier),
            ("man_class", &self.man_class),
            ("key_account", &self.key_account),
            ("inactive_days", &self.inactive_days),
            ("bought_product", &self.bought_product),
            ("last_order_before", &self.last_order_before),
            ("spent_min", &self.spent_min),
            ("spent_max", &self.spent_max),
            ("revenue_min", &self.revenue_min),
            ("revenue_max", &self.revenue_max),
            ("employees_min", &self.employees_min),
            ("employees_max", &self.employees_max),
            ("net_assets_min", &self.net_assets_min),
            ("net_assets_max", &self.net_assets_max),
            ("team", &self.team),
            ("last_activity", &self.last_activity),
        ]
        .into_iter()
        .map(|(k, v)| (k, v.as_deref().unwrap_or("").trim().to_string()))
        .collect()
    }

    /// The card's size bands asked for: amounts in fen (two decimals at most), employees as
    /// a whole number; a minimum above its maximum is refused.
    fn size(&self) -> Result<yingpan_store::SizeFilter, AppError> {
        use yingpan_domain::ValidationError;
        let text = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let fen = |field: &'static str, raw: &Option<String>| -> Result<Option<i64>, AppError> {
            text(raw)
                .map(|r| {
                    yingpan_domain::money::parse_amount(field, &r).map(|d| {
                        use rust_decimal::prelude::ToPrimitive;
                        (d * rust_decimal::Decimal::from(100))
                            .round()
                            .to_i64()
                            .unwrap_or(i64::MAX)
                    })
                })
                .transpose()
                .map_err(Into::into)
        };
        let count = |field: &'static str, raw: &Option<String>| -> Result<Option<i64>, AppError> {
            match parse_int(field, raw.as_deref())? {
                Some(n) if n < 0 => {
                    Err(ValidationError::new(field, "out_of_range", "must not be negative").into())
                }
                n => Ok(n),
            }
        };
        let f = yingpan_store::SizeFilter {
            revenue_min_fen: fen("revenue_min", &self.revenue_min)?,
            revenue_max_fen: fen("revenue_max", &self.revenue_max)?,
            employees_min: count("employees_min", &self.employees_min)?,
            employees_max: count("employees_max", &self.employees_max)?,
            net_assets_min_fen: fen("net_assets_min", &self.net_assets_min)?,
            net_assets_max_fen: fen("net_assets_max", &self.net_assets_max)?,
        };
        for (field, lo, hi) in [
            ("revenue_min", f.revenue_min_fen, f.revenue_max_fen),
            ("employees_min", f.employees_min, f.employees_max),
            ("net_assets_min", f.net_assets_min_fen, f.net_assets_max_fen),
        ] {
            if let (Some(lo), Some(hi)) = (lo, hi) {
                if lo > hi {
                    return Err(ValidationError::new(
                        field,
                        "min_above_max",
                        "the minimum is above the maximum",
                    )
                    .into());
                }
            }
        }
        Ok(f)
    }

    /// The history asked for, as of `now`.
    fn history(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<yingpan_store::HistoryFilter, AppError> {
        use yingpan_domain::ValidationError;
        let text = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let quiet_since = match parse_int("inactive_days", self.inactive_days.as_deref())? {
            None => None,
            Some(d) if (1..=3650).contains(&d) => Some(now - chrono::Duration::days(d)),
            Some(_) => {
                return Err(ValidationError::new(
                    "inactive_days",
                    "out_of_range",
                    "between 1 and 3650 days",
                )
                .into())
            }
        };
        let last_order_before = text(&self.last_order_before)
            .map(|d| {
                yingpan_domain::day::parse("last_order_before", &d).map(|day| {
                    yingpan_domain::weekly_report::Period {
                        start: day,
                        end: day + chrono::Duration::days(1),
                    }
                    .bounds(yingpan_domain::visit_plan::china_offset())
                    .0
                })
            })
            .transpose()?;
        let fen = |field: &'static str, raw: &Option<String>| -> Result<Option<i64>, AppError> {
            text(raw)
                .map(|r| {
                    yingpan_domain::money::parse_amount(field, &r).map(|d| {
                        use rust_decimal::prelude::ToPrimitive;
                        (d * rust_decimal::Decimal::from(100))
                            .round()
                            .to_i64()
                            .unwrap_or(i64::MAX)
                    })
                })
                .transpose()
                .map_err(Into::into)
        };
        Ok(yingpan_store::HistoryFilter {
            quiet_since,
            bought_product: parse_int("bought_product", self.bought_product.as_deref())?,
            last_order_before,
            spent_min_fen: fen("spent_min", &self.spent_min)?,
            spent_max_fen: fen("spent_max", &self.spent_max)?,
        })
    }

    fn to_query(
        &self,
        me: &CurrentUser,
        defs: &[CustomFieldDef],
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<CustomerListQuery, AppError> {
        let mut custom_filters = Vec::new();
        for (k, v) in &self.extra {
            let Some(key) = k.strip_prefix("cf.") else {
                continue;
            };
            if v.trim().is_empty() {
                continue;
            }
            let def = defs.iter().find(|d| d.key == key).ok_or_else(|| {
                yingpan_domain::ValidationError::new(
                    "custom",
                    "unknown_field",
                    format!("{key}: no such custom field"),
                )
            })?;
            let value = yingpan_domain::custom::parse_value(def, &Value::String(v.clone()))?
                .unwrap_or_default();
            custom_filters.push((def.id, value));
        }
        let sort = match self.sort.as_deref() {
            None => CustomerSort::default(),
            Some(s) => CustomerSort::parse(s).ok_or_else(|| {
                yingpan_domain::ValidationError::new(
                    "sort",
                    "invalid_choice",
                    "must be one of name, -name, created, -created, -updated, last_contact, -last_contact",
                )
            })?,
        };
        let deleted = matches!(self.deleted.as_deref(), Some("true" | "1"));
        if deleted {
            me.may(Action::RestoreCustomer)?;
        }
        let page = parse_int("page", self.page.as_deref())?.unwrap_or(1);
        let per_page = parse_int("per_page", self.per_page.as_deref())?.unwrap_or(20);
        if page < 1 || !(1..=200).contains(&per_page) {
            return Err(yingpan_domain::ValidationError::new(
                if page < 1 { "page" } else { "per_page" },
                "out_of_range",
                "page starts at 1; per_page is between 1 and 200",
            )
            .into());
        }
        if self.q.as_deref().is_some_and(|q| q.chars().count() > 100) {
            return Err(yingpan_domain::ValidationError::new(
                "q",
                "too_long",
                "must be at most 100 characters",
            )
            .into());
        }
        Ok(CustomerListQuery {
            q: self.q.clone(),
            owner_id: parse_int("owner_id", self.owner_id.as_deref())?,
            sort,
            page,
            per_page,
            deleted,
            returning_soon: None,
            duplicate_key: None,
            custom_filters,
            dealers_only: matches!(self.dealers.as_deref(), Some("true" | "1")),
            skip_count: false,
            search_cap: None,
            card: self.card()?,
            history: self.history(now)?,
            size: self.size()?,
            team_of: parse_int("team", self.team.as_deref())?,
            last_activity: self
                .last_activity
                .as_deref()
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .map(|k| yingpan_store::ActivityKind::parse(k).map(|k| k.as_str()))
                .transpose()
                .map_err(|_| {
                    yingpan_domain::ValidationError::new(
                        "last_activity",
                        "invalid_choice",
                        "must be one of call, visit, email, meeting",
                    )
                })?,
        })
    }
}

/// The customers a saved filter (a segment's query string) stands for, as the list would
/// read it for `me` now — checked the same way, within `me`'s scope.
pub(crate) async fn members_query(
    state: &AppState,
    me: &CurrentUser,
    query: &str,
) -> Result<CustomerListQuery, AppError> {
    let params: ListParams = serde_urlencoded::from_str(query).map_err(|_| {
        yingpan_domain::ValidationError::new(
            "segment_id",
            "invalid_query",
            "the segment's filter cannot be read",
        )
    })?;
    let defs = state.store.custom_fields(me.viewer.org_id).await?;
    params.to_query(me, &defs, state.now())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct CreateCustomer {
    #[serde(flatten)]
    fields: CustomerInput,
    owner_id: Option<i64>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct PatchCustomer {
    #[serde(flatten)]
    fields: CustomerInput,
    version: Option<i64>,
}

pub(crate) fn require_version(v: Option<i64>) -> Result<i64, AppError> {
    v.ok_or_else(|| {
        yingpan_domain::ValidationError::new(
            "version",
            "required",
            "send the version you read, to detect concurrent edits",
        )
        .into()
    })
}

/// A search in the customer list counts and sorts at most this many matches, the most recently
/// registered: beyond that the list says "1,000+" and asks for a narrower search, as a count
/// of every match of a broad query would cost a row read each.
const SEARCH_CAP: i64 = 1000;

async fn api_list(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(p): Query<ListParams>,
) -> Result<Json<Listing<Customer>>, AppError> {
    let defs = state.store.custom_fields(me.viewer.org_id).await?;
    let mut q = p.to_query(&me, &defs, state.now())?;
    q.search_cap = Some(SEARCH_CAP);
    let (items, total) = state.store.list_customers(&me.viewer, &q).await?;
    Ok(Json(match q.total_cap() {
        Some(cap) => Listing::page_capped(items, total, cap, q.page, q.per_page),
        None => Listing::page(items, total, q.page, q.per_page),
    }))
}

/// Parses a customer, including its admin-defined fields against the organization's
/// definitions.
async fn parse_customer(
    state: &AppState,
    me: &CurrentUser,
    input: &CustomerInput,
    before: Option<&Customer>,
) -> Result<CustomerFields, AppError> {
    let mut fields = input.parse()?;
    // Region, industry and source from the company's lists, where it keeps them.
    let lists = state.store.picklists(me.viewer.org_id).await?;
    if !lists.is_empty() {
        let was = before.map_or([None; 3], |c| {
            [
                c.region.as_deref(),
                c.industry.as_deref(),
                c.source.as_deref(),
            ]
        });
        lists.check_changes(&fields, was)?;
    }
    if let Some(raw) = input.custom.as_ref().filter(|m| !m.is_empty()) {
        let defs = state.store.custom_fields(me.viewer.org_id).await?;
        fields.custom = parse_values(&defs, raw)?;
    }
    Ok(fields)
}

async fn api_create(
    State(state): State<AppState>,
    me: CurrentUser,
    JsonBody(req): JsonBody<CreateCustomer>,
) -> Result<crate::described::Created<Customer>, AppError> {
    let fields = parse_customer(&state, &me, &req.fields, None).await?;
    let c = state
        .store
        .create_customer(&me.viewer, &fields, req.owner_id, state.now())
        .await?;
    Ok(crate::described::Created(c))
}

async fn api_get(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<Customer>, AppError> {
    Ok(Json(state.store.customer(&me.viewer, id).await?))
}

async fn api_patch(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<PatchCustomer>,
) -> Result<Json<Customer>, AppError> {
    let current = state.store.customer(&me.viewer, id).await?;
    let version = require_version(req.version)?;
    let fields = parse_customer(
        &state,
        &me,
        &req.fields.merge_into(&current.as_input()),
        Some(&current),
    )
    .await?;
    Ok(Json(
        state
            .store
            .update_customer(&me.viewer, id, version, &fields, state.now())
            .await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct VersionParam {
    version: Option<i64>,
}

async fn api_delete(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    Query(v): Query<VersionParam>,
) -> Result<StatusCode, AppError> {
    // Out-of-scope ids answer 404 before the role check, so ids cannot be probed.
    state.store.customer(&me.viewer, id).await?;
    me.may(Action::DeleteCustomer)?;
    state
        .store
        .delete_customer(&me.viewer, id, v.version, state.now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn api_restore(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<Customer>, AppError> {
    me.may(Action::RestoreCustomer)?;
    Ok(Json(
        state
            .store
            .restore_customer(&me.viewer, id, state.now())
            .await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct DuplicateQuery {
    kind: Option<String>,
    name: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    exclude_id: Option<i64>,
}

/// The on-demand duplicate check (客户查重), before registering.
async fn api_duplicates(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<DuplicateQuery>,
) -> Result<Json<Listing<crate::error::Disclosed>>, AppError> {
    let kind =
        yingpan_domain::customer::CustomerKind::parse(q.kind.as_deref().unwrap_or("company"))?;
    let name = q.name.as_deref().map(str::trim).filter(|n| !n.is_empty());
    let phone = optional(q.phone.as_deref(), Phone::parse)?;
    let email = optional(q.email.as_deref(), Email::parse)?;
    let company_name = name.filter(|_| kind == yingpan_domain::customer::CustomerKind::Company);
    let keys = DuplicateKeys::from_parts(company_name, phone.as_ref(), email.as_ref());
    if keys.is_empty() {
        return Err(yingpan_domain::ValidationError::new(
            "name",
            "required",
            "give a company name, a phone number or an e-mail address",
        )
        .into());
    }
    let found = state
        .store
        .find_duplicates(me.viewer.org_id, me.user.id, &keys, q.exclude_id)
        .await?;
    Ok(Json(Listing::all(
        found.iter().map(crate::error::disclose).collect(),
    )))
}

// ---------------------------------------------------------------- pages

/// People a manager may pick as owner or filter by.
async fn owner_choices(state: &AppState, me: &CurrentUser) -> Result<Vec<User>, AppError> {
    if me.viewer.scope == Scope::Own {
        return Ok(Vec::new());
    }
    // Only people the viewer may assign to: a supervisor's own team, not the whole company.
    let allowed = state.store.assignable_ids(&me.viewer).await?;
    let users = state.store.users(me.viewer.org_id).await?;
    Ok(users
        .into_iter()
        .filter(|u| {
            u.active && allowed.contains(&u.id) && matches!(u.role, Role::Sales | Role::Supervisor)
        })
        .collect())
}

#[derive(Template)]
#[template(path = "customers.html")]
struct ListPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    items: Vec<Customer>,
    total: i64,
    /// More than `total` match the search.
    capped: bool,
    q: String,
    owner_id: Option<i64>,
    sort: &'static str,
    page: i64,
    pages: i64,
    owners: Vec<User>,
    deleted: bool,
    may_transfer: bool,
    /// Active custom-field filters: (key, label, value).
    custom_filters: Vec<(String, String, String)>,
    /// Card and history filters as asked: (parameter, value), empty when not asked.
    card: Vec<(&'static str, String)>,
    /// The company's picklists, for the region, industry and source filters.
    lists: yingpan_domain::picklist::Picklists,
    /// Saved segments the person may use.
    segments: Vec<yingpan_store::Segment>,
}

impl ListPage<'_> {
    /// The value asked for a card field ("" when none).
    fn card_value(&self, field: &str) -> &str {
        self.card
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }
    fn choices(&self, field: &str) -> Vec<&str> {
        self.lists.values(field)
    }
    /// Filters asked by a link but without a control on the page: kept as hidden fields.
    fn hidden_filter(&self, field: &str) -> bool {
        !matches!(
            field,
            "region"
                | "industry"
                | "source"
                | "tier"
                | "inactive_days"
                | "spent_min"
                | "last_activity"
                | "employees_min"
                | "employees_max"
                | "revenue_min"
                | "revenue_max"
                | "net_assets_min"
                | "net_assets_max"
                | "team"
        )
    }
    /// People in the list's owner choices who lead a team: a team filter's choices.
    fn team_leads(&self) -> Vec<&User> {
        self.owners
            .iter()
            .filter(|u| matches!(u.role, Role::Supervisor | Role::Director))
            .collect()
    }
    /// Whether a filter behind "more filters" is in use (the section then opens).
    fn more_filters(&self) -> bool {
        [
            "last_activity",
            "employees_min",
            "employees_max",
            "revenue_min",
            "revenue_max",
            "net_assets_min",
            "net_assets_max",
            "team",
        ]
        .iter()
        .any(|f| !self.card_value(f).is_empty())
    }
    fn is_card(&self, field: &str, value: &str) -> bool {
        self.card_value(field) == value
    }
    /// The filters in force as a query string (no paging, no sort): what a segment keeps.
    fn filter_query(&self) -> String {
        let url = self.link(1, self.sort);
        let query = url.split_once('?').map(|(_, q)| q).unwrap_or("");
        query
            .split('&')
            .filter(|p| !p.starts_with("page=") && !p.starts_with("sort="))
            .collect::<Vec<_>>()
            .join("&")
    }
    fn link(&self, page: i64, sort: &str) -> String {
        let mut url = format!(
            "/customers{}?page={page}&sort={sort}",
            if self.deleted { "/deleted" } else { "" }
        );
        if !self.q.is_empty() {
            url.push_str("&q=");
            url.push_str(&urlencode(&self.q));
        }
        if let Some(o) = self.owner_id {
            url.push_str(&format!("&owner_id={o}"));
        }
        for (key, _, value) in &self.custom_filters {
            url.push_str(&format!("&cf.{key}={}", urlencode(value)));
        }
        for (field, value) in &self.card {
            if !value.is_empty() {
                url.push_str(&format!("&{field}={}", urlencode(value)));
            }
        }
        url
    }
    fn owner_selected(&self, id: &i64) -> bool {
        self.owner_id == Some(*id)
    }
    fn sort_link(&self, column: &str) -> String {
        let next = if self.sort == column {
            format!("-{column}")
        } else {
            column.to_string()
        };
        self.link(1, &next)
    }
}

use crate::render::urlencode;

async fn list_page_inner(
    state: &AppState,
    me: &CurrentUser,
    mut p: ListParams,
    deleted: bool,
) -> Result<Response, AppError> {
    p.deleted = deleted.then(|| "true".to_string());
    let defs = state.store.custom_fields(me.viewer.org_id).await?;
    let mut q = p.to_query(me, &defs, state.now())?;
    q.search_cap = Some(SEARCH_CAP);
    let (items, counted) = state.store.list_customers(&me.viewer, &q).await?;
    let (total, capped) = match q.total_cap() {
        Some(cap) => (counted.min(cap), counted > cap),
        None => (counted, false),
    };
    let page = ListPage {
        capped,
        tr: me.tr(),
        me,
        items,
        total,
        q: p.q.clone().unwrap_or_default(),
        owner_id: q.owner_id,
        sort: q.sort.as_str(),
        page: q.page,
        pages: ((total + q.per_page - 1) / q.per_page).max(1),
        owners: owner_choices(state, me).await?,
        deleted,
        may_transfer: !deleted && me.can(Action::TransferCustomers),
        custom_filters: q
            .custom_filters
            .iter()
            .filter_map(|(id, v)| {
                defs.iter()
                    .find(|d| d.id == *id)
                    .map(|d| (d.key.clone(), d.label.clone(), v.clone()))
            })
            .collect(),
        card: p.filters(),
        lists: state.store.picklists(me.viewer.org_id).await?,
        segments: state.store.segments(&me.viewer).await?,
    };
    Ok(render(&page, me.locale()))
}

async fn list_page(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(p): Query<ListParams>,
) -> Response {
    list_page_inner(&state, &me, p, false)
        .await
        .unwrap_or_else(|e| e.into_page(me.locale()))
}

async fn recycle_bin_page(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(p): Query<ListParams>,
) -> Response {
    list_page_inner(&state, &me, p, true)
        .await
        .unwrap_or_else(|e| e.into_page(me.locale()))
}

#[derive(Template)]
#[template(path = "customer_form.html")]
struct FormPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    /// `None` for a new customer.
    id: Option<i64>,
    version: i64,
    input: CustomerInput,
    owners: Vec<User>,
    error: Option<String>,
    duplicates: Vec<DuplicateMatch>,
    custom_defs: Vec<CustomFieldDef>,
    /// The company's lists for region, industry and source.
    lists: yingpan_domain::picklist::Picklists,
}

impl FormPage<'_> {
    /// The values offered for a listed field (the record's own value kept if it is not on the
    /// list any more); empty when the field is free text.
    /// Region, industry and source with the record's values.
    fn listed_fields(&self) -> Vec<(&'static str, Option<String>)> {
        vec![
            ("region", self.input.region.clone()),
            ("industry", self.input.industry.clone()),
            ("source", self.input.source.clone()),
        ]
    }
    fn choices(&self, field: &str, current: &Option<String>) -> Vec<String> {
        let mut values: Vec<String> = self
            .lists
            .values(field)
            .into_iter()
            .map(str::to_string)
            .collect();
        if let Some(c) = current.as_deref().filter(|c| !c.is_empty()) {
            if !values.is_empty() && !values.iter().any(|v| v == c) {
                values.insert(0, c.to_string());
            }
        }
        values
    }
    fn custom_value(&self, key: &str) -> String {
        match self.input.custom.as_ref().and_then(|m| m.get(key)) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        }
    }
    fn input_type(&self, d: &CustomFieldDef) -> &'static str {
        match d.kind {
            CustomFieldKind::Number => "number",
            CustomFieldKind::Date => "date",
            _ => "text",
        }
    }
    fn is_select(&self, d: &CustomFieldDef) -> bool {
        matches!(d.kind, CustomFieldKind::Choice | CustomFieldKind::YesNo)
    }
    fn options(&self, d: &CustomFieldDef) -> Vec<String> {
        match d.kind {
            CustomFieldKind::YesNo => vec!["yes".into(), "no".into()],
            _ => d.choices.clone(),
        }
    }
    fn profile_filled(&self) -> bool {
        self.profile_fields().iter().any(|f| !f.2.is_empty())
    }
    /// The card's descriptive fields: (key, is_long_text, current value).
    fn profile_fields(&self) -> Vec<(&'static str, bool, String)> {
        use yingpan_domain::profile::{ProfileKind, PROFILE_FIELDS};
        PROFILE_FIELDS
            .iter()
            .map(|(k, kind)| {
                let value = self
                    .input
                    .profile
                    .as_ref()
                    .and_then(|p| p.get(*k))
                    .map(|v| match v {
                        Value::String(s) => s.clone(),
                        Value::Null => String::new(),
                        other => other.to_string(),
                    })
                    .unwrap_or_default();
                (*k, matches!(kind, ProfileKind::Text(n) if *n > 1000), value)
            })
            .collect()
    }
    fn rule_key(&self, m: &DuplicateMatch) -> String {
        format!(
            "dup.rule_{}",
            serde_json::to_value(m.rule)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        )
    }
    fn value<'b>(&self, v: &'b Option<String>) -> &'b str {
        v.as_deref().unwrap_or("")
    }
}

#[derive(Debug, Deserialize)]
struct CustomerForm {
    kind: Option<String>,
    name: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    address: Option<String>,
    region: Option<String>,
    industry: Option<String>,
    source: Option<String>,
    notes: Option<String>,
    owner_id: Option<String>,
    version: Option<String>,
    /// The card's descriptive fields arrive as `profile.<key>`.
    #[serde(flatten)]
    extra: std::collections::HashMap<String, String>,
}

impl CustomerForm {
    fn input(&self) -> CustomerInput {
        // A form always sends every field; an emptied field clears it.
        let keep = |v: &Option<String>| Some(v.clone().unwrap_or_default());
        CustomerInput {
            kind: self.kind.clone(),
            name: keep(&self.name),
            phone: keep(&self.phone),
            email: keep(&self.email),
            address: keep(&self.address),
            region: keep(&self.region),
            industry: keep(&self.industry),
            source: keep(&self.source),
            notes: keep(&self.notes),
            profile: Some(
                self.extra
                    .iter()
                    .filter_map(|(k, v)| {
                        k.strip_prefix("profile.")
                            .map(|k| (k.to_string(), Value::String(v.clone())))
                    })
                    .collect(),
            ),
            custom: Some(
                self.extra
                    .iter()
                    .filter_map(|(k, v)| {
                        k.strip_prefix("custom.")
                            .map(|k| (k.to_string(), Value::String(v.clone())))
                    })
                    .collect(),
            ),
        }
    }
}

async fn new_page(State(state): State<AppState>, me: CurrentUser) -> Response {
    let (owners, custom_defs) = match (
        owner_choices(&state, &me).await,
        state.store.custom_fields(me.viewer.org_id).await,
    ) {
        (Ok(o), Ok(c)) => (o, c),
        (Err(e), _) => return e.into_page(me.locale()),
        (_, Err(e)) => return AppError::from(e).into_page(me.locale()),
    };
    render(
        &FormPage {
            tr: me.tr(),
            me: &me,
            id: None,
            version: 0,
            input: CustomerInput {
                kind: Some("company".into()),
                ..Default::default()
            },
            owners,
            error: None,
            duplicates: Vec::new(),
            custom_defs,
            lists: state
                .store
                .picklists(me.viewer.org_id)
                .await
                .unwrap_or_default(),
        },
        me.locale(),
    )
}

async fn form_error(
    state: &AppState,
    me: &CurrentUser,
    id: Option<i64>,
    version: i64,
    input: CustomerInput,
    e: AppError,
) -> Response {
    match e {
        AppError::Invalid(_)
        | AppError::Conflict { .. }
        | AppError::Rule { .. }
        | AppError::DuplicateCustomer(_) => {
            let status = e.status();
            let owners = match owner_choices(state, me).await {
                Ok(o) => o,
                Err(e) => return e.into_page(me.locale()),
            };
            let error = Some(e.localized(me.locale()));
            let duplicates = match e {
                AppError::DuplicateCustomer(m) => m,
                _ => Vec::new(),
            };
            crate::render::render_status(
                &FormPage {
                    tr: me.tr(),
                    me,
                    id,
                    version,
                    input,
                    owners,
                    error,
                    duplicates,
                    custom_defs: state
                        .store
                        .custom_fields(me.viewer.org_id)
                        .await
                        .unwrap_or_default(),
                    lists: state
                        .store
                        .picklists(me.viewer.org_id)
                        .await
                        .unwrap_or_default(),
                },
                me.locale(),
                status,
            )
        }
        e => e.into_page(me.locale()),
    }
}

async fn create_submit(State(state): State<AppState>, page: PageForm<CustomerForm>) -> Response {
    let PageForm { user: me, form } = page;
    let input = form.input();
    let result = async {
        let owner = parse_int("owner_id", form.owner_id.as_deref())?;
        let fields = parse_customer(&state, &me, &input, None).await?;
        Ok::<_, AppError>(
            state
                .store
                .create_customer(&me.viewer, &fields, owner, state.now())
                .await?,
        )
    }
    .await;
    match result {
        Ok(c) => Redirect::to(&format!("/customers/{}", c.id)).into_response(),
        Err(e) => form_error(&state, &me, None, 0, input, e).await,
    }
}

async fn edit_page(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Response {
    match state.store.customer(&me.viewer, id).await {
        Ok(c) => render(
            &FormPage {
                tr: me.tr(),
                me: &me,
                id: Some(id),
                version: c.version,
                input: c.as_input(),
                owners: Vec::new(),
                error: None,
                duplicates: Vec::new(),
                custom_defs: state
                    .store
                    .custom_fields(me.viewer.org_id)
                    .await
                    .unwrap_or_default(),
                lists: state
                    .store
                    .picklists(me.viewer.org_id)
                    .await
                    .unwrap_or_default(),
            },
            me.locale(),
        ),
        Err(e) => AppError::from(e).into_page(me.locale()),
    }
}

async fn edit_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    page: PageForm<CustomerForm>,
) -> Response {
    let PageForm { user: me, form } = page;
    let input = form.input();
    let version = form
        .version
        .as_deref()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let result = async {
        let current = state.store.customer(&me.viewer, id).await?;
        let fields = parse_customer(&state, &me, &input, Some(&current)).await?;
        Ok::<_, AppError>(
            state
                .store
                .update_customer(&me.viewer, id, version, &fields, state.now())
                .await?,
        )
    }
    .await;
    match result {
        Ok(_) => Redirect::to(&format!("/customers/{id}")).into_response(),
        Err(e) => form_error(&state, &me, Some(id), version, input, e).await,
    }
}

#[derive(Template)]
#[template(path = "customer.html")]
struct DetailPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    c: Customer,
    contacts: Vec<Contact>,
    may_delete: bool,
    /// Managers may transfer; the owner or a manager may release to the pool.
    may_transfer: bool,
    may_release: bool,
    owners: Vec<User>,
    history: Vec<OwnershipChange>,
    /// The qualification form's selects: (field, current value).
    man_rows: Vec<(&'static str, Option<bool>)>,
    custom_defs: Vec<CustomFieldDef>,
    report: Option<yingpan_store::StoredDevelopmentReport>,
    may_review: bool,
    opportunities: Vec<yingpan_store::Opportunity>,
    orders: Vec<yingpan_store::Order>,
    products: Vec<yingpan_store::Product>,
    level_rows: Vec<(&'static str, &'static str)>,
    error: Option<String>,
    contact_input: ContactInput,
    spend_estimates: Vec<yingpan_store::SpendEstimate>,
    this_year: i32,
    /// Follow-ups, orders, opportunities and ownership changes, newest first.
    timeline: Vec<TimelineEntry>,
    /// The latest logged follow-up (a claim or a transfer is not one).
    last_follow_up: Option<String>,
    /// Whole days of protection left and their colour class; none in the pool.
    days_left: (&'static str, String),
    /// Questionnaires still sent, and this customer's answered surveys.
    surveys: Vec<yingpan_store::Survey>,
    answered: Vec<yingpan_store::Invitation>,
    /// The objection library for the activity form: (objection, text, [(answer, text)]).
    objections: Vec<yingpan_store::ObjectionChoice>,
}

/// One event on a customer's timeline, in words.
pub struct TimelineEntry {
    /// The stored UTC instant, for ordering; shown in the reader's zone.
    pub at: String,
    /// `activity`, `order`, `opportunity`, `ownership`, `escalation` or `ticket`: the marker's
    /// colour.
    pub kind: &'static str,
    pub title: String,
    pub who: String,
    pub lines: Vec<String>,
    pub link: Option<String>,
}

/// What a customer's timeline is made of.
struct TimelineSources<'a> {
    activities: &'a [Activity],
    orders: &'a [yingpan_store::Order],
    opportunities: &'a [yingpan_store::Opportunity],
    history: &'a [OwnershipChange],
    escalations: &'a [yingpan_store::Escalation],
    tickets: &'a [yingpan_store::Ticket],
    quotations: &'a [yingpan_store::Quotation],
}

fn timeline(tr: &Tr, src: &TimelineSources<'_>) -> Vec<TimelineEntry> {
    let TimelineSources {
        activities,
        orders,
        opportunities,
        history,
        escalations,
        tickets,
        quotations,
    } = *src;
    let mut out = Vec::new();
    for q in quotations {
        out.push(TimelineEntry {
            at: q.created_at.clone(),
            kind: "quotation",
            title: format!("{} QT-{:06}", tr.t("quotations.one"), q.id),
            who: q.owner_name.clone().unwrap_or_default(),
            lines: vec![format!(
                "{} · {} · {} {}",
                tr.money(q.total),
                tr.tp("quotation_status", &q.status),
                tr.t("quotations.valid_until"),
                q.valid_until
            )],
            link: Some(format!("/quotations/{}", q.id)),
        });
    }
    for e in escalations {
        out.push(TimelineEntry {
            at: e.created_at.clone(),
            kind: "escalation",
            title: format!("{} · {}", tr.tp("escalation_kind", &e.kind), e.subject),
            who: e.author_name.clone().unwrap_or_default(),
            lines: vec![crate::escalation::body_text(tr, e)],
            link: Some(match e.ticket_id {
                Some(t) => format!("/tickets/{t}"),
                None => format!("/escalations/{}", e.id),
            }),
        });
    }
    for t in tickets {
        let mut lines = vec![format!(
            "{} · {} · {}",
            tr.tp("ticket_status", &t.status),
            tr.tp("severity", &t.severity),
            t.assignee_name.as_deref().unwrap_or("")
        )];
        lines.extend(t.resolution.clone());
        out.push(TimelineEntry {
            at: t.created_at.clone(),
            kind: "ticket",
            title: format!(
                "{} #{} · {}",
                tr.tp("ticket_category", &t.category),
                t.id,
                t.subject
            ),
            who: t.filed_by_name.clone().unwrap_or_default(),
            lines,
            link: Some(format!("/tickets/{}", t.id)),
        });
    }
    for a in activities {
        let mut title = tr.tp("activity", &a.kind);
        if let Some(p) = &a.purpose {
            title = format!("{title} · {}", tr.tp("activity_purpose", p));
        }
        if let Some(m) = a.duration_minutes {
            title = format!("{title} · {m} {}", tr.t("activities.minutes"));
        }
        let mut lines = vec![a.summary.clone()];
        if a.reached == Some(true) {
            lines.push(tr.t("activities.was_reached").to_string());
        }
        for (label, v) in [
            ("field.outcome", &a.outcome),
            ("field.next_step", &a.next_step),
            ("field.location", &a.location),
        ] {
            if let Some(v) = v {
                lines.push(format!("{}：{v}", tr.t(label)));
            }
        }
        if let (Some(lat), Some(lng)) = (&a.latitude, &a.longitude) {
            lines.push(format!("{}：{lat}, {lng}", tr.t("activities.position")));
        }
        out.push(TimelineEntry {
            at: a.occurred_at.clone(),
            kind: "activity",
            title,
            who: a.user_name.clone().unwrap_or_default(),
            lines,
            link: None,
        });
    }
    for o in orders {
        let mut lines = Vec::new();
        if !o.settled {
            lines.push(format!(
                "{} {} · {} {}",
                tr.t("orders.receivable"),
                tr.amount(&o.currency, o.receivable),
                tr.t("field.due_date"),
                o.due_date
            ));
        }
        out.push(TimelineEntry {
            at: o.created_at.clone(),
            kind: "order",
            title: format!(
                "{} {} · {}",
                tr.t("timeline.order"),
                o.number,
                tr.amount(&o.currency, o.total)
            ),
            who: o.owner_name.clone().unwrap_or_default(),
            lines,
            link: Some(format!("/orders/{}", o.id)),
        });
    }
    for o in opportunities {
        out.push(TimelineEntry {
            at: o.created_at.clone(),
            kind: "opportunity",
            title: format!(
                "{} {} · {}",
                tr.t("timeline.opportunity"),
                o.name,
                tr.amount(&o.currency, o.amount)
            ),
            who: o.owner_name.clone().unwrap_or_default(),
            lines: vec![tr.tp("stage", o.stage.as_str())],
            link: Some(format!("/opportunities/{}", o.id)),
        });
        if let Some(closed) = &o.closed_at {
            out.push(TimelineEntry {
                at: closed.clone(),
                kind: "opportunity",
                title: format!(
                    "{} · {}",
                    o.name,
                    tr.tp("opportunity_status", o.status.as_str())
                ),
                who: o.owner_name.clone().unwrap_or_default(),
                lines: o.lost_reason.iter().cloned().collect(),
                link: Some(format!("/opportunities/{}", o.id)),
            });
        }
    }
    for h in history {
        let pool = tr.t("customers.in_pool");
        let mut lines = vec![format!(
            "{} → {}",
            h.from_name.as_deref().unwrap_or(pool),
            h.to_name.as_deref().unwrap_or(pool)
        )];
        lines.extend(h.note.iter().cloned());
        out.push(TimelineEntry {
            at: h.changed_at.clone(),
            kind: "ownership",
            title: tr.t(&format!("ownership.reason_{}", h.reason)).to_string(),
            who: String::new(),
            lines,
            link: None,
        });
    }
    // Stored instants are RFC 3339 in UTC with a fixed width: text order is time order.
    out.sort_by(|a, b| b.at.cmp(&a.at));
    out
}

impl DetailPage<'_> {
    /// The dealer form's fields: (name, input type, current value).
    fn dealer_fields(&self) -> Vec<(&'static str, &'static str, String)> {
        let d = self.c.dealer.clone().unwrap_or_default();
        let s = |v: Option<String>| v.unwrap_or_default();
        vec![
            (
                "credit_rating",
                "text",
                s(d.credit_rating.map(|r| format!("{r:?}"))),
            ),
            (
                "credit_limit",
                "text",
                s(d.credit_limit.map(|v| v.to_string())),
            ),
            (
                "payment_terms_days",
                "number",
                s(d.payment_terms_days.map(|v| v.to_string())),
            ),
            ("contract_no", "text", s(d.contract_no.clone())),
            (
                "contract_start",
                "date",
                s(d.contract_start.map(|v| v.to_string())),
            ),
            (
                "contract_end",
                "date",
                s(d.contract_end.map(|v| v.to_string())),
            ),
            (
                "average_monthly_sales",
                "text",
                s(d.average_monthly_sales.map(|v| v.to_string())),
            ),
            (
                "technical_assistance",
                "text",
                s(d.technical_assistance.clone()),
            ),
        ]
    }
    /// The development report form's fields: (name, input type, current value).
    fn report_fields(&self) -> Vec<(&'static str, &'static str, String)> {
        let r = self
            .report
            .as_ref()
            .map(|r| r.report.clone())
            .unwrap_or_default();
        let s = |v: Option<String>| v.unwrap_or_default();
        vec![
            (
                "developed_on",
                "date",
                s(r.developed_on.map(|v| v.to_string())),
            ),
            (
                "first_order_date",
                "date",
                s(r.first_order_date.map(|v| v.to_string())),
            ),
            (
                "first_order_amount",
                "text",
                s(r.first_order_amount.map(|v| v.to_string())),
            ),
            (
                "expected_monthly_sales",
                "text",
                s(r.expected_monthly_sales.map(|v| v.to_string())),
            ),
            ("products", "text", s(r.products.clone())),
            ("competitors", "text", s(r.competitors.clone())),
            ("how_developed", "textarea", s(r.how_developed.clone())),
            ("difficulties", "textarea", s(r.difficulties.clone())),
            ("next_steps", "textarea", s(r.next_steps.clone())),
        ]
    }
    /// The serde (snake_case) name of an enum value, for catalog keys.
    fn snake<T: serde::Serialize>(&self, v: &T) -> String {
        serde_json::to_value(v)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }
    /// A card field's value as people read it: amounts as money, counts grouped.
    fn profile_value(&self, key: &str, value: &str) -> String {
        use yingpan_domain::profile::{ProfileKind, PROFILE_FIELDS};
        let kind = PROFILE_FIELDS
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, k)| *k);
        match (kind, value.parse::<rust_decimal::Decimal>()) {
            (Some(ProfileKind::Amount), Ok(d)) => self.tr.money(d),
            (Some(ProfileKind::Count), Ok(d)) => self.tr.count(d),
            _ => value.to_string(),
        }
    }
    fn tier_is(&self, t: &str) -> bool {
        self.c.qualification.tier.map(|x| x.as_str()) == Some(t)
    }
    fn reason_key(&self, h: &OwnershipChange) -> String {
        format!("ownership.reason_{}", h.reason)
    }
}

fn level(l: Option<yingpan_domain::qualification::Level>) -> &'static str {
    l.map(|l| l.as_str()).unwrap_or("")
}

pub(crate) async fn detail(
    state: &AppState,
    me: &CurrentUser,
    id: i64,
    error: Option<String>,
    contact_input: ContactInput,
) -> Result<Response, AppError> {
    let c = state.store.customer(&me.viewer, id).await?;
    let contacts = state.store.contacts(&me.viewer, id).await?;
    let (activities, _) = state.store.activities(&me.viewer, id, 50).await?;
    let history = state.store.ownership_history(&me.viewer, id).await?;
    let may_transfer = me.can(Action::TransferCustomers);
    let may_release = c.owner_id.is_some() && (may_transfer || c.owner_id == Some(me.user.id));
    let owners = if may_transfer {
        owner_choices(state, me).await?
    } else {
        Vec::new()
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let report = state.store.development_report(&me.viewer, id).await?;
    let orders = state
        .store
        .orders(
            &me.viewer,
            &yingpan_store::OrderFilter {
                customer_id: Some(id),
                limit: 50,
                ..Default::default()
            },
        )
        .await?;
    let opportunities = state
        .store
        .opportunities(
            &me.viewer,
            &yingpan_store::OpportunityQuery {
                customer_id: Some(id),
                ..Default::default()
            },
            100,
        )
        .await?;
    let tr = me.tr();
    let escalations = state.store.customer_escalations(&me.viewer, id).await?;
    let (tickets, _) = state
        .store
        .tickets(
            &me.viewer,
            &yingpan_store::TicketFilter {
                customer_id: Some(id),
                limit: 50,
                ..Default::default()
            },
            state.now(),
        )
        .await?;
    let (quotations, _) = state
        .store
        .quotations(&me.viewer, Some(id), None, 20)
        .await?;
    let timeline = timeline(
        &tr,
        &TimelineSources {
            activities: &activities,
            orders: &orders,
            opportunities: &opportunities,
            history: &history,
            escalations: &escalations,
            tickets: &tickets,
            quotations: &quotations,
        },
    );
    let last_follow_up = activities.iter().map(|a| a.occurred_at.clone()).max();
    let protection = crate::protection::Protection::load(state, me.viewer.org_id).await?;
    let days_left = crate::dashboard::days_left_text(&tr, protection.days_left(&c));
    let man_rows = vec![
        ("man_money", c.qualification.man_money),
        ("man_authority", c.qualification.man_authority),
        ("man_need", c.qualification.man_need),
    ];
    let level_rows = vec![
        ("attractiveness", level(c.qualification.attractiveness)),
        ("ability_to_win", level(c.qualification.ability_to_win)),
    ];
    let mut resp = render(
        &DetailPage {
            tr,
            me,
            c,
            contacts,
            may_delete: me.can(Action::DeleteCustomer),
            may_transfer,
            may_release,
            owners,
            history,
            man_rows,
            level_rows,
            custom_defs: state.store.custom_fields(me.viewer.org_id).await?,
            orders,
            products: state.store.products(me.viewer.org_id, false).await?,
            opportunities,
            timeline,
            last_follow_up,
            days_left,
            surveys: state
                .store
                .surveys(me.viewer.org_id)
                .await?
                .into_iter()
                .filter(|s| s.active)
                .collect(),
            answered: state
                .store
                .survey_invitations(&me.viewer, 0, Some(id), 20)
                .await?
                .into_iter()
                .filter(|i| i.answered_at.is_some())
                .collect(),
            may_review: report.as_ref().is_some_and(|r| r.author_id != me.user.id)
                && me.can(Action::DeleteCustomer),
            report,
            error,
            contact_input,
            spend_estimates: state.store.spend_estimates(&me.viewer, id).await?,
            objections: state.store.live_objection_choices(me.viewer.org_id).await?,
            this_year: chrono::Datelike::year(&state.today()),
        },
        me.locale(),
    );
    *resp.status_mut() = status;
    Ok(resp)
}

async fn detail_page(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Response {
    detail(&state, &me, id, None, ContactInput::default())
        .await
        .unwrap_or_else(|e| e.into_page(me.locale()))
}

#[derive(Deserialize)]
pub(crate) struct Empty {}

async fn delete_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    page: PageForm<Empty>,
) -> Response {
    let me = page.user;
    let result = async {
        state.store.customer(&me.viewer, id).await?;
        me.may(Action::DeleteCustomer)?;
        state
            .store
            .delete_customer(&me.viewer, id, None, state.now())
            .await?;
        Ok::<_, AppError>(())
    }
    .await;
    match result {
        Ok(()) => done("/customers", "deleted", None),
        Err(e) => e.into_page(me.locale()),
    }
}

async fn restore_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    page: PageForm<Empty>,
) -> Response {
    let me = page.user;
    let result = async {
        me.may(Action::RestoreCustomer)?;
        Ok::<_, AppError>(
            state
                .store
                .restore_customer(&me.viewer, id, state.now())
                .await?,
        )
    }
    .await;
    match result {
        Ok(_) => Redirect::to(&format!("/customers/{id}")).into_response(),
        Err(e) => e.into_page(me.locale()),
    }
}

pub(crate) fn answers() -> Vec<Answer> {
    vec![
        answer("get", "/customers", api_list),
        answer("post", "/customers", api_create),
        answer("get", "/customers/duplicates", api_duplicates),
        answer("get", "/customers/{id}", api_get),
        answer("patch", "/customers/{id}", api_patch),
        answer("delete", "/customers/{id}", api_delete),
        answer("post", "/customers/{id}/restore", api_restore),
    ]
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/customers", get(api_list).post(api_create))
        .route("/api/v1/customers/duplicates", get(api_duplicates))
        .route(
            "/api/v1/customers/{id}",
            get(api_get).patch(api_patch).delete(api_delete),
        )
        .route("/api/v1/customers/{id}/restore", post(api_restore))
        .route("/customers", get(list_page).post(create_submit))
        .route("/customers/new", get(new_page))
        .route("/customers/deleted", get(recycle_bin_page))
        .route("/customers/{id}", get(detail_page))
        .route("/customers/{id}/edit", get(edit_page).post(edit_submit))
        .route("/customers/{id}/delete", post(delete_submit))
        .route("/customers/{id}/restore", post(restore_submit))
}
