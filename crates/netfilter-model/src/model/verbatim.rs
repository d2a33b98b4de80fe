//! One spelling for verbatim nft text: anonymous sets sorted, set elements in natural order.

use std::cmp::Ordering;

/// Compares two strings with runs of decimal digits compared by value, so `10.0.0.2`
/// sorts before `10.0.0.10` and `22` before `143`; ties are broken by the plain text,
/// so the order is total and equal only for equal strings.
pub(crate) fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (x, y) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < x.len() && j < y.len() {
        if x[i].is_ascii_digit() && y[j].is_ascii_digit() {
            let si = i;
            while i < x.len() && x[i].is_ascii_digit() {
                i += 1;
            }
            let sj = j;
            while j < y.len() && y[j].is_ascii_digit() {
                j += 1;
            }
            // Compare digit runs by value without overflow: strip leading zeros, then
            // the longer run is larger, then lexicographic.
            let ra = trim_zeros(&x[si..i]);
            let rb = trim_zeros(&y[sj..j]);
            let o = ra.len().cmp(&rb.len()).then_with(|| ra.cmp(rb));
            if o != Ordering::Equal {
                return o;
            }
        } else {
            let o = x[i].cmp(&y[j]);
            if o != Ordering::Equal {
                return o;
            }
            i += 1;
            j += 1;
        }
    }
    (x.len() - i).cmp(&(y.len() - j)).then_with(|| a.cmp(b))
}

fn trim_zeros(d: &[u8]) -> &[u8] {
    let k = d.iter().take_while(|c| **c == b'0').count();
    &d[k.min(d.len().saturating_sub(1))..]
}

/// Sorts a list of elements in natural order and removes duplicates.
pub(crate) fn sort_elements(items: &mut Vec<String>) {
    items.sort_by(|a, b| natural_cmp(a, b));
    items.dedup();
}

/// One group being read: finished elements and the element being built.
#[derive(Default)]
struct Group {
    elements: Vec<String>,
    current: String,
}

impl Group {
    fn finish_element(&mut self) {
        let e = self.current.trim().to_string();
        self.current.clear();
        if !e.is_empty() {
            self.elements.push(e);
        }
    }

    fn render(mut self) -> String {
        self.finish_element();
        sort_elements(&mut self.elements);
        if self.elements.is_empty() {
            return "{ }".to_string();
        }
        format!("{{ {} }}", self.elements.join(", "))
    }
}

/// Rewrites every `{ a, b, ... }` group of verbatim nft text (anonymous sets, maps,
/// verdict maps, object policies) with its comma-separated elements trimmed and in
/// natural order, so listings that order them differently read the same. Quoted
/// strings are copied unchanged. Text with unbalanced braces or quotes comes back
/// as it was. A `{` opens a group only at the start or after a blank, as nft prints
/// them: one glued to a word (`--{-}` in the arguments of an unknown iptables target) is
/// part of that word, and re-spacing it would split the word. Iterative: nesting depth
/// costs memory, never stack.
pub(crate) fn sort_anonymous_sets(text: &str) -> String {
    if !text.contains('{') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut stack: Vec<Group> = Vec::new();
    let mut chars = text.chars();
    let mut after_blank = true;
    while let Some(c) = chars.next() {
        let opens = after_blank;
        after_blank = c.is_whitespace();
        match c {
            '"' => {
                let mut s = String::from('"');
                let mut closed = false;
                while let Some(n) = chars.next() {
                    s.push(n);
                    if n == '\\' {
                        if let Some(e) = chars.next() {
                            s.push(e);
                        }
                    } else if n == '"' {
                        closed = true;
                        break;
                    }
                }
                if !closed {
                    return text.to_string();
                }
                match stack.last_mut() {
                    Some(g) => g.current.push_str(&s),
                    None => out.push_str(&s),
                }
            }
            '{' if opens => stack.push(Group::default()),
            '}' => {
                let Some(g) = stack.pop() else {
                    return text.to_string();
                };
                let r = g.render();
                match stack.last_mut() {
                    Some(p) => p.current.push_str(&r),
                    None => out.push_str(&r),
                }
            }
            ',' if !stack.is_empty() => {
                if let Some(g) = stack.last_mut() {
                    g.finish_element();
                }
            }
            c => match stack.last_mut() {
                Some(g) => g.current.push(c),
                None => out.push(c),
            },
        }
    }
    if !stack.is_empty() {
        return text.to_string();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_brace_glued_to_a_word_is_part_of_it() {
        assert_eq!(sort_anonymous_sets("--{-}"), "--{-}");
        assert_eq!(sort_anonymous_sets("--set x{b,a} y"), "--set x{b,a} y");
        assert_eq!(sort_anonymous_sets("ip saddr {b,a}"), "ip saddr { a, b }");
        assert_eq!(sort_anonymous_sets("{ { b, a }, c }"), "{ c, { a, b } }");
    }

    #[test]
    fn natural_order() {
        let mut v: Vec<String> = ["10.0.0.10", "10.0.0.2", "143", "25", "a", "0x02", "2"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        sort_elements(&mut v);
        assert_eq!(v, ["0x02", "2", "10.0.0.2", "10.0.0.10", "25", "143", "a"]);
        assert_eq!(natural_cmp("01", "1"), "01".cmp("1"));
        assert_eq!(natural_cmp("x", "x"), Ordering::Equal);
    }

    #[test]
    fn anonymous_sets_are_sorted() {
        assert_eq!(
            sort_anonymous_sets("icmpv6 type { nd-router-advert, nd-neighbor-solicit } accept"),
            "icmpv6 type { nd-neighbor-solicit, nd-router-advert } accept"
        );
        assert_eq!(
            sort_anonymous_sets("ct state vmap {invalid : drop,established : accept}"),
            "ct state vmap { established : accept, invalid : drop }"
        );
        // Nested groups and quoted commas.
        assert_eq!(
            sort_anonymous_sets(r#"x { b { 2, 1 }, "c,d", a }"#),
            r#"x { "c,d", a, b { 1, 2 } }"#
        );
        // Unbalanced text is left alone.
        assert_eq!(sort_anonymous_sets("a { b, c"), "a { b, c");
        assert_eq!(sort_anonymous_sets("a } b"), "a } b");
        assert_eq!(sort_anonymous_sets("\"a {"), "\"a {");
    }
}
