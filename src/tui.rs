//! The live terminal UI: state, actions, the key map and one widget per pane.
//!
//! The shape follows the usual ratatui template: a key becomes an [`Action`] through the
//! key table ([`KEYMAP`]), [`update()`] turns the action into state changes and [`Effect`]s for the
//! simulation, and the panes draw from a read-only [`View`] snapshot taken once per frame.
//! Building that snapshot fits the selection to it ([`App::clamp_selection`]), and the
//! [`Screen`] works out where the scrolling panes start before any of them draws, so the
//! panes only draw. Nothing here owns the terminal or a runtime; that is the `cli` layer's
//! job.
//!
//! Root layout (the `layout` module):
//!
//! ```text
//! ┌ header: scenario · time · speed · state · seed · rates ───────────────┐
//! │ caption banner (only while a timeline caption is fresh)               │
//! ├ Partitions ─────────────────────────────┬ Brokers (a cluster only) ───┤
//! │ p0 ░░▮▮▮▮▮▮▮A▮▮▮▮▮▮▮B▮▮   0‥812  A3 B40 │▸ 1 a DOWN lead 0 fol 6 lag 8│
//! │ p1 ▮▮▮▮▮3▮▮▮▯A  0‥812 L2 ISR 2,1  A3    ├ Groups ─────────────────────┤
//! │ p2 ...                                  │ A billing Stable gen 2      │
//! │                                         │   billing-1 p0 809+3 ...    │
//! ├ Producers ──────────────────────────────┤                             │
//! │ web-1 orders 20.0/s uniform/16 murmur2  │                             │
//! ├ Lag ──────────────────────┬ Events ─────┴─────────────────────────────┤
//! │ total lag per group       │ 00:12 billing: generation 2: ...           │
//! ├───────────────────────────┴───────────────────────────────────────────┤
//! │ footer: key hints for the focused pane                                 │
//! └────────────────────────────────────────────────────────────────────────┘
//! ```

pub(crate) mod action;
pub(crate) mod app;
pub(crate) mod brokers;
pub(crate) mod caption;
pub(crate) mod context;
pub(crate) mod control;
pub(crate) mod events;
pub(crate) mod footer;
pub(crate) mod groups;
pub(crate) mod header;
pub(crate) mod help;
pub(crate) mod keymap;
pub(crate) mod lag_chart;
pub(crate) mod layout;
pub(crate) mod pane;
pub(crate) mod partitions;
pub(crate) mod producers;
pub(crate) mod screen;
pub(crate) mod svg;
pub(crate) mod text;
pub(crate) mod theme;
pub(crate) mod too_small;
pub(crate) mod update;
pub mod view;

pub use action::{Action, Effect};
pub use app::{App, Focus, LagUnit};
pub use brokers::Brokers;
pub use caption::Banner;
pub use context::DrawContext;
pub use control::execute;
pub use events::Events;
pub use footer::Footer;
pub use groups::Groups;
pub use header::HeaderBar;
pub use help::Help;
pub use keymap::{KEYMAP, KeyRow, lookup, markdown_table, markdown_table_of};
pub use lag_chart::LagChart;
pub use partitions::Partitions;
pub use producers::Producers;
pub use screen::Screen;
pub use svg::to_svg;
pub use theme::{Theme, ThemeKind};
pub use update::{offered, update};
pub use view::View;
