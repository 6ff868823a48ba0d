//! The reporting line (一个上级原则): each person has at most one superior and the line never loops.

use crate::error::ValidationError;
use std::collections::{HashMap, HashSet};

/// The superior of every person in one organization, as stored.
#[derive(Debug, Clone, Default)]
pub struct ReportingLine {
    superior_of: HashMap<i64, Option<i64>>,
}

impl ReportingLine {
    pub fn new(edges: impl IntoIterator<Item = (i64, Option<i64>)>) -> Self {
        Self {
            superior_of: edges.into_iter().collect(),
        }
    }

    pub fn superior_of(&self, person: i64) -> Option<i64> {
        self.superior_of.get(&person).copied().flatten()
    }

    /// Checks that `person` (possibly new, not yet in the line) may report to `superior`.
    pub fn check_superior(
        &self,
        person: i64,
        superior: Option<i64>,
    ) -> Result<(), ValidationError> {
        let Some(mut cursor) = superior else {
            return Ok(());
        };
        if !self.superior_of.contains_key(&cursor) {
            return Err(ValidationError::new(
                "superior_id",
                "unknown_superior",
                "the superior does not exist in this organization",
            ));
        }
        // Walk up from the proposed superior; meeting `person` means the change closes a loop,
        // meeting anyone twice that the stored line already loops.
        let mut seen = HashSet::new();
        loop {
            if cursor == person {
                return Err(ValidationError::new(
                    "superior_id",
                    "superior_cycle",
                    "a person cannot report to themselves or to someone below them",
                ));
            }
            if !seen.insert(cursor) {
                // The stored line already loops; refuse rather than spin.
                return Err(ValidationError::new(
                    "superior_id",
                    "superior_cycle",
                    "the reporting line contains a loop",
                ));
            }
            match self.superior_of(cursor) {
                Some(next) => cursor = next,
                None => return Ok(()),
            }
        }
    }

    pub fn set_superior(
        &mut self,
        person: i64,
        superior: Option<i64>,
    ) -> Result<(), ValidationError> {
        self.check_superior(person, superior)?;
        self.superior_of.insert(person, superior);
        Ok(())
    }

    /// Everyone below `person`, at any depth (not including `person`).
    pub fn subordinates(&self, person: i64) -> Vec<i64> {
        let mut children: HashMap<i64, Vec<i64>> = HashMap::new();
        for (&p, &s) in &self.superior_of {
            if let Some(s) = s {
                children.entry(s).or_default().push(p);
            }
        }
        let mut out = Vec::new();
        let mut stack = vec![person];
        while let Some(p) = stack.pop() {
            for &c in children.get(&p).map(Vec::as_slice).unwrap_or(&[]) {
                if c != person && !out.contains(&c) {
                    out.push(c);
                    stack.push(c);
                }
            }
        }
        out
    }

    /// The first of `person` and their superiors, walking up, for whom `is` holds (a stored
    /// loop ends the walk).
    pub fn first_up(&self, person: i64, is: impl Fn(i64) -> bool) -> Option<i64> {
        let mut seen = HashSet::new();
        let mut cursor = Some(person);
        while let Some(p) = cursor {
            if !seen.insert(p) {
                return None;
            }
            if is(p) {
                return Some(p);
            }
            cursor = self.superior_of(p);
        }
        None
    }

    pub fn is_acyclic(&self) -> bool {
        self.superior_of.keys().all(|&p| {
            let mut seen = HashSet::from([p]);
            let mut cur = self.superior_of(p);
            while let Some(c) = cur {
                if !seen.insert(c) {
                    return false;
                }
                cur = self.superior_of(c);
            }
            true
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_up_walks_to_the_top_and_stops_at_a_loop() {
        let line = ReportingLine::new([
            (1, None),
            (2, Some(1)),
            (3, Some(2)),
            (7, Some(8)),
            (8, Some(7)),
        ]);
        assert_eq!(line.first_up(3, |p| p == 2), Some(2));
        assert_eq!(line.first_up(3, |p| p == 3), Some(3));
        assert_eq!(line.first_up(3, |p| p == 9), None);
        assert_eq!(line.first_up(7, |p| p == 9), None);
    }
    use proptest::prelude::*;

    fn line() -> ReportingLine {
        // 1 director; 2, 3 supervisors; 4, 5 under 2; 6 under 4.
        ReportingLine::new([
            (1, None),
            (2, Some(1)),
            (3, Some(1)),
            (4, Some(2)),
            (5, Some(2)),
            (6, Some(4)),
        ])
    }

    #[test]
    fn refuses_self_and_descendants_as_superior() {
        let l = line();
        assert_eq!(
            l.check_superior(2, Some(2)).unwrap_err().code,
            "superior_cycle"
        );
        assert_eq!(
            l.check_superior(2, Some(6)).unwrap_err().code,
            "superior_cycle"
        );
        assert!(l.check_superior(2, Some(3)).is_ok());
        assert!(l.check_superior(99, Some(6)).is_ok());
        assert_eq!(
            l.check_superior(2, Some(42)).unwrap_err().code,
            "unknown_superior"
        );
    }

    #[test]
    fn a_stored_loop_is_refused_rather_than_followed() {
        // 7 → 8 → 7 (data written before the rule existed); 9 under 7.
        let looped = ReportingLine::new([(7, Some(8)), (8, Some(7)), (9, Some(7)), (10, None)]);
        assert!(!looped.is_acyclic());
        let mut below: Vec<i64> = looped.subordinates(7);
        below.sort();
        assert_eq!(below, vec![8, 9], "a stored loop is walked once");
        assert_eq!(
            looped.check_superior(10, Some(9)).unwrap_err().code,
            "superior_cycle"
        );
        assert!(line().is_acyclic());
        // A long but sound line: the walk stops at its top, however deep.
        let chain = ReportingLine::new((1..=50).map(|p| (p, (p > 1).then_some(p - 1))));
        assert!(chain.is_acyclic());
        assert!(chain.check_superior(51, Some(50)).is_ok());
        assert_eq!(
            chain.check_superior(1, Some(50)).unwrap_err().code,
            "superior_cycle"
        );
    }

    #[test]
    fn setting_a_superior_changes_the_line_only_when_allowed() {
        let mut l = line();
        assert!(l.set_superior(6, Some(3)).is_ok());
        assert_eq!(l.superior_of(6), Some(3));
        let mut s = l.subordinates(2);
        s.sort();
        assert_eq!(s, vec![4, 5]);
        assert!(l.set_superior(1, Some(6)).is_err());
        assert_eq!(
            l.superior_of(1),
            None,
            "a refused change leaves the line alone"
        );
        assert_eq!(l.subordinates(1).len(), 5);
    }

    #[test]
    fn subtree() {
        let mut s = line().subordinates(2);
        s.sort();
        assert_eq!(s, vec![4, 5, 6]);
        assert!(line().subordinates(6).is_empty());
    }

    proptest! {
        /// Whatever reassignments are attempted, the accepted ones never produce a loop.
        #[test]
        fn accepted_changes_keep_the_line_acyclic(
            moves in proptest::collection::vec((1i64..20, proptest::option::of(1i64..20)), 0..200)
        ) {
            let mut l = ReportingLine::new((1..20).map(|p| (p, None)));
            for (person, superior) in moves {
                let _ = l.set_superior(person, superior);
                prop_assert!(l.is_acyclic());
            }
        }
    }
}
