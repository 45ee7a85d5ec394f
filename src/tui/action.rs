//! What a key asks for, and what `update` asks of the simulation in return.

use crate::sim::Command;

/// A user intent, independent of which key produced it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Quit,
    TogglePause,
    Step,
    SpeedUp,
    SlowDown,
    FocusNext,
    FocusPrev,
    SelectPrev,
    SelectNext,
    AddProducer,
    RemoveProducer,
    AddConsumer,
    RemoveConsumer,
    CrashConsumer,
    AddGroup,
    ResetEarliest,
    ResetLatest,
    ProcessSlower,
    ProcessFaster,
    ProducerSlower,
    ProducerFaster,
    NextBeat,
    /// Plot lag in records or in time.
    ToggleLagUnit,
    ToggleHelp,
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
