//! What a key asks for, and what `update` asks of the simulation in return.

use crate::sim::Command;

/// A user intent, independent of which key produced it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Leave the program.
    Quit,
    /// Pause or resume simulated time.
    TogglePause,
    /// Advance one tick while paused.
    Step,
    /// Double the speed.
    SpeedUp,
    /// Halve the speed.
    SlowDown,
    /// Focus the next pane.
    FocusNext,
    /// Focus the previous pane.
    FocusPrev,
    /// Select the previous row.
    SelectPrev,
    /// Select the next row.
    SelectNext,
    /// Add a producer to the selected topic.
    AddProducer,
    /// Remove a producer from the selected topic.
    RemoveProducer,
    /// Add a member to the selected group.
    AddConsumer,
    /// Remove a member gracefully.
    RemoveConsumer,
    /// Crash a member: it stops without leaving.
    CrashConsumer,
    /// Add a group reading the selected topic.
    AddGroup,
    /// Reset the selected group's offsets to the log start.
    ResetEarliest,
    /// Reset the selected group's offsets to the end.
    ResetLatest,
    /// Halve the selected group's processing rate.
    ProcessSlower,
    /// Double the selected group's processing rate.
    ProcessFaster,
    /// Halve the selected topic's produce rate.
    ProducerSlower,
    /// Double the selected topic's produce rate.
    ProducerFaster,
    /// Fire the timeline beat presenter mode is holding at.
    NextBeat,
    /// Select the next broker of the cluster, wrapping around.
    NextBroker,
    /// Select the previous broker of the cluster, wrapping around.
    PrevBroker,
    /// Crash the selected broker: no warning, its partitions fail over.
    CrashBroker,
    /// Restart the selected broker: it catches up and rejoins the ISRs.
    RestartBroker,
    /// Stall the selected broker's followers, so they fall behind and leave the ISRs.
    SlowBroker,
    /// Let the selected broker's followers copy at full speed again.
    HealBroker,
    /// Plot lag in records or in time.
    ToggleLagUnit,
    /// Open or close the help.
    ToggleHelp,
    /// Close the help.
    CloseHelp,
}

/// Work that `update` hands to whoever owns the simulation.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Apply a command to the simulation.
    Command(Command),
    /// Advance a paused simulation by this many simulated milliseconds.
    Step(u64),
    /// Let a presenter-held timeline beat fire.
    ReleaseBeat,
}
