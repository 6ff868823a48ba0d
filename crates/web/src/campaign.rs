//! Campaigns to a segment (`domain::campaign`): the API and pages to write, preview, test,
//! launch and follow one; the mail-merge letters; the company's settings (frequency cap, SMS
//! gateway); opt-outs — the public unsubscribe link and staff recording a customer's or a
//! contact's wish.

use crate::described::{answer, Answer, Listing};

use crate::auth::{digest, CurrentUser, PageForm};
use crate::error::AppError;
use crate::extract::{JsonBody, Path, Query};
use crate::i18n::Tr;
use crate::render::{done, render, render_status};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use yingpan_domain::campaign::{
    sms_text, CampaignInput, CampaignSettings, FrequencyCap, RecipientStatus, SmsGateway,
    Template as MergeTemplate, MERGE_FIELDS,
};
use yingpan_domain::permission::Action;
use yingpan_domain::person::Locale;
use yingpan_domain::ValidationError;
use yingpan_store::{Campaign, Recipient, StoreError};

async fn create(
    state: &AppState,
    me: &CurrentUser,
    input: &CampaignInput,
) -> Result<Campaign, AppError> {
    let f = input.parse(state.now())?;
    Ok(state
        .store
        .create_campaign(&me.viewer, &f, state.now())
        .await?)
}

async fn api_list(
    State(state): State<AppState>,
    me: CurrentUser,
) -> Result<Json<Listing<Campaign>>, AppError> {
    let items = state.store.campaigns(&me.viewer, 100).await?;
    Ok(Json(Listing::all(items)))
}

async fn api_create(
    State(state): State<AppState>,
    me: CurrentUser,
    JsonBody(input): JsonBody<CampaignInput>,
) -> Result<crate::described::Created<Campaign>, AppError> {
    Ok(crate::described::Created(
        create(&state, &me, &input).await?,
    ))
}

async fn api_get(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<Campaign>, AppError> {
    Ok(Json(state.store.campaign(&me.viewer, id).await?))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
struct RecipientsQuery {
    status: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

async fn api_recipients(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<RecipientsQuery>,
) -> Result<Json<Listing<yingpan_store::Recipient>>, AppError> {
    let status = q
        .status
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(RecipientStatus::parse)
        .transpose()?;
    let items = state
        .store
        .campaign_recipients(
            &me.viewer,
            id,
            status,
            q.limit.unwrap_or(100),
            q.offset.unwrap_or(0),
        )
        .await?;
    Ok(Json(Listing::all(items)))
}

/// What one customer would receive: the campaign's templates filled for them (within scope).
async fn preview(
    state: &AppState,
    me: &CurrentUser,
    c: &Campaign,
    customer_id: i64,
) -> Result<(String, String), AppError> {
    let customer = state.store.customer(&me.viewer, customer_id).await?;
    let contacts = state.store.contacts(&me.viewer, customer_id).await?;
    let contact = contacts
        .iter()
        .find(|k| k.is_decision_maker)
        .or(contacts.first());
    let org = state.store.organization(me.viewer.org_id).await?;
    let value = |f: &str| -> Option<String> {
        match f {
            "customer.name" => Some(customer.name.clone()),
            "customer.region" => customer.region.clone(),
            "customer.industry" => customer.industry.clone(),
            "contact.name" => contact.map(|k| k.name.clone()),
            "contact.title" => contact.and_then(|k| k.title.clone()),
            "owner.name" => customer.owner_name.clone(),
            "company.name" => Some(org.name.clone()),
            _ => None,
        }
    };
    let fill = |raw: &str, field| -> Result<String, AppError> {
        Ok(MergeTemplate::parse(field, raw)?.render(&value))
    };
    let mut body = fill(&c.body, "body")?;
    if c.channel == "sms" {
        body = sms_text(&body);
    }
    Ok((fill(&c.subject, "subject")?, body))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct PreviewQuery {
    customer_id: Option<i64>,
}

async fn api_preview(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<PreviewQuery>,
) -> Result<Json<Preview>, AppError> {
    let c = state.store.campaign(&me.viewer, id).await?;
    let customer_id = q
        .customer_id
        .ok_or_else(|| ValidationError::new("customer_id", "required", "must be given"))?;
    let (subject, body) = preview(&state, &me, &c, customer_id).await?;
    Ok(Json(Preview { subject, body }))
}

/// A channel the company has not set up cannot be launched (nothing would go out).
async fn check_channel(state: &AppState, me: &CurrentUser, c: &Campaign) -> Result<(), AppError> {
    let ready = match c.channel.as_str() {
        "email" => state.config.smtp.is_some(),
        "sms" => state
            .store
            .campaign_settings(me.viewer.org_id)
            .await?
            .sms
            .is_some(),
        _ => true,
    };
    if ready {
        Ok(())
    } else {
        Err(AppError::Rule {
            code: "channel_not_configured",
            message: format!(
                "no {} channel is configured: an administrator sets it up first",
                c.channel
            ),
        })
    }
}

async fn launch(
    state: &AppState,
    me: &CurrentUser,
    id: i64,
    version: Option<i64>,
) -> Result<Campaign, AppError> {
    let version = version
        .ok_or_else(|| ValidationError::new("version", "required", "send the version you read"))?;
    let c = state.store.campaign(&me.viewer, id).await?;
    check_channel(state, me, &c).await?;
    let members = crate::customer::members_query(state, me, &c.segment_query).await?;
    Ok(state
        .store
        .launch_campaign(&me.viewer, id, &members, version, state.now())
        .await?)
}

#[derive(Deserialize, utoipa::ToSchema)]
struct VersionBody {
    version: Option<i64>,
}

async fn api_launch(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<VersionBody>,
) -> Result<Json<Campaign>, AppError> {
    Ok(Json(launch(&state, &me, id, req.version).await?))
}

async fn api_cancel(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<Campaign>, AppError> {
    Ok(Json(
        state
            .store
            .cancel_campaign(&me.viewer, id, state.now())
            .await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct TestBody {
    /// SMS: the mobile number to send the test to (e-mail goes to one's own address).
    phone: Option<String>,
}

async fn send_test(
    state: &AppState,
    me: &CurrentUser,
    id: i64,
    phone: Option<&str>,
) -> Result<String, AppError> {
    let c = state.store.campaign(&me.viewer, id).await?;
    check_channel(state, me, &c).await?;
    let address = match c.channel.as_str() {
        "email" => me.user.email.clone().ok_or_else(|| {
            ValidationError::new(
                "email",
                "required",
                "your settings have no e-mail address to send the test to",
            )
        })?,
        "sms" => yingpan_domain::customer::Phone::parse_field("phone", phone.unwrap_or(""))?
            .display()
            .to_string(),
        _ => {
            return Err(ValidationError::new(
                "channel",
                "no_test",
                "letters are checked on the printable page",
            )
            .into())
        }
    };
    state
        .store
        .queue_campaign_test(&me.viewer, id, &address, state.now())
        .await?;
    Ok(address)
}

async fn api_test(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<TestBody>,
) -> Result<crate::described::Accepted<TestQueued>, AppError> {
    let to = send_test(&state, &me, id, req.phone.as_deref()).await?;
    Ok(crate::described::Accepted(TestQueued { queued_to: to }))
}

async fn api_settings(
    State(state): State<AppState>,
    me: CurrentUser,
) -> Result<Json<CampaignSettings>, AppError> {
    me.may(Action::ManageOrganization)?;
    Ok(Json(state.store.campaign_settings(me.viewer.org_id).await?))
}

async fn save_settings(
    state: &AppState,
    me: &CurrentUser,
    settings: CampaignSettings,
) -> Result<CampaignSettings, AppError> {
    me.may(Action::ManageOrganization)?;
    let settings = settings.check()?;
    state
        .store
        .set_campaign_settings(&me.viewer, &settings, state.now())
        .await?;
    Ok(settings)
}

async fn api_put_settings(
    State(state): State<AppState>,
    me: CurrentUser,
    JsonBody(settings): JsonBody<CampaignSettings>,
) -> Result<Json<CampaignSettings>, AppError> {
    Ok(Json(save_settings(&state, &me, settings).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct OptOutBody {
    opted_out: Option<bool>,
    do_not_contact: Option<bool>,
}

async fn api_customer_opt_out(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<OptOutBody>,
) -> Result<Json<OptOut>, AppError> {
    let flag = req
        .opted_out
        .ok_or_else(|| ValidationError::new("opted_out", "required", "must be true or false"))?;
    state
        .store
        .set_customer_opt_out(&me.viewer, id, flag, state.now())
        .await?;
    Ok(Json(OptOut {
        customer_id: id,
        opted_out: flag,
    }))
}

async fn api_contact_do_not_contact(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<OptOutBody>,
) -> Result<Json<DoNotContact>, AppError> {
    let flag = req.do_not_contact.ok_or_else(|| {
        ValidationError::new("do_not_contact", "required", "must be true or false")
    })?;
    state
        .store
        .set_contact_do_not_contact(&me.viewer, id, flag, state.now())
        .await?;
    Ok(Json(DoNotContact {
        contact_id: id,
        do_not_contact: flag,
    }))
}

#[derive(Template)]
#[template(path = "campaigns.html")]
struct ListPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    items: Vec<Campaign>,
    segments: Vec<yingpan_store::Segment>,
    merge_fields: &'static [&'static str],
}

impl ListPage<'_> {
    fn total(&self, c: &Campaign) -> i64 {
        c.counts.values().sum()
    }
    fn count(&self, c: &Campaign, status: &str) -> i64 {
        c.counts.get(status).copied().unwrap_or(0)
    }
}

async fn list_page(State(state): State<AppState>, me: CurrentUser) -> Response {
    let result = async {
        Ok::<_, AppError>(ListPage {
            tr: me.tr(),
            me: &me,
            items: state.store.campaigns(&me.viewer, 100).await?,
            segments: state.store.segments(&me.viewer).await?,
            merge_fields: &MERGE_FIELDS,
        })
    }
    .await;
    match result {
        Ok(p) => render(&p, me.locale()),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Deserialize)]
struct NewForm {
    name: Option<String>,
    channel: Option<String>,
    segment_id: Option<String>,
    subject: Option<String>,
    body: Option<String>,
    /// `YYYY-MM-DDTHH:MM` in company time (the browser's datetime-local).
    scheduled_at: Option<String>,
}

/// A browser's `datetime-local` value (`YYYY-MM-DDTHH:MM`), read in company time.
pub(crate) fn local_instant(
    field: &'static str,
    raw: Option<&str>,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, AppError> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    let bad = || ValidationError::new(field, "invalid_time", "must be a date and a time");
    let naive = chrono::NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M").map_err(|_| bad())?;
    let local = naive
        .and_local_timezone(yingpan_domain::visit_plan::china_offset())
        .single()
        .ok_or_else(bad)?;
    Ok(Some(local.with_timezone(&chrono::Utc)))
}

async fn create_submit(State(state): State<AppState>, page: PageForm<NewForm>) -> Response {
    let PageForm { user: me, form } = page;
    let result = async {
        let input = CampaignInput {
            name: form.name.clone(),
            channel: form.channel.clone(),
            segment_id: crate::customer::parse_int("segment_id", form.segment_id.as_deref())?,
            subject: form.subject.clone(),
            body: form.body.clone(),
            scheduled_at: local_instant("scheduled_at", form.scheduled_at.as_deref())?,
        };
        create(&state, &me, &input).await
    }
    .await;
    match result {
        Ok(c) => done(&format!("/campaigns/{}", c.id), "saved", None),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Template)]
#[template(path = "campaign.html")]
struct CampaignPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    c: Campaign,
    /// The first member of the segment, and what they would receive.
    sample: Option<(String, String, String)>,
    recipients: Vec<Recipient>,
    status: String,
    total: i64,
    /// Share handled so far (sent, failed or set aside), percent.
    progress: i64,
}

impl CampaignPage<'_> {
    fn count(&self, status: &str) -> i64 {
        self.c.counts.get(status).copied().unwrap_or(0)
    }
    fn statuses(&self) -> [&'static str; 6] {
        [
            "queued",
            "sent",
            "failed",
            "opted_out",
            "capped",
            "no_address",
        ]
    }
}

async fn campaign_page(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<RecipientsQuery>,
) -> Response {
    let result = async {
        let c = state.store.campaign(&me.viewer, id).await?;
        let status = q
            .status
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(RecipientStatus::parse)
            .transpose()?;
        let recipients = state
            .store
            .campaign_recipients(&me.viewer, id, status, 100, q.offset.unwrap_or(0))
            .await?;
        // The sample: the first recipient, or before launch the segment's first member.
        let first = match recipients.iter().find_map(|r| r.customer_id) {
            Some(c) => Some(c),
            None => {
                let mut members =
                    crate::customer::members_query(&state, &me, &c.segment_query).await?;
                members.per_page = 1;
                members.skip_count = true;
                state
                    .store
                    .list_customers(&me.viewer, &members)
                    .await?
                    .0
                    .first()
                    .map(|m| m.id)
            }
        };
        let sample = match first {
            Some(cid) => {
                let name = state.store.customer(&me.viewer, cid).await?.name;
                let (subject, body) = preview(&state, &me, &c, cid).await?;
                Some((name, subject, body))
            }
            None => None,
        };
        let total: i64 = c.counts.values().sum();
        let handled = total - c.counts.get("queued").copied().unwrap_or(0);
        Ok::<_, AppError>(CampaignPage {
            tr: me.tr(),
            me: &me,
            progress: if total > 0 { handled * 100 / total } else { 0 },
            total,
            c,
            sample,
            recipients,
            status: status.map(|s| s.as_str().to_string()).unwrap_or_default(),
        })
    }
    .await;
    match result {
        Ok(p) => render(&p, me.locale()),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Deserialize)]
struct ActionForm {
    version: Option<String>,
    phone: Option<String>,
}

async fn launch_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    page: PageForm<ActionForm>,
) -> Response {
    let PageForm { user: me, form } = page;
    let version = form.version.as_deref().and_then(|v| v.trim().parse().ok());
    match launch(&state, &me, id, version).await {
        Ok(_) => done(&format!("/campaigns/{id}"), "campaign_launched", None),
        Err(e) => e.into_page(me.locale()),
    }
}

async fn cancel_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    page: PageForm<ActionForm>,
) -> Response {
    let me = page.user;
    match state
        .store
        .cancel_campaign(&me.viewer, id, state.now())
        .await
    {
        Ok(_) => done(&format!("/campaigns/{id}"), "campaign_cancelled", None),
        Err(e) => AppError::from(e).into_page(me.locale()),
    }
}

async fn test_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    page: PageForm<ActionForm>,
) -> Response {
    let PageForm { user: me, form } = page;
    match send_test(&state, &me, id, form.phone.as_deref()).await {
        Ok(_) => done(&format!("/campaigns/{id}"), "campaign_test_queued", None),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Template)]
#[template(path = "letters.html")]
struct LettersPage {
    tr: Tr,
    /// (address, the letter's text)
    letters: Vec<(String, String, String)>,
    title: String,
}

#[derive(Deserialize)]
struct LettersQuery {
    offset: Option<i64>,
}

/// The mail-merge: one letter per printed sheet, 200 per page.
async fn letters_page(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<LettersQuery>,
) -> Response {
    let result = async {
        let c = state.store.campaign(&me.viewer, id).await?;
        let body = MergeTemplate::parse("body", &c.body)?;
        let letters = state
            .store
            .campaign_letters(&me.viewer, id, 200, q.offset.unwrap_or(0))
            .await?
            .into_iter()
            .map(|(address, values)| {
                let name = values.get("customer.name").cloned().unwrap_or_default();
                (address, name, body.render(&|f| values.get(f).cloned()))
            })
            .collect();
        Ok::<_, AppError>(LettersPage {
            tr: me.tr(),
            letters,
            title: c.name,
        })
    }
    .await;
    match result {
        Ok(p) => render(&p, me.locale()),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Template)]
#[template(path = "campaign_settings.html")]
struct SettingsPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    s: CampaignSettings,
}

impl SettingsPage<'_> {
    fn sms(&self, field: &str) -> String {
        let Some(g) = &self.s.sms else {
            return match field {
                "method" => "POST".into(),
                "per_second" => "10".into(),
                _ => String::new(),
            };
        };
        match field {
            "url" => g.url.clone(),
            "method" => g.method.clone(),
            "body_template" => g.body_template.clone(),
            "success_pointer" => g.success_pointer.clone(),
            "success_value" => g.success_value.clone(),
            _ => g.per_second.to_string(),
        }
    }
}

async fn settings_page(State(state): State<AppState>, me: CurrentUser) -> Response {
    let result = async {
        me.may(Action::ManageOrganization)?;
        Ok::<_, AppError>(state.store.campaign_settings(me.viewer.org_id).await?)
    }
    .await;
    match result {
        Ok(s) => render(
            &SettingsPage {
                tr: me.tr(),
                me: &me,
                s,
            },
            me.locale(),
        ),
        Err(e) => e.into_page(me.locale()),
    }
}

async fn settings_submit(
    State(state): State<AppState>,
    page: PageForm<BTreeMap<String, String>>,
) -> Response {
    let PageForm { user: me, form } = page;
    let get = |k: &str| {
        form.get(k)
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    let number = |k: &'static str| -> Result<u32, ValidationError> {
        get(k)
            .parse()
            .map_err(|_| ValidationError::new(k, "invalid_number", "must be a whole number"))
    };
    let result = async {
        let cap = FrequencyCap {
            messages: number("cap.messages")?,
            days: number("cap.days")?,
        };
        let sms = if get("sms.url").is_empty() {
            None
        } else {
            Some(SmsGateway {
                url: get("sms.url"),
                method: get("sms.method"),
                body_template: get("sms.body_template"),
                success_pointer: get("sms.success_pointer"),
                success_value: get("sms.success_value"),
                per_second: number("sms.per_second")?,
            })
        };
        save_settings(&state, &me, CampaignSettings { cap, sms }).await
    }
    .await;
    match result {
        Ok(_) => done("/admin/campaigns", "saved", None),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Deserialize)]
struct FlagForm {
    value: Option<String>,
}

async fn customer_opt_out_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    page: PageForm<FlagForm>,
) -> Response {
    let PageForm { user: me, form } = page;
    let flag = form.value.as_deref() == Some("true");
    match state
        .store
        .set_customer_opt_out(&me.viewer, id, flag, state.now())
        .await
    {
        Ok(()) => done(&format!("/customers/{id}#marketing"), "saved", None),
        Err(e) => AppError::from(e).into_page(me.locale()),
    }
}

async fn contact_dnc_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    page: PageForm<BTreeMap<String, String>>,
) -> Response {
    let PageForm { user: me, form } = page;
    let flag = form.get("value").map(String::as_str) == Some("true");
    let customer = form
        .get("customer_id")
        .and_then(|c| c.parse::<i64>().ok())
        .unwrap_or(0);
    match state
        .store
        .set_contact_do_not_contact(&me.viewer, id, flag, state.now())
        .await
    {
        Ok(()) => done(&format!("/customers/{customer}#marketing"), "saved", None),
        Err(e) => AppError::from(e).into_page(me.locale()),
    }
}

#[derive(Template)]
#[template(path = "unsubscribe.html")]
struct UnsubscribePage {
    tr: Tr,
    org: String,
    customer: String,
    done: bool,
    found: bool,
}

const PUBLIC_LOCALE: Locale = Locale::ZhCn;

fn public_tr() -> Tr {
    Tr::new(PUBLIC_LOCALE, "Asia/Shanghai")
}

/// The page for a link that matches nothing (mistyped, cut short).
fn unknown_link() -> Response {
    render_status(
        &UnsubscribePage {
            tr: public_tr(),
            org: String::new(),
            customer: String::new(),
            done: false,
            found: false,
        },
        PUBLIC_LOCALE,
        StatusCode::NOT_FOUND,
    )
}

/// The opt-out link's page: it asks before acting, so a mail scanner that follows links
/// opts nobody out.
async fn unsubscribe_page(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    match state.store.unsubscribe_target(&digest(&token)).await {
        Ok((customer, org, already)) => render(
            &UnsubscribePage {
                tr: public_tr(),
                org,
                customer,
                done: already,
                found: true,
            },
            PUBLIC_LOCALE,
        ),
        Err(StoreError::NotFound) => unknown_link(),
        Err(e) => AppError::from(e).into_page(PUBLIC_LOCALE),
    }
}

async fn unsubscribe_submit(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let key = digest(&token);
    let result = async {
        state.store.unsubscribe(&key, state.now()).await?;
        state.store.unsubscribe_target(&key).await
    }
    .await;
    match result {
        Ok((customer, org, _)) => render(
            &UnsubscribePage {
                tr: public_tr(),
                org,
                customer,
                done: true,
                found: true,
            },
            PUBLIC_LOCALE,
        ),
        Err(StoreError::NotFound) => unknown_link(),
        Err(e) => AppError::from(e).into_page(PUBLIC_LOCALE),
    }
}

/// A campaign's message as one customer would get it.
#[derive(Serialize, utoipa::ToSchema)]
struct Preview {
    subject: String,
    body: String,
}

#[derive(Serialize, utoipa::ToSchema)]
struct TestQueued {
    /// Where the test message goes.
    queued_to: String,
}

#[derive(Serialize, utoipa::ToSchema)]
struct OptOut {
    customer_id: i64,
    opted_out: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
struct DoNotContact {
    contact_id: i64,
    do_not_contact: bool,
}

pub(crate) fn answers() -> Vec<Answer> {
    vec![
        answer("get", "/campaigns", api_list),
        answer("post", "/campaigns", api_create),
        answer("get", "/campaigns/{id}", api_get),
        answer("get", "/campaigns/{id}/recipients", api_recipients),
        answer("get", "/campaigns/{id}/preview", api_preview),
        answer("post", "/campaigns/{id}/launch", api_launch),
        answer("post", "/campaigns/{id}/cancel", api_cancel),
        answer("post", "/campaigns/{id}/test", api_test),
        answer("get", "/campaign-settings", api_settings),
        answer("put", "/campaign-settings", api_put_settings),
        answer("post", "/customers/{id}/opt-out", api_customer_opt_out),
        answer(
            "post",
            "/contacts/{id}/do-not-contact",
            api_contact_do_not_contact,
        ),
    ]
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/campaigns", get(api_list).post(api_create))
        .route("/api/v1/campaigns/{id}", get(api_get))
        .route("/api/v1/campaigns/{id}/recipients", get(api_recipients))
        .route("/api/v1/campaigns/{id}/preview", get(api_preview))
        .route("/api/v1/campaigns/{id}/launch", post(api_launch))
        .route("/api/v1/campaigns/{id}/cancel", post(api_cancel))
        .route("/api/v1/campaigns/{id}/test", post(api_test))
        .route(
            "/api/v1/campaign-settings",
            get(api_settings).put(api_put_settings),
        )
        .route("/api/v1/customers/{id}/opt-out", post(api_customer_opt_out))
        .route(
            "/api/v1/contacts/{id}/do-not-contact",
            post(api_contact_do_not_contact),
        )
        .route("/campaigns", get(list_page).post(create_submit))
        .route("/campaigns/{id}", get(campaign_page))
        .route("/campaigns/{id}/launch", post(launch_submit))
        .route("/campaigns/{id}/cancel", post(cancel_submit))
        .route("/campaigns/{id}/test", post(test_submit))
        .route("/campaigns/{id}/letters", get(letters_page))
        .route("/admin/campaigns", get(settings_page).post(settings_submit))
        .route("/customers/{id}/opt-out", post(customer_opt_out_submit))
        .route("/contacts/{id}/do-not-contact", post(contact_dnc_submit))
        .route("/u/{token}", get(unsubscribe_page).post(unsubscribe_submit))
}
