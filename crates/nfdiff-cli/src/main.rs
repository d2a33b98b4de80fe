//! `nfdiff`: read netfilter rulesets from both backends, diff them, trace packets.

mod args;
mod classes_cmd;
mod docs_cmd;
mod doctor_cmd;
mod exit;
mod fleet_cmd;
mod fleet_input;
mod input;
mod live_node;
mod mode;
mod node_addrs;
mod node_changes;
mod reach_space;
mod render;
mod run;
mod semantic_diff_cmd;
mod semantic_diff_report;
mod serve;
mod serve_metrics;
mod trace_args;
mod watch;

use std::process::ExitCode;

/// mimalloc: parsing and rendering 10^5-rule rulesets is dominated by small allocations,
/// which glibc malloc serves (and frees) markedly slower.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    match run::run() {
        Ok(code) => code.into(),
        Err(err) => {
            if is_broken_pipe(&err) {
                return exit::SUCCESS.into();
            }
            eprintln!("nfdiff: {err:#}");
            exit::ERROR.into()
        }
    }
}

/// Whether the error chain ends in a closed output pipe (`nfdiff show | head`), which is not an error.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
