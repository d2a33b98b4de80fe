#!/usr/bin/env python3
"""Generate Calico-shaped (v3.18-style iptables dataplane) iptables-restore input.

Written for nfdiff test fixtures. The rule shapes follow what Felix's
iptables renderer emits; the rule-hash comments ("cali:<16 chars>") are computed
the way Felix computes them (sha224 chained over the chain name and each rendered
rule, URL-safe base64, first 16 characters), so identical chains in two rulesets get
identical hashes, as on a real node.

Usage (from testdata/): python3 gen/gen_calico.py calico|incident-legacy|incident-stale|calico6  > FILE
       python3 gen/gen_calico.py sd-deny-current|sd-stale|sd-8080-current|sd-to-only-current|
                                 sd-to-only-stale|sd6-current|sd6-stale > stale-dispatch/NAME.rules
"""
import base64, hashlib, sys

ACCEPT_MARK = "0x10000"
PASS_MARK = "0x20000"
SCRATCH0 = "0x40000"

class Chain:
    def __init__(self, name):
        self.name = name
        self.rules = []  # (match, action, [extra comments])
    def add(self, match, action, *comments):
        self.rules.append((match, action, list(comments)))
        return self
    def render(self):
        h = hashlib.sha224(self.name.encode()).digest()
        out = []
        for match, action, comments in self.rules:
            frag = " ".join(x for x in [match] if x)
            for_hash = f"-A {self.name} -m comment --comment \"cali:HASH\" {frag} {action}"
            h = hashlib.sha224(h + for_hash.encode()).digest()
            tag = base64.urlsafe_b64encode(h).decode().rstrip("=")[:16]
            parts = [f"-A {self.name}", f'-m comment --comment "cali:{tag}"']
            parts += [f'-m comment --comment "{c}"' for c in comments]
            if match:
                parts.append(match)
            parts.append(action)
            out.append(" ".join(parts))
        return out

def sa_chain_suffix(name):
    # Felix shortens over-long chain names to "_" + hash; emulate with a stable hash.
    d = base64.urlsafe_b64encode(hashlib.sha256(name.encode()).digest()).decode()
    return "_" + d[:18]

# ---------------------------------------------------------------- endpoints
EP_OLD = [
    dict(ifname="cali1a2b3c4d5e6", ip="10.244.1.12", ns="default", sa="default", pol=True),
    dict(ifname="cali1f0e9d8c7b6", ip="10.244.1.13", ns="kube-system", sa="coredns", pol=False),
    dict(ifname="cali5c4d3e2f1a0", ip="10.244.1.5", ns="default", sa="default", pol=False),
]
EP_NEW = dict(ifname="cali9f8e7d6c5b4", ip="10.244.1.9", ns="default", sa="default", pol=False)

EP6 = [
    dict(ifname="cali3b4c5d6e7f8", ip="fd00:10:244:1::c", ns="default", sa="default", pol=True),
    dict(ifname="cali8e7d6c5b4a3", ip="fd00:10:244:1::d", ns="default", sa="default", pol=False),
]

POL_IN = "default.knp.default.allow-frontend"
POL_OUT = "default.knp.default.allow-dns"
SEL_SET = "cali40s:" + base64.urlsafe_b64encode(hashlib.sha224(b"role == 'frontend'").digest()).decode()[:23]
SEL_SET6 = "cali60s:" + SEL_SET[8:]

def dispatch(name, eps, iface_flag, chain_pfx):
    """Felix's shallow prefix tree: split by the character after the common prefix."""
    names = sorted(e["ifname"] for e in eps)
    import os
    common = os.path.commonprefix(names)
    prefixes, by = [], {}
    for n in names:
        p = n[:len(common) + 1] if len(n) > len(common) else common
        if p not in by:
            prefixes.append(p); by[p] = []
        by[p].append(n)
    children, root = [], Chain(name)
    for p in prefixes:
        if len(by[p]) > 1:
            child = Chain(name + "-" + p[len(common):])
            root.add(f"{iface_flag} {p}+", f"-g {child.name}")
            for n in by[p]:
                child.add(f"{iface_flag} {n}", f"-g {chain_pfx}{n}")
            child.add("", "-j DROP", "Unknown interface")
            children.append(child)
        else:
            n = by[p][0]
            root.add(f"{iface_flag} {n}", f"-g {chain_pfx}{n}")
    root.add("", "-j DROP", "Unknown interface")
    return children + [root]

def endpoint_chains(ep, v6):
    fw = Chain("cali-fw-" + ep["ifname"])
    tw = Chain("cali-tw-" + ep["ifname"])
    for c in (fw, tw):
        c.add("-m conntrack --ctstate RELATED,ESTABLISHED", "-j ACCEPT")
        c.add("-m conntrack --ctstate INVALID", "-j DROP")
        c.add("", f"-j MARK --set-xmark 0x0/{ACCEPT_MARK}")
    if not v6:
        fw.add("-p udp -m multiport --dports 4789", "-j DROP", "Drop VXLAN encapped packets originating in pods")
        fw.add("-p 4", "-j DROP", "Drop IPinIP encapped packets originating in pods")
    sa = sa_chain_suffix(f"ksa.{ep['ns']}.{ep['sa']}")
    pols = ((fw, "o", POL_OUT), (tw, "i", POL_IN)) if ep["pol"] else ()
    if "pols" in ep:
        pols = [(c, d, ep["pols"][d]) for c, d in ((fw, "o"), (tw, "i")) if ep["pols"].get(d)]
    if pols:
        for c, d, pol in pols:
            c.add("", f"-j MARK --set-xmark 0x0/{PASS_MARK}", "Start of policies")
            c.add(f"-m mark --mark 0x0/{PASS_MARK}", f"-j cali-p{d}-{sa_chain_suffix(pol)}")
            c.add(f"-m mark --mark {ACCEPT_MARK}/{ACCEPT_MARK}", "-j RETURN", "Return if policy accepted")
            c.add(f"-m mark --mark 0x0/{PASS_MARK}", "-j DROP", "Drop if no policies passed packet")
    for c, d in ((fw, "o"), (tw, "i")):
        c.add("", f"-j cali-pr{d}-kns.{ep['ns']}")
        c.add(f"-m mark --mark {ACCEPT_MARK}/{ACCEPT_MARK}", "-j RETURN", "Return if profile accepted")
        c.add("", f"-j cali-pr{d}-{sa}")
        c.add(f"-m mark --mark {ACCEPT_MARK}/{ACCEPT_MARK}", "-j RETURN", "Return if profile accepted")
        c.add("", "-j DROP", "Drop if no profiles matched")
    return [fw, tw]

def profile_chains(eps):
    chains = {}
    for ep in eps:
        for d in "io":
            name = f"cali-pr{d}-kns.{ep['ns']}"
            if name not in chains:
                c = Chain(name)
                c.add("", f"-j MARK --set-xmark {ACCEPT_MARK}/{ACCEPT_MARK}")
                c.add(f"-m mark --mark {ACCEPT_MARK}/{ACCEPT_MARK}", "-j RETURN")
                chains[name] = c
            name = f"cali-pr{d}-" + sa_chain_suffix(f"ksa.{ep['ns']}.{ep['sa']}")
            chains.setdefault(name, Chain(name))  # service-account profile without rules
    return list(chains.values())

def policy_chains(v6):
    sel = SEL_SET6 if v6 else SEL_SET
    pi = Chain("cali-pi-" + sa_chain_suffix(POL_IN))
    pi.add(f"-p tcp -m set --match-set {sel} src -m multiport --dports 8080,8443", f"-j MARK --set-xmark {ACCEPT_MARK}/{ACCEPT_MARK}")
    pi.add(f"-m mark --mark {ACCEPT_MARK}/{ACCEPT_MARK}", "-j RETURN")
    if v6:
        pi.add("-p ipv6-icmp -m icmp6 --icmpv6-type 128", f"-j MARK --set-xmark {ACCEPT_MARK}/{ACCEPT_MARK}")
        pi.add(f"-m mark --mark {ACCEPT_MARK}/{ACCEPT_MARK}", "-j RETURN")
    po = Chain("cali-po-" + sa_chain_suffix(POL_OUT))
    for proto in ("udp", "tcp"):
        po.add(f"-p {proto} -m multiport --dports 53", f"-j MARK --set-xmark {ACCEPT_MARK}/{ACCEPT_MARK}")
        po.add(f"-m mark --mark {ACCEPT_MARK}/{ACCEPT_MARK}", "-j RETURN")
    return [pi, po]

def table(name, builtins, chains, inserts):
    lines = [f"*{name}"]
    for b, pol in builtins:
        lines.append(f":{b} {pol} [0:0]")
    for c in sorted(chains, key=lambda c: c.name):
        lines.append(f":{c.name} - [0:0]")
    for c in inserts:
        lines += c.render()
    for c in chains:
        lines += c.render()
    lines.append("COMMIT")
    return lines

# Policies of the stale-dispatch fixtures (testdata/stale-dispatch/): Felix renders a policy
# without rules as an empty chain (nothing sets the accept mark: default deny).
POL_DENY = "default.knp.default.default-deny"
POL_8080 = "default.knp.default.allow-8080-from-remote"
EXTRA_POLICIES = {
    POL_DENY: lambda v6: [],
    POL_8080: lambda v6: [
        ("-s fd00:50::/64 -p tcp -m multiport --dports 8080" if v6 else
         "-s 192.168.50.0/24 -p tcp -m multiport --dports 8080",
         f"-j MARK --set-xmark {ACCEPT_MARK}/{ACCEPT_MARK}"),
        (f"-m mark --mark {ACCEPT_MARK}/{ACCEPT_MARK}", "-j RETURN"),
    ],
}

def extra_policy_chains(eps, v6):
    out = []
    for ep in eps:
        for d, pol in sorted(ep.get("pols", {}).items()):
            if pol:
                c = Chain(f"cali-p{d}-" + sa_chain_suffix(pol))
                for m, a in EXTRA_POLICIES[pol](v6):
                    c.add(m, a)
                if all(x.name != c.name for x in out):
                    out.append(c)
    return out

def ruleset(eps, v6=False, fwd_policy="ACCEPT", from_eps=None, to_eps=None):
    ipv = "60" if v6 else "40"
    out = [f"# Calico-shaped {'ip6tables' if v6 else 'iptables'} ruleset written for nfdiff tests "
           f"(endpoints: {', '.join(e['ifname'] for e in eps)})"]
    # ---------------- raw
    rp = Chain("cali-PREROUTING")
    rp.add("", "-j MARK --set-xmark 0x0/0xf0000")
    rp.add("-i cali+", f"-j MARK --set-xmark {SCRATCH0}/{SCRATCH0}")
    rp.add(f"-m mark --mark {SCRATCH0}/{SCRATCH0} -m rpfilter --validmark --invert", "-j DROP")
    rp.add(f"-m mark --mark 0x0/{SCRATCH0}", "-j cali-from-host-endpoint")
    rp.add(f"-m mark --mark {ACCEPT_MARK}/{ACCEPT_MARK}", "-j ACCEPT")
    ro = Chain("cali-OUTPUT")
    ro.add("", "-j MARK --set-xmark 0x0/0xf0000")
    ro.add("", "-j cali-to-host-endpoint")
    ro.add(f"-m mark --mark {ACCEPT_MARK}/{ACCEPT_MARK}", "-j ACCEPT")
    ins = [Chain("PREROUTING").add("", "-j cali-PREROUTING"), Chain("OUTPUT").add("", "-j cali-OUTPUT")]
    out += table("raw", [("PREROUTING", "ACCEPT"), ("OUTPUT", "ACCEPT")],
                 [rp, ro, Chain("cali-from-host-endpoint"), Chain("cali-to-host-endpoint")], ins)
    # ---------------- mangle
    mp = Chain("cali-PREROUTING")
    mp.add("-m conntrack --ctstate RELATED,ESTABLISHED", "-j ACCEPT")
    mp.add(f"-m mark --mark {ACCEPT_MARK}/{ACCEPT_MARK}", "-j ACCEPT")
    mp.add("", "-j cali-from-host-endpoint")
    mp.add(f"-m mark --mark {ACCEPT_MARK}/{ACCEPT_MARK}", "-j ACCEPT", "Host endpoint policy accepted packet.")
    ins = [Chain("PREROUTING").add("", "-j cali-PREROUTING")]
    out += table("mangle", [(b, "ACCEPT") for b in ("PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING")],
                 [mp, Chain("cali-from-host-endpoint")], ins)
    # ---------------- nat
    np_ = Chain("cali-PREROUTING").add("", "-j cali-fip-dnat")
    no = Chain("cali-OUTPUT").add("", "-j cali-fip-dnat")
    npost = Chain("cali-POSTROUTING")
    npost.add("", "-j cali-fip-snat")
    npost.add("", "-j cali-nat-outgoing")
    if not v6:
        npost.add("-o tunl0 -m addrtype ! --src-type LOCAL --limit-iface-out -m addrtype --src-type LOCAL", "-j MASQUERADE")
    nout = Chain("cali-nat-outgoing")
    nout.add(f"-m set --match-set cali{ipv}masq-ipam-pools src -m set ! --match-set cali{ipv}all-ipam-pools dst",
             "-j MASQUERADE --random-fully")
    ins = [Chain("PREROUTING").add("", "-j cali-PREROUTING"), Chain("OUTPUT").add("", "-j cali-OUTPUT"),
           Chain("POSTROUTING").add("", "-j cali-POSTROUTING")]
    out += table("nat", [(b, "ACCEPT") for b in ("PREROUTING", "INPUT", "OUTPUT", "POSTROUTING")],
                 [np_, no, npost, Chain("cali-fip-dnat"), Chain("cali-fip-snat"), nout], ins)
    # ---------------- filter
    fwd = Chain("cali-FORWARD")
    fwd.add("", "-j MARK --set-xmark 0x0/0xe0000")
    fwd.add(f"-m mark --mark 0x0/{ACCEPT_MARK}", "-j cali-from-hep-forward")
    fwd.add("-i cali+", "-j cali-from-wl-dispatch")
    fwd.add("-o cali+", "-j cali-to-wl-dispatch")
    fwd.add("", "-j cali-to-hep-forward")
    fwd.add("", "-j cali-cidr-block")
    inp = Chain("cali-INPUT")
    if not v6:
        inp.add(f"-p 4 -m set --match-set cali{ipv}all-hosts-net src -m addrtype --dst-type LOCAL", "-j ACCEPT",
                "Allow IPIP packets from Calico hosts")
        inp.add("-p 4", "-j DROP", "Drop IPIP packets from non-Calico hosts")
    inp.add("-i cali+", "-g cali-wl-to-host")
    inp.add(f"-m mark --mark {ACCEPT_MARK}/{ACCEPT_MARK}", "-j ACCEPT")
    inp.add("", "-j MARK --set-xmark 0x0/0xf0000")
    inp.add("", "-j cali-from-host-endpoint")
    inp.add(f"-m mark --mark {ACCEPT_MARK}/{ACCEPT_MARK}", "-j ACCEPT", "Host endpoint policy accepted packet.")
    outp = Chain("cali-OUTPUT")
    outp.add(f"-m mark --mark {ACCEPT_MARK}/{ACCEPT_MARK}", "-j ACCEPT")
    outp.add("-o cali+", "-j RETURN")
    if not v6:
        outp.add(f"-p 4 -m set --match-set cali{ipv}all-hosts-net dst -m addrtype --src-type LOCAL", "-j ACCEPT",
                 "Allow IPIP packets to other Calico hosts")
    outp.add("", "-j MARK --set-xmark 0x0/0xf0000")
    outp.add("-m conntrack ! --ctstate DNAT", "-j cali-to-host-endpoint")
    outp.add(f"-m mark --mark {ACCEPT_MARK}/{ACCEPT_MARK}", "-j ACCEPT", "Host endpoint policy accepted packet.")
    w2h = Chain("cali-wl-to-host")
    if v6:
        for t in (130, 131, 132, 133, 135, 136):
            w2h.add(f"-p ipv6-icmp -m icmp6 --icmpv6-type {t}", "-j ACCEPT")
    w2h.add("", "-j cali-from-wl-dispatch")
    w2h.add("", "-j ACCEPT", "Configured DefaultEndpointToHostAction")
    chains = [fwd, inp, outp, w2h, Chain("cali-cidr-block"), Chain("cali-from-hep-forward"),
              Chain("cali-to-hep-forward"), Chain("cali-from-host-endpoint"), Chain("cali-to-host-endpoint")]
    chains += dispatch("cali-from-wl-dispatch", from_eps or eps, "-i", "cali-fw-")
    chains += dispatch("cali-to-wl-dispatch", to_eps or eps, "-o", "cali-tw-")
    for ep in sorted(eps, key=lambda e: e["ifname"]):
        chains += endpoint_chains(ep, v6)
    chains += profile_chains(eps)
    if any(e["pol"] for e in eps):
        chains += policy_chains(v6)
    chains += extra_policy_chains(eps, v6)
    f_in = Chain("INPUT").add("", "-j cali-INPUT")
    f_fwd = Chain("FORWARD")
    f_fwd.add("", "-j cali-FORWARD")
    f_fwd.add(f"-m mark --mark {ACCEPT_MARK}/{ACCEPT_MARK}", "-j ACCEPT", "Policy explicitly accepted packet.")
    f_fwd.add("", f"-j MARK --set-xmark {ACCEPT_MARK}/{ACCEPT_MARK}")
    f_out = Chain("OUTPUT").add("", "-j cali-OUTPUT")
    out += table("filter", [("INPUT", "ACCEPT"), ("FORWARD", fwd_policy), ("OUTPUT", "ACCEPT")],
                 chains, [f_in, f_fwd, f_out])
    return "\n".join(out) + "\n"

# ---------------------------------------------------------------- stale-dispatch fixtures
# Two pods on a node: pod1 (every copy lists it) and pod2, the new pod, with the policy of
# each scenario. The stale copies are what Felix wrote before pod2 existed.
SD_POD1 = dict(ifname="cali5c4d3e2f1a0", ip="10.244.1.5", ns="default", sa="default", pol=False)
SD_POD2 = dict(ifname="cali9f8e7d6c5b4", ip="10.244.1.9", ns="default", sa="default", pol=False)
SD6_POD1 = dict(ifname="cali3b4c5d6e7f8", ip="fd00:10:244:1::c", ns="default", sa="default", pol=False)
SD6_POD2 = dict(ifname="cali8e7d6c5b4a3", ip="fd00:10:244:1::d", ns="default", sa="default", pol=False)

def with_pols(ep, **pols):
    return dict(ep, pols=pols)

SD = {
    # (1) the new pod's policy is default-deny, both ways
    "sd-deny-current": lambda: ruleset([SD_POD1, with_pols(SD_POD2, i=POL_DENY, o=POL_DENY)]),
    "sd-stale": lambda: ruleset([SD_POD1]),
    # (2) ingress only TCP 8080 from 192.168.50.0/24, egress default-deny
    "sd-8080-current": lambda: ruleset([SD_POD1, with_pols(SD_POD2, i=POL_8080, o=POL_DENY)]),
    # (3) the stale copy lists the new pod in cali-from-wl-dispatch but not cali-to-wl-dispatch
    "sd-to-only-current": lambda: ruleset([SD_POD1, SD_POD2]),
    "sd-to-only-stale": lambda: ruleset([SD_POD1, SD_POD2], to_eps=[SD_POD1]),
    # (5) IPv6-only pods; the new one admits only TCP 8080 from fd00:50::/64
    "sd6-current": lambda: ruleset([SD6_POD1, with_pols(SD6_POD2, i=POL_8080)], v6=True),
    "sd6-stale": lambda: ruleset([SD6_POD1], v6=True),
}

if __name__ == "__main__":
    which = sys.argv[1]
    if which == "calico":
        sys.stdout.write(ruleset(EP_OLD, fwd_policy="DROP"))
    elif which == "incident-legacy":
        sys.stdout.write(ruleset(EP_OLD + [EP_NEW]))
    elif which == "incident-stale":
        sys.stdout.write(ruleset(EP_OLD))
    elif which in SD:
        sys.stdout.write(SD[which]())
    elif which == "calico6":
        sys.stdout.write(ruleset(EP6, v6=True))
    else:
        sys.exit("unknown fixture " + which)
