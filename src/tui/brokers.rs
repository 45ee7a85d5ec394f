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
        let rack_w = brokers
            .iter()
            .map(|b| b.rack.as_ref().map_or(0, |r| r.chars().count()))
            .max()
            .unwrap_or(0);
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
        let rack = b.rack.as_deref().unwrap_or("");
        let rack_w = self.rack_w;
        let x = if rack_w > 0 {
            put(
                buf,
                x,
                y,
                max_x,
                s.fmt(format_args!(" {rack:<rack_w$}")),
                t.dim,
            )
        } else {
            x
        };
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
        let x = put(buf, x, y, max_x, "  behind ", t.dim);
        let behind_style = if b.behind > 0 { t.warn } else { t.text };
        put(
            buf,
            x,
            y,
            max_x,
            s.fmt(format_args!("{}", Count(b.behind))),
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
