//! The key map as data. One table drives key handling, the help overlay, the footer
//! hints and the README's key table, so they cannot disagree.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::action::Action;
use super::app::Focus;

/// Which selection a row acts on; the footer shows a pane's own rows first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Works everywhere.
    Global,
    /// Acts on the selected topic (partitions and producers panes).
    Topic,
    /// Acts on the selected group (groups and lag panes).
    Group,
    /// Moves the selection in the focused pane.
    Selection,
    /// Changes the lag chart.
    Chart,
    /// Acts on the selected broker. Offered (footer and help) only while the screen shows
    /// a cluster; a single broker has nothing to select.
    Broker,
}

impl Scope {
    /// Whether the footer should offer this row while `focus` has the focus.
    pub fn applies_to(self, focus: Focus) -> bool {
        match self {
            Scope::Global | Scope::Selection => true,
            Scope::Topic => matches!(focus, Focus::Partitions | Focus::Producers),
            Scope::Group => matches!(focus, Focus::Groups | Focus::Lag),
            Scope::Chart => focus == Focus::Lag,
            Scope::Broker => false,
        }
    }
}

/// One physical key: a key code, and whether Control must be held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chord {
    pub code: KeyCode,
    pub ctrl: bool,
}

const fn key(c: char) -> Chord {
    Chord {
        code: KeyCode::Char(c),
        ctrl: false,
    }
}

const fn ctrl(c: char) -> Chord {
    Chord {
        code: KeyCode::Char(c),
        ctrl: true,
    }
}

const fn code(code: KeyCode) -> Chord {
    Chord { code, ctrl: false }
}

/// A row of the key table: how it reads in the docs, and the chords it binds.
#[derive(Debug)]
pub struct KeyRow {
    /// The key column as Markdown, e.g. "`p` / `P`".
    pub keys: &'static str,
    /// The action column.
    pub help: &'static str,
    /// A one- or two-word hint for the footer.
    pub hint: &'static str,
    /// Which panes the row applies to.
    pub scope: Scope,
    /// The keys and what each does.
    pub bindings: &'static [(Chord, Action)],
}

impl KeyRow {
    /// The key column without Markdown, for the terminal.
    pub fn plain_keys(&self) -> String {
        self.keys.replace('`', "")
    }
}

/// The default key map (docs/design.md, "The key map"), plus `Esc` for closing the help.
pub const KEYMAP: &[KeyRow] = &[
    KeyRow {
        keys: "`q`, `Ctrl-C`",
        help: "quit",
        hint: "quit",
        scope: Scope::Global,
        bindings: &[(key('q'), Action::Quit), (ctrl('c'), Action::Quit)],
    },
    KeyRow {
        keys: "`Space`",
        help: "pause / resume",
        hint: "pause",
        scope: Scope::Global,
        bindings: &[(key(' '), Action::TogglePause)],
    },
    KeyRow {
        keys: "`.`",
        help: "single step while paused",
        hint: "step",
        scope: Scope::Global,
        bindings: &[(key('.'), Action::Step)],
    },
    KeyRow {
        keys: "`+` / `-`",
        help: "speed up / slow down (0.25× … 64×)",
        hint: "speed",
        scope: Scope::Global,
        bindings: &[
            (key('+'), Action::SpeedUp),
            (key('='), Action::SpeedUp),
            (key('-'), Action::SlowDown),
        ],
    },
    KeyRow {
        keys: "`Tab` / `Shift-Tab`",
        help: "move focus between panes",
        hint: "focus",
        scope: Scope::Global,
        bindings: &[
            (code(KeyCode::Tab), Action::FocusNext),
            (code(KeyCode::BackTab), Action::FocusPrev),
        ],
    },
    KeyRow {
        keys: "`↑` `↓` / `j` `k`",
        help: "select a topic, group or member",
        hint: "select",
        scope: Scope::Selection,
        bindings: &[
            (code(KeyCode::Up), Action::SelectPrev),
            (code(KeyCode::Down), Action::SelectNext),
            (key('k'), Action::SelectPrev),
            (key('j'), Action::SelectNext),
        ],
    },
    KeyRow {
        keys: "`p` / `P`",
        help: "add / remove a producer on the selected topic",
        hint: "producer",
        scope: Scope::Topic,
        bindings: &[
            (key('p'), Action::AddProducer),
            (key('P'), Action::RemoveProducer),
        ],
    },
    KeyRow {
        keys: "`c` / `C`",
        help: "add a consumer to the selected group / remove one gracefully",
        hint: "consumer",
        scope: Scope::Group,
        bindings: &[
            (key('c'), Action::AddConsumer),
            (key('C'), Action::RemoveConsumer),
        ],
    },
    KeyRow {
        keys: "`x`",
        help: "crash a consumer of the selected group (no leave: session timeout, then rebalance)",
        hint: "crash",
        scope: Scope::Group,
        bindings: &[(key('x'), Action::CrashConsumer)],
    },
    KeyRow {
        keys: "`g`",
        help: "add a new consumer group",
        hint: "new group",
        scope: Scope::Topic,
        bindings: &[(key('g'), Action::AddGroup)],
    },
    KeyRow {
        keys: "`r` / `R`",
        help: "reset the selected group's offsets to earliest (replay) / to latest",
        hint: "reset",
        scope: Scope::Group,
        bindings: &[
            (key('r'), Action::ResetEarliest),
            (key('R'), Action::ResetLatest),
        ],
    },
    KeyRow {
        keys: "`[` / `]`",
        help: "slower / faster processing for the selected group",
        hint: "process rate",
        scope: Scope::Group,
        bindings: &[
            (key('['), Action::ProcessSlower),
            (key(']'), Action::ProcessFaster),
        ],
    },
    KeyRow {
        keys: "`{` / `}`",
        help: "lower / raise the selected topic's producer rate",
        hint: "produce rate",
        scope: Scope::Topic,
        bindings: &[
            (key('{'), Action::ProducerSlower),
            (key('}'), Action::ProducerFaster),
        ],
    },
    KeyRow {
        keys: "`t`",
        help: "lag chart in records / in time (the age of the oldest unprocessed record)",
        hint: "records / time",
        scope: Scope::Chart,
        bindings: &[(key('t'), Action::ToggleLagUnit)],
    },
    KeyRow {
        keys: "`b` / `B`",
        help: "select the next / previous broker",
        hint: "broker",
        scope: Scope::Broker,
        bindings: &[
            (key('b'), Action::NextBroker),
            (key('B'), Action::PrevBroker),
        ],
    },
    KeyRow {
        keys: "`X` / `U`",
        help: "crash the selected broker / restart it",
        hint: "down / up",
        scope: Scope::Broker,
        bindings: &[
            (key('X'), Action::CrashBroker),
            (key('U'), Action::RestartBroker),
        ],
    },
    KeyRow {
        keys: "`s` / `S`",
        help: "slow the selected broker (its followers stall) / heal it",
        hint: "slow / heal",
        scope: Scope::Broker,
        bindings: &[
            (key('s'), Action::SlowBroker),
            (key('S'), Action::HealBroker),
        ],
    },
    KeyRow {
        keys: "`n`",
        help: "next timeline beat (presenter mode)",
        hint: "next beat",
        scope: Scope::Global,
        bindings: &[(key('n'), Action::NextBeat)],
    },
    KeyRow {
        keys: "`?`",
        help: "help",
        hint: "help",
        scope: Scope::Global,
        bindings: &[(key('?'), Action::ToggleHelp)],
    },
    KeyRow {
        keys: "`Esc`",
        help: "close the help",
        hint: "close",
        scope: Scope::Global,
        bindings: &[(code(KeyCode::Esc), Action::CloseHelp)],
    },
];

/// The action bound to a key press, if any. Releases and repeats of non-press kinds are
/// ignored so terminals that report them do not double every action.
pub fn lookup(event: &KeyEvent) -> Option<Action> {
    if event.kind != KeyEventKind::Press {
        return None;
    }
    let ctrl = event.modifiers.contains(KeyModifiers::CONTROL);
    KEYMAP
        .iter()
        .flat_map(|row| row.bindings.iter())
        .find(|(chord, _)| chord.code == event.code && chord.ctrl == ctrl)
        .map(|(_, action)| *action)
}

/// The README's key table, generated from [`KEYMAP`].
pub fn markdown_table() -> String {
    markdown_table_of(KEYMAP.iter())
}

/// A README key table of some of the rows, such as those offered on an observed cluster.
pub fn markdown_table_of<'a>(rows: impl Iterator<Item = &'a KeyRow>) -> String {
    let mut out = String::from("| Key | Action |\n|---|---|\n");
    for row in rows {
        out.push_str(&format!("| {} | {} |\n", row.keys, row.help));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn every_design_key_is_bound() {
        let cases = [
            (KeyCode::Char('q'), KeyModifiers::NONE, Action::Quit),
            (KeyCode::Char('c'), KeyModifiers::CONTROL, Action::Quit),
            (KeyCode::Char(' '), KeyModifiers::NONE, Action::TogglePause),
            (KeyCode::Char('.'), KeyModifiers::NONE, Action::Step),
            (KeyCode::Char('+'), KeyModifiers::SHIFT, Action::SpeedUp),
            (KeyCode::Char('-'), KeyModifiers::NONE, Action::SlowDown),
            (KeyCode::Tab, KeyModifiers::NONE, Action::FocusNext),
            (KeyCode::BackTab, KeyModifiers::SHIFT, Action::FocusPrev),
            (KeyCode::Up, KeyModifiers::NONE, Action::SelectPrev),
            (KeyCode::Char('j'), KeyModifiers::NONE, Action::SelectNext),
            (
                KeyCode::Char('P'),
                KeyModifiers::SHIFT,
                Action::RemoveProducer,
            ),
            (KeyCode::Char('c'), KeyModifiers::NONE, Action::AddConsumer),
            (
                KeyCode::Char('x'),
                KeyModifiers::NONE,
                Action::CrashConsumer,
            ),
            (KeyCode::Char('g'), KeyModifiers::NONE, Action::AddGroup),
            (KeyCode::Char('R'), KeyModifiers::SHIFT, Action::ResetLatest),
            (
                KeyCode::Char(']'),
                KeyModifiers::NONE,
                Action::ProcessFaster,
            ),
            (
                KeyCode::Char('{'),
                KeyModifiers::SHIFT,
                Action::ProducerSlower,
            ),
            (KeyCode::Char('n'), KeyModifiers::NONE, Action::NextBeat),
            (KeyCode::Char('b'), KeyModifiers::NONE, Action::NextBroker),
            (KeyCode::Char('B'), KeyModifiers::SHIFT, Action::PrevBroker),
            (KeyCode::Char('X'), KeyModifiers::SHIFT, Action::CrashBroker),
            (
                KeyCode::Char('U'),
                KeyModifiers::SHIFT,
                Action::RestartBroker,
            ),
            (KeyCode::Char('s'), KeyModifiers::NONE, Action::SlowBroker),
            (KeyCode::Char('S'), KeyModifiers::SHIFT, Action::HealBroker),
            (
                KeyCode::Char('t'),
                KeyModifiers::NONE,
                Action::ToggleLagUnit,
            ),
            (KeyCode::Char('?'), KeyModifiers::SHIFT, Action::ToggleHelp),
            (KeyCode::Esc, KeyModifiers::NONE, Action::CloseHelp),
        ];
        for (code, mods, want) in cases {
            assert_eq!(lookup(&press(code, mods)), Some(want), "{code:?} {mods:?}");
        }
    }

    #[test]
    fn unbound_and_released_keys_do_nothing() {
        assert_eq!(lookup(&press(KeyCode::Char('z'), KeyModifiers::NONE)), None);
        assert_eq!(
            lookup(&press(KeyCode::Char('q'), KeyModifiers::CONTROL)),
            None
        );
        let mut release = press(KeyCode::Char('q'), KeyModifiers::NONE);
        release.kind = KeyEventKind::Release;
        assert_eq!(lookup(&release), None);
    }

    #[test]
    fn no_chord_is_bound_twice() {
        let chords: Vec<Chord> = KEYMAP
            .iter()
            .flat_map(|r| r.bindings.iter().map(|(c, _)| *c))
            .collect();
        for (i, a) in chords.iter().enumerate() {
            assert!(!chords[i + 1..].contains(a), "{a:?} bound twice");
        }
    }

    #[test]
    fn markdown_table_lists_every_row() {
        let table = markdown_table();
        assert_eq!(table.lines().count(), KEYMAP.len() + 2);
        assert!(table.contains("| `x` | crash a consumer"));
    }
}
