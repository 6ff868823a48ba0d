//! Field-level change records for the audit trail.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FieldChange {
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// A record flattened to named text values, so that any entity can be compared.
pub type Snapshot = Vec<(&'static str, Option<String>)>;

/// The fields whose value differs between two snapshots of one entity.
/// A creation is `diff(&[], after)`; a deletion is `diff(before, &[])`.
pub fn diff(
    before: &[(&'static str, Option<String>)],
    after: &[(&'static str, Option<String>)],
) -> Vec<FieldChange> {
    let lookup = |snap: &[(&'static str, Option<String>)], f: &str| {
        snap.iter()
            .find(|(k, _)| *k == f)
            .and_then(|(_, v)| v.clone())
    };
    let mut fields: Vec<&'static str> = before.iter().map(|(k, _)| *k).collect();
    for (k, _) in after {
        if !fields.contains(k) {
            fields.push(k);
        }
    }
    fields
        .into_iter()
        .filter_map(|f| {
            let (b, a) = (lookup(before, f), lookup(after, f));
            (b != a).then(|| FieldChange {
                field: f.to_string(),
                before: b,
                after: a,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn only_changed_fields_are_listed() {
        let before = vec![("name", Some("甲".to_string())), ("phone", None)];
        let after = vec![
            ("name", Some("甲".to_string())),
            ("phone", Some("138".to_string())),
        ];
        assert_eq!(
            diff(&before, &after),
            vec![FieldChange {
                field: "phone".into(),
                before: None,
                after: Some("138".into())
            }]
        );
        assert!(diff(&before, &before).is_empty());
        assert_eq!(diff(&[], &after).len(), 2);
    }

    proptest! {
        #[test]
        fn applying_the_diff_to_before_gives_after(
            b in proptest::collection::vec(proptest::option::of("[a-z]{0,3}"), 4),
            a in proptest::collection::vec(proptest::option::of("[a-z]{0,3}"), 4),
        ) {
            const F: [&str; 4] = ["a", "b", "c", "d"];
            let before: Snapshot = F.iter().zip(b).map(|(k, v)| (*k, v)).collect();
            let after: Snapshot = F.iter().zip(a).map(|(k, v)| (*k, v)).collect();
            let mut applied = before.clone();
            for ch in diff(&before, &after) {
                let slot = applied.iter_mut().find(|(k, _)| *k == ch.field).unwrap();
                prop_assert_eq!(&slot.1, &ch.before);
                slot.1 = ch.after;
            }
            prop_assert_eq!(applied, after);
        }
    }
}
