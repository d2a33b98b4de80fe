//! The single integration-test binary of the `nfdiff` CLI; each submodule covers one command.

mod cli {
    mod support;

    mod bad_input;
    mod classes;
    mod classes_exact;
    mod diff;
    mod docs;
    mod doctor;
    mod doctor_stale;
    mod examples;
    mod fleet;
    mod graphs;
    mod html;
    mod live;
    mod reach_space;
    mod semantic_diff;
    mod serve;
    mod show;
    mod trace;
    mod trace_node;
    mod watch;
}
