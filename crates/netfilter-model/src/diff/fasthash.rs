//! A small, fast, non-cryptographic hasher for interning rule texts and interface names.
//!
//! The inputs are a user's own rulesets, compared locally, so hash flooding is no
//! concern, and SipHash would cost a large share of the engine's time on big
//! rulesets. Plain Fx hashing is not enough either: names that differ only in a
//! few digits (`cali00000001`, ...) collide in its low bits, which hashbrown uses
//! for bucket selection. Each word is therefore mixed with two multiplies and a
//! rotation, and the result goes through the SplitMix64 finalizer.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

const K1: u64 = 0x9E37_79B9_7F4A_7C15;
const K2: u64 = 0xBF58_476D_1CE4_E5B9;
const K3: u64 = 0x94D0_49BB_1331_11EB;

/// Hash state.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct FastHasher {
    hash: u64,
}

impl FastHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash ^ word)
            .wrapping_mul(K1)
            .rotate_left(31)
            .wrapping_mul(K2);
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        let mut z = self.hash;
        z = (z ^ (z >> 30)).wrapping_mul(K2);
        z = (z ^ (z >> 27)).wrapping_mul(K3);
        z ^ (z >> 31)
    }
}

/// A `HashMap` with the fast hash.
pub(crate) type FastHashMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// A `HashSet` with the fast hash.
pub(crate) type FastHashSet<K> = HashSet<K, BuildHasherDefault<FastHasher>>;

#[cfg(test)]
mod tests {
    use std::hash::BuildHasher;

    use super::*;

    #[test]
    fn maps_and_sets_work() {
        let mut s: FastHashSet<&str> = FastHashSet::default();
        assert!(s.insert("iifname \"a\" accept"));
        assert!(!s.insert("iifname \"a\" accept"));
        assert!(s.insert("iifname \"b\" accept"));
        assert!(s.insert(""));
        let mut m: FastHashMap<String, u32> = FastHashMap::default();
        m.insert("x".repeat(17), 1);
        assert_eq!(m.get(&"x".repeat(17)), Some(&1));
        assert_eq!(m.get(&"x".repeat(16)), None);
    }

    /// Interface names that differ in a few digits spread over the buckets.
    #[test]
    fn numbered_names_do_not_collide() {
        let b = BuildHasherDefault::<FastHasher>::default();
        let n = 20_000u64;
        let mut full = HashSet::new();
        let mut low = HashSet::new();
        for i in 0..n {
            let h = b.hash_one(format!("cali{i:08}").as_str());
            full.insert(h);
            low.insert(h & 0xffff);
        }
        assert_eq!(full.len() as u64, n);
        // 20k random values in 65536 buckets fill about 17.4k of them.
        assert!(low.len() > 16_500, "{}", low.len());
    }
}
