//! Values that span several registers: concatenated set keys and map data, parts of which
//! may be constants (`add @s { ip saddr . 22 }`) or a map's later data registers.

use super::*;

/// Bytes a value of datatype `t` takes in registers (each part of a concatenation padded to
/// 32 bits; a part of unknown size counted as one register).
fn padded_len(t: u32) -> usize {
    split_concat(t, 0)
        .iter()
        .map(|p| type_size(*p).map_or(4, |s| s.div_ceil(4) * 4))
        .sum()
}

impl State<'_> {
    /// The field a loaded register holds, as a key part: a masked field by its mask (`vlan
    /// id`), a byte-swapped integer as the big-endian number it now is.
    pub(super) fn load_field(&self, idx: u32, field: &Field, mask: Option<&[u8]>) -> Field {
        match mask.and_then(|m| self.masked_hdr(field, m)) {
            Some(h) => Field::Hdr(h),
            None if self.hton.contains(&idx)
                && matches!(
                    field,
                    Field::Length
                        | Field::SkUid
                        | Field::SkGid
                        | Field::Mark
                        | Field::CtMark
                        | Field::Numgen { .. }
                        | Field::Raw(_)
                ) =>
            {
                Field::BeInt {
                    name: field.text(),
                    hex: matches!(field, Field::Mark | Field::CtMark),
                }
            }
            None => field.clone(),
        }
    }

    /// The text of each part of a value of datatypes `types` held from register `sreg` on:
    /// loads by their field, constants by their part's datatype; `None` when a register is
    /// unknown or holds no part of its own.
    pub(super) fn span_parts(&self, sreg: u32, types: &[u32]) -> Option<Vec<String>> {
        let mut idx = reg32(sreg)?;
        let mut out = Vec::new();
        // A constant may fill several parts: the bytes of it not used yet.
        let mut imm_rest: Option<Vec<u8>> = None;
        for t in types {
            let size = type_size(*t).unwrap_or(4);
            let padded = size.div_ceil(4) * 4;
            if let Some(rest) = imm_rest.take() {
                let part = rest.get(..size)?;
                out.push(format_value(*t, part));
                if rest.len() > padded {
                    imm_rest = Some(rest[padded..].to_vec());
                }
                idx = idx.checked_add(u32::try_from(padded / 4).ok()?)?;
                continue;
            }
            let step = match self.regs.get(&idx)? {
                Reg::Load {
                    field, len, mask, ..
                } => {
                    let f = self.load_field(idx, field, mask.as_deref());
                    let masked = mask.is_some() && !matches!(f, Field::Hdr(_));
                    out.push(if masked {
                        reg_text(self.regs.get(&idx)?)
                    } else {
                        f.text()
                    });
                    (*len as usize).div_ceil(4).max(1)
                }
                Reg::Imm(v) => {
                    out.push(format_value(*t, v.get(..size.min(v.len()))?));
                    if v.len() > padded {
                        imm_rest = Some(v[padded..].to_vec());
                    }
                    padded / 4
                }
                Reg::Text(s) => {
                    out.push(s.clone());
                    1
                }
                Reg::MapPart => return None,
            };
            idx = idx.checked_add(u32::try_from(step.max(1)).ok()?)?;
        }
        (!out.is_empty()).then_some(out)
    }

    /// Marks the registers after `dreg` that a map lookup's data also fills (data of a
    /// concatenation such as `ipv4_addr . inet_service`), so they read as part of the map.
    pub(super) fn map_data_regs(&mut self, dreg: u32, data_type: Option<u32>) {
        let Some(i) = reg32(dreg) else {
            return;
        };
        let len = data_type
            .filter(|t| *t != DATA_VERDICT)
            .map_or(4, padded_len);
        for k in 1..len.div_ceil(4) {
            let Some(j) = i.checked_add(u32::try_from(k).unwrap_or(u32::MAX)) else {
                return;
            };
            self.regs.insert(j, Reg::MapPart);
            self.hton.remove(&j);
        }
    }
}

impl State<'_> {
    /// The text of the data a set statement writes from register `sreg` into map `set`
    /// (several registers when the map's data is a concatenation).
    pub(super) fn data_text(&self, sreg: u32, set: &str) -> Option<String> {
        let types = self
            .sets
            .sets
            .get(set)
            .and_then(|i| i.data_type)
            .filter(|t| *t != DATA_VERDICT)
            .map(|t| split_concat(t, 0));
        if let Some(parts) = types
            .filter(|t| t.len() > 1)
            .and_then(|t| self.span_parts(sreg, &t))
        {
            return Some(parts.join(" . "));
        }
        self.reg(sreg).map(reg_text)
    }
}

impl State<'_> {
    /// The key length of a lookup into a set no context describes (nft's debug text names
    /// a set it does not declare): the loads written one right after the other into the
    /// registers from `sreg` on, as nft loads a concatenation. One load alone is its own
    /// length.
    pub(super) fn implied_key_len(&self, sreg: u32) -> usize {
        let Some(mut idx) = reg32(sreg) else {
            return 0;
        };
        let mut total = 0usize;
        let mut last: Option<usize> = None;
        while let (Some(Reg::Load { len, .. }), Some(w)) =
            (self.regs.get(&idx), self.written.get(&idx).copied())
        {
            if last.is_some_and(|l| w != l + 1) {
                break;
            }
            let padded = (*len as usize).div_ceil(4).max(1) * 4;
            total += padded;
            last = Some(w);
            let Some(next) = idx.checked_add(u32::try_from(padded / 4).unwrap_or(u32::MAX)) else {
                break;
            };
            idx = next;
        }
        total
    }
}
