//! Total lag per group over simulated time, one line per group in the group's colour:
//! in records, or (`t`) in time, as the age of the group's oldest unprocessed record.
//! The title names each group by its letter on its colour; without colour the lines are
//! drawn with different point shapes.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;
use ratatui::widgets::canvas::{Canvas, Line as CanvasLine, Points};

use super::app::{Focus, LagUnit};
use super::context::DrawContext;
use super::pane::Pane;
use super::text::{Age, fmt_count, fmt_time, put};
use super::theme::{Theme, ThemeKind, group_letter};
use super::view::GroupView;
use crate::printable::Printable;

/// The lag chart pane.
#[derive(Debug, Clone, Copy)]
pub struct LagChart<'a>(pub DrawContext<'a>);

impl Widget for LagChart<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let ctx = self.0;
        let t = ctx.theme();
        let block = legend(ctx);
        let inner = block.inner(area);
        block.render(area, buf);
        let groups = &ctx.view.groups;
        let unit = ctx.app.lag_unit;
        if groups.iter().all(|g| series(g, unit).is_empty()) {
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
        let bounds = Bounds::of(groups, unit);
        if let Some(graph) = draw_axes(t, bounds, unit, inner, buf) {
            draw_lines(t, groups, bounds, unit, graph, buf);
        }
    }
}

/// The points a group's line goes through, in the chart's unit.
fn series(g: &GroupView, unit: LagUnit) -> &[(f64, f64)] {
    match unit {
        LagUnit::Records => &g.lag_history,
        LagUnit::Time => &g.time_lag_history,
    }
}

/// The pane's box. The legend lives in the title, where it never covers the lines.
fn legend<'a>(ctx: DrawContext<'a>) -> Pane<'a> {
    let t = ctx.theme();
    let title = match ctx.app.lag_unit {
        LagUnit::Records => "Lag",
        LagUnit::Time => "Lag in time",
    };
    let mut block = ctx.block(title, Focus::Lag);
    for g in &ctx.view.groups {
        block = block.title(Line::from(vec![
            Span::styled(
                format!(" {} ", group_letter(g.slot)),
                t.group_marker(g.slot),
            ),
            Span::styled(format!(" {} ", Printable(&g.name)), t.group(g.slot)),
        ]));
    }
    block
}

/// The time span and the top of the lag axis, over every group's history.
#[derive(Debug, Clone, Copy)]
struct Bounds {
    /// First and last sample, in simulated seconds.
    t0: f64,
    t1: f64,
    top: f64,
}

impl Bounds {
    fn of(groups: &[GroupView], unit: LagUnit) -> Self {
        let (mut t0, mut t1, mut top) = (f64::MAX, f64::MIN, 0.0f64);
        for (x, y) in groups.iter().flat_map(|g| series(g, unit).iter()) {
            t0 = t0.min(*x);
            t1 = t1.max(*x);
            top = top.max(*y);
        }
        if t1 <= t0 {
            t1 = t0 + 1.0;
        }
        let top = if top <= 0.0 { 1.0 } else { top * 1.1 };
        Bounds { t0, t1, top }
    }
}

/// Axes by hand around a canvas: the y labels on the left, the time labels below.
/// Returns the area left for the lines, or `None` when there is no room for them.
fn draw_axes(t: &Theme, b: Bounds, unit: LagUnit, inner: Rect, buf: &mut Buffer) -> Option<Rect> {
    let top_label = match unit {
        LagUnit::Records => fmt_count(b.top as i64),
        LagUnit::Time => Age(b.top as i64).to_string(),
    };
    let label_w = top_label.len() as u16 + 1;
    if inner.width <= label_w + 4 || inner.height < 3 {
        return None;
    }
    let graph = Rect {
        x: inner.x + label_w,
        y: inner.y,
        width: inner.width - label_w,
        height: inner.height - 1,
    };
    let axis_y = graph.bottom();
    put(buf, inner.x, graph.y, graph.x, &top_label, t.dim);
    put(buf, inner.x, axis_y - 1, graph.x, "0", t.dim);
    let start = fmt_time((b.t0 * 1000.0) as i64);
    let end = fmt_time((b.t1 * 1000.0) as i64);
    put(buf, graph.x, axis_y, inner.right(), &start, t.dim);
    let end_x = inner.right().saturating_sub(end.len() as u16);
    if end_x > graph.x + start.len() as u16 {
        put(buf, end_x, axis_y, inner.right(), &end, t.dim);
    }
    Some(graph)
}

/// A line per group in its colour on a Braille canvas.
fn draw_lines(
    t: &Theme,
    groups: &[GroupView],
    b: Bounds,
    unit: LagUnit,
    graph: Rect,
    buf: &mut Buffer,
) {
    // Braille has two dots per column: more points than that only cost drawing time.
    let max_points = usize::from(graph.width) * 2;
    let points: Vec<Vec<(f64, f64)>> = groups
        .iter()
        .map(|g| downsample(series(g, unit), max_points))
        .collect();
    let mono = t.kind == ThemeKind::Mono;
    // Without colour, differently drawn points keep the lines apart; with colour, one
    // Braille layer for every group is much cheaper to draw than a layer per group.
    let markers = [Marker::Braille, Marker::Dot, Marker::Block, Marker::Bar];
    Canvas::default()
        .x_bounds([b.t0, b.t1])
        .y_bounds([0.0, b.top])
        .marker(Marker::Braille)
        .paint(|c| {
            for (g, data) in groups.iter().zip(&points) {
                if mono {
                    c.marker(markers[g.slot % markers.len()]);
                }
                let color = t.group(g.slot).fg.unwrap_or(Color::Reset);
                for w in data.windows(2) {
                    c.draw(&CanvasLine {
                        x1: w[0].0,
                        y1: w[0].1,
                        x2: w[1].0,
                        y2: w[1].1,
                        color,
                    });
                }
                if let [(x, y)] = data.as_slice() {
                    c.draw(&Points {
                        coords: &[(*x, *y)],
                        color,
                    });
                }
            }
        })
        .render(graph, buf);
}

/// At most `max` points: each run of consecutive samples becomes its highest one, so
/// peaks survive. Time stays in order.
pub fn downsample(data: &[(f64, f64)], max: usize) -> Vec<(f64, f64)> {
    if data.len() <= max || max == 0 {
        return data.to_vec();
    }
    let per = data.len().div_ceil(max);
    data.chunks(per)
        .map(|run| {
            run.iter()
                .copied()
                .fold(run[0], |best, p| if p.1 > best.1 { p } else { best })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::downsample;

    #[test]
    fn downsampling_keeps_peaks_and_order() {
        let data: Vec<(f64, f64)> = (0..10).map(|i| (f64::from(i), f64::from(i % 4))).collect();
        let out = downsample(&data, 5);
        assert_eq!(
            out,
            vec![(1.0, 1.0), (3.0, 3.0), (5.0, 1.0), (7.0, 3.0), (9.0, 1.0)]
        );
        assert_eq!(downsample(&data, 20), data);
    }
}
