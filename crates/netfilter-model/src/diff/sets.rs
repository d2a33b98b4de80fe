//! Comparison of named sets and maps (by elements) and named objects (by value).

use std::collections::HashSet;

use crate::model::{NamedObject, NamedSet};

use super::chains::Entry;
use super::options::DiffOptions;
use super::report::{Change, DiffStatus, ObjectDiff, SetDiff, SetField};

fn push(
    out: &mut Vec<Change<SetField>>,
    field: SetField,
    old: Option<String>,
    new: Option<String>,
) {
    if old != new {
        out.push(Change { field, old, new });
    }
}

fn joined(v: &[String], sep: &str) -> Option<String> {
    (!v.is_empty()).then(|| v.join(sep))
}

/// Compares a set present on at most one side or both; `None` is absence.
pub(crate) fn diff_set(
    old: Option<&Entry<'_, NamedSet>>,
    new: Option<&Entry<'_, NamedSet>>,
    opts: &DiffOptions,
) -> Option<SetDiff> {
    let any = old.or(new)?;
    let (os, ns) = (old.map(|e| e.item), new.map(|e| e.item));
    let mut changes = Vec::new();
    let mut removed = Vec::new();
    let mut added = Vec::new();
    if let (Some(o), Some(n)) = (os, ns) {
        push(
            &mut changes,
            SetField::KeyType,
            Some(o.key_type.clone()),
            Some(n.key_type.clone()),
        );
        push(
            &mut changes,
            SetField::DataType,
            o.data_type.clone(),
            n.data_type.clone(),
        );
        push(
            &mut changes,
            SetField::Flags,
            joined(&o.flags, ","),
            joined(&n.flags, ","),
        );
        push(
            &mut changes,
            SetField::Extra,
            joined(&o.extra, "; "),
            joined(&n.extra, "; "),
        );
        if !opts.ignore_comments {
            push(
                &mut changes,
                SetField::Comment,
                o.comment.clone(),
                n.comment.clone(),
            );
        }
        let oset: HashSet<&str> = o.elements.iter().map(String::as_str).collect();
        let nset: HashSet<&str> = n.elements.iter().map(String::as_str).collect();
        let mut seen = HashSet::new();
        removed = o
            .elements
            .iter()
            .filter(|e| !nset.contains(e.as_str()) && seen.insert(e.as_str()))
            .cloned()
            .collect();
        seen.clear();
        added = n
            .elements
            .iter()
            .filter(|e| !oset.contains(e.as_str()) && seen.insert(e.as_str()))
            .cloned()
            .collect();
    } else if let Some(o) = os {
        removed = o.elements.clone();
    } else if let Some(n) = ns {
        added = n.elements.clone();
    }
    let status = match (os, ns) {
        (Some(_), None) => DiffStatus::OnlyOld,
        (None, _) => DiffStatus::OnlyNew,
        _ if changes.is_empty() && removed.is_empty() && added.is_empty() => DiffStatus::Same,
        _ => DiffStatus::Changed,
    };
    Some(SetDiff {
        family: any.family,
        table: any.table.to_string(),
        set: any.item.name.clone(),
        old_backend: old.map(|e| e.backend),
        new_backend: new.map(|e| e.backend),
        status,
        changes,
        removed,
        added,
        old_elements: os.map_or(0, |s| s.elements.len()),
        new_elements: ns.map_or(0, |s| s.elements.len()),
    })
}

/// Compares a named object present on at most one side or both.
pub(crate) fn diff_object(
    old: Option<&Entry<'_, NamedObject>>,
    new: Option<&Entry<'_, NamedObject>>,
) -> Option<ObjectDiff> {
    let any = old.or(new)?;
    let (ob, nb) = (
        old.map(|e| e.item.body.clone()),
        new.map(|e| e.item.body.clone()),
    );
    let status = match (&ob, &nb) {
        (Some(_), None) => DiffStatus::OnlyOld,
        (None, _) => DiffStatus::OnlyNew,
        (Some(a), Some(b)) if a == b => DiffStatus::Same,
        _ => DiffStatus::Changed,
    };
    Some(ObjectDiff {
        family: any.family,
        table: any.table.to_string(),
        kind: any.item.kind.clone(),
        name: any.item.name.clone(),
        old_backend: old.map(|e| e.backend),
        new_backend: new.map(|e| e.backend),
        status,
        old_body: ob,
        new_body: nb,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Backend, Family, Origin};

    fn set(elements: &[&str]) -> NamedSet {
        NamedSet {
            name: "allowed".into(),
            key_type: "ipv4_addr".into(),
            data_type: None,
            flags: vec!["interval".into()],
            elements: elements.iter().map(|s| s.to_string()).collect(),
            extra: Vec::new(),
            comment: None,
            origin: Origin::default(),
        }
    }

    fn entry(s: &NamedSet) -> Entry<'_, NamedSet> {
        Entry {
            family: Family::Inet,
            table: "t",
            backend: Backend::Nft,
            name: s.name.clone(),
            item: s,
        }
    }

    #[test]
    fn elements_added_and_removed() {
        let a = set(&["10.0.0.1", "10.0.0.2", "10.0.0.3"]);
        let b = set(&["10.0.0.3", "10.0.0.4", "10.0.0.1"]);
        let d = diff_set(Some(&entry(&a)), Some(&entry(&b)), &DiffOptions::default()).unwrap();
        assert_eq!(d.status, DiffStatus::Changed);
        assert_eq!(d.removed, ["10.0.0.2"]);
        assert_eq!(d.added, ["10.0.0.4"]);
        assert!(d.changes.is_empty());
        let same = diff_set(Some(&entry(&a)), Some(&entry(&a)), &DiffOptions::default()).unwrap();
        assert_eq!(same.status, DiffStatus::Same);
    }

    #[test]
    fn order_of_elements_does_not_matter_but_type_does() {
        let a = set(&["1", "2"]);
        let mut b = set(&["2", "1"]);
        let d = diff_set(Some(&entry(&a)), Some(&entry(&b)), &DiffOptions::default()).unwrap();
        assert_eq!(d.status, DiffStatus::Same);
        b.key_type = "ipv6_addr".into();
        let d = diff_set(Some(&entry(&a)), Some(&entry(&b)), &DiffOptions::default()).unwrap();
        assert_eq!(d.status, DiffStatus::Changed);
        assert_eq!(d.changes[0].field, SetField::KeyType);
    }

    #[test]
    fn one_sided_sets_list_their_elements() {
        let a = set(&["1"]);
        let d = diff_set(Some(&entry(&a)), None, &DiffOptions::default()).unwrap();
        assert_eq!(d.status, DiffStatus::OnlyOld);
        assert_eq!(d.removed, ["1"]);
        let d = diff_set(None, Some(&entry(&a)), &DiffOptions::default()).unwrap();
        assert_eq!(d.status, DiffStatus::OnlyNew);
        assert_eq!(d.added, ["1"]);
        assert!(diff_set(None, None, &DiffOptions::default()).is_none());
    }

    fn object(body: &str) -> NamedObject {
        NamedObject {
            kind: "quota".into(),
            name: "q".into(),
            body: body.into(),
            origin: Origin::default(),
        }
    }

    fn oentry(x: &NamedObject) -> Entry<'_, NamedObject> {
        Entry {
            family: Family::Ip,
            table: "t",
            backend: Backend::Nft,
            name: x.name.clone(),
            item: x,
        }
    }

    #[test]
    fn objects_compare_by_value() {
        let (a, b) = (object("25 mbytes"), object("50 mbytes"));
        let d = diff_object(Some(&oentry(&a)), Some(&oentry(&b))).unwrap();
        assert_eq!(d.status, DiffStatus::Changed);
        assert_eq!(d.old_body.as_deref(), Some("25 mbytes"));
        assert_eq!(d.new_body.as_deref(), Some("50 mbytes"));
        let d = diff_object(Some(&oentry(&a)), Some(&oentry(&a))).unwrap();
        assert_eq!(d.status, DiffStatus::Same);
        let d = diff_object(None, Some(&oentry(&a))).unwrap();
        assert_eq!(d.status, DiffStatus::OnlyNew);
    }
}
