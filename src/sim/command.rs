//! Runtime control of a running simulation. Timeline beats are commands too, so a scripted
//! talk and a live audience drive the simulation through one mechanism.

use crate::broker::{BrokerId, ResetSpec};

/// Something an operator (a key press, a timeline beat) asks the simulation to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Starts one more producer on `topic`, configured like the newest one already there.
    AddProducer {
        /// The topic.
        topic: String,
    },
    /// Stops the newest active producer on `topic`.
    RemoveProducer {
        /// The topic.
        topic: String,
    },
    /// Sets every active producer on `topic` to `rate` records per simulated second.
    SetProducerRate {
        /// The topic.
        topic: String,
        /// Records per simulated second.
        rate: f64,
    },
    /// Multiplies the rate of every active producer on `topic` by `factor`.
    ScaleProducerRate {
        /// The topic.
        topic: String,
        /// What the rate is multiplied by.
        factor: f64,
    },
    /// Starts one more member in `group`; it joins, which triggers a rebalance.
    AddConsumer {
        /// The group id.
        group: String,
    },
    /// The newest live member leaves gracefully (LeaveGroup): an immediate rebalance.
    RemoveConsumer {
        /// The group id.
        group: String,
    },
    /// A member stops dead without leaving: it is expelled only when its session times out.
    CrashConsumer {
        /// The group id.
        group: String,
    },
    /// The member that has run longest stops as its client's `close()` does, and starts
    /// again after `downtime_ms`, with the same `group.instance.id` if the group is static.
    /// A static member back within its session gets its partitions with no rebalance.
    RestartConsumer {
        /// The group id.
        group: String,
        /// How long it stays away, in simulated ms.
        downtime_ms: i64,
    },
    /// Creates a group with default settings and one member; `None` picks a fresh name.
    AddGroup {
        /// `None` picks a fresh name.
        name: Option<String>,
        /// The topics it reads; empty for all the scenario's topics.
        topics: Vec<String>,
    },
    /// Moves the group's committed offsets. Kafka refuses this while the group has members,
    /// so the members leave, the offsets move, and as many members join again.
    ResetOffsets {
        /// The group id.
        group: String,
        /// Where the offsets move.
        to: ResetSpec,
    },
    /// Sets each member's processing rate in records per simulated second.
    SetProcessRate {
        /// The group id.
        group: String,
        /// Records per simulated second.
        rate: f64,
    },
    /// Multiplies each member's processing rate by `factor`.
    ScaleProcessRate {
        /// The group id.
        group: String,
        /// What the rate is multiplied by.
        factor: f64,
    },
    /// Members stop polling and processing but keep heartbeating, like `KafkaConsumer::pause`.
    PauseGroup {
        /// The group id.
        group: String,
    },
    /// Undoes [`Command::PauseGroup`].
    ResumeGroup {
        /// The group id.
        group: String,
    },
    /// A broker dies without warning: its partitions fail over, or go offline.
    CrashBroker {
        /// One of the cluster's brokers.
        broker: BrokerId,
    },
    /// A crashed or stopped broker comes back, catches up and rejoins the ISRs.
    RestartBroker {
        /// One of the cluster's brokers.
        broker: BrokerId,
    },
    /// Controlled shutdown: the broker hands its leaderships over, then stops.
    StopBroker {
        /// One of the cluster's brokers.
        broker: BrokerId,
    },
    /// The broker's followers copy only `rate` records per second (0 stalls them).
    SlowBroker {
        /// One of the cluster's brokers.
        broker: BrokerId,
        /// Records per second.
        rate: f64,
    },
    /// Undoes [`Command::SlowBroker`].
    HealBroker {
        /// One of the cluster's brokers.
        broker: BrokerId,
    },
}

impl Command {
    /// The action's name as written in a scenario's `[[timeline]]`.
    pub fn action_name(&self) -> &'static str {
        match self {
            Command::AddProducer { .. } => "add_producer",
            Command::RemoveProducer { .. } => "remove_producer",
            Command::SetProducerRate { .. } => "set_producer_rate",
            Command::ScaleProducerRate { .. } => "scale_producer_rate",
            Command::AddConsumer { .. } => "add_consumer",
            Command::RemoveConsumer { .. } => "remove_consumer",
            Command::CrashConsumer { .. } => "crash_consumer",
            Command::RestartConsumer { .. } => "restart_consumer",
            Command::AddGroup { .. } => "add_group",
            Command::ResetOffsets { .. } => "reset_offsets",
            Command::SetProcessRate { .. } => "set_process_rate",
            Command::ScaleProcessRate { .. } => "scale_process_rate",
            Command::PauseGroup { .. } => "pause_group",
            Command::ResumeGroup { .. } => "resume_group",
            Command::CrashBroker { .. } => "crash_broker",
            Command::RestartBroker { .. } => "restart_broker",
            Command::StopBroker { .. } => "stop_broker",
            Command::SlowBroker { .. } => "slow_broker",
            Command::HealBroker { .. } => "heal_broker",
        }
    }
}
