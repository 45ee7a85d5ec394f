//! A member of a consumer-protocol group, and its reconciliation: how its assignment moves
//! towards the target one step at a time so no partition is ever owned twice (Kafka's
//! `CurrentAssignmentBuilder`).

use std::collections::BTreeSet;

use super::super::super::assignor::TopicPartition;

/// Where a member stands on its way to the target assignment, as Kafka's coordinator
/// tracks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReconcileState {
    /// It holds its target for its epoch, or is on its way with nothing to wait for.
    Stable,
    /// It was asked to give partitions up and has not yet reported them gone. Its epoch
    /// stays put until it does, and it gets nothing new meanwhile.
    UnrevokedPartitions,
    /// Some of its target partitions are still held by other members; it gets each once
    /// its holder has let go.
    UnreleasedPartitions,
}

impl ReconcileState {
    /// The state's name as Kafka's ConsumerGroupDescribe shows it.
    pub fn name(self) -> &'static str {
        match self {
            ReconcileState::Stable => "stable",
            ReconcileState::UnrevokedPartitions => "unrevoked_partitions",
            ReconcileState::UnreleasedPartitions => "unreleased_partitions",
        }
    }
}

/// A member as the coordinator keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerMember {
    pub(super) id: String,
    pub(super) instance_id: Option<String>,
    pub(super) client_id: String,
    pub(super) epoch: i32,
    pub(super) previous_epoch: i32,
    pub(super) state: ReconcileState,
    pub(super) rebalance_timeout_ms: i64,
    pub(super) subscribed: Vec<String>,
    pub(super) server_assignor: Option<String>,
    /// What it may own now.
    pub(super) assigned: BTreeSet<TopicPartition>,
    /// What it was asked to give up and may still be working on.
    pub(super) pending_revocation: BTreeSet<TopicPartition>,
    pub(super) last_heartbeat_ms: i64,
    /// When a revocation it has not finished times out (the rebalance timeout).
    pub(super) revoke_deadline_ms: Option<i64>,
}

impl ConsumerMember {
    pub(super) fn new(id: String, client_id: &str, now: i64) -> Self {
        ConsumerMember {
            id,
            instance_id: None,
            client_id: client_id.to_string(),
            epoch: 0,
            previous_epoch: 0,
            state: ReconcileState::Stable,
            rebalance_timeout_ms: 300_000,
            subscribed: Vec::new(),
            server_assignor: None,
            assigned: BTreeSet::new(),
            pending_revocation: BTreeSet::new(),
            last_heartbeat_ms: now,
            revoke_deadline_ms: None,
        }
    }

    /// The member id.
    pub fn id(&self) -> &str {
        &self.id
    }
    /// `group.instance.id`, for a static member.
    pub fn instance_id(&self) -> Option<&str> {
        self.instance_id.as_deref()
    }
    /// The id the client gave itself.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }
    /// Its epoch: the target assignment epoch it has reached, or −2 while a static member
    /// is away.
    pub fn epoch(&self) -> i32 {
        self.epoch
    }
    /// Where it stands in reconciliation.
    pub fn state(&self) -> ReconcileState {
        self.state
    }
    /// Subscribed topics, sorted.
    pub fn topics(&self) -> &[String] {
        &self.subscribed
    }
    /// The server-side assignor it asked for, if any.
    pub fn server_assignor(&self) -> Option<&str> {
        self.server_assignor.as_deref()
    }
    /// The partitions it may own now, sorted.
    pub fn assigned(&self) -> impl ExactSizeIterator<Item = &TopicPartition> {
        self.assigned.iter()
    }
    /// The partitions it was asked to give up and has not yet reported gone.
    pub fn pending_revocation(&self) -> impl ExactSizeIterator<Item = &TopicPartition> {
        self.pending_revocation.iter()
    }
    /// When it last heartbeated.
    pub fn last_heartbeat_ms(&self) -> i64 {
        self.last_heartbeat_ms
    }
    /// Whether it holds the target assignment of `epoch` and waits on nothing.
    pub fn is_reconciled_to(&self, epoch: i32) -> bool {
        self.state == ReconcileState::Stable && self.epoch == epoch
    }

    /// Every partition it may still be working on: assigned or being revoked.
    pub(super) fn held(&self) -> impl Iterator<Item = &TopicPartition> {
        self.assigned.iter().chain(&self.pending_revocation)
    }

    pub(super) fn set_epoch(&mut self, epoch: i32) {
        if epoch != self.epoch {
            self.previous_epoch = self.epoch;
            self.epoch = epoch;
        }
    }
}

/// A member's next assignment state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Reconciled {
    pub state: ReconcileState,
    pub epoch: i32,
    pub assigned: BTreeSet<TopicPartition>,
    pub pending_revocation: BTreeSet<TopicPartition>,
}

/// The target a member reconciles towards, and who holds what now.
pub(super) struct Target<'a> {
    pub epoch: i32,
    pub partitions: &'a BTreeSet<TopicPartition>,
    /// Whether a partition is held by any member (assigned or being revoked).
    pub held: &'a dyn Fn(&TopicPartition) -> bool,
}

/// Moves `m` one step towards `target`, given the partitions it reported owning (`None`:
/// not reported, taken as still owning everything). `None` when it cannot move yet.
pub(super) fn reconcile(
    m: &ConsumerMember,
    target: &Target<'_>,
    owned: Option<&[TopicPartition]>,
) -> Option<Reconciled> {
    match m.state {
        ReconcileState::Stable if m.epoch == target.epoch => None,
        ReconcileState::Stable | ReconcileState::UnreleasedPartitions => {
            Some(next_assignment(m.epoch, &m.assigned, target, owned))
        }
        ReconcileState::UnrevokedPartitions => {
            if owns_any(owned, &m.pending_revocation) {
                return None;
            }
            Some(next_assignment(m.epoch + 1, &m.assigned, target, owned))
        }
    }
}

/// Whether the member still owns any of `revoking`, as far as its report says.
fn owns_any(owned: Option<&[TopicPartition]>, revoking: &BTreeSet<TopicPartition>) -> bool {
    owned.is_none_or(|owned| owned.iter().any(|tp| revoking.contains(tp)))
}

/// Revocation first: a member that must give partitions up keeps its epoch and gets
/// nothing new until it has; otherwise it moves to the target epoch and takes every target
/// partition no one else holds, waiting for the rest.
fn next_assignment(
    epoch: i32,
    assigned: &BTreeSet<TopicPartition>,
    target: &Target<'_>,
    owned: Option<&[TopicPartition]>,
) -> Reconciled {
    let kept: BTreeSet<TopicPartition> =
        assigned.intersection(target.partitions).cloned().collect();
    let revoke: BTreeSet<TopicPartition> = assigned.difference(&kept).cloned().collect();
    if !revoke.is_empty() && owns_any(owned, &revoke) {
        return Reconciled {
            state: ReconcileState::UnrevokedPartitions,
            epoch,
            assigned: kept,
            pending_revocation: revoke,
        };
    }
    let (free, unreleased): (Vec<TopicPartition>, Vec<TopicPartition>) = target
        .partitions
        .difference(&kept)
        .cloned()
        .partition(|tp| !(target.held)(tp));
    let mut assigned = kept;
    assigned.extend(free);
    Reconciled {
        state: if unreleased.is_empty() {
            ReconcileState::Stable
        } else {
            ReconcileState::UnreleasedPartitions
        },
        epoch: target.epoch,
        assigned,
        pending_revocation: BTreeSet::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tps(ps: &[u32]) -> BTreeSet<TopicPartition> {
        ps.iter().map(|&p| TopicPartition::new("t", p)).collect()
    }

    fn member(epoch: i32, assigned: &[u32]) -> ConsumerMember {
        let mut m = ConsumerMember::new("m".into(), "c", 0);
        m.epoch = epoch;
        m.assigned = tps(assigned);
        m
    }

    #[test]
    fn partitions_leaving_are_revoked_before_anything_new_arrives() {
        let m = member(1, &[0, 1]);
        let target = tps(&[1, 2]);
        let none = |_: &TopicPartition| false;
        let t = Target {
            epoch: 2,
            partitions: &target,
            held: &none,
        };
        let owned: Vec<_> = tps(&[0, 1]).into_iter().collect();
        let r = reconcile(&m, &t, Some(&owned)).unwrap();
        assert_eq!(r.state, ReconcileState::UnrevokedPartitions);
        assert_eq!(
            (r.epoch, r.assigned, r.pending_revocation),
            (1, tps(&[1]), tps(&[0]))
        );
    }

    #[test]
    fn once_revoked_the_member_takes_free_partitions_and_waits_for_held_ones() {
        let mut m = member(1, &[1]);
        m.state = ReconcileState::UnrevokedPartitions;
        m.pending_revocation = tps(&[0]);
        let target = tps(&[1, 2, 3]);
        let held = |tp: &TopicPartition| tp.partition == 3;
        let t = Target {
            epoch: 2,
            partitions: &target,
            held: &held,
        };
        let still: Vec<_> = tps(&[0, 1]).into_iter().collect();
        assert_eq!(reconcile(&m, &t, Some(&still)), None, "still owns p0");
        assert_eq!(reconcile(&m, &t, None), None, "no report: still owns it");
        let owned: Vec<_> = tps(&[1]).into_iter().collect();
        let r = reconcile(&m, &t, Some(&owned)).unwrap();
        assert_eq!(r.state, ReconcileState::UnreleasedPartitions);
        assert_eq!((r.epoch, r.assigned), (2, tps(&[1, 2])));
    }

    #[test]
    fn a_reconciled_member_stays_put() {
        let m = member(2, &[1]);
        let target = tps(&[1]);
        let none = |_: &TopicPartition| false;
        let t = Target {
            epoch: 2,
            partitions: &target,
            held: &none,
        };
        assert_eq!(reconcile(&m, &t, None), None);
        assert!(m.is_reconciled_to(2));
    }
}
