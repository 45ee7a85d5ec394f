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
use super::fit::{Fields, KEEP};
use super::pane::Pane;
use super::text::Count;
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
        let mut fields = Fields::default();
        for (i, (b, y)) in brokers.iter().zip(inner.y..inner.bottom()).enumerate() {
            let row = Row {
                y,
                max_x: inner.right(),
                rack_w,
                state_w,
                wide,
            };
            row.draw(
                t,
                b,
                i == ctx.app.selected_broker,
                inner.x,
                &mut fields,
                buf,
            );
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
    /// Draws one broker's line; a narrow pane drops the counts before the lag behind, and
    /// never cuts a number.
    fn draw(
        &self,
        t: &Theme,
        b: &BrokerView,
        selected: bool,
        x: u16,
        f: &mut Fields,
        buf: &mut Buffer,
    ) {
        let (marker, id_style) = if selected {
            ("▸", t.selected)
        } else {
            (" ", t.title)
        };
        f.clear()
            .push(KEEP, t.accent, format_args!("{marker}"))
            .push(KEEP, id_style, format_args!("{:>2}", b.id));
        if self.rack_w > 0 {
            let (rack, rack_w) = (b.rack.as_deref().unwrap_or(""), self.rack_w);
            f.push(20, t.dim, format_args!(" {rack:<rack_w$}"));
        }
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
        let behind_style = if b.behind > 0 { t.warn } else { t.text };
        f.lead(t.dim, "  behind ")
            .push(60, behind_style, format_args!("{}", Count(b.behind)));
        f.draw(buf, x, self.y, self.max_x);
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
