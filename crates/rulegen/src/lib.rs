//! `rulegen`: deterministic, seeded generators of kube-proxy-, Calico- and native-nft-shaped
//! rulesets, shared by the `nfdiff-gen` binary and nfdiff's benchmarks.

pub mod calico;
pub mod fleet;
pub mod kube_proxy;
pub mod mutate;
pub mod native;
pub mod out;
pub mod rng;

/// Shapes of generated rulesets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// kube-proxy (iptables mode): services x endpoints in nat, filter guards.
    KubeProxy,
    /// Calico (iptables dataplane): workload endpoints, dispatch chains, policies.
    Calico,
    /// Native nft: verdict maps and named sets (nft syntax only).
    Native,
}

/// Output syntaxes of generated rulesets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// `iptables-save` text.
    IptablesSave,
    /// `nft list ruleset` text.
    Nft,
}

/// Generates a ruleset of `shape` as text.
///
/// `size` is the approximate rule count for kube-proxy and the endpoint count for Calico
/// and native. Returns `None` for the native shape in iptables-save syntax, which does not exist.
pub fn generate(shape: Shape, size: usize, syntax: Syntax, seed: u64) -> Option<String> {
    let mut rng = rng::Rng::new(seed);
    let tables = match shape {
        Shape::KubeProxy => kube_proxy::generate(&mut rng, size),
        Shape::Calico => calico::generate(&mut rng, size.max(1)),
        Shape::Native => {
            return (syntax == Syntax::Nft).then(|| native::generate(&mut rng, size.max(1)))
        }
    };
    Some(match syntax {
        Syntax::IptablesSave => out::iptables_save(&tables),
        Syntax::Nft => out::nft_text(&tables),
    })
}
