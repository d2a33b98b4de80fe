//! Unit tests of the iptables-save parser over whole dumps.
