//! Fuzz target: whatever the iptables-save parser accepts and the exporter renders parses back
//! into an equal model (parse -> export -> parse), and the second export is the same text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netfilter_model::export::to_iptables_save;
use netfilter_model::parse::{parse_iptables_save, ParseOptions};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(first) = parse_iptables_save(text, &ParseOptions::new("fuzz")) else {
        return;
    };
    // The exporter may refuse what iptables cannot express (lossy parts); that is not a bug.
    let Ok(exported) = to_iptables_save(&first) else {
        return;
    };
    let second = match parse_iptables_save(&exported, &ParseOptions::new("export")) {
        Ok(rs) => rs,
        Err(e) => panic!("exported text does not parse: {e}\n--- exported ---\n{exported}"),
    };
    assert!(
        first == second,
        "round trip changed the model\n--- input ---\n{text}\n--- exported ---\n{exported}\n\
         --- first ---\n{first:#?}\n--- second ---\n{second:#?}"
    );
    let again = to_iptables_save(&second).expect("the re-parsed model exports");
    assert_eq!(exported, again, "export is not stable");
});
