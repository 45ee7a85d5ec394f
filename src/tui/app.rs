//! The UI's own state: focus, selection, speed, pause, help, and a short log of what the
//! user's commands did. Everything about Kafka itself lives in the simulation.

use std::collections::VecDeque;

use super::theme::Theme;

/// Simulation speeds offered by `+` and `-`, as multiples of real time.
pub const SPEEDS: [f64; 9] = [0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0];
const NORMAL_SPEED: usize = 2;

/// How far `.` advances a paused simulation, in simulated milliseconds.
pub const STEP_MS: u64 = 100;

/// How many command results the events pane keeps.
const NOTICE_CAPACITY: usize = 32;

/// The pane that has the focus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    /// Partition strips.
    Partitions,
    /// Consumer groups.
    Groups,
    /// Producers.
    Producers,
    /// The lag chart.
    Lag,
    /// The events.
    Events,
}

impl Focus {
    /// Panes in Tab order.
    pub const ORDER: [Focus; 5] = [
        Focus::Partitions,
        Focus::Groups,
        Focus::Producers,
        Focus::Lag,
        Focus::Events,
    ];

    /// The pane after this one in Tab order, wrapping around.
    pub fn next(self) -> Focus {
        let i = Self::ORDER.iter().position(|f| *f == self).unwrap_or(0);
        Self::ORDER[(i + 1) % Self::ORDER.len()]
    }

    /// The pane before this one in Tab order, wrapping around.
    pub fn prev(self) -> Focus {
        let i = Self::ORDER.iter().position(|f| *f == self).unwrap_or(0);
        Self::ORDER[(i + Self::ORDER.len() - 1) % Self::ORDER.len()]
    }
}

/// What the lag chart plots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LagUnit {
    /// Records behind: high watermark − committed offset.
    #[default]
    Records,
    /// How old the oldest unprocessed record is.
    Time,
}

impl LagUnit {
    /// The other unit.
    pub fn toggled(self) -> LagUnit {
        match self {
            LagUnit::Records => LagUnit::Time,
            LagUnit::Time => LagUnit::Records,
        }
    }
}

/// The outcome of a user command, shown in the events pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub time_ms: i64,
    pub text: String,
    pub is_error: bool,
}

/// How many things a frame's view has that the selection can point at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Selectable {
    pub topics: usize,
    /// Rows of the groups pane: each group, then each of its members.
    pub group_rows: usize,
    pub events: usize,
    /// Brokers of a cluster; 0 for a single broker.
    pub brokers: usize,
}

/// UI state that survives between frames.
#[derive(Debug)]
pub struct App {
    /// The pane keys act on.
    pub focus: Focus,
    /// Whether the help overlay is shown.
    pub help_open: bool,
    /// Whether simulated time stands still.
    pub paused: bool,
    /// Presenter mode: hold at each captioned beat until `n`.
    pub presenter: bool,
    /// Set by `q`: the loop ends after this frame.
    pub should_quit: bool,
    /// The palette.
    pub theme: Theme,
    /// Index into the view's topics. This and the next two are fitted to each frame's view
    /// by [`App::clamp_selection`].
    pub selected_topic: usize,
    /// Index into the groups pane's rows (each group, then its members).
    pub selected_row: usize,
    /// How many events back from the newest the events pane is scrolled.
    pub events_scroll: usize,
    /// What the lag chart plots.
    pub lag_unit: LagUnit,
    /// Index into the view's brokers: the one the broker keys act on.
    pub selected_broker: usize,
    speed_index: usize,
    notices: VecDeque<Notice>,
}

impl App {
    /// A running UI at normal speed with the partitions pane focused.
    pub fn new(theme: Theme, presenter: bool) -> Self {
        App {
            focus: Focus::Partitions,
            help_open: false,
            paused: false,
            presenter,
            should_quit: false,
            theme,
            selected_topic: 0,
            selected_row: 0,
            events_scroll: 0,
            lag_unit: LagUnit::Records,
            selected_broker: 0,
            speed_index: NORMAL_SPEED,
            notices: VecDeque::with_capacity(NOTICE_CAPACITY),
        }
    }

    /// Fits the selection and the events pane's scroll to a frame's view: topics, groups,
    /// members and events can go away between frames. Called once per frame, right after
    /// the view is built, so the panes and [`update`](super::update()) use the selection
    /// as it is.
    pub fn clamp_selection(&mut self, bounds: Selectable) {
        let last = |len: usize| len.saturating_sub(1);
        self.selected_topic = self.selected_topic.min(last(bounds.topics));
        self.selected_row = self.selected_row.min(last(bounds.group_rows));
        self.events_scroll = self.events_scroll.min(last(bounds.events));
        self.selected_broker = self.selected_broker.min(last(bounds.brokers));
    }

    /// The current speed as a multiple of real time.
    pub fn speed(&self) -> f64 {
        SPEEDS[self.speed_index]
    }

    /// Returns whether the speed changed (it does not at either end of the range).
    pub fn change_speed(&mut self, faster: bool) -> bool {
        let before = self.speed_index;
        self.speed_index = if faster {
            (self.speed_index + 1).min(SPEEDS.len() - 1)
        } else {
            self.speed_index.saturating_sub(1)
        };
        before != self.speed_index
    }

    /// Remembers what a command did, dropping the oldest beyond a fixed number.
    pub fn notify(&mut self, time_ms: i64, text: impl Into<String>, is_error: bool) {
        if self.notices.len() == NOTICE_CAPACITY {
            self.notices.pop_front();
        }
        self.notices.push_back(Notice {
            time_ms,
            text: text.into(),
            is_error,
        });
    }

    /// Command results, oldest first.
    pub fn notices(&self) -> impl DoubleEndedIterator<Item = &Notice> {
        self.notices.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app() -> App {
        App::new(Theme::default(), false)
    }

    #[test]
    fn speed_is_clamped_at_both_ends() {
        let mut a = app();
        assert_eq!(a.speed(), 1.0);
        while a.change_speed(true) {}
        assert_eq!(a.speed(), 64.0);
        assert!(!a.change_speed(true));
        while a.change_speed(false) {}
        assert_eq!(a.speed(), 0.25);
    }

    #[test]
    fn focus_cycles_both_ways() {
        let mut f = Focus::Partitions;
        for _ in 0..Focus::ORDER.len() {
            f = f.next();
        }
        assert_eq!(f, Focus::Partitions);
        assert_eq!(Focus::Partitions.prev(), Focus::Events);
    }

    #[test]
    fn the_selection_is_fitted_to_a_smaller_view() {
        let mut a = app();
        (a.selected_topic, a.selected_row, a.events_scroll) = (5, 9, 7);
        a.clamp_selection(Selectable::default());
        assert_eq!(
            (a.selected_topic, a.selected_row, a.events_scroll),
            (0, 0, 0)
        );
        (a.selected_topic, a.selected_row, a.events_scroll) = (5, 9, 7);
        let bounds = Selectable {
            topics: 2,
            group_rows: 4,
            events: 3,
            brokers: 0,
        };
        a.clamp_selection(bounds);
        assert_eq!(
            (a.selected_topic, a.selected_row, a.events_scroll),
            (1, 3, 2)
        );
        (a.selected_topic, a.selected_row, a.events_scroll) = (0, 2, 1);
        a.clamp_selection(bounds);
        assert_eq!(
            (a.selected_topic, a.selected_row, a.events_scroll),
            (0, 2, 1),
            "a selection that fits stays"
        );
    }

    #[test]
    fn notices_are_bounded() {
        let mut a = app();
        for i in 0..(NOTICE_CAPACITY as i64 + 5) {
            a.notify(i, format!("n{i}"), false);
        }
        assert_eq!(a.notices().count(), NOTICE_CAPACITY);
        assert_eq!(a.notices().next().unwrap().time_ms, 5);
    }
}
