//! The simulated producers: topic, rate, key distribution, partitioner, records sent.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

use super::app::Focus;
use super::context::DrawContext;
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
        let (mut s, mut rate) = (Scratch::default(), Scratch::default());
        for (p, y) in producers.iter().zip(inner.y..inner.bottom()) {
            let max_x = inner.right();
            let on_selected = selected_topic == Some(p.topic.as_str());
            let marker = if on_selected { "▸" } else { " " };
            let x = put(buf, inner.x, y, max_x, marker, t.accent);
            let x = put(
                buf,
                x,
                y,
                max_x,
                s.fmt(format_args!("{:<name_w$} ", p.name)),
                t.text,
            );
            let x = put(
                buf,
                x,
                y,
                max_x,
                s.fmt(format_args!("{:<topic_w$} ", p.topic)),
                t.title,
            );
            let x = put(
                buf,
                x,
                y,
                max_x,
                s.fmt(format_args!(
                    "{:>9} ",
                    rate.fmt(format_args!("{}", Rate(p.rate)))
                )),
                t.accent,
            );
            let x = put(buf, x, y, max_x, s.fmt(format_args!("{} ", p.keys)), t.text);
            let x = put(
                buf,
                x,
                y,
                max_x,
                s.fmt(format_args!("{} ", p.partitioner)),
                t.dim,
            );
            put(
                buf,
                x,
                y,
                max_x,
                s.fmt(format_args!("sent {}", Count(p.produced as i64))),
                t.dim,
            );
        }
    }
}
