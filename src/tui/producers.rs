//! The simulated producers: topic, rate, key distribution, partitioner, records sent.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

use super::app::Focus;
use super::context::DrawContext;
use super::fit::{Fields, KEEP};
use super::text::{Count, Rate, Scratch, put};

/// The producers pane.
#[derive(Debug, Clone, Copy)]
pub struct Producers<'a>(pub DrawContext<'a>);

impl Widget for Producers<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let ctx = self.0;
        let t = ctx.theme();
        let block = ctx.block("Producers", Focus::Producers);
        let inner = block.inner(area);
        block.render(area, buf);
        let producers = &ctx.view.producers;
        if producers.is_empty() {
            put(buf, inner.x, inner.y, inner.right(), "no producers", t.dim);
            return;
        }
        let selected_topic = ctx
            .view
            .topics
            .get(ctx.app.selected_topic)
            .map(|t| t.name.as_str());
        let name_w = producers
            .iter()
            .map(|p| p.name.chars().count())
            .max()
            .unwrap_or(0);
        let topic_w = producers
            .iter()
            .map(|p| p.topic.chars().count())
            .max()
            .unwrap_or(0);
        let mut row = Fields::default();
        let mut rate = Scratch::default();
        // When narrow, the count sent goes first, then the partitioner, then the keys.
        for (p, y) in producers.iter().zip(inner.y..inner.bottom()) {
            let on_selected = selected_topic == Some(p.topic.as_str());
            let marker = if on_selected { "▸" } else { " " };
            row.clear()
                .push(KEEP, t.accent, format_args!("{marker}"))
                .push_text(KEEP, t.text, &p.name)
                .push(
                    KEEP,
                    t.text,
                    format_args!("{:<pad$} ", "", pad = pad(&p.name, name_w)),
                )
                .push(90, t.title, format_args!("{:<topic_w$} ", p.topic))
                .push(
                    80,
                    t.accent,
                    format_args!("{:>9} ", rate.fmt(format_args!("{}", Rate(p.rate)))),
                )
                .push(50, t.text, format_args!("{} ", p.keys))
                .push(30, t.dim, format_args!("{} ", p.partitioner))
                .push(20, t.dim, format_args!("sent {}", Count(p.produced as i64)));
            row.draw(buf, inner.x, y, inner.right());
        }
    }
}

/// Spaces that line a name up with the longest one.
fn pad(name: &str, width: usize) -> usize {
    width.saturating_sub(name.chars().count())
}
