use netfilter_model::diff::{diff_rulesets, DiffOptions};
use netfilter_model::parse::{parse_iptables_save, ParseOptions};
use std::time::Instant;
fn main() {
    let a = std::fs::read_to_string(std::env::args().nth(1).unwrap()).unwrap();
    let b = std::fs::read_to_string(std::env::args().nth(2).unwrap()).unwrap();
    for _ in 0..3 {
        let t = Instant::now();
        let ra = parse_iptables_save(&a, &ParseOptions::new("a")).unwrap();
        let t1 = t.elapsed();
        let rb = parse_iptables_save(&b, &ParseOptions::new("b")).unwrap();
        let t2 = Instant::now();
        let d = diff_rulesets(&ra, &rb, &DiffOptions::default());
        let t3 = t2.elapsed();
        println!("parse one {:?} diff {:?} equal={}", t1, t3, d.equal);
        std::mem::forget((ra, rb, d));
    }
}
