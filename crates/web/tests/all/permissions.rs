//! The permission matrix over HTTP, generated from `domain::permission`: every action, as every
//! role, through the API and (where the action has one) its page. Each answer is 403 exactly
//! when the module refuses the role. A new action cannot be added to the module without a
//! probe here: the `match` below is exhaustive.

use crate::common;

use crate::common::{Backend, Team, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use yingpan_domain::permission::{allows, Action, Policy};
use yingpan_domain::person::Role;

/// A request that reaches the action's permission check and changes nothing when allowed (a
/// stale version, an id that does not exist, a body that fails validation, a read). `customer`
/// is in the scope of every role probed: by-id requests answer 404 outside scope before any
/// role is considered.
fn api_probe(action: Action, customer: i64) -> (Method, String, Option<Value>) {
    let (method, path, body) = match action {
        Action::ManageOrganization => (Method::POST, "/api/v1/users", Some(json!({}))),
        Action::ReadAuditTrail => (Method::GET, "/api/v1/audit", None),
        Action::ReadDirectory => (Method::GET, "/api/v1/users", None),
        Action::DeleteCustomer => {
            return (
                Method::DELETE,
                format!("/api/v1/customers/{customer}?version=999"),
                None,
            )
        }
        Action::TransferCustomers => (
            Method::POST,
            "/api/v1/customers/transfer",
            Some(json!({"customer_ids": [999999], "to_user_id": 999999, "reason": "探测"})),
        ),
        Action::RestoreCustomer => (Method::POST, "/api/v1/customers/999999/restore", None),
        Action::MergeCustomers => (Method::GET, "/api/v1/customers/suspected-duplicates", None),
        Action::ExportCustomers => (Method::GET, "/api/v1/customers/export", None),
        Action::ImportCustomers => (Method::POST, "/api/v1/customers/import", None),
        Action::KeepPriceList => (Method::POST, "/api/v1/products", Some(json!({}))),
        Action::RecordAdvances => (Method::POST, "/api/v1/expense-advances", Some(json!({}))),
        Action::ReadMonthlySummary => (Method::GET, "/api/v1/reports/monthly", None),
        Action::SetTargets => (
            Method::PATCH,
            "/api/v1/targets/2027",
            Some(json!({"version": 999, "lines": []})),
        ),
        Action::PublishTargets => (
            Method::POST,
            "/api/v1/targets/2027/publish",
            Some(json!({"version": 999})),
        ),
        // A process part without items: refused after the permission check.
        Action::ManagePayPlans => {
            return (
                Method::PUT,
                "/api/v1/pay-plans/2027-01".into(),
                Some(
                    json!({"base_salary": "0", "process_amount": "1", "default_rate_percent": "0"}),
                ),
            )
        }
        Action::ReviewPay => (
            Method::POST,
            "/api/v1/pay-sheets/2027-01/999999/review",
            None,
        ),
        Action::ApprovePay => (Method::POST, "/api/v1/pay-months/1999-01/close", None),
        // Not a team: refused after the permission check.
        Action::SetBudgets => (
            Method::PUT,
            "/api/v1/budgets/2027-01/999999",
            Some(json!({"sales": "1", "version": 0})),
        ),
        Action::ManageSurveys => (Method::POST, "/api/v1/surveys", Some(json!({}))),
        Action::ManageObjections => (Method::POST, "/api/v1/objections", Some(json!({}))),
        Action::ManageWebhooks => (
            Method::POST,
            "/api/v1/webhooks",
            Some(
                json!({"name": "ERP", "format": "json", "url": "https://example.com/h", "events": ["customer.registered"]}),
            ),
        ),
        Action::ManageTeamRobots => (Method::GET, "/api/v1/webhooks", None),
    };
    (method, path.to_string(), body)
}

/// The page behind the action, where it has one of its own.
fn page_probe(action: Action) -> Option<&'static str> {
    match action {
        Action::ManageOrganization => Some("/admin/organization"),
        Action::ReadAuditTrail => Some("/audit"),
        Action::ReadDirectory => Some("/admin/users"),
        Action::RestoreCustomer => Some("/customers/deleted"),
        Action::MergeCustomers => Some("/customers/duplicates"),
        Action::ImportCustomers => Some("/customers/import"),
        Action::ReadMonthlySummary => Some("/monthly"),
        Action::ExportCustomers => Some("/customers/export"),
        Action::ReviewPay => Some("/pay-plans"),
        Action::ManageTeamRobots => Some("/admin/webhooks"),
        Action::DeleteCustomer
        | Action::TransferCustomers
        | Action::KeepPriceList
        | Action::RecordAdvances
        | Action::SetTargets
        | Action::PublishTargets
        | Action::ManagePayPlans
        | Action::ApprovePay
        | Action::SetBudgets
        | Action::ManageSurveys
        | Action::ManageObjections
        | Action::ManageWebhooks => None,
    }
}

async fn answer(app: &TestApp, token: &str, action: Action, customer: i64) -> StatusCode {
    let (method, path, body) = api_probe(action, customer);
    let mut req = app
        .client
        .request(method, app.url(&path))
        .bearer_auth(token);
    req = match (action, body) {
        // An import of a file with a header and no rows.
        (Action::ImportCustomers, _) => req.body("客户名称,电话\n"),
        (_, Some(b)) => req.json(&b),
        (_, None) => req,
    };
    req.send().await.unwrap().status()
}

async fn every_action_as_every_role(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = Team::build(&app).await;
    let people = [
        (Role::Admin, app.admin_token.clone()),
        (Role::Director, t.director.1.clone()),
        (Role::Supervisor, t.sup_a.1.clone()),
        (Role::Sales, t.rep_a1.1.clone()),
        (Role::Clerk, t.clerk.1.clone()),
    ];
    let customer = app.customer(&t.rep_a1.1, "甲客户", "12200000001").await["id"]
        .as_i64()
        .unwrap();
    let check = |policy: Policy| {
        let (app, people) = (&app, &people);
        async move {
            for action in Action::ALL {
                for (role, token) in people {
                    let allowed = allows(*role, action, &policy);
                    let status = answer(app, token, action, customer).await;
                    assert_eq!(
                        status == StatusCode::FORBIDDEN,
                        !allowed,
                        "API {action:?} as {role:?}: {status}"
                    );
                    if let Some(path) = page_probe(action) {
                        let (status, _) = app.page(path, token).await;
                        assert_eq!(
                            status == StatusCode::FORBIDDEN,
                            !allowed,
                            "page {path} ({action:?}) as {role:?}: {status}"
                        );
                    }
                }
            }
        }
    };
    check(Policy::default()).await;

    // The company setting that widens a role, through the settings API.
    let (_, org) = app.get("/api/v1/organization", &app.admin_token).await;
    let (s, body) = app
        .patch(
            "/api/v1/organization",
            &app.admin_token,
            json!({"sales_may_import": true, "version": org["version"]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    check(Policy {
        sales_may_import: true,
    })
    .await;

    // Outside scope a record answers 404 to every role, whatever the role may do: another
    // team's customer, by id, to a salesperson and to a supervisor.
    let theirs = app.customer(&t.rep_b1.1, "乙客户", "12200000002").await["id"]
        .as_i64()
        .unwrap();
    for (role, token) in [(Role::Sales, &t.rep_a1.1), (Role::Supervisor, &t.sup_a.1)] {
        for (method, path) in [
            (Method::GET, format!("/api/v1/customers/{theirs}")),
            (
                Method::DELETE,
                format!("/api/v1/customers/{theirs}?version=1"),
            ),
            (
                Method::GET,
                format!("/api/v1/customers/{theirs}/activities"),
            ),
            (Method::POST, format!("/api/v1/customers/{theirs}/claim")),
        ] {
            let status = app
                .client
                .request(method.clone(), app.url(&path))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status();
            assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path} as {role:?}");
        }
    }

    // Nothing a probe sent was kept.
    let (_, all) = app.get("/api/v1/customers", &app.admin_token).await;
    assert_eq!(all["total"], 2);
    let (_, users) = app.get("/api/v1/users", &app.admin_token).await;
    assert_eq!(users["total"], 8);
}

on_both_backends!(every_action_as_every_role);
