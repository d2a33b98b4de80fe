//! Reads the running kernel's nf_tables (feature `netlink`) and prints the normalized model.
//!
//! Run it only inside a scratch network namespace when experimenting:
//! `unshare -n sh -c 'nft -f testdata/native-nft/ruleset.nft; target/debug/examples/live_dump'`

use std::process::ExitCode;

#[cfg(feature = "netlink")]
fn main() -> ExitCode {
    match netfilter_model::netlink::read_live_nft() {
        Ok(rs) => {
            for t in &rs.tables {
                println!("table {} {} ({})", t.family, t.name, t.backend);
                for s in &t.sets {
                    let data = s
                        .data_type
                        .as_deref()
                        .map(|d| format!(" : {d}"))
                        .unwrap_or_default();
                    println!(
                        "  set {} {}{data} [{}] {{ {} }}",
                        s.name,
                        s.key_type,
                        s.flags.join(","),
                        s.elements.join(", ")
                    );
                }
                for o in &t.objects {
                    println!("  {} {} {}", o.kind, o.name, o.body);
                }
                for c in &t.chains {
                    match &c.base {
                        Some(b) => println!(
                            "  chain {} (type {} hook {} priority {} policy {})",
                            c.name,
                            b.chain_type,
                            b.hook,
                            b.priority,
                            b.policy.as_str()
                        ),
                        None => println!("  chain {}", c.name),
                    }
                    for r in &c.rules {
                        println!("    {r}");
                    }
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

#[cfg(not(feature = "netlink"))]
fn main() -> ExitCode {
    eprintln!("error: built without feature `netlink`");
    ExitCode::from(2)
}
