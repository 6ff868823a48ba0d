//! What waits for someone when they open their workbench: the decisions behind the lists
//! (who has not filed, which day a missing report belongs to), without the I/O.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use std::collections::HashSet;

/// The working day before `today` (a Monday's is the Friday before): the day whose daily
/// report should be in by now.
pub fn previous_working_day(today: NaiveDate) -> NaiveDate {
    let mut day = today - Duration::days(1);
    while matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
        day -= Duration::days(1);
    }
    day
}

/// Whether plans are expected on `day` (working days only).
pub fn is_working_day(day: NaiveDate) -> bool {
    !matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The people among `expected` who have not filed, in the order given.
pub fn not_filed(expected: &[i64], filed: &HashSet<i64>) -> Vec<i64> {
    expected
        .iter()
        .copied()
        .filter(|p| !filed.contains(p))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_report_due_is_the_last_working_day() {
        assert_eq!(
            previous_working_day(d("2026-11-30")),
            d("2026-11-27"),
            "Monday → Friday"
        );
        assert_eq!(previous_working_day(d("2026-11-27")), d("2026-11-26"));
        assert_eq!(
            previous_working_day(d("2026-11-29")),
            d("2026-11-27"),
            "Sunday → Friday"
        );
        assert!(is_working_day(d("2026-11-27")) && !is_working_day(d("2026-11-28")));
    }

    #[test]
    fn those_who_filed_are_left_out() {
        let filed = HashSet::from([2, 4]);
        assert_eq!(not_filed(&[1, 2, 3, 4], &filed), [1, 3]);
        assert!(not_filed(&[2, 4], &filed).is_empty());
    }

    proptest! {
        #[test]
        fn the_previous_working_day_is_the_nearest_weekday_before(days in 0i64..3000) {
            let today = d("2020-01-01") + Duration::days(days);
            let p = previous_working_day(today);
            prop_assert!(p < today && is_working_day(p));
            let mut between = p + Duration::days(1);
            while between < today {
                prop_assert!(!is_working_day(between));
                between += Duration::days(1);
            }
        }
    }
}
