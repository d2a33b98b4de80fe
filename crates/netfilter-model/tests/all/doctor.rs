//! The doctor on the bundled captures, on small rulesets for each finding, through snapshots,
//! and (as root) on save output from rulesets restored with the stock tools in a namespace.

use std::path::{Path, PathBuf};
use std::process::Command;

use netfilter_model::doctor::{
    detect, diagnose, felix_inputs, Detector, DoctorOptions, DoctorReport, NodeFacts, SaveCounts,
    SaveOutput, SaveResult, Severity, WitnessSearchKind, WitnessSource,
};
use netfilter_model::model::{Backend, Family, Ruleset};
use netfilter_model::parse::{parse_text, ParseOptions};
use netfilter_model::snapshot::{read_snapshot, Snapshot, SnapshotRuleset, SNAPSHOT_VERSION};

fn testdata(p: &str) -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata")).join(p)
}

fn load(files: &[&str]) -> Ruleset {
    let mut rs = Ruleset::default();
    for f in files {
        let text = std::fs::read_to_string(testdata(f)).expect("fixture");
        rs.extend(parse_text(&text, &ParseOptions::new(*f)).expect("parses"));
    }
    rs
}

fn ids(r: &DoctorReport) -> Vec<(&'static str, Severity)> {
    r.findings
        .iter()
        .map(|f| (f.id.as_str(), f.severity))
        .collect()
}

fn run(rs: &Ruleset, facts: &NodeFacts) -> DoctorReport {
    diagnose(rs, facts, &DoctorOptions::default())
}

#[test]
fn incident_findings() {
    let rs = load(&["incident/legacy.save", "incident/nft.save"]);
    let r = run(&rs, &NodeFacts::default());
    assert_eq!(
        ids(&r),
        vec![
            ("stale-dispatch", Severity::Critical),
            ("felix-backend-detection", Severity::Warning),
            ("mixed-backends", Severity::Warning),
            ("equal-priority-hooks", Severity::Info),
        ]
    );
    assert!(!r.healthy());
    let stale = &r.findings[0];
    assert!(
        stale.summary.contains("cali9f8e7d6c5b4"),
        "{}",
        stale.summary
    );
    assert!(stale.evidence.iter().any(|e| e
        .starts_with("`cali9f8e7d6c5b4`: dropped by nft ip filter cali-from-wl-dispatch rule 3")));
    // the old pod is not dropped
    assert!(!stale
        .evidence
        .iter()
        .any(|e| e.starts_with("`cali5c4d3e2f1a0`")));
    assert!(r.counts_derived);
}

#[test]
fn incident_with_node_interfaces_names_only_node_interfaces() {
    let rs = load(&["incident/legacy.save", "incident/nft.save"]);
    let facts = NodeFacts {
        interfaces: Some(vec![
            "cali5c4d3e2f1a0".into(),
            "cali9f8e7d6c5b4".into(),
            "eth1".into(),
            "lo".into(),
        ]),
        ..NodeFacts::default()
    };
    let r = run(&rs, &facts);
    let stale = &r.findings[0];
    assert_eq!(stale.id, "stale-dispatch");
    let drops: Vec<&String> = stale
        .evidence
        .iter()
        .filter(|e| e.contains("dropped by"))
        .collect();
    // both directions: the stale nft copy lists the new pod in neither dispatch chain
    assert_eq!(drops.len(), 2, "{drops:?}");
    assert!(drops[0]
        .starts_with("cali9f8e7d6c5b4: dropped by nft ip filter cali-from-wl-dispatch rule 3"));
    assert!(drops[1]
        .starts_with("cali9f8e7d6c5b4: dropped by nft ip filter cali-to-wl-dispatch rule 3"));
    // each with a witness: legacy (the current copy) accepts it, the node drops it
    let witnesses: Vec<&String> = stale
        .evidence
        .iter()
        .filter(|e| e.starts_with("witness"))
        .collect();
    assert_eq!(witnesses.len(), 2, "{:?}", stale.evidence);
    assert!(
        witnesses[0].contains("nfdiff trace SOURCE... --iif cali9f8e7d6c5b4 --oif eth1"),
        "{witnesses:?}"
    );
    assert!(
        witnesses[1].contains("nfdiff trace SOURCE... --iif eth1 --oif cali9f8e7d6c5b4"),
        "{witnesses:?}"
    );
}

#[test]
fn healthy_fixtures_have_no_findings() {
    for f in ["calico/legacy.save", "calico6/legacy.save"] {
        let r = run(&load(&[f]), &NodeFacts::default());
        assert!(r.findings.is_empty(), "{f}: {:?}", ids(&r));
        assert!(r.healthy());
    }
    // Calico in nf_tables only: healthy, but one failed iptables-nft-save would make Felix
    // choose legacy: a note, not a problem.
    let r = run(&load(&["calico/nft.save"]), &NodeFacts::default());
    assert_eq!(ids(&r), vec![("felix-backend-detection", Severity::Info)]);
    assert!(r.healthy());
    assert!(
        r.findings[0]
            .evidence
            .iter()
            .any(|e| e
                == "if iptables-nft-save failed, Felix v3.12-v3.25 would choose legacy instead")
    );
}

/// The incident's start: Calico in nf_tables, legacy empty, and `iptables-nft-save` failing
/// (fork failures) makes every Felix version choose legacy.
#[test]
fn failed_nft_save_makes_felix_choose_legacy() {
    let rs = load(&["calico/nft.save"]);
    let mut facts = NodeFacts::default();
    facts.saves.push(SaveOutput {
        backend: Backend::Nft,
        family: Family::Ip,
        result: SaveResult::Failed("fork: Resource temporarily unavailable".into()),
        derived: false,
    });
    let facts = facts.with_derived_saves(&rs);
    let i = felix_inputs(&facts, None);
    assert_eq!(i.nft.rule_lines, 0);
    assert_eq!(detect(Detector::FelixV312, &i).0, Backend::Legacy);
    assert_eq!(detect(Detector::FelixV3252, &i).0, Backend::Legacy);
    let r = run(&rs, &facts);
    let f = r
        .findings
        .iter()
        .find(|f| f.id == "felix-backend-detection")
        .expect("finding");
    assert_eq!(f.severity, Severity::Warning);
    assert!(f.summary.contains("would choose legacy"), "{}", f.summary);
    assert!(f.advice.contains("FELIX_IPTABLESBACKEND=NFT"));
}

#[test]
fn small_rulesets_for_each_structural_finding() {
    let text = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n\
                :orphan - [0:0]\n:used - [0:0]\n-A INPUT -j used\n-A used -j ACCEPT\n\
                -A used -p tcp --dport 22 -j DROP\n-A orphan -j DROP\nCOMMIT\n";
    let rs = parse_text(text, &ParseOptions::new("t")).expect("parses");
    let r = run(&rs, &NodeFacts::default());
    assert_eq!(
        ids(&r),
        vec![
            ("unreferenced-chains", Severity::Info),
            ("shadowed-rules", Severity::Info)
        ]
    );
    assert_eq!(r.findings[0].evidence, vec!["legacy ip filter orphan"]);
    assert_eq!(
        r.findings[1].evidence,
        vec!["legacy ip filter used: rules 2-2 follow the unconditional rule 1"]
    );
    // KUBE- chains in both backends
    let kube = |b: &str| {
        format!(
            "# Generated by iptables-save v1.8.9{b}\n*nat\n:PREROUTING ACCEPT [0:0]\n\
             :KUBE-SERVICES - [0:0]\n-A PREROUTING -j KUBE-SERVICES\nCOMMIT\n"
        )
    };
    let mut rs = parse_text(&kube(""), &ParseOptions::new("l")).expect("parses");
    rs.extend(parse_text(&kube(" (nf_tables)"), &ParseOptions::new("n")).expect("parses"));
    let r = run(&rs, &NodeFacts::default());
    assert_eq!(
        ids(&r),
        vec![
            ("mixed-backends", Severity::Warning),
            ("equal-priority-hooks", Severity::Info)
        ]
    );
    assert_eq!(
        r.findings[0].evidence,
        vec!["KUBE-: legacy 1 chains (0 rules), nft 1 chains (0 rules)"]
    );
}

#[test]
fn snapshot_round_trip_in_the_library() {
    let mut rulesets = Vec::new();
    for (f, b) in [
        ("incident/legacy.save", Backend::Legacy),
        ("incident/nft.save", Backend::Nft),
    ] {
        rulesets.push(SnapshotRuleset {
            backend: Some(b),
            source: f.into(),
            format: "text".into(),
            text: Some(std::fs::read_to_string(testdata(f)).expect("fixture")),
            model_schema: None,
            model: None,
        });
    }
    // and one as the embedded model
    let model = load(&["calico6/legacy.save"]);
    rulesets.push(SnapshotRuleset {
        backend: Some(Backend::Legacy),
        source: "model".into(),
        format: "model".into(),
        text: None,
        model_schema: Some(netfilter_model::snapshot::MODEL_SCHEMA),
        model: Some(model),
    });
    let snap = Snapshot {
        nfdiff_snapshot: SNAPSHOT_VERSION,
        created: "2026-11-30T00:00:00Z".into(),
        origin: "offline from dumps: test".into(),
        hostname: None,
        kernel: None,
        iptables_alternative: Some(Backend::Nft),
        iptables_alternative_detail: None,
        versions: Vec::new(),
        tables_names: Default::default(),
        interfaces: Some(vec!["cali9f8e7d6c5b4".into()]),
        local_addrs: None,
        routes: None,
        pids: Vec::new(),
        saves: Vec::new(),
        rulesets,
        notes: Vec::new(),
    };
    let json = serde_json::to_string(&snap).expect("serializes");
    let (rs, facts) = read_snapshot(&json, &ParseOptions::new("snap")).expect("reads");
    let direct = load(&[
        "incident/legacy.save",
        "incident/nft.save",
        "calico6/legacy.save",
    ]);
    assert_eq!(rs, direct);
    assert_eq!(facts.iptables_alternative, Some(Backend::Nft));
    assert_eq!(run(&rs, &facts), run(&direct, &facts));
    // the sniffer routes snapshots through parse_text too
    assert_eq!(
        parse_text(&json, &ParseOptions::new("snap")).expect("parses"),
        direct
    );
    // a bad version is refused
    let bad = json.replacen("\"nfdiff_snapshot\":1", "\"nfdiff_snapshot\":2", 1);
    assert!(read_snapshot(&bad, &ParseOptions::new("snap")).is_err());
}

fn find_bin(name: &str) -> Option<PathBuf> {
    ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
}

/// Restores `legacy` and `nft` with the stock tools in `unshare -n` and returns the four save
/// outputs (legacy v4, legacy v6, nft v4, nft v6); `None` (skip) when not possible.
fn saves_in_namespace(legacy: Option<&str>, nft: Option<&str>) -> Option<Vec<String>> {
    let unshare = find_bin("unshare")?;
    let tools: Vec<PathBuf> = [
        "iptables-legacy-restore",
        "iptables-nft-restore",
        "iptables-legacy-save",
        "ip6tables-legacy-save",
        "iptables-nft-save",
        "ip6tables-nft-save",
        "ipset",
    ]
    .iter()
    .map(|t| find_bin(t))
    .collect::<Option<_>>()?;
    let mut script = String::new();
    for set in [
        "cali40all-ipam-pools hash:net",
        "cali40masq-ipam-pools hash:net",
        "cali40all-hosts-net hash:net",
        "cali40s:y-uVl4bAoAfdydOS8SL9Rv9 hash:ip",
    ] {
        script.push_str(&format!(
            "{} create {set} family inet\n",
            tools[6].display()
        ));
    }
    if let Some(l) = legacy {
        script.push_str(&format!(
            "{} < {}\n",
            tools[0].display(),
            testdata(l).display()
        ));
    }
    if let Some(n) = nft {
        script.push_str(&format!(
            "{} < {}\n",
            tools[1].display(),
            testdata(n).display()
        ));
    }
    for t in &tools[2..6] {
        script.push_str(&format!("{}\necho '@@@@'\n", t.display()));
    }
    let o = Command::new(unshare)
        .args(["-n", "sh", "-euc", &script])
        .output()
        .ok()?;
    if !o.status.success() {
        let err = String::from_utf8_lossy(&o.stderr);
        if err.contains("unshare failed") || err.contains("Operation not permitted") {
            return None;
        }
        panic!("namespace script failed: {err}");
    }
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    Some(out.split("@@@@\n").take(4).map(String::from).collect())
}

fn facts_from_saves(outputs: &[String]) -> (Ruleset, NodeFacts) {
    let mut rs = Ruleset::default();
    let mut facts = NodeFacts::default();
    let combos = [
        (Backend::Legacy, Family::Ip),
        (Backend::Legacy, Family::Ip6),
        (Backend::Nft, Family::Ip),
        (Backend::Nft, Family::Ip6),
    ];
    for ((backend, family), text) in combos.iter().zip(outputs) {
        facts.saves.push(SaveOutput {
            backend: *backend,
            family: *family,
            result: SaveResult::Output(SaveCounts::from_text(text)),
            derived: false,
        });
        if text.lines().any(|l| l.starts_with('*')) {
            let o = ParseOptions::new("ns").with_backend(Some(*backend));
            rs.extend(parse_text(text, &o).expect("save output parses"));
        }
    }
    (rs, facts)
}

/// Namespace scenarios: the same findings from real save output as from the captured dumps,
/// and the counts the model derives equal the measured ones; a healthy node gives none.
#[test]
fn namespace_scenarios_from_save_output() {
    let Some(out) = saves_in_namespace(Some("incident/legacy.save"), Some("incident/nft.save"))
    else {
        eprintln!("skipped: needs root, unshare, iptables legacy+nft tools and ipset");
        return;
    };
    let (rs, facts) = facts_from_saves(&out);
    let measured = run(&rs, &facts);
    let dumps = run(
        &load(&["incident/legacy.save", "incident/nft.save"]),
        &NodeFacts::default(),
    );
    assert_eq!(ids(&measured), ids(&dumps));
    assert_eq!(measured.findings[0].summary, dumps.findings[0].summary);
    assert!(!measured.counts_derived);
    // counting the model gives what the command printed (rule lines exactly; all lines too)
    for s in &facts.saves {
        let derived = SaveCounts::from_model(&rs, s.backend, s.family);
        assert_eq!(
            Some(derived.rule_lines),
            match &s.result {
                SaveResult::Output(c) => Some(c.rule_lines),
                SaveResult::Failed(_) => None,
            },
            "{}",
            s.command()
        );
    }

    let Some(out) = saves_in_namespace(Some("calico/legacy.save"), None) else {
        return;
    };
    let (rs, facts) = facts_from_saves(&out);
    let r = run(&rs, &facts);
    assert!(r.findings.is_empty(), "{:?}", ids(&r));
}

/// IPv6: the new endpoint's line removed from the nf_tables copy of the IPv6 Calico rules.
#[test]
fn ipv6_stale_dispatch() {
    let legacy = load(&["calico6/legacy.save"]);
    let text = std::fs::read_to_string(testdata("calico6/nft.save")).expect("fixture");
    let stale: String = text
        .lines()
        .filter(|l| !l.starts_with("-A cali-from-wl-dispatch -i cali8e7d6c5b4a3 "))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(stale.len(), text.len());
    let mut rs = legacy;
    rs.extend(parse_text(&stale, &ParseOptions::new("stale6")).expect("parses"));
    let r = run(&rs, &NodeFacts::default());
    let f = &r.findings[0];
    assert_eq!(
        (f.id.as_str(), f.severity),
        ("stale-dispatch", Severity::Critical)
    );
    assert!(
        f.evidence.iter().any(|e| e.starts_with(
            "`cali8e7d6c5b4a3`: dropped by nft ip6 filter cali-from-wl-dispatch rule 2"
        )),
        "{:?}",
        f.evidence
    );
}

/// `legacy:` / `nft:` fixtures read as a node's two backends.
fn load_as(files: &[(&str, &str)]) -> Ruleset {
    let mut rs = Ruleset::default();
    for (backend, f) in files {
        let text = std::fs::read_to_string(testdata(f)).expect("fixture");
        let b = match *backend {
            "legacy" => Backend::Legacy,
            _ => Backend::Nft,
        };
        rs.extend(parse_text(&text, &ParseOptions::new(*f).with_backend(Some(b))).expect("parses"));
    }
    rs
}

/// Every witness re-traced through the whole node: the stale "Unknown interface" rule drops it
/// (under the listing order, or under another when `order_dependent`); through the listing
/// backend alone it is accepted.
fn assert_witnesses_hold(rs: &Ruleset, r: &DoctorReport) {
    use netfilter_model::trace::{trace, FinalVerdict, TraceOptions};
    let f = r
        .findings
        .iter()
        .find(|f| f.id == "stale-dispatch")
        .expect("stale-dispatch");
    for d in &f.dispatch_drops {
        let Some(w) = d.search.as_ref().and_then(|s| s.witness.as_ref()) else {
            continue;
        };
        let full = trace(rs, &w.packet, &TraceOptions::default()).expect("traces");
        assert_eq!(full.verdict, FinalVerdict::Drop);
        let by = |x: Option<&netfilter_model::trace::RuleRef>| {
            x.is_some_and(|x| x.chain == d.rule.chain && x.index == d.rule.index)
        };
        assert!(
            by(full.decided_by.as_ref())
                || ((w.order_dependent || w.uncertain)
                    && full.alternatives.iter().any(|a| by(a.decided_by.as_ref()))),
            "{full:?}"
        );
        let listing = d.listed_in.as_ref().expect("listed").0;
        let alone = Ruleset {
            tables: rs
                .tables
                .iter()
                .filter(|t| t.backend == listing)
                .cloned()
                .collect(),
            warnings: Vec::new(),
        };
        let a = trace(&alone, &w.packet, &TraceOptions::default()).expect("traces");
        assert_eq!(a.verdict, FinalVerdict::Accept, "{a:?}");
    }
}

#[test]
fn stale_dispatch_witness_is_the_one_allowed_flow() {
    let rs = load_as(&[
        ("legacy", "stale-dispatch/8080-current.rules"),
        ("nft", "stale-dispatch/stale.rules"),
    ]);
    let r = run(&rs, &NodeFacts::default());
    let f = &r.findings[0];
    assert_eq!(
        (f.id.as_str(), f.severity),
        ("stale-dispatch", Severity::Critical)
    );
    let drops = &f.dispatch_drops;
    assert_eq!(drops.len(), 2, "{drops:?}");
    // from the pod: egress is default-deny, so nothing is accepted, but still critical
    let from = &drops[0];
    assert_eq!(from.direction.as_str(), "from-pod");
    let s = from.search.as_ref().expect("searched");
    assert!(s.witness.is_none());
    assert!(s.tried > 0 && s.denied_alone == s.tried, "{s:?}");
    assert!(
        s.example.as_ref().is_some_and(|e| e.order_dependent),
        "{s:?}"
    );
    // to the pod: the only flow the policy admits
    let to = &drops[1];
    assert_eq!(to.direction.as_str(), "to-pod");
    let w = to
        .search
        .as_ref()
        .and_then(|s| s.witness.as_ref())
        .expect("a witness");
    let net: ipnet::IpNet = "192.168.50.0/24".parse().expect("net");
    assert!(net.contains(&w.packet.src), "{:?}", w.packet);
    assert_eq!(
        (w.packet.proto.map(|p| p.0), w.packet.dport),
        (Some(6), Some(8080))
    );
    assert!(w.accepted_alone && !w.order_dependent && !w.uncertain);
    assert!(f.evidence.iter().any(|e| e.starts_with(
        "witness (IPv4 to the pod, legacy accepts it, the node drops it): nfdiff trace SOURCE... \
         --iif eth0 --oif cali9f8e7d6c5b4 --src 192.168.50.10"
    )));
    assert_witnesses_hold(&rs, &r);
}

#[test]
fn stale_dispatch_scenarios_offline() {
    // (1) default-deny: both directions dropped, no witness, the policy's denial said
    let rs = load_as(&[
        ("legacy", "stale-dispatch/deny-current.rules"),
        ("nft", "stale-dispatch/stale.rules"),
    ]);
    let r = run(&rs, &NodeFacts::default());
    let f = &r.findings[0];
    assert_eq!(
        (f.id.as_str(), f.severity),
        ("stale-dispatch", Severity::Critical)
    );
    assert_eq!(f.dispatch_drops.len(), 2);
    assert!(f
        .dispatch_drops
        .iter()
        .all(|d| d.search.as_ref().is_some_and(|s| s.witness.is_none())));
    // the packet-space engine proves it over every packet, in each direction
    for d in &f.dispatch_drops {
        let s = d.search.as_ref().expect("searched");
        assert_eq!(
            (&s.source, s.listing_accepts),
            (&WitnessSource::Space, Some(false)),
            "{s:?}"
        );
        assert!(!d.unreached());
    }
    for dir in ["from", "to"] {
        assert!(
            f.evidence.iter().any(|e| e.contains(&format!(
                "no witness: the pod's current policy (legacy's own rules) also denies every \
                 packet {dir} the pod (proven by the packet-space engine)"
            ))),
            "{:?}",
            f.evidence
        );
    }
    // the tracer's candidates say the same of the packets they try
    let opts = DoctorOptions::default().witness_search(WitnessSearchKind::Tracer);
    let t = diagnose(&rs, &NodeFacts::default(), &opts);
    assert!(t.findings[0].evidence.iter().any(|e| e.contains(
        "no witness: the pod's current policy (legacy's own rules) also denies every packet tried"
    )));
    // (3) only the to-pod direction is stale
    let rs = load_as(&[
        ("legacy", "stale-dispatch/to-only-current.rules"),
        ("nft", "stale-dispatch/to-only-stale.rules"),
    ]);
    let r = run(&rs, &NodeFacts::default());
    let f = &r.findings[0];
    let dirs: Vec<&str> = f
        .dispatch_drops
        .iter()
        .map(|d| d.direction.as_str())
        .collect();
    assert_eq!(dirs, ["to-pod"]);
    assert!(
        f.summary.starts_with("traffic to `cali9f8e7d6c5b4`"),
        "{}",
        f.summary
    );
    assert_witnesses_hold(&rs, &r);
    // (4) native nft vmap dispatch (current) beside a stale legacy copy
    let rs = load_as(&[
        ("nft", "trace-kernel/native-current.nft"),
        ("legacy", "incident/nft-stale.rules"),
    ]);
    let r = run(&rs, &NodeFacts::default());
    let f = &r.findings[0];
    assert_eq!(
        (f.id.as_str(), f.severity),
        ("stale-dispatch", Severity::Critical)
    );
    assert_eq!(f.dispatch_drops.len(), 2);
    for d in &f.dispatch_drops {
        assert_eq!(d.rule.backend, Backend::Legacy);
        assert_eq!(d.listed_in.as_ref().map(|l| l.0), Some(Backend::Nft));
        assert!(d.search.as_ref().is_some_and(|s| s.witness.is_some()));
        // by the engine, or (verdict maps it does not analyse) by the tracer after it
        assert!(
            d.search
                .as_ref()
                .is_some_and(|s| s.source != WitnessSource::Tracer),
            "{d:?}"
        );
    }
    assert_witnesses_hold(&rs, &r);
    // (5) IPv6-only pods
    let rs = load_as(&[
        ("legacy", "stale-dispatch/ipv6-current.rules"),
        ("nft", "stale-dispatch/ipv6-stale.rules"),
    ]);
    let r = run(&rs, &NodeFacts::default());
    let f = &r.findings[0];
    assert!(f
        .dispatch_drops
        .iter()
        .all(|d| d.v6 && d.interface == "cali8e7d6c5b4a3"));
    assert_eq!(f.dispatch_drops.len(), 2);
    assert_witnesses_hold(&rs, &r);
    // no false alarm: the current copy alone, default-deny pod included
    let rs = load_as(&[("legacy", "stale-dispatch/deny-current.rules")]);
    let r = run(&rs, &NodeFacts::default());
    assert!(
        r.findings.iter().all(|f| f.id != "stale-dispatch"),
        "{:?}",
        ids(&r)
    );
}

/// The 8080 scenario with one line of the listing (legacy) backend's rules rewritten, and
/// the stale (nft) backend as it is.
fn scenario_8080_with(from: &str, to: &str) -> Ruleset {
    let current = std::fs::read_to_string(testdata("stale-dispatch/8080-current.rules"))
        .expect("fixture")
        .replace(from, to);
    assert!(current.contains(to), "`{from}` is in the fixture");
    let stale = std::fs::read_to_string(testdata("stale-dispatch/stale.rules")).expect("fixture");
    let mut rs = parse_text(
        &current,
        &ParseOptions::new("current").with_backend(Some(Backend::Legacy)),
    )
    .expect("parses");
    rs.extend(
        parse_text(
            &stale,
            &ParseOptions::new("stale").with_backend(Some(Backend::Nft)),
        )
        .expect("parses"),
    );
    rs
}

/// The 8080 fixture with the pod's ingress policy allowing only UDP to unprivileged ports from
/// one network, written as a negated port range: no candidate packet derived from the rules
/// (their protocols, first ports and addresses, TCP 80, UDP 53, ICMP) is allowed.
fn unusual_port_policy() -> Ruleset {
    scenario_8080_with(
        "-s 192.168.50.0/24 -p tcp -m multiport --dports 8080",
        "-s 198.51.100.0/24 -p udp -m udp ! --dport 0:1023",
    )
}

#[test]
fn space_witness_finds_a_witness_no_candidate_hits() {
    let rs = unusual_port_policy();
    // the tracer's candidates: none is allowed, so no witness
    let opts = DoctorOptions::default().witness_search(WitnessSearchKind::Tracer);
    let r = diagnose(&rs, &NodeFacts::default(), &opts);
    let f = &r.findings[0];
    assert_eq!(f.id.as_str(), "stale-dispatch");
    let to = f
        .dispatch_drops
        .iter()
        .find(|d| d.direction.as_str() == "to-pod")
        .expect("to-pod drop");
    let s = to.search.as_ref().expect("searched");
    assert_eq!(s.source, WitnessSource::Tracer);
    assert!(s.witness.is_none(), "{s:?}");
    assert!(s.tried > 0 && s.denied_alone == s.tried, "{s:?}");
    // the packet-space engine: a witness, confirmed by the tracer
    let r = run(&rs, &NodeFacts::default());
    let f = &r.findings[0];
    assert_eq!(
        (f.id.as_str(), f.severity),
        ("stale-dispatch", Severity::Critical)
    );
    let to = f
        .dispatch_drops
        .iter()
        .find(|d| d.direction.as_str() == "to-pod")
        .expect("to-pod drop");
    let s = to.search.as_ref().expect("searched");
    assert_eq!(s.source, WitnessSource::Space);
    let w = s.witness.as_ref().expect("a witness");
    let net: ipnet::IpNet = "198.51.100.0/24".parse().expect("net");
    assert!(net.contains(&w.packet.src), "{:?}", w.packet);
    assert_eq!(w.packet.proto.map(|p| p.0), Some(17));
    assert!(w.packet.dport.is_some_and(|p| p >= 1024), "{:?}", w.packet);
    assert!(
        w.accepted_alone && !w.order_dependent && !w.uncertain,
        "{w:?}"
    );
    assert!(
        f.evidence.iter().any(|e| e.starts_with(
            "witness (IPv4 to the pod, legacy accepts it, the node drops it): nfdiff trace \
             SOURCE... --iif eth0 --oif cali9f8e7d6c5b4 --src 198.51.100.10 --dst 10.0.0.10 \
             --proto udp --sport 40000 --dport 8080"
        )),
        "{:?}",
        f.evidence
    );
    assert_witnesses_hold(&rs, &r);
    // from the pod (default-deny egress): proven empty, with an example the tracer confirms
    let from = f
        .dispatch_drops
        .iter()
        .find(|d| d.direction.as_str() == "from-pod")
        .expect("from-pod drop");
    let s = from.search.as_ref().expect("searched");
    assert_eq!(
        (&s.source, s.listing_accepts, s.witness.is_none()),
        (&WitnessSource::Space, Some(false), true),
        "{s:?}"
    );
    let e = s.example.as_ref().expect("an example");
    assert!(!e.accepted_alone && e.order_dependent, "{e:?}");
}

/// A policy rule behind a rate limit: whether the listing backend accepts is open (*may*) for
/// the engine, so the tracer's candidates answer, and the report says why.
#[test]
fn space_witness_falls_back_to_the_tracer_where_the_engine_says_may() {
    let rs = scenario_8080_with(
        "-p tcp -m multiport --dports 8080 -j MARK",
        "-p tcp -m multiport --dports 8080 -m limit --limit 10/sec -j MARK",
    );
    let r = run(&rs, &NodeFacts::default());
    let f = &r.findings[0];
    let to = f
        .dispatch_drops
        .iter()
        .find(|d| d.direction.as_str() == "to-pod")
        .expect("to-pod drop");
    let s = to.search.as_ref().expect("searched");
    let WitnessSource::TracerAfterSpace(why) = &s.source else {
        panic!("not a fallback: {s:?}");
    };
    assert!(why.contains("limit"), "{why}");
    assert!(s.tried > 0, "{s:?}");
    // the tracer too cannot say the listing backend accepts for certain: no witness, and the
    // evidence says candidates were tried because the engine left the packets open
    assert!(s.witness.is_none(), "{s:?}");
    assert!(
        f.evidence.iter().any(|e| e.starts_with(
            "candidate packets were tried because the packet-space engine leaves the fate"
        ) && e.contains("limit")),
        "{:?}",
        f.evidence
    );
    // from the pod (default-deny egress, no limit there): still proven by the engine
    let from = f
        .dispatch_drops
        .iter()
        .find(|d| d.direction.as_str() == "from-pod")
        .expect("from-pod drop");
    assert_eq!(
        from.search.as_ref().map(|s| &s.source),
        Some(&WitnessSource::Space)
    );
}
