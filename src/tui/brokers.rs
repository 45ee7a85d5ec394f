//! The brokers of a cluster, one row each: up, DOWN, stopped or slow, how many partitions
//! it leads and follows, and how many records its followers have still to copy. The
//! selected broker, which the broker keys act on, has `▸`. A single broker has no such
//! pane.
//!
//! ```text
//! ┌Brokers─ leads/follows ───────┐
//! │▸ 1 a DOWN 0/6  behind 812    │
//! │  2 b up   3/3  behind 0      │
//! │  3 c slow 3/3  behind 40     │
//! └──────────────────────────────┘
//! ```
//!
//! From 44 columns on, the counts are spelled out: `leads 3  follows 3  behind 40`.
//!
//! An observed cluster's brokers show where they listen, and since Kafka does not publish
//! how far followers are behind, how many of a broker's replicas are out of the ISR
//! instead: `2 kafka2:9092 up 3/3  2 out of sync`. A broker gone from the metadata is
//! `DOWN`.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::context::DrawContext;
use super::fit::{Fields, KEEP};
use super::pane::Pane;
use super::text::Count;
use super::theme::Theme;
use super::view::{BrokerView, View};
use crate::broker::BrokerState;

/// Inner width from which rows spell their words out.
const WIDE: u16 = 44;
/// How soon the rack column gives way.
const RACK: u8 = 20;
/// How soon the host column gives way.
const HOST: u8 = 30;

/// Content rows the pane would like: one per broker, none without a cluster.
pub fn rows_wanted(view: &View) -> u16 {
    view.brokers.len() as u16
}

/// The brokers pane.
#[derive(Debug, Clone, Copy)]
pub struct Brokers<'a>(pub DrawContext<'a>);

impl Widget for Brokers<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let ctx = self.0;
        let t = ctx.theme();
        // The pane takes no focus of its own: its keys act from anywhere.
        let mut block = Pane::new(Line::from(Span::styled("Brokers", t.title)), t.border);
        let inner = block.inner(area);
        let wide = inner.width >= WIDE;
        if !wide {
            block = block.title(Line::from(Span::styled(" leads/follows ", t.dim)));
        }
        block.render(area, buf);
        let brokers = &ctx.view.brokers;
        let width = |f: fn(&BrokerView) -> &Option<String>| {
            brokers
                .iter()
                .map(|b| f(b).as_ref().map_or(0, |r| r.chars().count()))
                .max()
                .unwrap_or(0)
        };
        let (rack_w, host_w) = (width(|b| &b.rack), width(|b| &b.host));
        let state_w = brokers
            .iter()
            .map(|b| state_word(b).0.len())
            .max()
            .unwrap_or(0);
        let mut row = Row {
            max_x: inner.right(),
            rack_w,
            host_w,
            state_w,
            wide,
        };
        let mut fields = Fields::default();
        // A column stays only while every row has room for it, so the columns line up.
        for b in brokers {
            row.fill(t, b, false, &mut fields)
                .fit(usize::from(inner.width));
            if fields.dropped(RACK) {
                row.rack_w = 0;
            }
            if fields.dropped(HOST) {
                row.host_w = 0;
            }
        }
        for (i, (b, y)) in brokers.iter().zip(inner.y..inner.bottom()).enumerate() {
            row.fill(t, b, i == ctx.app.selected_broker, &mut fields)
                .draw(buf, inner.x, y, row.max_x);
        }
    }
}

/// One broker's line and the column widths shared by every line.
struct Row {
    max_x: u16,
    rack_w: usize,
    host_w: usize,
    state_w: usize,
    wide: bool,
}

impl Row {
    /// One broker's line as fields; a narrow pane drops the counts before the lag behind,
    /// and never cuts a number.
    fn fill<'f>(
        &self,
        t: &Theme,
        b: &BrokerView,
        selected: bool,
        f: &'f mut Fields,
    ) -> &'f mut Fields {
        let (marker, id_style) = if selected {
            ("▸", t.selected)
        } else {
            (" ", t.title)
        };
        f.clear()
            .push(KEEP, t.accent, format_args!("{marker}"))
            .push(KEEP, id_style, format_args!("{:>2}", b.id));
        // Where a broker listens says more than its rack, so the rack gives way first.
        padded(f, RACK, &b.rack, self.rack_w, t);
        padded(f, HOST, &b.host, self.host_w, t);
        let (word, style) = state_word(b);
        let state_w = self.state_w;
        f.lead(t.text, " ")
            .push(KEEP, style(t), format_args!("{word:<state_w$}"));
        let (leads, follows) = (b.leads, b.follows);
        if self.wide {
            f.push_or_short(
                40,
                t.text,
                format_args!("  leads {leads}  follows {follows}"),
                format_args!(" {leads}/{follows}"),
            );
        } else {
            f.push(40, t.text, format_args!(" {leads}/{follows}"));
        }
        lagging(f, b, t);
        f
    }
}

/// A column of `w` for an optional word, left out when no broker has one.
fn padded(f: &mut Fields, priority: u8, word: &Option<String>, w: usize, t: &Theme) {
    if w == 0 {
        return;
    }
    let word = word.as_deref().unwrap_or("");
    f.push(priority, t.dim, format_args!(" {word:<w$}"));
}

/// How far its followers are behind, where that is known, or else how many are out of
/// the ISR, when any are.
fn lagging(f: &mut Fields, b: &BrokerView, t: &Theme) {
    let Some(behind) = b.behind else {
        if b.out_of_sync > 0 {
            let out = b.out_of_sync;
            f.push(60, t.warn, format_args!("  {out} out of sync"));
        }
        return;
    };
    let behind_style = if behind > 0 { t.warn } else { t.text };
    f.lead(t.dim, "  behind ")
        .push(60, behind_style, format_args!("{}", Count(behind)));
}

/// The state as a word, which says it without colour, and the style that colours it.
fn state_word(b: &BrokerView) -> (&'static str, fn(&Theme) -> Style) {
    match (b.state, b.slow) {
        (BrokerState::Down, _) => ("DOWN", |t| t.bad),
        (BrokerState::Stopped, _) => ("stopped", |t| t.warn),
        (BrokerState::Up, Some(_)) => ("slow", |t| t.warn),
        (BrokerState::Up, None) => ("up", |t| t.good),
    }
}
