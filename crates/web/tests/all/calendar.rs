//! Calendar subscriptions on both backends: a secret, revocable URL whose feed — read back
//! with an independent iCalendar parser — carries the owner's approved visits, due calls and
//! open tasks, and a superior's team visits when asked; nothing of anyone else's.

use crate::common;

use crate::common::{Backend, Team, TestApp};
use chrono::{TimeZone, Utc};
use reqwest::{Method, StatusCode};
use serde_json::json;
use yingpan_web::Clock;

/// The feed at `url` (absolute, as the API gives it) fetched with no session, parsed.
async fn fetch(
    app: &TestApp,
    url: &str,
) -> (StatusCode, Vec<ical::parser::ical::component::IcalEvent>) {
    let path = &url[url.find("/cal/").expect("a feed path")..];
    let resp = app.client.get(app.url(path)).send().await.unwrap();
    let status = resp.status();
    if status != StatusCode::OK {
        return (status, Vec::new());
    }
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/calendar"));
    let text = resp.text().await.unwrap();
    let mut cals = ical::IcalParser::new(std::io::BufReader::new(text.as_bytes()));
    let cal = cals
        .next()
        .expect("one calendar")
        .expect("a feed that parses");
    (status, cal.events)
}

fn prop(e: &ical::parser::ical::component::IcalEvent, name: &str) -> String {
    e.properties
        .iter()
        .find(|p| p.name == name)
        .and_then(|p| p.value.clone())
        .unwrap_or_default()
}

async fn a_feed_carries_ones_own_calendar(backend: Backend) {
    // Tuesday 2026-11-24, 08:00 China time.
    let t0 = Utc.with_ymd_and_hms(2026, 11, 24, 0, 0, 0).unwrap();
    let app = TestApp::spawn_with_clock(backend, Clock::Fixed(t0)).await;
    let t = Team::build(&app).await;
    let c = app
        .customer(&t.rep_a1.1, "宁波恒达机械", "13800000001")
        .await;
    let cid = c["id"].as_i64().unwrap();
    let (s, _) = app
        .call(
            Method::PUT,
            &format!("/api/v1/customers/{cid}/qualification"),
            Some(&t.rep_a1.1),
            Some(json!({"tier": "priority", "version": c["version"]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, plan) = app
        .post(
            "/api/v1/visit-plans",
            &t.rep_a1.1,
            json!({"plan_date": "2026-11-25", "items": [{"customer_id": cid, "customer_name": "宁波恒达机械", "start": "09:30", "end": "11:00", "purpose": "service", "notes": "带样品"}]}),
        )
        .await;
    let url = format!("/api/v1/visit-plans/{}", plan["id"]);
    app.post(&format!("{url}/submit"), &t.rep_a1.1, json!({"version": 1}))
        .await;
    let (s, p) = app
        .post(&format!("{url}/approve"), &t.sup_a.1, json!({"version": 2}))
        .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    let (s, task) = app
        .post("/api/v1/tasks", &t.sup_a.1, json!({"assignee_id": t.rep_a1.0, "title": "提交二期报价", "due_at": "2026-11-26T10:00:00Z"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{task}");

    let start = |token: &str, team: bool| {
        let (app, token) = (app.clone(), token.to_string());
        async move {
            let (s, r) = app
                .post(
                    "/api/v1/calendar-feed",
                    &token,
                    json!({"include_team": team}),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{r}");
            r["url"].as_str().unwrap().to_string()
        }
    };
    let mine = start(&t.rep_a1.1, false).await;
    let (s, events) = fetch(&app, &mine).await;
    assert_eq!(s, StatusCode::OK);
    let find = |prefix: &str| {
        events
            .iter()
            .find(|e| prop(e, "UID").starts_with(prefix))
            .cloned()
    };
    let visit = find("visit-").expect("the approved visit");
    assert!(
        prop(&visit, "SUMMARY").contains("宁波恒达机械"),
        "{visit:?}"
    );
    assert_eq!(
        (prop(&visit, "DTSTART"), prop(&visit, "DTEND")),
        (
            "20261125T013000Z".to_string(),
            "20261125T030000Z".to_string()
        )
    );
    assert!(prop(&visit, "DESCRIPTION").contains("带样品"));
    let call = find(&format!("due-call-{}", app.org_id)).expect("the call the tier makes due");
    assert_eq!(
        call.properties
            .iter()
            .find(|p| p.name == "DTSTART")
            .unwrap()
            .params
            .as_ref()
            .map(|v| v
                .iter()
                .any(|(k, v)| k == "VALUE" && v.contains(&"DATE".to_string()))),
        Some(true),
        "a day, not an hour"
    );
    let day = |v: String| chrono::NaiveDate::parse_from_str(&v, "%Y%m%d").unwrap();
    let (first, after) = (day(prop(&call, "DTSTART")), day(prop(&call, "DTEND")));
    assert_eq!(
        after - first,
        chrono::Duration::days(1),
        "a whole day, the end exclusive"
    );
    let t_ev = find("task-").expect("the open task");
    assert!(prop(&t_ev, "SUMMARY").contains("提交二期报价"));
    assert_eq!(prop(&t_ev, "DTEND"), "20261126T100000Z");

    // Another salesperson's feed has none of it; the supervisor's has the team's visits only
    // when asked, with the salesperson's name.
    let other = start(&t.rep_a2.1, false).await;
    assert!(fetch(&app, &other).await.1.is_empty());
    let sup_own = start(&t.sup_a.1, false).await;
    assert!(fetch(&app, &sup_own)
        .await
        .1
        .iter()
        .all(|e| !prop(e, "UID").starts_with("visit-")));
    let sup_team = start(&t.sup_a.1, true).await;
    let (_, team) = fetch(&app, &sup_team).await;
    let v = team
        .iter()
        .find(|e| prop(e, "UID").starts_with("visit-"))
        .expect("the team's visit");
    assert!(prop(v, "SUMMARY").starts_with("rep_a1"), "{v:?}");
    assert_eq!(
        fetch(&app, &sup_own).await.0,
        StatusCode::NOT_FOUND,
        "renewing stops the old URL"
    );

    // Stopping, guessing, a wrong suffix: all 404 and nothing else.
    assert_eq!(
        app.delete("/api/v1/calendar-feed", &t.rep_a1.1).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(fetch(&app, &mine).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        app.delete("/api/v1/calendar-feed", &t.rep_a1.1).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        fetch(&app, "http://x/cal/not-a-token.ics").await.0,
        StatusCode::NOT_FOUND
    );
    let bare = other.trim_end_matches(".ics").to_string();
    assert_eq!(fetch(&app, &bare).await.0, StatusCode::NOT_FOUND);
    let (_, status) = app.get("/api/v1/calendar-feed", &t.rep_a2.1).await;
    assert_eq!(status["feed"]["include_team"], false);
    app.assert_audit_in_words().await;
}

on_both_backends!(a_feed_carries_ones_own_calendar);
