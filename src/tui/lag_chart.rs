//! Total lag per group over simulated time, one line per group in the group's colour.
//! The title names each group by its letter on its colour; without colour the lines are
//! drawn with different point shapes.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Chart, Dataset, GraphType, Widget};

use super::app::Focus;
use super::screen::{Ctx, fmt_count, fmt_time, put};
use super::theme::{ThemeKind, group_letter};

/// The lag chart pane.
#[derive(Debug, Clone, Copy)]
pub struct LagChart<'a>(pub Ctx<'a>);

impl Widget for LagChart<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let ctx = self.0;
        let t = ctx.theme();
        // The legend lives in the title, where it never covers the lines.
        let mut block = ctx.block("Lag", Focus::Lag);
        for g in &ctx.view.groups {
            block = block.title(Line::from(vec![
                Span::styled(
                    format!(" {} ", group_letter(g.slot)),
                    t.group_marker(g.slot),
                ),
                Span::styled(format!(" {} ", g.name), t.group(g.slot)),
            ]));
        }
        let groups = &ctx.view.groups;
        let has_data = groups.iter().any(|g| !g.lag_history.is_empty());
        if !has_data {
            let inner = block.inner(area);
            block.render(area, buf);
            put(
                buf,
                inner.x,
                inner.y,
                inner.right(),
                "no lag history yet",
                t.dim,
            );
            return;
        }
        let (mut t0, mut t1, mut top) = (f64::MAX, f64::MIN, 0.0f64);
        for (x, y) in groups.iter().flat_map(|g| g.lag_history.iter()) {
            t0 = t0.min(*x);
            t1 = t1.max(*x);
            top = top.max(*y);
        }
        if t1 <= t0 {
            t1 = t0 + 1.0;
        }
        let top = if top <= 0.0 { 1.0 } else { top * 1.1 };
        // Without colour, differently drawn points keep the lines apart.
        let markers = [Marker::Braille, Marker::Dot, Marker::Block, Marker::Bar];
        let datasets = groups
            .iter()
            .map(|g| {
                let marker = if t.kind == ThemeKind::Mono {
                    markers[g.slot % markers.len()]
                } else {
                    Marker::Braille
                };
                Dataset::default()
                    .name(format!("{} {}", group_letter(g.slot), g.name))
                    .marker(marker)
                    .graph_type(GraphType::Line)
                    .style(t.group(g.slot))
                    .data(&g.lag_history)
            })
            .collect();
        let secs = |s: f64| Span::styled(fmt_time((s * 1000.0) as i64), t.dim);
        Chart::new(datasets)
            .block(block)
            .x_axis(
                Axis::default()
                    .style(t.dim)
                    .bounds([t0, t1])
                    .labels([secs(t0), secs(t1)]),
            )
            .y_axis(Axis::default().style(t.dim).bounds([0.0, top]).labels([
                Span::styled("0", t.dim),
                Span::styled(fmt_count(top as i64), t.dim),
            ]))
            .legend_position(None)
            .render(area, buf);
    }
}
