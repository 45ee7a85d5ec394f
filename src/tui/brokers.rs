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
use super::pane::Pane;
use super::text::{Count, Scratch, put};
use super::theme::Theme;
use super::view::{BrokerView, View};
use crate::broker::BrokerState;

/// Inner width from which rows spell their words out.
const WIDE: u16 = 44;

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
        let mut s = Scratch::default();
        for (i, (b, y)) in brokers.iter().zip(inner.y..inner.bottom()).enumerate() {
            let row = Row {
                y,
                max_x: inner.right(),
                rack_w,
                host_w,
                state_w,
                wide,
            };
            row.draw(t, b, i == ctx.app.selected_broker, inner.x, &mut s, buf);
        }
    }
}

/// One broker's line and the column widths shared by every line.
struct Row {
    y: u16,
    max_x: u16,
    rack_w: usize,
    host_w: usize,
    state_w: usize,
    wide: bool,
}

impl Row {
    fn draw(
        &self,
        t: &Theme,
        b: &BrokerView,
        selected: bool,
        x: u16,
        s: &mut Scratch,
        buf: &mut Buffer,
    ) {
        let (y, max_x) = (self.y, self.max_x);
        let (marker, id_style) = if selected {
            ("▸", t.selected)
        } else {
            (" ", t.title)
        };
        let x = put(buf, x, y, max_x, marker, t.accent);
        let x = put(
            buf,
            x,
            y,
            max_x,
            s.fmt(format_args!("{:>2}", b.id)),
            id_style,
        );
        let x = self.padded(x, &b.rack, self.rack_w, t, s, buf);
        let x = self.padded(x, &b.host, self.host_w, t, s, buf);
        let (word, style) = state_word(b);
        let word_style = style(t);
        let x = put(buf, x, y, max_x, " ", t.text);
        let state_w = self.state_w;
        let x = put(
            buf,
            x,
            y,
            max_x,
            s.fmt(format_args!("{word:<state_w$}")),
            word_style,
        );
        let counts = if self.wide {
            s.fmt(format_args!("  leads {}  follows {}", b.leads, b.follows))
        } else {
            s.fmt(format_args!(" {}/{}", b.leads, b.follows))
        };
        let x = put(buf, x, y, max_x, counts, t.text);
        self.lagging(x, b, t, s, buf);
    }

    /// A column of `w` for an optional word, left out when no broker has one.
    fn padded(
        &self,
        x: u16,
        word: &Option<String>,
        w: usize,
        t: &Theme,
        s: &mut Scratch,
        buf: &mut Buffer,
    ) -> u16 {
        if w == 0 {
            return x;
        }
        let word = word.as_deref().unwrap_or("");
        let text = s.fmt(format_args!(" {word:<w$}"));
        put(buf, x, self.y, self.max_x, text, t.dim)
    }

    /// How far its followers are behind, where that is known, or else how many are out of
    /// the ISR, when any are.
    fn lagging(&self, x: u16, b: &BrokerView, t: &Theme, s: &mut Scratch, buf: &mut Buffer) {
        let (y, max_x) = (self.y, self.max_x);
        let Some(behind) = b.behind else {
            if b.out_of_sync > 0 {
                let text = s.fmt(format_args!("  {} out of sync", b.out_of_sync));
                put(buf, x, y, max_x, text, t.warn);
            }
            return;
        };
        let x = put(buf, x, y, max_x, "  behind ", t.dim);
        let behind_style = if behind > 0 { t.warn } else { t.text };
        put(
            buf,
            x,
            y,
            max_x,
            s.fmt(format_args!("{}", Count(behind))),
            behind_style,
        );
    }
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
