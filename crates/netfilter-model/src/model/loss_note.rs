//! Why a rule is lossy: what its source listing could not express.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One part of a rule its source listing could not express ([`Rule::lossy`](super::Rule::lossy)).
/// Displayed (and serialized) as the sentence nfdiff reports; [`LossNote::parse`] reads the
/// sentence back.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LossNote {
    /// nft 1.0.x text drops an iptables-nft rule's `-m comment` (it leaves a gap in the line).
    CommentDroppedByNftText,
    /// nft JSON shows `xt match comment` without the comment text.
    XtCommentHidden,
    /// An xt compat extension whose options nft does not show.
    XtOptionsHidden {
        /// `match`, `target` or `watcher`.
        kind: String,
        /// The extension's name (`conntrack`, `MARK`).
        name: String,
        /// The listing that hid them.
        listing: Listing,
    },
    /// nft before 1.0.1 lists every xt expression as `{"xt": null}`.
    XtUnidentified,
    /// A match written after a side effect (`log ... limit rate 5/second drop`): the model
    /// evaluates every match first. Both parts are nft text.
    MatchAfterStatement {
        /// The match, as listed.
        matched: String,
        /// The statement before it, as listed.
        statement: String,
    },
    /// Any other loss, in words.
    Other(String),
}

/// The listing that lost a part of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Listing {
    /// `nft list ruleset`.
    NftText,
    /// `nft -j list ruleset`.
    NftJson,
}

const COMMENT_DROPPED: &str = "comment dropped by nft text listing";
const XT_COMMENT: &str = "xt match comment: the comment text is not shown by nft JSON";
const XT_UNIDENTIFIED: &str = "xt expression: nft JSON shows neither its kind, name nor options";
const TEXT_HIDES: &str = ": nft does not show the extension's options";
const JSON_HIDES: &str = ": its options are not shown by nft JSON";

impl LossNote {
    /// Whether the note only says the rule's comment was lost.
    pub fn is_comment(&self) -> bool {
        match self {
            LossNote::CommentDroppedByNftText | LossNote::XtCommentHidden => true,
            LossNote::Other(s) => s.starts_with("comment") || s.starts_with("xt match comment"),
            _ => false,
        }
    }

    /// Reads a note's sentence back ([`Other`](LossNote::Other) when it is none of the
    /// known ones).
    pub fn parse(text: &str) -> LossNote {
        match text {
            COMMENT_DROPPED => return LossNote::CommentDroppedByNftText,
            XT_COMMENT => return LossNote::XtCommentHidden,
            XT_UNIDENTIFIED => return LossNote::XtUnidentified,
            _ => {}
        }
        for (suffix, listing) in [
            (TEXT_HIDES, Listing::NftText),
            (JSON_HIDES, Listing::NftJson),
        ] {
            if let Some(head) = text
                .strip_suffix(suffix)
                .and_then(|t| t.strip_prefix("xt "))
            {
                if let Some((kind, name)) = head.split_once(' ') {
                    if !name.contains(' ') {
                        return LossNote::XtOptionsHidden {
                            kind: kind.to_string(),
                            name: name.to_string(),
                            listing,
                        };
                    }
                }
            }
        }
        if let Some((matched, statement)) = text
            .strip_prefix("match `")
            .and_then(|t| t.strip_suffix("` in the source"))
            .and_then(|t| t.split_once("` comes after statement `"))
        {
            return LossNote::MatchAfterStatement {
                matched: matched.to_string(),
                statement: statement.to_string(),
            };
        }
        LossNote::Other(text.to_string())
    }
}

impl fmt::Display for LossNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LossNote::CommentDroppedByNftText => f.write_str(COMMENT_DROPPED),
            LossNote::XtCommentHidden => f.write_str(XT_COMMENT),
            LossNote::XtUnidentified => f.write_str(XT_UNIDENTIFIED),
            LossNote::XtOptionsHidden {
                kind,
                name,
                listing,
            } => {
                let tail = match listing {
                    Listing::NftText => TEXT_HIDES,
                    Listing::NftJson => JSON_HIDES,
                };
                write!(f, "xt {kind} {name}{tail}")
            }
            LossNote::MatchAfterStatement { matched, statement } => {
                write!(
                    f,
                    "match `{matched}` comes after statement `{statement}` in the source"
                )
            }
            LossNote::Other(s) => f.write_str(s),
        }
    }
}

/// [`LossNote::parse`].
impl From<&str> for LossNote {
    fn from(text: &str) -> LossNote {
        LossNote::parse(text)
    }
}

impl Serialize for LossNote {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for LossNote {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<LossNote, D::Error> {
        Ok(LossNote::parse(&String::deserialize(d)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_note_reads_back_from_its_sentence() {
        let notes = [
            LossNote::CommentDroppedByNftText,
            LossNote::XtCommentHidden,
            LossNote::XtUnidentified,
            LossNote::XtOptionsHidden {
                kind: "match".into(),
                name: "conntrack".into(),
                listing: Listing::NftJson,
            },
            LossNote::XtOptionsHidden {
                kind: "target".into(),
                name: "MARK".into(),
                listing: Listing::NftText,
            },
            LossNote::MatchAfterStatement {
                matched: "limit rate 5/second".into(),
                statement: "log".into(),
            },
            LossNote::Other("comment dropped".into()),
        ];
        for n in notes {
            assert_eq!(LossNote::parse(&n.to_string()), n, "{n}");
            let json = serde_json::to_string(&n).unwrap();
            assert_eq!(json, serde_json::to_string(&n.to_string()).unwrap());
            assert_eq!(serde_json::from_str::<LossNote>(&json).unwrap(), n);
        }
        assert_eq!(
            LossNote::XtOptionsHidden {
                kind: "match".into(),
                name: "conntrack".into(),
                listing: Listing::NftText,
            }
            .to_string(),
            "xt match conntrack: nft does not show the extension's options"
        );
        assert!(LossNote::CommentDroppedByNftText.is_comment());
        assert!(LossNote::Other("comment dropped".into()).is_comment());
        assert!(!LossNote::XtUnidentified.is_comment());
    }
}
