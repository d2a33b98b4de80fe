//! The packet-space results serialize for importers: a partition and a semantic diff of a
//! small ruleset, as JSON.

use netfilter_model::model::Ruleset;
use netfilter_model::parse::{parse_text, ParseOptions};
use netfilter_model::space::{partition, semantic_diff, SpaceQuery};
use netfilter_model::trace::TracePath;

fn ruleset(forward: &str) -> Ruleset {
    let text = format!(
        "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n{forward}COMMIT\n"
    );
    parse_text(&text, &ParseOptions::new("space-serialize")).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn partition_and_semantic_diff_serialize() {
    let old = ruleset("-A FORWARD -i eth0 -p tcp --dport 22 -j DROP\n");
    let new = ruleset("-A FORWARD -i eth0 -p tcp --dport 23 -j DROP\n");
    let q = SpaceQuery::new(TracePath::Forward);
    let part = partition(&old, &q).unwrap_or_else(|e| panic!("{e}"));
    // IPv6 (no ip6tables table), IPv4 dropped on port 22, the rest of IPv4.
    assert_eq!(part.classes.len(), 3, "{part:?}");
    let json = serde_json::to_string_pretty(&part).expect("partition serializes");
    insta::assert_snapshot!("space_partition_json", json);
    let diff = semantic_diff(&old, &new, &q, false).unwrap_or_else(|e| panic!("{e}"));
    assert!(!diff.is_equivalent());
    let json = serde_json::to_string_pretty(&diff).expect("semantic diff serializes");
    insta::assert_snapshot!("space_semantic_diff_json", json);
}
