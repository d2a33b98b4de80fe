//! The per-expression dispatcher: each register-level expression updates the state.

use super::*;

impl State<'_> {
    pub(super) fn expr(&mut self, e: &Expr) {
        match e {
            Expr::Payload {
                base,
                offset,
                len,
                dreg,
            } => {
                let mut field = self.payload(*base, *offset, *len);
                // ICMP fields that exist for one type only (`icmp mtu` of destination
                // unreachable, `icmp gateway` of redirect): the type compare before is their
                // dependency.
                if let (2, Some(t)) = (*base, self.ctx.icmp_type) {
                    let named = match (self.ctx.l4.map(|p| p.0), t, *offset, *len) {
                        (Some(1), 3, 6, 2) => Some("icmp mtu"),
                        (Some(1), 5, 4, 4) => Some("icmp gateway"),
                        (Some(58), 2, 4, 4) => Some("icmpv6 mtu"),
                        (Some(58), 130..=132, 4, 2) => Some("icmpv6 max-delay"),
                        _ => None,
                    };
                    if let Some(name) = named {
                        field = Field::Hdr(HdrField {
                            name,
                            kind: hdr_fields::Kind::Int,
                            mask: 0,
                        });
                        self.icmp_dep_used = true;
                    }
                }
                if *base == 2 && self.ctx.l4.is_some() {
                    self.l4_dep_used = true;
                    // ICMP and ICMPv6 depend on their network protocol (`meta nfproto ipv6
                    // meta l4proto icmpv6` in inet), which nft does not list either.
                    // (A `meta nfproto` of the other family stays: `meta nfproto ipv4
                    // icmpv6 type ..` is listed as written.)
                    match (self.ctx.l4, self.ctx.l3_v6) {
                        (Some(Protocol(1)), Some(false)) | (Some(Protocol(58)), Some(true)) => {
                            self.l3_dep_used = true;
                        }
                        _ => {}
                    }
                }
                if *base == 0 {
                    self.ll_dep_used = true;
                }
                // The tag control fields (`vlan id`, `vlan pcp`); `vlan type` counts only if
                // it stays a match of its own.
                if *base == 0 && self.ctx.vlan && (14..16).contains(offset) {
                    self.vlan_dep_used = true;
                }
                if *base == 1 {
                    self.l3_dep_used = true;
                }
                self.set_reg(
                    *dreg,
                    Reg::Load {
                        field,
                        len: *len,
                        mask: None,
                        xor: None,
                    },
                );
            }
            Expr::Meta {
                key, dreg: Some(d), ..
            } => {
                let len = match key {
                    6 | 7 | 17 | 18 | 34 => 16,
                    15 | 16 | 19 | 25 | 31 => 1,
                    30 => 8,
                    28 | 29 => 2,
                    _ => 4,
                };
                self.set_reg(
                    *d,
                    Reg::Load {
                        field: Self::meta_field(*key),
                        len,
                        mask: None,
                        xor: None,
                    },
                );
            }
            Expr::Ct {
                key,
                dreg: Some(d),
                dir,
                ..
            } => {
                let v6 = self.ctx.l3_v6;
                let len = match key {
                    1 | 7 | 10 => 1,
                    11 | 12 => 2,
                    6 | 13 | 21 | 22 => 16,
                    8 | 9 if v6 == Some(true) => 16,
                    14..=16 => 8,
                    _ => 4,
                };
                let mut field = Self::ct_field(*key, *dir);
                // `ct original saddr` reads the family's address: nft names it by the
                // network protocol the rule fixed (`ct original ip saddr`), which is then
                // that name's dependency.
                if let (8 | 9, Some(v6), Field::Raw(name)) = (*key, v6, &field) {
                    let ip = if v6 { "ip6" } else { "ip" };
                    let addr = if *key == 8 { "saddr" } else { "daddr" };
                    let prefix = name.trim_end_matches(addr);
                    field = Field::Raw(format!("{prefix}{ip} {addr}"));
                    self.l3_dep_used = true;
                }
                self.set_reg(
                    *d,
                    Reg::Load {
                        field,
                        len,
                        mask: None,
                        xor: None,
                    },
                );
            }
            Expr::Fib {
                flags,
                result,
                dreg,
            } => self.set_reg(
                *dreg,
                Reg::Load {
                    field: Field::Fib {
                        flags: *flags,
                        result: *result,
                    },
                    len: 4,
                    mask: None,
                    xor: None,
                },
            ),
            Expr::Numgen {
                dreg,
                modulus,
                kind,
                offset,
            } => {
                self.set_reg(
                    *dreg,
                    Reg::Load {
                        field: Field::Numgen {
                            random: *kind == 1,
                            modulus: *modulus,
                            offset: *offset,
                        },
                        len: 4,
                        mask: None,
                        xor: None,
                    },
                );
            }
            Expr::Bitwise {
                sreg,
                dreg,
                op,
                mask,
                xor,
                data,
                ..
            } => {
                let v = match (self.reg(*sreg).cloned(), op) {
                    (
                        Some(Reg::Load {
                            field,
                            len,
                            mask: None,
                            xor: None,
                        }),
                        0,
                    ) => Reg::Load {
                        field,
                        len,
                        mask: Some(mask.clone()),
                        xor: Some(xor.clone()),
                    },
                    // `ip dscp`: a field under its mask shifted down to its own bits, as a
                    // set key is (`ip dscp @s`).
                    (
                        Some(Reg::Load {
                            field,
                            len,
                            mask: Some(m),
                            xor,
                        }),
                        2,
                    ) if xor.as_ref().is_none_or(|x| x.iter().all(|b| *b == 0))
                        && self
                            .shifted_field(&field, &m)
                            .is_some_and(|h| h.mask.trailing_zeros() == u32_ne(data)) =>
                    {
                        let h = self.shifted_field(&field, &m).unwrap_or(HdrField {
                            name: "",
                            kind: hdr_fields::Kind::Int,
                            mask: 0,
                        });
                        Reg::Load {
                            field: Field::Hdr(HdrField { mask: 0, ..h }),
                            len,
                            mask: None,
                            xor: None,
                        }
                    }
                    (
                        Some(Reg::Load {
                            field, mask, xor, ..
                        }),
                        op,
                    ) => {
                        let o = if *op == 1 { "<<" } else { ">>" };
                        // `(meta mark | 0x00000010) << 8`: a masked value shifted.
                        let inner =
                            match mask_xor_text(&field.text(), mask.as_deref(), xor.as_deref()) {
                                Some(t) => format!("({t})"),
                                None => field.text(),
                            };
                        Reg::Text(format!("{inner} {o} {}", u32_ne(data)))
                    }
                    // `meta mark >> 8 & 0xf`: a shifted value masked, an integer now.
                    (Some(Reg::Text(t)), 0) if t.contains(" >> ") || t.contains(" << ") => {
                        let m = u32_ne(mask);
                        let x = u32_ne(xor);
                        if x == 0 {
                            Reg::Text(format!("{t} & 0x{m:x}"))
                        } else {
                            Reg::Text("bitwise".into())
                        }
                    }
                    (Some(Reg::Imm(v)), 0) => {
                        let r: Vec<u8> = v
                            .iter()
                            .zip(mask.iter().chain(std::iter::repeat(&0xff)))
                            .zip(xor.iter().chain(std::iter::repeat(&0)))
                            .map(|((a, m), x)| (a & m) ^ x)
                            .collect();
                        Reg::Imm(r)
                    }
                    _ => Reg::Text("bitwise".into()),
                };
                self.set_reg(*dreg, v);
            }
            Expr::Byteorder { sreg, dreg, op, .. } => {
                if let Some(v) = self.reg(*sreg).cloned() {
                    self.set_reg(*dreg, v);
                    // A host-order value turned big-endian, for `<`/`>` compares.
                    if *op == 1 {
                        if let Some(i) = reg32(*dreg) {
                            self.hton.insert(i);
                        }
                    }
                }
            }
            Expr::Immediate { dreg, data } => match data {
                ImmData::Verdict { code, chain } => self.verdict(*code, chain.clone()),
                ImmData::Value(v) => self.set_reg(*dreg, Reg::Imm(v.clone())),
            },
            Expr::Cmp { sreg, op, data } => self.cmp(*sreg, *op, data),
            Expr::Range { sreg, op, from, to } => self.range(*sreg, *op, from, to),
            Expr::Lookup {
                set,
                sreg,
                dreg,
                invert,
            } => self.lookup(set, *sreg, *dreg, *invert),
            Expr::Counter { packets, bytes } => {
                self.rule.counters = Some(Counters {
                    packets: *packets,
                    bytes: *bytes,
                })
            }
            Expr::Meta {
                key, sreg: Some(s), ..
            } => self.meta_set(*key, *s),
            Expr::Ct {
                key,
                sreg: Some(s),
                dir,
                ..
            } => self.ct_set(*key, *s, *dir),
            Expr::Nat {
                nat_type,
                family,
                reg_addr_min,
                reg_addr_max,
                reg_proto_min,
                reg_proto_max,
                flags,
            } => {
                let v6 = *family == 10;
                let addr = self.addr_regs(*reg_addr_min, *reg_addr_max, v6);
                let port = self.port_regs(*reg_proto_min, *reg_proto_max);
                let kind = if *nat_type == 0 {
                    NatKind::Snat
                } else {
                    NatKind::Dnat
                };
                self.rule.statements.push(Statement::Nat {
                    kind,
                    addr,
                    port,
                    flags: nat_flags(*flags),
                });
            }
            Expr::Masq {
                flags,
                reg_proto_min,
                reg_proto_max,
            } => {
                let port = self.port_regs(*reg_proto_min, *reg_proto_max);
                self.rule.statements.push(Statement::Nat {
                    kind: NatKind::Masquerade,
                    addr: None,
                    port,
                    flags: nat_flags(*flags),
                });
            }
            Expr::Redir {
                flags,
                reg_proto_min,
                reg_proto_max,
            } => {
                let port = self.port_regs(*reg_proto_min, *reg_proto_max);
                self.rule.statements.push(Statement::Nat {
                    kind: NatKind::Redirect,
                    addr: None,
                    port,
                    flags: nat_flags(*flags),
                });
            }
            Expr::Reject { reject_type, code } => {
                let v6 = self.family == Family::Ip6 || self.ctx.l3_v6 == Some(true);
                self.reject_icmp = *reject_type == 0;
                let with = reject_text(v6, *reject_type, *code);
                self.rule.verdict = Some(Verdict::Reject { with });
            }
            Expr::Log {
                prefix,
                group,
                level,
                flags,
                snaplen,
                qthreshold,
            } => {
                let mut extra = Vec::new();
                if let Some(s) = snaplen {
                    extra.push(format!("snaplen {s}"));
                }
                if let Some(q) = qthreshold {
                    extra.push(format!("queue-threshold {q}"));
                }
                if *flags != 0 {
                    extra.extend(log_flags(*flags));
                }
                self.rule.statements.push(Statement::Log {
                    prefix: prefix.clone(),
                    level: level.filter(|l| *l != 4).map(log_level_name),
                    group: *group,
                    extra,
                });
            }
            Expr::Limit {
                rate,
                unit,
                burst,
                kind,
                flags,
            } => {
                let u = match unit {
                    1 => "second",
                    60 => "minute",
                    3600 => "hour",
                    86400 => "day",
                    604800 => "week",
                    _ => "second",
                };
                if *kind == 0 {
                    self.push(
                        flags & 1 != 0,
                        MatchKind::Limit {
                            rate: format!("{rate}/{u}"),
                            burst: (*burst != 0 && *burst != 5).then_some(*burst),
                        },
                    );
                } else {
                    let over = if flags & 1 != 0 { "over " } else { "" };
                    let burst = if *burst != 0 {
                        format!(" burst {}", byte_units(u64::from(*burst)))
                    } else {
                        String::new()
                    };
                    self.push_other(format!("limit rate {over}{}/{u}{burst}", byte_units(*rate)));
                }
            }
            Expr::Match { name, rev, info } => {
                let names = &self.sets.ipset_names;
                let resolve = |i: u16| names.get(&i).cloned();
                let cx = XtContext {
                    family: self.family,
                    l4: self.ctx.l4,
                    ipset_name: &resolve,
                };
                let m = decode_xt_match(name, *rev, info, &cx);
                if let Some(c) = m.comment {
                    self.comments.push(c);
                }
                self.rule.matches.extend(m.matches);
            }
            Expr::Target { name, rev, info } => {
                let names = &self.sets.ipset_names;
                let resolve = |i: u16| names.get(&i).cloned();
                let cx = XtContext {
                    family: self.family,
                    l4: self.ctx.l4,
                    ipset_name: &resolve,
                };
                let t = decode_xt_target(name, *rev, info, &cx);
                self.rule.statements.extend(t.statements);
                if t.verdict.is_some() {
                    self.rule.verdict = t.verdict;
                }
            }
            Expr::Notrack => self.rule.statements.push(Statement::Notrack),
            Expr::Dynset {
                op,
                set,
                sreg_key,
                sreg_data,
                timeout,
            } => {
                let key = self.key_text(*sreg_key, set);
                let data = sreg_data
                    .and_then(|r| self.data_text(r, set))
                    .map(|t| format!(" : {t}"))
                    .unwrap_or_default();
                let t = timeout
                    .map(|t| format!(" timeout {}", time_text(t)))
                    .unwrap_or_default();
                let verb = match op {
                    0 => "add",
                    1 => "update",
                    _ => "delete",
                };
                self.rule.statements.push(Statement::Other {
                    target: verb.into(),
                    args: format!("@{set} {{ {key}{t}{data} }}"),
                    lossy: false,
                });
            }
            Expr::Objref {
                obj_type,
                name,
                set,
                sreg,
            } => match (name, set) {
                (Some(n), _) => self.rule.statements.push(Statement::ObjectRef {
                    kind: obj_type_name(*obj_type).to_string(),
                    name: n.clone(),
                }),
                (None, Some(s)) => {
                    // The key may be a concatenation (`ip protocol . th dport map { .. }`).
                    let key = sreg.map(|r| self.key_text(r, s)).unwrap_or_default();
                    self.rule.statements.push(Statement::Other {
                        target: obj_type_name(*obj_type).to_string(),
                        args: format!("name {key} map @{s}"),
                        lossy: false,
                    });
                }
                _ => {}
            },
            Expr::Queue { num, total, flags } => {
                // As nft lists it: `queue flags bypass,fanout to 4-5`.
                let mut a = Vec::new();
                if *flags & 0x1 != 0 {
                    a.push("bypass".to_string());
                }
                if *flags & 0x2 != 0 {
                    a.push("fanout".to_string());
                }
                let mut s = if *total > 1 {
                    format!("to {}-{}", num, u32::from(*num) + u32::from(*total) - 1)
                } else {
                    format!("to {num}")
                };
                if !a.is_empty() {
                    s = format!("flags {} {s}", a.join(","));
                }
                self.rule.verdict = Some(Verdict::queue(&s));
            }
            Expr::Quota { bytes, flags } => {
                // A quota is a condition (it stops matching once used up); nft text keeps it
                // among the matches.
                let over = if flags & 1 != 0 { "over " } else { "" };
                self.push_other(format!("quota {over}{}", byte_units(*bytes)));
            }
            Expr::PayloadSet {
                base,
                offset,
                len,
                sreg,
            } => {
                if *base == 1 {
                    self.l3_dep_used = true;
                }
                if *base == 2 && self.ctx.l4.is_some() {
                    self.l4_dep_used = true;
                }
                let (f, v) = self.payload_write(*base, *offset, *len, *sreg);
                // Split at the first word, as the nft text parser keeps it (`ip` `daddr set ..`).
                let (target, field) = f.split_once(' ').unwrap_or((f.as_str(), ""));
                let args = if field.is_empty() {
                    format!("set {v}")
                } else {
                    format!("{field} set {v}")
                };
                self.rule.statements.push(Statement::Other {
                    target: target.to_string(),
                    args,
                    lossy: false,
                });
            }
            Expr::Meta { key, .. } => self.push_other(format!("meta {}", meta_key_name(*key))),
            Expr::Ct { key, .. } => self.push_other(format!("ct {}", ct_key_name(*key))),
            Expr::Unknown { name, raw } if name == "exthdr" && self.exthdr(raw) => {}
            Expr::Unknown { name, raw } if name == "tproxy" && self.tproxy(raw) => {}
            Expr::Unknown { name, raw }
                if (name == "dup" || name == "fwd") && self.dup_fwd(name, raw) => {}
            Expr::Unknown { name, raw } if name == "osf" && self.osf(raw) => {}
            Expr::Unknown { name, raw } if name == "xfrm" && self.xfrm(raw) => {}
            Expr::Unknown { name, raw } if self.keyed_load(name, raw) => {}
            Expr::Unknown { name, raw } if name == "hash" && self.hash(raw) => {}
            Expr::Unknown { name, raw } if name == "synproxy" && self.synproxy(raw) => {}
            // `count N flags F` (libnftnl's text of `connlimit`): `ct count [over] N`.
            Expr::Unknown { name, raw } if name == "connlimit" && self.connlimit(raw) => {}
            Expr::Unknown { name, raw } if name == "queue" && self.queue_from_reg(raw) => {}
            Expr::Unknown { name, raw } if raw.contains("=> reg ") => {
                // A load nfdiff does not model (exthdr, osf, socket, rt, ...): the register
                // holds it verbatim, so the compare that follows stays readable.
                let text = raw.trim().to_string();
                let reg = text
                    .rsplit("=> reg ")
                    .next()
                    .and_then(|r| r.split_whitespace().next())
                    .and_then(|r| r.parse::<u32>().ok());
                if let Some(r) = reg {
                    let shown = text.split(" => reg ").next().unwrap_or_default().trim();
                    self.set_reg(r, Reg::Text(format!("{name} {shown}")));
                }
            }
            Expr::Unknown { name, raw } => {
                self.rule.statements.push(Statement::Other {
                    target: name.clone(),
                    args: raw.trim().to_string(),
                    lossy: false,
                });
            }
        }
    }

    pub(super) fn verdict(&mut self, code: i32, chain: Option<String>) {
        let v = match code {
            1 => Verdict::Accept,
            0 => Verdict::Drop,
            -1 => Verdict::Continue,
            -3 => Verdict::Jump(chain.unwrap_or_default()),
            -4 => Verdict::Goto(chain.unwrap_or_default()),
            -5 => Verdict::Return,
            3 => Verdict::Queue(String::new()),
            other => Verdict::Other(verdict_text(other, chain.as_deref())),
        };
        // `ip saddr vmap @m accept`: the verdict when the map has no element for the key,
        // kept with the vmap as the nft parsers keep it.
        if let Some(Verdict::Vmap(m)) = &self.rule.verdict {
            self.rule.verdict = Some(Verdict::Vmap(VerdictMap::parse(&format!("{m} {v}"))));
            return;
        }
        self.rule.verdict = Some(v);
    }
}
