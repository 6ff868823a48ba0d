//! Calendar feeds (issue 16): what a person's calendar subscription carries — approved visit
//! plans, the calls and visits their customers' cadence makes due, and open tasks (commands,
//! meeting decisions, account-plan actions) — as events with stable identities, so a calendar
//! app updates an event rather than duplicating it.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};

/// How far back and ahead a feed reaches.
pub const DAYS_BACK: i64 = 14;
pub const DAYS_AHEAD: i64 = 90;

pub fn window(now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    (
        now - Duration::days(DAYS_BACK),
        now + Duration::days(DAYS_AHEAD),
    )
}

/// When an event happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// A slot of a plan, in UTC.
    Span(DateTime<Utc>, DateTime<Utc>),
    /// A day (due calls and visits are due on a day, not at an hour).
    Day(NaiveDate),
}

/// The words a feed is written in (the owner's language).
#[derive(Debug, Clone, Default)]
pub struct Words {
    pub visit: String,
    pub call_due: String,
    pub visit_due: String,
    pub task: String,
    pub assigned_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Unique within the organization and stable across feeds.
    pub uid: String,
    pub summary: String,
    pub description: String,
    pub when: When,
}

fn local(date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    date.and_time(time)
        .and_local_timezone(crate::visit_plan::china_offset())
        .single()
        .expect("a fixed offset is unambiguous")
        .with_timezone(&Utc)
}

/// One visit of an approved plan: whose organization, which plan, which slot, which day.
pub struct PlanSlot<'a> {
    pub org_id: i64,
    pub plan_id: i64,
    pub index: usize,
    pub date: NaiveDate,
    pub item: &'a crate::visit_plan::PlanItem,
}

/// A visit of an approved plan. `who` names the salesperson in a team feed.
pub fn visit(slot: &PlanSlot<'_>, purpose: &str, who: Option<&str>, words: &Words) -> Event {
    let prefix = who.map(|w| format!("{w} · ")).unwrap_or_default();
    let item = slot.item;
    Event {
        uid: format!(
            "visit-{}-{}-{}@yingpan",
            slot.org_id, slot.plan_id, slot.index
        ),
        summary: format!("{prefix}{} {}", words.visit, item.customer_name),
        description: [Some(purpose.to_string()), item.notes.clone()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("\n"),
        when: When::Span(local(slot.date, item.start), local(slot.date, item.end)),
    }
}

/// A call or visit the tier's cadence makes due, on its China day.
pub fn due(
    org_id: i64,
    customer_id: i64,
    name: &str,
    kind: &str,
    at: DateTime<Utc>,
    words: &Words,
) -> Event {
    let day = at
        .with_timezone(&crate::visit_plan::china_offset())
        .date_naive();
    let what = if kind == "call" {
        &words.call_due
    } else {
        &words.visit_due
    };
    Event {
        uid: format!("due-{kind}-{org_id}-{customer_id}@yingpan"),
        summary: format!("{what} {name}"),
        description: String::new(),
        when: When::Day(day),
    }
}

/// An open task, as half an hour ending at its time.
pub fn task(
    org_id: i64,
    id: i64,
    title: &str,
    from: &str,
    due_at: DateTime<Utc>,
    words: &Words,
) -> Event {
    Event {
        uid: format!("task-{org_id}-{id}@yingpan"),
        summary: format!("{}{title}", words.task),
        description: format!("{}{from}", words.assigned_by),
        when: When::Span(due_at - Duration::minutes(30), due_at),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn zh() -> Words {
        Words {
            visit: "拜访".into(),
            call_due: "应电话".into(),
            visit_due: "应拜访".into(),
            task: "任务：".into(),
            assigned_by: "交办人：".into(),
        }
    }

    #[test]
    fn events_are_placed_in_china_time() {
        let item = crate::visit_plan::PlanItem {
            customer_id: Some(7),
            customer_name: "宁波恒达".into(),
            region: None,
            start: NaiveTime::from_hms_opt(9, 30, 0).unwrap(),
            end: NaiveTime::from_hms_opt(11, 0, 0).unwrap(),
            purpose: crate::visit_plan::Purpose::ALL[0],
            notes: Some("带样品".into()),
        };
        let d = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let slot = PlanSlot {
            org_id: 1,
            plan_id: 5,
            index: 0,
            date: d,
            item: &item,
        };
        let e = visit(&slot, "开发新客户", Some("周军"), &zh());
        assert_eq!(e.uid, "visit-1-5-0@yingpan");
        assert_eq!(e.summary, "周军 · 拜访 宁波恒达");
        assert_eq!(
            e.when,
            When::Span(
                Utc.with_ymd_and_hms(2026, 12, 1, 1, 30, 0).unwrap(),
                Utc.with_ymd_and_hms(2026, 12, 1, 3, 0, 0).unwrap()
            )
        );
        // 23:00 UTC is the next morning in China.
        let e = due(
            1,
            7,
            "宁波恒达",
            "call",
            Utc.with_ymd_and_hms(2026, 12, 1, 23, 0, 0).unwrap(),
            &zh(),
        );
        assert_eq!(
            e.when,
            When::Day(NaiveDate::from_ymd_opt(2026, 12, 2).unwrap())
        );
        assert_eq!(
            e.uid, "due-call-1-7@yingpan",
            "one event per customer and kind: it moves"
        );
        let (from, to) = window(Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap());
        assert_eq!((to - from).num_days(), DAYS_BACK + DAYS_AHEAD);
    }
}
