//! Symbolic bit vectors: a field as one BDD per bit (most significant first), each a
//! function of the packet's header variables, with comparisons against constants.

use biodivine_lib_bdd::{Bdd, BddVariableSet};

/// Bit `i` (from the most significant) of `value` in a field `width` bits wide.
fn bit(value: u128, width: usize, i: usize) -> bool {
    (value >> (width - 1 - i)) & 1 == 1
}

/// The constant vector of `value`.
pub(crate) fn constant(vars: &BddVariableSet, width: usize, value: u128) -> Vec<Bdd> {
    (0..width)
        .map(|i| {
            if bit(value, width, i) {
                vars.mk_true()
            } else {
                vars.mk_false()
            }
        })
        .collect()
}

/// `b <-> value`.
fn bit_is(b: &Bdd, value: bool) -> Bdd {
    if value {
        b.clone()
    } else {
        b.not()
    }
}

/// `bits & mask == value & mask`.
pub(crate) fn masked_eq(vars: &BddVariableSet, bits: &[Bdd], value: u128, mask: u128) -> Bdd {
    let w = bits.len();
    let mut acc = vars.mk_true();
    // From the least significant bit up keeps the intermediate results small.
    for i in (0..w).rev() {
        if bit(mask, w, i) {
            acc = acc.and(&bit_is(&bits[i], bit(value, w, i)));
        }
    }
    acc
}

/// `bits == value`.
pub(crate) fn eq_const(vars: &BddVariableSet, bits: &[Bdd], value: u128) -> Bdd {
    let w = bits.len();
    let mask = if w >= 128 {
        u128::MAX
    } else {
        (1u128 << w) - 1
    };
    masked_eq(vars, bits, value, mask)
}

/// The first `len` bits equal those of `value` (a prefix `value/len`).
pub(crate) fn prefix(vars: &BddVariableSet, bits: &[Bdd], value: u128, len: usize) -> Bdd {
    let w = bits.len();
    let mut acc = vars.mk_true();
    for i in (0..len.min(w)).rev() {
        acc = acc.and(&bit_is(&bits[i], bit(value, w, i)));
    }
    acc
}

/// `bits >= c` (unsigned).
pub(crate) fn ge_const(vars: &BddVariableSet, bits: &[Bdd], c: u128) -> Bdd {
    let w = bits.len();
    let mut acc = vars.mk_true();
    for i in (0..w).rev() {
        acc = if bit(c, w, i) {
            bits[i].and(&acc)
        } else {
            bits[i].or(&acc)
        };
    }
    acc
}

/// `bits <= c` (unsigned).
pub(crate) fn le_const(vars: &BddVariableSet, bits: &[Bdd], c: u128) -> Bdd {
    let w = bits.len();
    let mut acc = vars.mk_true();
    for i in (0..w).rev() {
        acc = if bit(c, w, i) {
            bits[i].not().or(&acc)
        } else {
            bits[i].not().and(&acc)
        };
    }
    acc
}

/// `lo <= bits <= hi`.
pub(crate) fn range(vars: &BddVariableSet, bits: &[Bdd], lo: u128, hi: u128) -> Bdd {
    if lo > hi {
        return vars.mk_false();
    }
    if lo == hi {
        return eq_const(vars, bits, lo);
    }
    ge_const(vars, bits, lo).and(&le_const(vars, bits, hi))
}

/// Per bit: `cond ? new : old`.
pub(crate) fn select(cond: &Bdd, new: &[Bdd], old: &[Bdd]) -> Vec<Bdd> {
    new.iter()
        .zip(old)
        .map(|(n, o)| Bdd::if_then_else(cond, n, o))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use biodivine_lib_bdd::BddValuation;

    fn count(b: &Bdd, vars: usize) -> u128 {
        // Cardinality over the 8 field variables only (the set has exactly those).
        let _ = vars;
        b.exact_cardinality().to_string().parse().unwrap()
    }

    fn value_of(v: &BddValuation, n: usize) -> u128 {
        (0..n).fold(0, |acc, i| (acc << 1) | u128::from(v.as_vector()[i]))
    }

    #[test]
    fn comparisons_over_an_eight_bit_field() {
        let vars = BddVariableSet::new_anonymous(8);
        let bits: Vec<Bdd> = vars.variables().iter().map(|&v| vars.mk_var(v)).collect();
        assert_eq!(count(&eq_const(&vars, &bits, 7), 8), 1);
        assert_eq!(count(&ge_const(&vars, &bits, 200), 8), 56);
        assert_eq!(count(&le_const(&vars, &bits, 9), 8), 10);
        assert_eq!(count(&range(&vars, &bits, 10, 19), 8), 10);
        assert_eq!(count(&range(&vars, &bits, 19, 10), 8), 0);
        assert_eq!(count(&prefix(&vars, &bits, 0b1010_0000, 3), 8), 32);
        assert_eq!(count(&masked_eq(&vars, &bits, 0x01, 0x0f), 8), 16);
        let w = range(&vars, &bits, 100, 100).sat_witness().unwrap();
        assert_eq!(value_of(&w, 8), 100);
        // A constant vector selected under a condition.
        let c = constant(&vars, 8, 0x42);
        let top = bits[0].clone();
        let sel = select(&top, &c, &bits);
        let is42 = eq_const(&vars, &sel, 0x42);
        // Every packet with the top bit set now reads 0x42, others only when they were 0x42.
        assert_eq!(count(&is42, 8), 128 + 1);
    }
}
