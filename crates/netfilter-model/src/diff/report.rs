//! Plain-data report types of a ruleset diff; renderers format them.

use crate::model::{Backend, Family, IfacePattern};

/// The result of comparing an OLD ruleset with a NEW one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct RulesetDiff {
    /// Whether nothing comparable differs (rules that cannot be compared because a
    /// source was lossy do not make the rulesets unequal; see [`RuleCounts::not_comparable`]).
    pub equal: bool,
    /// Every chain of either side, grouped by table, including unchanged ones.
    pub chains: Vec<ChainDiff>,
    /// Every named set or map of either side.
    pub sets: Vec<SetDiff>,
    /// Every other named object of either side.
    pub objects: Vec<ObjectDiff>,
    /// Totals and the interface/owner overview.
    pub summary: DiffSummary,
}

/// How one chain, set or object compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum DiffStatus {
    /// Present in OLD only.
    OnlyOld,
    /// Present in NEW only.
    OnlyNew,
    /// Present in both, with differences.
    Changed,
    /// Present in both, without comparable differences.
    Same,
}

impl DiffStatus {
    /// The stable snake_case name (`only_old`, `only_new`, `changed`, `same`).
    pub fn as_str(self) -> &'static str {
        match self {
            DiffStatus::OnlyOld => "only_old",
            DiffStatus::OnlyNew => "only_new",
            DiffStatus::Changed => "changed",
            DiffStatus::Same => "same",
        }
    }

    /// The status seen from the other side (OLD and NEW swapped).
    pub fn mirrored(self) -> DiffStatus {
        match self {
            DiffStatus::OnlyOld => DiffStatus::OnlyNew,
            DiffStatus::OnlyNew => DiffStatus::OnlyOld,
            s => s,
        }
    }
}

/// A property that differs between OLD and NEW; `None` where a side lacks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change<F> {
    /// Which property.
    pub field: F,
    /// Its value in OLD.
    pub old: Option<String>,
    /// Its value in NEW.
    pub new: Option<String>,
}

/// Chain properties compared besides the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChainField {
    /// Base-chain hook (`None`: a user chain).
    Hook,
    /// Base-chain priority, as a number.
    Priority,
    /// Base-chain type (`filter`, `nat`, `route`).
    Type,
    /// Base-chain policy.
    Policy,
    /// Netdev devices, comma-separated.
    Devices,
    /// Chain comment.
    Comment,
}

impl ChainField {
    /// The stable lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            ChainField::Hook => "hook",
            ChainField::Priority => "priority",
            ChainField::Type => "type",
            ChainField::Policy => "policy",
            ChainField::Devices => "devices",
            ChainField::Comment => "comment",
        }
    }
}

/// How one chain compares, rule by rule.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChainDiff {
    /// Address family of its table.
    pub family: Family,
    /// Table name.
    pub table: String,
    /// Chain name.
    pub chain: String,
    /// Backend of the OLD table holding it, if OLD has it.
    pub old_backend: Option<Backend>,
    /// Backend of the NEW table holding it, if NEW has it.
    pub new_backend: Option<Backend>,
    /// Overall status.
    pub status: DiffStatus,
    /// Differences of hook, priority, type, policy, devices, comment.
    pub changes: Vec<Change<ChainField>>,
    /// Rule operations in diff order: every rule of both sides appears once
    /// (a moved rule once, as a [`RuleOpKind::Move`] at its NEW position).
    pub rules: Vec<RuleOp>,
    /// Number of rules in OLD.
    pub old_rules: usize,
    /// Number of rules in NEW.
    pub new_rules: usize,
}

impl ChainDiff {
    /// Counts of the rule operations of this chain.
    pub fn rule_counts(&self) -> RuleCounts {
        let mut c = RuleCounts::default();
        for op in &self.rules {
            c.add(op);
        }
        c
    }
}

/// What happened to one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RuleOpKind {
    /// In both, at aligned positions.
    Equal,
    /// In OLD only.
    Delete,
    /// In NEW only.
    Insert,
    /// In both, at a different position relative to the other rules.
    Move,
}

impl RuleOpKind {
    /// The stable lowercase name (`equal`, `delete`, `insert`, `move`).
    pub fn as_str(self) -> &'static str {
        match self {
            RuleOpKind::Equal => "equal",
            RuleOpKind::Delete => "delete",
            RuleOpKind::Insert => "insert",
            RuleOpKind::Move => "move",
        }
    }
}

/// One rule in the diff.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RuleOp {
    /// What happened to it.
    pub op: RuleOpKind,
    /// 1-based position in the OLD chain (`None` for an insert).
    pub old_index: Option<usize>,
    /// 1-based position in the NEW chain (`None` for a delete).
    pub new_index: Option<usize>,
    /// Canonical text of the rule: OLD's for equal, delete and move; NEW's for insert.
    pub rule: String,
    /// NEW's canonical text when it differs from `rule` although the rules were
    /// paired (comments ignored, or lossy parts that cannot be compared).
    pub new_rule: Option<String>,
    /// `false` when a side is lossy for this rule (a part the source could not
    /// express), so equality could not be fully checked.
    pub comparable: bool,
}

impl RuleOp {
    /// Whether a reader should see this line as a difference: anything but an
    /// equal pair, and also an equal pair whose texts differ in parts that could
    /// not be compared.
    pub fn is_change(&self) -> bool {
        self.op != RuleOpKind::Equal || (!self.comparable && self.new_rule.is_some())
    }
}

/// Named set properties compared besides the elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SetField {
    /// Key type.
    KeyType,
    /// Data type of a map.
    DataType,
    /// Flags, comma-separated.
    Flags,
    /// Other properties, `; `-separated.
    Extra,
    /// Comment.
    Comment,
}

impl SetField {
    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            SetField::KeyType => "key_type",
            SetField::DataType => "data_type",
            SetField::Flags => "flags",
            SetField::Extra => "extra",
            SetField::Comment => "comment",
        }
    }
}

/// How one named set or map compares, element by element.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SetDiff {
    /// Address family of its table.
    pub family: Family,
    /// Table name.
    pub table: String,
    /// Set name.
    pub set: String,
    /// Backend of the OLD table, if OLD has the set.
    pub old_backend: Option<Backend>,
    /// Backend of the NEW table, if NEW has the set.
    pub new_backend: Option<Backend>,
    /// Overall status.
    pub status: DiffStatus,
    /// Differing properties.
    pub changes: Vec<Change<SetField>>,
    /// Elements in OLD only, in OLD's order.
    pub removed: Vec<String>,
    /// Elements in NEW only, in NEW's order.
    pub added: Vec<String>,
    /// Number of elements in OLD.
    pub old_elements: usize,
    /// Number of elements in NEW.
    pub new_elements: usize,
}

/// How one named object (counter, quota, flowtable, ...) compares, by value.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ObjectDiff {
    /// Address family of its table.
    pub family: Family,
    /// Table name.
    pub table: String,
    /// Object kind (`counter`, `quota`, `ct helper`, ...).
    pub kind: String,
    /// Object name.
    pub name: String,
    /// Backend of the OLD table, if OLD has it.
    pub old_backend: Option<Backend>,
    /// Backend of the NEW table, if NEW has it.
    pub new_backend: Option<Backend>,
    /// Overall status.
    pub status: DiffStatus,
    /// Its definition in OLD.
    pub old_body: Option<String>,
    /// Its definition in NEW.
    pub new_body: Option<String>,
}

/// How many chains, sets or objects have each status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StatusCounts {
    /// In OLD only.
    pub only_old: usize,
    /// In NEW only.
    pub only_new: usize,
    /// Changed.
    pub changed: usize,
    /// Unchanged.
    pub same: usize,
}

impl StatusCounts {
    /// Counts one more item of this status.
    pub fn add(&mut self, s: DiffStatus) {
        match s {
            DiffStatus::OnlyOld => self.only_old += 1,
            DiffStatus::OnlyNew => self.only_new += 1,
            DiffStatus::Changed => self.changed += 1,
            DiffStatus::Same => self.same += 1,
        }
    }

    /// Whether any item differs.
    pub fn any_difference(&self) -> bool {
        self.only_old + self.only_new + self.changed > 0
    }
}

/// How many rule operations of each kind a diff has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RuleCounts {
    /// Equal pairs.
    pub equal: usize,
    /// Rules in OLD only.
    pub deleted: usize,
    /// Rules in NEW only.
    pub inserted: usize,
    /// Rules in both at different relative positions.
    pub moved: usize,
    /// Operations whose rule a lossy source kept only in part (any kind).
    pub not_comparable: usize,
}

impl RuleCounts {
    /// Counts one operation.
    pub fn add(&mut self, op: &RuleOp) {
        match op.op {
            RuleOpKind::Equal => self.equal += 1,
            RuleOpKind::Delete => self.deleted += 1,
            RuleOpKind::Insert => self.inserted += 1,
            RuleOpKind::Move => self.moved += 1,
        }
        if !op.comparable {
            self.not_comparable += 1;
        }
    }
}

/// Chains and rules owned by one tool, by chain-name prefix, on each side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerCounts {
    /// The owner prefix (`cali-`, `KUBE-`, `DOCKER`, `CNI-`) or `other`.
    pub owner: String,
    /// Chains in OLD.
    pub old_chains: usize,
    /// Rules in OLD.
    pub old_rules: usize,
    /// Chains in NEW.
    pub new_chains: usize,
    /// Rules in NEW.
    pub new_rules: usize,
}

/// The answer to "what differs" at a glance.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct DiffSummary {
    /// Chains by status.
    pub chains: StatusCounts,
    /// Named sets by status.
    pub sets: StatusCounts,
    /// Named objects by status.
    pub objects: StatusCounts,
    /// Rule operations over all chains.
    pub rules: RuleCounts,
    /// Interface names and prefixes that only OLD references, sorted.
    pub interfaces_only_old: Vec<IfacePattern>,
    /// Interface names and prefixes that only NEW references, sorted.
    pub interfaces_only_new: Vec<IfacePattern>,
    /// Per owner prefix, in the order of [`super::OWNERS`] then `other`; owners
    /// with nothing on either side are left out.
    pub owners: Vec<OwnerCounts>,
}

impl std::fmt::Display for DiffStatus {
    /// The stable name ([`DiffStatus::as_str`]).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Display for ChainField {
    /// The stable name ([`ChainField::as_str`]).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Display for RuleOpKind {
    /// The stable name ([`RuleOpKind::as_str`]).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Display for SetField {
    /// The stable name ([`SetField::as_str`]).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
