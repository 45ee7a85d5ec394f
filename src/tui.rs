//! The live terminal UI: state, actions, the key map and one widget per pane.
//!
//! The shape follows the usual ratatui template: a key becomes an [`Action`] through the
//! [`keymap`] table, [`update()`] turns the action into state changes and [`Effect`]s for the
//! simulation, and the panes draw from a read-only [`View`] snapshot taken once per frame.
//! Building that snapshot fits the selection to it ([`App::clamp_selection`]), and the
//! [`Screen`] works out where the scrolling panes start before any of them draws, so the
//! panes only draw. Nothing here owns the terminal or a runtime; that is the `cli` layer's
//! job.
//!
//! Root layout (see [`layout`]):
//!
//! ```text
//! ┌ header: scenario · time · speed · state · seed · rates ───────────────┐
//! │ caption banner (only while a timeline caption is fresh)               │
//! ├ Partitions ─────────────────────────────┬ Groups ─────────────────────┤
//! │ p0 ░░▮▮▮▮▮▮▮A▮▮▮▮▮▮▮B▮▮   0‥812  A3 B40 │ A billing Stable gen 2      │
//! │ p1 ...                                  │   billing-1 p0 809+3 ...     │
//! ├ Producers ──────────────────────────────┤                             │
//! │ web-1 orders 20.0/s uniform/16 murmur2  │                             │
//! ├ Lag ──────────────────────┬ Events ─────┴─────────────────────────────┤
//! │ total lag per group       │ 00:12 billing: generation 2: ...           │
//! ├───────────────────────────┴───────────────────────────────────────────┤
//! │ footer: key hints for the focused pane                                 │
//! └────────────────────────────────────────────────────────────────────────┘
//! ```

pub mod action;
pub mod app;
pub mod caption;
pub mod context;
pub mod control;
pub mod events;
pub mod fit;
pub mod footer;
pub mod groups;
pub mod header;
pub mod help;
pub mod keymap;
pub mod lag_chart;
pub mod layout;
pub mod pane;
pub mod partitions;
pub mod producers;
pub mod screen;
pub mod slides;
pub mod svg;
pub mod text;
pub mod theme;
pub mod too_small;
pub mod update;
pub mod view;
pub mod zoom;

pub use action::{Action, Effect};
pub use app::{App, Focus};
pub use context::DrawContext;
pub use keymap::{KEYMAP, KeyRow};
pub use screen::Screen;
pub use theme::{Theme, ThemeKind};
pub use update::update;
pub use view::View;
