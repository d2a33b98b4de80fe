#!/usr/bin/env python3
"""Generate a kube-proxy (iptables mode, Kubernetes 1.19-style) ruleset as iptables-restore input,
plus the CNI portmap plugin's hostPort chains that often sit next to it. Written for nfdiff tests.
Chain-name hashes are computed the way kube-proxy does (sha256 -> base32 -> first 16 chars)."""
import base64, hashlib

CLUSTER_CIDR = "10.244.0.0/16"

def h(s):
    return base64.b32encode(hashlib.sha256(s.encode()).digest()).decode()[:16]

# (svcPortName, proto, clusterIP, port, [(ip, port)], nodePort, affinity)
SERVICES = [
    ("default/kubernetes:https", "tcp", "10.96.0.1", 443,
     [("192.168.50.10", 6443), ("192.168.50.11", 6443), ("192.168.50.12", 6443)], None, False),
    ("kube-system/kube-dns:dns", "udp", "10.96.0.10", 53, [("10.244.1.13", 53), ("10.244.2.7", 53)], None, False),
    ("kube-system/kube-dns:dns-tcp", "tcp", "10.96.0.10", 53, [("10.244.1.13", 53), ("10.244.2.7", 53)], None, False),
    ("default/web:http", "tcp", "10.96.120.33", 80,
     [("10.244.1.12", 8080), ("10.244.2.15", 8080), ("10.244.3.4", 8080)], 30080, False),
    ("default/api:grpc", "tcp", "10.96.45.7", 9090, [("10.244.1.5", 9090), ("10.244.3.9", 9090)], None, True),
]
NO_ENDPOINTS = [("default/legacy-db:pg", "tcp", "10.96.200.4", 5432)]

def prob(i, n):
    return "%0.10f" % (1.0 / float(n - i))

def main():
    nat_chains = ["KUBE-MARK-DROP", "KUBE-MARK-MASQ", "KUBE-NODEPORTS", "KUBE-POSTROUTING", "KUBE-SERVICES",
                  "KUBE-KUBELET-CANARY", "KUBE-PROXY-CANARY",
                  "CNI-HOSTPORT-DNAT", "CNI-HOSTPORT-MASQ", "CNI-HOSTPORT-SETMARK"]
    svc_rules, sep_rules, np_rules, svc_chain_rules = [], [], [], []
    for name, proto, vip, port, eps, nodeport, aff in SERVICES:
        svc = "KUBE-SVC-" + h(name + proto)
        nat_chains.append(svc)
        c = f'-m comment --comment "{name} cluster IP"'
        svc_rules.append(f"-A KUBE-SERVICES ! -s {CLUSTER_CIDR} -d {vip}/32 -p {proto} {c} -m {proto} --dport {port} -j KUBE-MARK-MASQ")
        svc_rules.append(f"-A KUBE-SERVICES -d {vip}/32 -p {proto} {c} -m {proto} --dport {port} -j {svc}")
        if nodeport:
            np_rules.append(f'-A KUBE-NODEPORTS -p {proto} -m comment --comment "{name}" -m {proto} --dport {nodeport} -j KUBE-MARK-MASQ')
            np_rules.append(f'-A KUBE-NODEPORTS -p {proto} -m comment --comment "{name}" -m {proto} --dport {nodeport} -j {svc}')
        seps = []
        for ip, tp in eps:
            sep = "KUBE-SEP-" + h(name + proto + f"{ip}:{tp}")
            nat_chains.append(sep)
            seps.append(sep)
            cc = f'-m comment --comment "{name}"'
            sep_rules.append(f"-A {sep} -s {ip}/32 {cc} -j KUBE-MARK-MASQ")
            recent = f" -m recent --set --name {sep} --mask 255.255.255.255 --rsource" if aff else ""
            sep_rules.append(f"-A {sep} -p {proto} {cc}{recent} -m {proto} -j DNAT --to-destination {ip}:{tp}")
        cc = f'-m comment --comment "{name}"'
        if aff:
            for sep in seps:
                svc_chain_rules.append(f"-A {svc} {cc} -m recent --rcheck --seconds 10800 --reap --name {sep} --mask 255.255.255.255 --rsource -j {sep}")
        for i, sep in enumerate(seps):
            if i < len(seps) - 1:
                svc_chain_rules.append(f"-A {svc} {cc} -m statistic --mode random --probability {prob(i, len(seps))} -j {sep}")
            else:
                svc_chain_rules.append(f"-A {svc} {cc} -j {sep}")
    svc_rules.append('-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS')

    cid = hashlib.sha256(b"web-hostport-pod").hexdigest()
    dn = "CNI-DN-" + hashlib.sha512(b"k8s-pod-network" + cid.encode()).hexdigest()[:21]
    nat_chains.append(dn)

    out = ["# kube-proxy (iptables mode) + CNI portmap ruleset written for nfdiff tests"]
    out += ["*mangle", ":PREROUTING ACCEPT [0:0]", ":INPUT ACCEPT [0:0]", ":FORWARD ACCEPT [0:0]",
            ":OUTPUT ACCEPT [0:0]", ":POSTROUTING ACCEPT [0:0]", ":KUBE-KUBELET-CANARY - [0:0]",
            ":KUBE-PROXY-CANARY - [0:0]", "COMMIT"]
    out += ["*nat", ":PREROUTING ACCEPT [0:0]", ":INPUT ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]", ":POSTROUTING ACCEPT [0:0]"]
    out += [f":{c} - [0:0]" for c in sorted(nat_chains)]
    out += [
        '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
        "-A PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT",
        '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
        "-A OUTPUT -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT",
        '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
        '-A POSTROUTING -m comment --comment "CNI portfwd requiring masquerade" -j CNI-HOSTPORT-MASQ',
        f'-A CNI-DN-{dn[7:]} -s 10.244.1.20/32 -p tcp -m tcp --dport 8080 -j CNI-HOSTPORT-SETMARK',
        f'-A CNI-DN-{dn[7:]} -s 127.0.0.1/32 -p tcp -m tcp --dport 8080 -j CNI-HOSTPORT-SETMARK',
        f'-A CNI-DN-{dn[7:]} -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.244.1.20:80',
        f'-A CNI-DN-{dn[7:]} -s 10.244.1.20/32 -p tcp -m tcp --dport 8443 -j CNI-HOSTPORT-SETMARK',
        f'-A CNI-DN-{dn[7:]} -s 127.0.0.1/32 -p tcp -m tcp --dport 8443 -j CNI-HOSTPORT-SETMARK',
        f'-A CNI-DN-{dn[7:]} -p tcp -m tcp --dport 8443 -j DNAT --to-destination 10.244.1.20:443',
        f'-A CNI-HOSTPORT-DNAT -p tcp -m comment --comment "dnat name: \\"k8s-pod-network\\" id: \\"{cid}\\"" -m multiport --dports 8080,8443 -j {dn}',
        '-A CNI-HOSTPORT-MASQ -m mark --mark 0x2000/0x2000 -j MASQUERADE',
        '-A CNI-HOSTPORT-SETMARK -m comment --comment "CNI portfwd masquerade mark" -j MARK --set-xmark 0x2000/0x2000',
        "-A KUBE-MARK-DROP -j MARK --set-xmark 0x8000/0x8000",
        "-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000",
    ]
    out += np_rules
    out += [
        "-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN",
        "-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0",
        '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
    ]
    out += sep_rules + svc_rules + svc_chain_rules + ["COMMIT"]
    out += ["*filter", ":INPUT ACCEPT [0:0]", ":FORWARD ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]",
            ":KUBE-EXTERNAL-SERVICES - [0:0]", ":KUBE-FIREWALL - [0:0]", ":KUBE-FORWARD - [0:0]",
            ":KUBE-KUBELET-CANARY - [0:0]", ":KUBE-PROXY-CANARY - [0:0]", ":KUBE-SERVICES - [0:0]",
            '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
            "-A INPUT -j KUBE-FIREWALL",
            '-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
            '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
            '-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
            "-A OUTPUT -j KUBE-FIREWALL",
            '-A KUBE-FIREWALL -m comment --comment "kubernetes firewall for dropping marked packets" -m mark --mark 0x8000/0x8000 -j DROP',
            '-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
            "-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP",
            '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT',
            f'-A KUBE-FORWARD -s {CLUSTER_CIDR} -m comment --comment "kubernetes forwarding conntrack pod source rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
            f'-A KUBE-FORWARD -d {CLUSTER_CIDR} -m comment --comment "kubernetes forwarding conntrack pod destination rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
            ]
    for name, proto, vip, port in NO_ENDPOINTS:
        out.append(f'-A KUBE-SERVICES -d {vip}/32 -p {proto} -m comment --comment "{name} has no endpoints" -m {proto} --dport {port} -j REJECT --reject-with icmp-port-unreachable')
    out.append("COMMIT")
    print("\n".join(out))

main()
