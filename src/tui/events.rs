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
use super::text::{Elapsed, Scratch, put};
use super::theme::Theme;
use super::view::EventClass;

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

impl Widget for Events<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let ctx = self.0;
        let t = ctx.theme();
        let block = ctx.block("Events", Focus::Events);
        let inner = block.inner(area);
        block.render(area, buf);
        let events = &ctx.view.events;
        let rows = usize::from(inner.height);
        let end = events.len().saturating_sub(ctx.app.events_scroll);
        let start = end.saturating_sub(rows);
        let mut s = Scratch::default();
        for (e, y) in events[start..end].iter().zip(inner.y..inner.bottom()) {
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
            put(buf, x, y, max_x, &e.text, text_style);
        }
    }
}
