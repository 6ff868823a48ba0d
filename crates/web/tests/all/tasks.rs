//! Written commands on both backends: only one's own superior commands (the clerk issues
//! notices); the assignee acknowledges, reports and completes; a skip-level superior inspects;
//! a task past its time is overdue on both workbenches.

use crate::common;

use crate::common::{strip_tags, Backend, Team, TestApp};
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn commands_follow_the_line(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = Team::build(&app).await;
    let due = (app.now() + Duration::days(2)).to_rfc3339();
    let give = |token: &str, body: Value| {
        let (app, token) = (app.clone(), token.to_string());
        async move { app.post("/api/v1/tasks", &token, body).await }
    };
    let task = |assignee: i64| {
        json!({"assignee_id": assignee, "title": "拜访恒达，确认二期需求", "place": "恒达总部",
               "plan": "带二期方案和报价", "check": "周五前提交拜访报告", "due_at": due})
    };
    // The director is rep_a1's skip-level superior: commands go through sup_a.
    for (token, assignee) in [
        (&t.director.1, t.rep_a1.0),
        (&t.sup_b.1, t.rep_a1.0),
        (&t.rep_a2.1, t.rep_a1.0),
    ] {
        let (s, e) = give(token, task(assignee)).await;
        assert_eq!(
            (s, e["error"]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("not_your_report")),
            "{e}"
        );
    }
    let (s, e) = give(
        &t.sup_a.1,
        json!({"assignee_id": t.rep_a1.0, "title": "x", "due_at": (app.now() - Duration::hours(1)).to_rfc3339()}),
    )
    .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("due_at"))
    );
    let (s, given) = give(&t.sup_a.1, task(t.rep_a1.0)).await;
    assert_eq!(s, StatusCode::CREATED, "{given}");
    let id = given["id"].as_i64().unwrap();
    assert_eq!(given["status"], "assigned");
    // The clerk's task notice after contract review.
    let (s, notice) = give(
        &t.clerk.1,
        json!({"assignee_id": t.rep_b1.0, "title": "合同已审，按通知单发货", "due_at": due}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{notice}");

    // Reached by the assigner, the assignee and those above; nobody else.
    let path = format!("/api/v1/tasks/{id}");
    for (token, status) in [
        (&t.rep_a1.1, StatusCode::OK),
        (&t.sup_a.1, StatusCode::OK),
        (&t.director.1, StatusCode::OK),
        (&t.rep_a2.1, StatusCode::NOT_FOUND),
        (&t.sup_b.1, StatusCode::NOT_FOUND),
    ] {
        assert_eq!(app.get(&path, token).await.0, status);
    }
    let (_, team) = app.get("/api/v1/tasks?view=team", &t.director.1).await;
    assert_eq!(team["total"], 2, "the director inspects both");

    let step = |token: &str, body: Value| {
        let (app, token) = (app.clone(), token.to_string());
        async move {
            app.post(&format!("/api/v1/tasks/{id}/steps"), &token, body)
                .await
        }
    };
    let (s, e) = step(
        &t.sup_a.1,
        json!({"step": "complete", "body": "x", "version": 1}),
    )
    .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("task_not_yours"))
    );
    let (_, acked) = step(&t.rep_a1.1, json!({"step": "acknowledge", "version": 1})).await;
    assert_eq!(acked["status"], "acknowledged");
    assert_eq!(
        step(
            &t.rep_a1.1,
            json!({"step": "progress", "body": "已约好周四", "version": 1})
        )
        .await
        .0,
        StatusCode::CONFLICT
    );
    let (s, e) = step(&t.rep_a1.1, json!({"step": "complete", "version": 2})).await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("body"))
    );

    // Three days on, still open: overdue for the assignee and for the team's superiors.
    let later = app.at(app.now() + Duration::days(3)).await;
    let (_, late) = later
        .get("/api/v1/tasks?view=team&overdue=1", &t.sup_a.1)
        .await;
    assert_eq!(
        (
            late["total"].as_i64(),
            late["items"][0]["overdue"].as_bool()
        ),
        (Some(1), Some(true))
    );
    let (_, dash) = later.get("/api/v1/dashboard", &t.sup_a.1).await;
    let kinds: Vec<&str> = dash["waiting"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"tasks_team_overdue"), "{kinds:?}");
    let (_, dash) = later.get("/api/v1/dashboard", &t.rep_a1.1).await;
    assert!(dash["waiting"].to_string().contains("tasks_mine"));

    let (s, done) = step(
        &t.rep_a1.1,
        json!({"step": "complete", "body": "已拜访，二期需求见拜访报告", "version": 2}),
    )
    .await;
    assert_eq!((s, done["status"].as_str()), (StatusCode::OK, Some("done")));
    assert!(done["done_at"].is_string());
    let (s, e) = step(&t.sup_a.1, json!({"step": "cancel", "version": 3})).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("task_step_not_allowed")
        )
    );
    let (_, full) = app.get(&path, &t.director.1).await;
    assert_eq!(full["events"].as_array().unwrap().len(), 2);
    let (s, page) = app.page(&format!("/tasks/{id}"), &t.sup_a.1).await;
    assert_eq!(s, StatusCode::OK);
    let text = strip_tags(&page);
    assert!(
        text.contains("已完成") && text.contains("二期需求见拜访报告"),
        "{text}"
    );
    let (_, page) = app.page("/tasks?view=given", &t.sup_a.1).await;
    assert!(
        page.contains("id=\"task-form\""),
        "sup_a may give tasks to rep_a1 and rep_a2"
    );
    let (_, page) = app.page("/tasks", &t.rep_a1.1).await;
    assert!(
        !page.contains("id=\"task-form\""),
        "a salesperson has nobody to command"
    );
    app.assert_audit_in_words().await;
}

/// A skip-level appeal goes past one's own superior, with its reason, and is seen only by the
/// appellant and the person appealed to, who answers once.
async fn appeals_go_past_ones_own_superior(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = Team::build(&app).await;
    let appeal = |to: i64| json!({"to_id": to, "subject": "大客户分配", "reason": "本月三个大客户都被划给了同组同事。"});
    for to in [t.sup_a.0, t.sup_b.0, t.rep_a2.0] {
        let (s, e) = app.post("/api/v1/appeals", &t.rep_a1.1, appeal(to)).await;
        assert_eq!(
            (s, e["error"]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("not_skip_level")),
            "{e}"
        );
    }
    let (s, e) = app
        .post(
            "/api/v1/appeals",
            &t.rep_a1.1,
            json!({"to_id": t.director.0, "subject": "x", "reason": " "}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("reason"))
    );
    let (s, filed) = app
        .post("/api/v1/appeals", &t.rep_a1.1, appeal(t.director.0))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{filed}");
    let id = filed["id"].as_i64().unwrap();
    let path = format!("/api/v1/appeals/{id}");
    for (token, status) in [
        (&t.rep_a1.1, StatusCode::OK),
        (&t.director.1, StatusCode::OK),
        (&t.sup_a.1, StatusCode::NOT_FOUND),
        (&t.sup_b.1, StatusCode::NOT_FOUND),
    ] {
        assert_eq!(app.get(&path, token).await.0, status, "{token}");
    }
    let answer = |token: &str| {
        let (app, token) = (app.clone(), token.to_string());
        async move {
            app.post(
                &format!("/api/v1/appeals/{id}/answer"),
                &token,
                json!({"answer": "下周例会上重新分配。"}),
            )
            .await
        }
    };
    assert_eq!(answer(&t.sup_a.1).await.0, StatusCode::NOT_FOUND);
    let (s, e) = answer(&t.rep_a1.1).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("appeal_not_yours"))
    );
    let (s, answered) = answer(&t.director.1).await;
    assert_eq!(
        (s, answered["answer"].as_str()),
        (StatusCode::OK, Some("下周例会上重新分配。"))
    );
    assert_eq!(
        answer(&t.director.1).await.0,
        StatusCode::UNPROCESSABLE_ENTITY,
        "once"
    );
    let (_, page) = app.page("/appeals", &t.rep_a1.1).await;
    let text = strip_tags(&page);
    assert!(
        text.contains("大客户分配") && text.contains("下周例会上重新分配"),
        "{text}"
    );
    assert!(
        page.contains("id=\"appeal-form\""),
        "rep_a1 may appeal to the director"
    );
    let (_, page) = app.page("/appeals", &t.sup_a.1).await;
    assert!(
        !page.contains("大客户分配"),
        "one's own superior does not see it"
    );
    app.assert_audit_in_words().await;
}

on_both_backends!(commands_follow_the_line, appeals_go_past_ones_own_superior);
