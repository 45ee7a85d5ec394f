//! Static membership in the classic protocol (`group.instance.id`, KIP-345): a member that
//! restarts within its session joins under a new member id but takes its old place, with
//! its assignment and no rebalance. The member id it had before is fenced from then on.

use super::super::error::{BrokerError, Result};
use super::super::event::{EventKind, EventLog, LeaveReason};
use super::{Group, GroupState, JoinGroupRequest, JoinResult, MemberPhase};

impl Group {
    /// The member id a static member's instance id maps to now.
    pub fn static_member_id(&self, instance: &str) -> Option<&str> {
        self.static_members.get(instance).map(String::as_str)
    }

    /// Checks a request from `member` that names `instance`: the instance must be known and
    /// mapped to this member id, else the sender is an older incarnation, fenced.
    pub(crate) fn check_static(&self, member: &str, instance: &str) -> Result<()> {
        match self.static_members.get(instance) {
            None => Err(BrokerError::UnknownMemberId {
                group: self.name.clone(),
                member: member.to_string(),
            }),
            Some(id) if id != member => Err(BrokerError::FencedInstanceId {
                group: self.name.clone(),
                instance: instance.to_string(),
                member: member.to_string(),
            }),
            Some(_) => Ok(()),
        }
    }

    pub(super) fn register_static(&mut self, instance: &str, member: &str) {
        if let Some(m) = self.members.get_mut(member) {
            m.instance_id = Some(instance.to_string());
        }
        self.static_members
            .insert(instance.to_string(), member.to_string());
    }

    pub(super) fn forget_static(&mut self, member: &str) {
        self.static_members.retain(|_, id| id != member);
    }

    /// For a JoinGroup naming an instance id: the member id it joins as when it replaces
    /// the instance's previous member (it came without a member id), `None` when the
    /// ordinary path applies. A member id other than the instance's is fenced.
    pub(super) fn static_rejoin(
        &mut self,
        req: &JoinGroupRequest,
        now: i64,
        events: &mut EventLog,
    ) -> Result<Option<String>> {
        let Some(instance) = &req.group_instance_id else {
            return Ok(None);
        };
        let asked = req.member_id.as_deref().filter(|m| !m.is_empty());
        match (asked, self.static_members.get(instance).cloned()) {
            (None, Some(old)) => Ok(Some(self.replace_static(
                instance,
                &old,
                &req.client_id,
                now,
                events,
            ))),
            (Some(id), Some(old)) if id != old => Err(BrokerError::FencedInstanceId {
                group: self.name.clone(),
                instance: instance.clone(),
                member: id.to_string(),
            }),
            _ => Ok(None),
        }
    }

    /// Moves the static member `old` (its assignment, leadership and place in the round)
    /// to a fresh member id. Returns the new id.
    fn replace_static(
        &mut self,
        instance: &str,
        old: &str,
        client_id: &str,
        now: i64,
        events: &mut EventLog,
    ) -> String {
        let new = self.new_member_id(client_id);
        let mut m = self
            .members
            .remove(old)
            .expect("a static member is a member");
        m.id = new.clone();
        m.client_id = client_id.to_string();
        m.last_heartbeat_ms = now;
        self.members.insert(new.clone(), m);
        if self.leader.as_deref() == Some(old) {
            self.leader = Some(new.clone());
        }
        self.static_members
            .insert(instance.to_string(), new.clone());
        events.push(
            now,
            EventKind::MemberRemoved {
                group: self.name.clone(),
                member: old.to_string(),
                reason: LeaveReason::Replaced,
            },
        );
        events.push(
            now,
            EventKind::MemberJoined {
                group: self.name.clone(),
                member: new.clone(),
            },
        );
        new
    }

    /// A replaced static member in a Stable group that still speaks the group's protocol:
    /// it gets the current generation and its old assignment, and nobody rebalances.
    /// `None` when the group must rebalance after all (it was mid-rebalance, or the member
    /// no longer supports the chosen assignor).
    pub(super) fn static_rejoin_in_place(
        &mut self,
        member: &str,
        req: &JoinGroupRequest,
        now: i64,
    ) -> Option<JoinResult> {
        if self.state != GroupState::Stable {
            return None;
        }
        let chosen = self.protocol_name.clone()?;
        if !req.protocols.iter().any(|p| p.name == chosen) {
            return None;
        }
        let m = self.members.get_mut(member)?;
        m.session_timeout_ms = req.session_timeout_ms;
        m.rebalance_timeout_ms = req.rebalance_timeout_ms.max(req.session_timeout_ms);
        m.protocols = req.protocols.clone();
        m.topics = req.topics.clone();
        m.owned = req.owned.clone();
        m.last_heartbeat_ms = now;
        m.phase = MemberPhase::Joined;
        self.join_result(member)
    }
}
