//! The brokers of an observed cluster, in the pane a simulation gives its producers: each
//! broker's address and rack, how many partitions it leads and follows, and how many of
//! its replicas have fallen out of the ISR. A broker that was in the cluster and is gone
//! from its metadata is drawn as down.
//!
//! ```text
//!  1 kafka1:9092 rack a  leads 12 · follows 24
//!  2 kafka2:9092         leads 12 · follows 23 · 1 out of sync
//!  3 down
//! ```

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

use super::app::Focus;
use super::context::DrawContext;
use super::text::{Scratch, put};
use super::view::BrokerView;

/// The brokers pane.
#[derive(Debug, Clone, Copy)]
pub struct Brokers<'a>(pub DrawContext<'a>);

impl Widget for Brokers<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let ctx = self.0;
        let t = ctx.theme();
        let block = ctx.block("Brokers", Focus::Producers);
        let inner = block.inner(area);
        block.render(area, buf);
        let brokers = &ctx.view.brokers;
        let place = |b: &BrokerView| {
            let host = b.host.as_deref().unwrap_or("").chars().count();
            host + b.rack.as_ref().map_or(0, |r| 6 + r.chars().count())
        };
        let place_w = brokers.iter().map(place).max().unwrap_or(0);
        let id_w = brokers
            .iter()
            .map(|b| b.id.to_string().len())
            .max()
            .unwrap_or(0);
        let mut s = Scratch::default();
        for (b, y) in brokers.iter().zip(inner.y..inner.bottom()) {
            let max_x = inner.right();
            let x = put(
                buf,
                inner.x,
                y,
                max_x,
                s.fmt(format_args!(" {:>id_w$} ", b.id)),
                t.title,
            );
            if !b.up {
                put(buf, x, y, max_x, "down", t.bad);
                continue;
            }
            let mut x = put(buf, x, y, max_x, b.host.as_deref().unwrap_or(""), t.text);
            if let Some(rack) = &b.rack {
                x = put(buf, x, y, max_x, s.fmt(format_args!(" rack {rack}")), t.dim);
            }
            let pad = place_w.saturating_sub(place(b)) + 2;
            let x = put(buf, x, y, max_x, s.fmt(format_args!("{:pad$}", "")), t.text);
            let text = s.fmt(format_args!(
                "leads {} · follows {}",
                b.leaders, b.followers
            ));
            let x = put(buf, x, y, max_x, text, t.accent);
            if b.out_of_sync > 0 {
                let text = s.fmt(format_args!(" · {} out of sync", b.out_of_sync));
                put(buf, x, y, max_x, text, t.warn);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::view::View;
    use crate::tui::{App, Theme};

    #[test]
    fn each_broker_with_its_partitions_and_a_gone_one_as_down() {
        let broker = |id: i32, up: bool, out_of_sync: usize| BrokerView {
            id,
            up,
            leaders: 12,
            followers: 24,
            out_of_sync,
            host: Some(format!("kafka{id}:9092")),
            rack: (id == 1).then(|| "a".to_string()),
        };
        let view = View {
            brokers: vec![broker(1, true, 0), broker(2, true, 1), broker(3, false, 0)],
            ..View::default()
        };
        let app = App::new(Theme::default(), false);
        let area = Rect::new(0, 0, 72, 5);
        let mut buf = Buffer::empty(area);
        Brokers(DrawContext::new(&view, &app)).render(area, &mut buf);
        let rows: Vec<String> = (1..4)
            .map(|y| {
                (1..71)
                    .map(|x| buf[(x, y)].symbol())
                    .collect::<String>()
                    .trim_end()
                    .to_string()
            })
            .collect();
        assert_eq!(
            rows,
            [
                " 1 kafka1:9092 rack a  leads 12 · follows 24",
                " 2 kafka2:9092         leads 12 · follows 24 · 1 out of sync",
                " 3 down",
            ]
        );
    }
}
