//! Fleet analysis on a generated fleet (`rulegen::fleet`): exactly the broken nodes are found,
//! each with the right chains and findings; fingerprints survive their JSON wire form; a
//! corrupt snapshot is skipped by name.

use netfilter_model::doctor::Severity;
use netfilter_model::fleet::{
    fingerprint_node, fingerprint_snapshot, parse_fingerprints, DeltaStatus, FingerprintOptions,
    Fleet, FleetReport, NodeFingerprint, FINGERPRINT_VERSION,
};
use netfilter_model::model::Backend;
use netfilter_model::parse::{parse_text, ParseOptions};
use netfilter_model::Error;
use rulegen::fleet::{node_snapshot, plan, FleetNode, NodeKind, NodeOutput, STALE_NEW_PODS};

struct Generated {
    nodes: Vec<(FleetNode, NodeOutput)>,
    fingerprints: Vec<NodeFingerprint>,
}

fn generate(n: usize, endpoints: usize, seed: u64) -> Generated {
    let nodes: Vec<(FleetNode, NodeOutput)> = plan(n, endpoints, seed)
        .into_iter()
        .map(|p| {
            let out = node_snapshot(&p);
            (p, out)
        })
        .collect();
    let fingerprints = nodes
        .iter()
        .map(|(p, out)| {
            fingerprint_snapshot(
                &out.snapshot,
                &ParseOptions::new(format!("{}.json", p.name)),
                &FingerprintOptions::default(),
            )
            .expect("a generated snapshot reads")
        })
        .collect();
    Generated {
        nodes,
        fingerprints,
    }
}

fn report_of(g: &Generated) -> FleetReport {
    let mut fleet = Fleet::new();
    for ((p, _), fp) in g.nodes.iter().zip(&g.fingerprints) {
        fleet.add(&format!("{}.json", p.name), fp.clone());
    }
    fleet.report()
}

fn names_of(g: &Generated, kinds: &[NodeKind]) -> Vec<String> {
    let mut v: Vec<String> = g
        .nodes
        .iter()
        .filter(|(p, _)| kinds.contains(&p.kind))
        .map(|(p, _)| p.name.clone())
        .collect();
    v.sort();
    v
}

#[test]
fn generated_fleet_broken_nodes_are_exactly_the_ones_found() {
    let g = generate(60, 24, 7);
    let r = report_of(&g);
    assert_eq!(r.nodes, 60);
    assert!(r.skipped.is_empty());

    // Broken: the stale backends and the missing endpoint, nothing else.
    let mut critical: Vec<String> = r.critical_nodes().iter().map(|n| n.node.clone()).collect();
    critical.sort();
    let broken = names_of(&g, &[NodeKind::StaleBackend, NodeKind::MissingEndpoint]);
    assert_eq!(critical, broken);
    assert_eq!(broken.len(), 2);

    // Three configurations: nft (the majority, with the missing-endpoint node: its rules have
    // the healthy shape), legacy, and legacy+nft (the stale nodes).
    assert_eq!(r.groups.len(), 3, "{:#?}", r.groups);
    let majority = r.majority().expect("a majority");
    let mut expected_majority = names_of(&g, &[NodeKind::HealthyNft, NodeKind::MissingEndpoint]);
    let mut got = majority.nodes.clone();
    got.sort();
    expected_majority.sort();
    assert_eq!(got, expected_majority);
    assert_eq!(majority.backends, [Backend::Nft]);

    let legacy = names_of(&g, &[NodeKind::HealthyLegacy]);
    let legacy_group = r
        .groups
        .iter()
        .find(|gr| gr.nodes.contains(&legacy[0]))
        .expect("legacy group");
    let mut got = legacy_group.nodes.clone();
    got.sort();
    assert_eq!(got, legacy);
    // Every chain of the legacy nodes is the majority's, in the other backend.
    assert!(!legacy_group.differences.is_empty());
    for d in &legacy_group.differences {
        assert_eq!(d.status, DeltaStatus::Moved, "{d:?}");
        assert_eq!(
            (d.backend, d.moved_from),
            (Backend::Legacy, Some(Backend::Nft))
        );
    }

    for (p, out) in g
        .nodes
        .iter()
        .filter(|(p, _)| p.kind == NodeKind::StaleBackend)
    {
        let n = r
            .outliers
            .iter()
            .find(|n| n.node == p.name)
            .expect("listed");
        let grp = r.group(n.group).expect("its group");
        assert_eq!(grp.backends, [Backend::Legacy, Backend::Nft]);
        // Its difference: Calico's chains also in legacy (the current copy); the nft copy has
        // the healthy shape, only fewer pods.
        let chains: Vec<&str> = grp.differences.iter().map(|d| d.name.as_str()).collect();
        for c in [
            "FORWARD",
            "cali-FORWARD",
            "cali-from-wl-dispatch",
            "cali-from-wl-dispatch-<p>",
            "cali-fw-cali<if>",
            "cali-tw-cali<if>",
        ] {
            assert!(chains.contains(&c), "{c} in {chains:?}");
        }
        for d in &grp.differences {
            assert_eq!(
                (d.backend, d.status),
                (Backend::Legacy, DeltaStatus::Added),
                "{d:?}"
            );
        }
        let ids: Vec<(&str, Severity)> = n
            .findings
            .iter()
            .map(|f| (f.id.as_str(), f.severity))
            .collect();
        assert_eq!(
            ids,
            [
                ("stale-dispatch", Severity::Critical),
                ("felix-backend-detection", Severity::Warning),
                ("mixed-backends", Severity::Warning),
            ]
            .into_iter()
            .chain(ids.iter().copied().filter(|(_, s)| *s == Severity::Info))
            .collect::<Vec<_>>()
        );
        let stale = &n.findings[0];
        assert_eq!(out.dropped.len(), STALE_NEW_PODS);
        for pod in &out.dropped {
            assert!(
                stale.summary.contains(pod.as_str()),
                "{pod}: {}",
                stale.summary
            );
        }
        assert!(stale
            .summary
            .contains("nft ip filter cali-from-wl-dispatch"));
    }

    let (p, out) = g
        .nodes
        .iter()
        .find(|(p, _)| p.kind == NodeKind::MissingEndpoint)
        .expect("one missing endpoint");
    let n = r
        .outliers
        .iter()
        .find(|n| n.node == p.name)
        .expect("listed");
    assert_eq!(n.group, 1, "its rules have the majority's shape");
    assert_eq!(n.findings[0].id, "stale-dispatch");
    assert_eq!(n.findings[0].severity, Severity::Critical);
    assert!(n.findings[0].summary.contains(&out.dropped[0]));
    assert!(n
        .findings
        .iter()
        .skip(1)
        .all(|f| f.severity == Severity::Info));

    // Nobody else is listed except the legacy nodes, without problems.
    for n in &r.outliers {
        if !broken.contains(&n.node) {
            assert!(legacy.contains(&n.node), "{} listed", n.node);
            assert!(n.worst().is_none_or(|s| s == Severity::Info), "{n:?}");
        }
    }
    assert_eq!(r.healthy, 60 - broken.len());
}

#[test]
fn endpoints_are_counted_and_healthy_nodes_differ_only_in_per_node_parts() {
    let g = generate(6, 12, 11);
    let healthy: Vec<(&FleetNode, &NodeFingerprint)> = g
        .nodes
        .iter()
        .map(|(p, _)| p)
        .zip(&g.fingerprints)
        .filter(|(p, _)| p.kind == NodeKind::HealthyNft)
        .collect();
    assert!(healthy.len() >= 2);
    let (a, b) = (healthy[0].1, healthy[1].1);
    assert_eq!(
        a.chains,
        b.chains
            .iter()
            .map(|c| {
                let mut c = c.clone();
                let same = a
                    .chains
                    .iter()
                    .find(|x| x.key() == c.key())
                    .expect("same key");
                // Instance and rule counts follow the number of pods; the fingerprint does not.
                c.instances = same.instances;
                c.rules = same.rules;
                c
            })
            .collect::<Vec<_>>()
    );
    for (p, fp) in &healthy {
        assert_eq!(fp.endpoints, p.endpoints, "{}", p.name);
        assert_eq!(fp.node, p.name);
        assert_eq!(fp.hostname.as_deref(), Some(p.name.as_str()));
    }
}

#[test]
fn fingerprints_round_trip_through_json_and_group_the_same() {
    let g = generate(12, 8, 3);
    let from_snapshots = report_of(&g);
    // JSON Lines of every node, as a collector of `/fingerprint` responses would store them.
    let jsonl: String = g
        .fingerprints
        .iter()
        .map(|fp| fp.to_json() + "\n")
        .collect();
    let back = parse_fingerprints(&jsonl, &ParseOptions::new("fleet.jsonl")).expect("parses");
    assert_eq!(back, g.fingerprints);
    let mut fleet = Fleet::new();
    for ((p, _), fp) in g.nodes.iter().zip(back) {
        fleet.add(&format!("{}.json", p.name), fp);
    }
    assert_eq!(fleet.report(), from_snapshots);
    // One pretty-printed document reads too; its first key identifies it.
    let pretty = serde_json::to_string_pretty(&g.fingerprints[0]).expect("serializes");
    assert!(pretty.starts_with("{\n  \"nfdiff_fingerprint\": 1,"));
    assert_eq!(
        parse_fingerprints(&pretty, &ParseOptions::new("one.json")).expect("parses"),
        [g.fingerprints[0].clone()]
    );
    // A fingerprint of a node is kilobytes, whatever its rule count.
    assert!(
        jsonl.len() / 12 < 16_000,
        "{} bytes per node",
        jsonl.len() / 12
    );
}

#[test]
fn bad_fingerprints_are_positioned_errors() {
    let o = ParseOptions::new("fp.json");
    let e = parse_fingerprints("{\"nfdiff_fingerprint\": 1, \"node\": 3}", &o).unwrap_err();
    let Error::Parse(p) = e else { panic!("{e}") };
    assert_eq!((p.source_name.as_str(), p.position.line), ("fp.json", 1));
    assert!(
        p.message.contains("expected an nfdiff fingerprint"),
        "{}",
        p.message
    );
    let g = generate(4, 4, 5);
    let mut v = serde_json::to_value(&g.fingerprints[0]).expect("value");
    v["nfdiff_fingerprint"] = (FINGERPRINT_VERSION + 1).into();
    let e = parse_fingerprints(&v.to_string(), &o).unwrap_err();
    assert!(matches!(e, Error::Unsupported { .. }), "{e}");
    assert!(e.to_string().contains("version 2"), "{e}");
    let e = parse_fingerprints("  \n", &o).unwrap_err();
    assert!(e.to_string().contains("no JSON object"), "{e}");
}

#[test]
fn corrupt_snapshot_is_an_error_naming_it_and_the_fleet_goes_on() {
    let g = generate(5, 4, 9);
    let text = &g.nodes[2].1.snapshot;
    let cut = &text[..text.len() / 2];
    let e = fingerprint_snapshot(
        cut,
        &ParseOptions::new("node-0003.json"),
        &FingerprintOptions::default(),
    )
    .unwrap_err();
    assert!(e.to_string().starts_with("node-0003.json:1:"), "{e}");
    // A snapshot whose embedded ruleset is bad names the ruleset and its line.
    let bad = text.replacen("-A cali-FORWARD", "-A cali-FORWARD --bogus-option", 1);
    let e = fingerprint_snapshot(
        &bad,
        &ParseOptions::new("node-0003.json"),
        &FingerprintOptions::default(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("node-0003.json#"), "{e}");
    let mut fleet = Fleet::new();
    for (i, ((p, _), fp)) in g.nodes.iter().zip(&g.fingerprints).enumerate() {
        if i == 2 {
            fleet.skip("node-0003.json", e.to_string());
        } else {
            fleet.add(&p.name, fp.clone());
        }
    }
    let r = fleet.report();
    assert_eq!(r.nodes, 4);
    assert_eq!(r.skipped.len(), 1);
    assert_eq!(r.skipped[0].source, "node-0003.json");
}

#[test]
fn incident_fixture_fingerprint_names_its_stale_copy() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/incident");
    let mut rs = netfilter_model::model::Ruleset::default();
    for f in ["legacy.save", "nft.save"] {
        let text = std::fs::read_to_string(root.join(f)).expect("fixture");
        rs.extend(parse_text(&text, &ParseOptions::new(f)).expect("parses"));
    }
    let facts = netfilter_model::doctor::NodeFacts::default();
    let fp = fingerprint_node("incident", &rs, &facts, &FingerprintOptions::default())
        .with_origin(Some("node-7".into()), Some("2026-12-05T00:00:00Z".into()));
    assert_eq!(fp.hostname.as_deref(), Some("node-7"));
    assert!(fp.to_json().starts_with(r#"{"nfdiff_fingerprint":1,"node":"incident","hostname":"node-7","created":"2026-12-05T00:00:00Z","endpoints":4,"#));
    // Four pods in legacy (the new one included), three in the stale nft copy.
    assert_eq!(fp.endpoints, 4);
    let fw: Vec<_> = fp
        .chains
        .iter()
        .filter(|c| c.name == "cali-fw-cali<if>")
        .map(|c| (c.backend, c.instances))
        .collect();
    assert_eq!(fw, [(Backend::Legacy, 4), (Backend::Nft, 3)]);
    assert_eq!(fp.findings[0].id, "stale-dispatch");
    assert_eq!(fp.findings[0].severity, Severity::Critical);
}
