//! Sales meetings (早、晚班会和销售会议, seed 003): a team's morning, evening and weekly
//! meetings, held by the team's own superior, with attendance, the figures of the period pulled
//! from the records, decisions given as tasks, and the minutes kept. A salesperson working
//! away may attend by report: their daily report of the period stands in for them.

use crate::error::ValidationError;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// 早会: yesterday's results, today's plan.
    Morning,
    /// 晚会: today's results.
    Evening,
    /// 周会: the week's results.
    Weekly,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Morning, Kind::Evening, Kind::Weekly];
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Morning => "morning",
            Kind::Evening => "evening",
            Kind::Weekly => "weekly",
        }
    }
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == raw.trim())
            .ok_or_else(|| {
                ValidationError::new(
                    "kind",
                    "invalid_choice",
                    "must be morning, evening or weekly",
                )
            })
    }

    /// The days (first, last, inclusive) whose figures the meeting reviews and whose daily
    /// reports stand in for an absent salesperson: the day before a morning meeting, the day of
    /// an evening one, the week (Monday to Sunday) of a weekly one.
    pub fn period(self, held_on: NaiveDate) -> (NaiveDate, NaiveDate) {
        match self {
            Kind::Morning => {
                let d = held_on - Duration::days(1);
                (d, d)
            }
            Kind::Evening => (held_on, held_on),
            Kind::Weekly => {
                let monday =
                    held_on - Duration::days(i64::from(held_on.weekday().num_days_from_monday()));
                (monday, monday + Duration::days(6))
            }
        }
    }
}

/// The instants (from, to) of a period of China days, `to` exclusive.
pub fn period_instants(first: NaiveDate, last: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = |d: NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .expect("midnight")
            .and_local_timezone(crate::visit_plan::china_offset())
            .single()
            .expect("a fixed offset is unambiguous")
            .with_timezone(&Utc)
    };
    (start(first), start(last + Duration::days(1)))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, utoipa::ToSchema)]
pub enum Attendance {
    Present,
    Absent,
    /// Away on the road: attended by report.
    ByReport,
}

impl Attendance {
    pub const ALL: [Attendance; 3] = [
        Attendance::Present,
        Attendance::Absent,
        Attendance::ByReport,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Attendance::Present => "present",
            Attendance::Absent => "absent",
            Attendance::ByReport => "by_report",
        }
    }
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        Self::ALL
            .into_iter()
            .find(|a| a.as_str() == raw.trim())
            .ok_or_else(|| {
                ValidationError::new(
                    "attendance",
                    "invalid_choice",
                    "must be present, absent or by_report",
                )
            })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeetingRefusal {
    /// Only someone with people reporting to them holds a team meeting.
    NoTeam,
    /// Only the organizer records attendance, minutes and decisions, and closes it.
    NotOrganizer,
    /// A closed meeting's minutes do not change.
    Closed,
    /// Attending by report needs the member's daily report of the period.
    NoReport,
    /// Attendance and decisions concern the team's members only.
    NotAMember,
}

impl MeetingRefusal {
    pub fn code(self) -> &'static str {
        match self {
            MeetingRefusal::NoTeam => "no_team",
            MeetingRefusal::NotOrganizer => "not_organizer",
            MeetingRefusal::Closed => "meeting_closed",
            MeetingRefusal::NoReport => "no_report_for_period",
            MeetingRefusal::NotAMember => "not_a_member",
        }
    }
    pub fn message(self) -> String {
        match self {
            MeetingRefusal::NoTeam => "only someone with a team holds a team meeting".into(),
            MeetingRefusal::NotOrganizer => {
                "only the organizer records the meeting, its decisions and closes it".into()
            }
            MeetingRefusal::Closed => {
                "the meeting is closed; its minutes are kept as they are".into()
            }
            MeetingRefusal::NoReport => {
                "attending by report needs the person's daily report of the period".into()
            }
            MeetingRefusal::NotAMember => "the person is not a member of this meeting".into(),
        }
    }
}

/// Whether the organizer may change the meeting now.
pub fn check_edit(actor: i64, organizer: i64, closed: bool) -> Result<(), MeetingRefusal> {
    if actor != organizer {
        Err(MeetingRefusal::NotOrganizer)
    } else if closed {
        Err(MeetingRefusal::Closed)
    } else {
        Ok(())
    }
}

/// Whether a member's attendance may be recorded so: by report only with a report.
pub fn check_attendance(a: Attendance, has_report: bool) -> Result<(), MeetingRefusal> {
    if a == Attendance::ByReport && !has_report {
        Err(MeetingRefusal::NoReport)
    } else {
        Ok(())
    }
}

/// The minutes as written.
pub fn parse_minutes(raw: Option<&str>) -> Result<String, ValidationError> {
    let m = raw.unwrap_or("").trim();
    if m.chars().count() > 20_000 {
        return Err(ValidationError::new(
            "minutes",
            "too_long",
            "at most 20000 characters",
        ));
    }
    Ok(m.to_string())
}

/// A meeting's day: within a week before or after today.
pub fn check_day(held_on: NaiveDate, today: NaiveDate) -> Result<NaiveDate, ValidationError> {
    if (held_on - today).num_days().abs() > 7 {
        return Err(ValidationError::new(
            "held_on",
            "out_of_range",
            "must be within a week of today",
        ));
    }
    Ok(held_on)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn each_meeting_reviews_its_period() {
        // Wednesday 2026-11-25.
        let wed = day(2026, 11, 25);
        assert_eq!(
            Kind::Morning.period(wed),
            (day(2026, 11, 24), day(2026, 11, 24))
        );
        assert_eq!(Kind::Evening.period(wed), (wed, wed));
        assert_eq!(
            Kind::Weekly.period(wed),
            (day(2026, 11, 23), day(2026, 11, 29))
        );
        assert_eq!(
            Kind::Weekly.period(day(2026, 11, 23)).0,
            day(2026, 11, 23),
            "a Monday starts its own week"
        );
        let (from, to) = period_instants(wed, wed);
        assert_eq!(from.to_rfc3339(), "2026-11-24T16:00:00+00:00");
        assert_eq!((to - from).num_hours(), 24);
    }

    #[test]
    fn who_records_what() {
        assert_eq!(check_edit(2, 1, false), Err(MeetingRefusal::NotOrganizer));
        assert_eq!(check_edit(1, 1, true), Err(MeetingRefusal::Closed));
        assert!(check_edit(1, 1, false).is_ok());
        assert_eq!(
            check_attendance(Attendance::ByReport, false),
            Err(MeetingRefusal::NoReport)
        );
        assert!(check_attendance(Attendance::ByReport, true).is_ok());
        assert!(check_attendance(Attendance::Absent, false).is_ok());
        assert_eq!(Attendance::parse("late").unwrap_err().field, "attendance");
        let today = day(2026, 11, 28);
        assert!(check_day(day(2026, 12, 10), today).is_err());
        assert!(check_day(day(2026, 11, 27), today).is_ok());
    }
}
