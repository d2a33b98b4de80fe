//! Times the phases of a live nf_tables read (dump, assemble) and prints counts.
//! Run it only inside a scratch network namespace.

use std::process::ExitCode;

#[cfg(feature = "netlink")]
fn main() -> ExitCode {
    use std::collections::HashMap;
    use std::time::Instant;
    let t0 = Instant::now();
    let raw = match netfilter_model::netlink::dump_ruleset() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let t1 = Instant::now();
    let (chains, rules, sets) = (raw.chains.len(), raw.rules.len(), raw.sets.len());
    let rs = netfilter_model::netlink::assemble(raw, "live:nft", &HashMap::new());
    let t2 = Instant::now();
    println!(
        "dump {:?} ({chains} chains, {rules} rules, {sets} sets), assemble {:?} ({} rules)",
        t1 - t0,
        t2 - t1,
        rs.rule_count()
    );
    ExitCode::SUCCESS
}

#[cfg(not(feature = "netlink"))]
fn main() -> ExitCode {
    eprintln!("error: built without feature `netlink`");
    ExitCode::from(2)
}
