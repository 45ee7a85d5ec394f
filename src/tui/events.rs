//! Recent events, newest at the bottom: rebalances with their new assignment, joins,
//! leaves, crashes and expiries, retention, offset resets, brokers going down and coming
//! back, ISR changes and elections, data cut or unavailable, timeline captions and what
//! the user's commands did. Each kind has its own leading glyph as well as a colour.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::Widget;

use super::app::Focus;
use super::context::DrawContext;
use super::fit::wrap_rows;
use super::text::{Elapsed, Scratch, printed_width, put};
use super::theme::Theme;
use super::view::{EventClass, EventLine};

/// The events pane.
#[derive(Debug, Clone, Copy)]
pub struct Events<'a>(pub DrawContext<'a>);

fn look(t: &Theme, class: EventClass) -> (&'static str, Style) {
    match class {
        EventClass::Rebalance => ("⟳", t.warn),
        EventClass::Membership => ("±", t.text),
        EventClass::Retention => ("✂", t.dim),
        EventClass::Reset => ("↺", t.accent),
        EventClass::Topic => ("·", t.dim),
        EventClass::Broker => ("◆", t.warn),
        EventClass::Replication => ("⇄", t.accent),
        EventClass::Hazard => ("!", t.bad),
        EventClass::Caption => ("»", t.caption),
        EventClass::Command => ("›", t.good),
        EventClass::Error => ("✗", t.bad),
    }
}

/// Where an event's text starts: after its time, its glyph and a space each side.
fn text_column(e: &EventLine) -> usize {
    printed_width(format_args!("{}", Elapsed(e.time_ms))) + 3
}

/// An event's text broken into rows of `width` columns, at most `max_rows` of them.
fn rows_of(e: &EventLine, width: usize, max_rows: usize) -> Vec<String> {
    let w = width.saturating_sub(text_column(e));
    wrap_rows(&e.text, w, w, max_rows)
}

impl Widget for Events<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let ctx = self.0;
        let t = ctx.theme();
        let block = ctx.block("Events", Focus::Events);
        let inner = block.inner(area);
        block.render(area, buf);
        let events = &ctx.view.events;
        let height = usize::from(inner.height);
        let width = usize::from(inner.width);
        let end = events.len().saturating_sub(ctx.app.events_scroll);
        // Newest at the bottom: take events back from `end` while their rows fit; the
        // oldest one shown gets what rows are left, ending with an ellipsis.
        let mut shown: Vec<(&EventLine, Vec<String>)> = Vec::new();
        let mut used = 0;
        for e in events[..end].iter().rev() {
            if used >= height {
                break;
            }
            let rows = rows_of(e, width, height - used);
            used += rows.len().max(1);
            shown.push((e, rows));
        }
        let mut y = inner.y;
        let mut s = Scratch::default();
        for (e, rows) in shown.iter().rev() {
            let max_x = inner.right();
            let x = put(
                buf,
                inner.x,
                y,
                max_x,
                s.fmt(format_args!("{}", Elapsed(e.time_ms))),
                t.dim,
            );
            let (glyph, style) = look(t, e.class);
            let x = put(buf, x, y, max_x, " ", t.text);
            let x = put(buf, x, y, max_x, glyph, style);
            let x = put(buf, x, y, max_x, " ", t.text);
            let text_style = match e.class {
                EventClass::Caption | EventClass::Error | EventClass::Hazard => style,
                _ => t.text,
            };
            for row in rows {
                if y >= inner.bottom() {
                    break;
                }
                put(buf, x, y, max_x, row, text_style);
                y += 1;
            }
            if rows.is_empty() {
                y += 1;
            }
        }
    }
}
