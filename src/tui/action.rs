//! What a key asks for, and what `update` asks of the simulation in return.

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
    ToggleHelp,
    CloseHelp,
}

/// A change to the running simulation, named after the simulation's own commands so the
/// mapping stays one-to-one.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    AddProducer { topic: String },
    RemoveProducer { topic: String },
    ScaleProducerRate { topic: String, factor: f64 },
    AddConsumer { group: String },
    RemoveConsumer { group: String },
    CrashConsumer { group: String },
    AddGroup { topics: Vec<String> },
    ResetOffsets { group: String, earliest: bool },
    ScaleProcessRate { group: String, factor: f64 },
}

/// Work that `update` hands to whoever owns the simulation.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Apply a command to the simulation.
    Command(Request),
    /// Advance a paused simulation by this many simulated milliseconds.
    Step(u64),
    /// Let a presenter-held timeline beat fire.
    ReleaseBeat,
}
