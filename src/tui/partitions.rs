//! The partition logs: one strip per partition, newest records on the right.
//!
//! A strip of `s` cells shows offsets `hw-s+1 ..= hw`; the last cell is where the next
//! record will go, so a group that has caught up sits there. Records are `▮` in their
//! key's shade, offsets retention removed are `░`. Each group's committed offset is its
//! letter on its colour; a group further back than the strip is pinned to the left edge
//! with `◀` in the gutter. Only the strip's own cells are visited, never the log.
//!
//! ```text
//! ▶ orders  4 partitions
//!  p0 ◀B▮▮▮▮▮▮▮▮▮▮▮▮▮A▮▮▮  0‥812  A3 B400
//!  p1  ░░░▮▮▮▮▮▮▮▮▮▮▮▮▮▮A 80‥790  A0 B381
//! ```

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

use super::app::Focus;
use super::screen::{Count, Ctx, Scratch, count_width, put};
use super::theme::{KEY_SHADES, group_letter};
use super::view::{PartitionView, TopicView, View};

/// Content rows the pane would like: a title line per topic and a line per partition.
pub fn rows_wanted(view: &View) -> u16 {
    view.topics
        .iter()
        .map(|t| 1 + t.partitions.len() as u16)
        .sum()
}

/// The partition logs pane.
#[derive(Debug, Clone, Copy)]
pub struct Partitions<'a>(pub Ctx<'a>);

impl Widget for Partitions<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let ctx = self.0;
        let block = ctx.block("Partitions", Focus::Partitions);
        let inner = block.inner(area);
        block.render(area, buf);
        let view = ctx.view;
        if view.topics.is_empty() {
            put(
                buf,
                inner.x,
                inner.y,
                inner.right(),
                "no topics",
                ctx.theme().dim,
            );
            return;
        }
        // When everything does not fit, start at the selected topic so it stays visible.
        let selected = ctx.app.selected_topic.min(view.topics.len() - 1);
        let first = if rows_wanted(view) > inner.height {
            selected
        } else {
            0
        };
        let mut y = inner.y;
        for (i, topic) in view.topics.iter().enumerate().skip(first) {
            if y >= inner.bottom() {
                break;
            }
            draw_title(ctx, topic, i == selected, inner, y, buf);
            y += 1;
            let right_w = right_width(topic);
            for p in &topic.partitions {
                if y >= inner.bottom() {
                    break;
                }
                draw_strip(
                    ctx,
                    p,
                    right_w,
                    Rect {
                        y,
                        height: 1,
                        ..inner
                    },
                    buf,
                );
                y += 1;
            }
        }
    }
}

fn draw_title(
    ctx: Ctx<'_>,
    topic: &TopicView,
    selected: bool,
    inner: Rect,
    y: u16,
    buf: &mut Buffer,
) {
    let t = ctx.theme();
    let focused = matches!(ctx.app.focus, Focus::Partitions | Focus::Producers);
    let (marker, style) = match (selected, focused) {
        (true, true) => ("▸ ", t.selected),
        (true, false) => ("▸ ", t.title),
        _ => ("  ", t.title),
    };
    let x = put(buf, inner.x, y, inner.right(), marker, t.accent);
    let x = put(buf, x, y, inner.right(), &topic.name, style);
    let n = topic.partitions.len();
    let s = if n == 1 { "" } else { "s" };
    put(
        buf,
        x,
        y,
        inner.right(),
        Scratch::default().fmt(format_args!("  {n} partition{s}")),
        t.dim,
    );
}

/// The widest right-hand text among a topic's strips, so strips line up.
fn right_width(topic: &TopicView) -> u16 {
    topic
        .partitions
        .iter()
        .map(right_text_len)
        .max()
        .unwrap_or(0)
}

fn right_text_len(p: &PartitionView) -> u16 {
    (2 + count_width(p.log_start) + 1 + count_width(p.high_watermark) + marks_width(p)) as u16
}

fn draw_strip(ctx: Ctx<'_>, p: &PartitionView, right_w: u16, row: Rect, buf: &mut Buffer) {
    let t = ctx.theme();
    let (y, max_x) = (row.y, row.right());
    let mut text = Scratch::default();
    let label = text.fmt(format_args!(" p{:<2}", p.partition));
    let label_w = label.len() as u16 + 1; // plus the gutter
    let show_right = row.width > label_w + right_w + 8;
    let strip_w = if show_right {
        row.width - label_w - right_w
    } else {
        row.width.saturating_sub(label_w)
    };
    put(buf, row.x, y, max_x, label, t.text);
    let gutter_x = row.x + label_w - 1;
    let strip_x = gutter_x + 1;
    let s = i64::from(strip_w);
    if s == 0 {
        return;
    }
    let first = p.high_watermark - s + 1;

    // One look per key shade, worked out once per strip rather than once per cell.
    let mut looks = [t.record_cell(None); KEY_SHADES + 1];
    for (shade, look) in looks.iter_mut().skip(1).enumerate() {
        *look = t.record_cell(Some(shade as u8));
    }
    let tail_len = p.tail.len() as i64;
    let row = buf.index_of(strip_x, y);
    let cells = &mut buf.content[row..row + usize::from(strip_w)];
    for (col, cell) in cells.iter_mut().enumerate() {
        let offset = first + col as i64;
        let (ch, style) = if offset >= p.high_watermark || offset < 0 {
            (' ', t.text)
        } else if offset < p.log_start {
            ('░', t.removed)
        } else {
            let back = p.high_watermark - offset;
            match usize::try_from(tail_len - back)
                .ok()
                .and_then(|i| p.tail.get(i))
            {
                Some(None) => looks[0],
                Some(Some(shade)) => looks[1 + usize::from(*shade) % KEY_SHADES],
                None => ('·', t.dim),
            }
        };
        cell.set_char(ch).set_style(style);
    }

    // Markers: a fixed set of placed columns avoids allocating per strip.
    let mut placed = [u16::MAX; 8];
    let mut clamped = 0u16;
    for (i, m) in p.marks.iter().enumerate() {
        let Some(c) = m.committed else { continue };
        let col = if c < first {
            clamped += 1;
            clamped - 1
        } else {
            (c - first) as u16
        };
        if col >= strip_w {
            continue;
        }
        let collides = placed.contains(&col);
        if let Some(slot) = placed.get_mut(i) {
            *slot = col;
        }
        let (ch, style) = if collides {
            ('+', t.accent)
        } else {
            (group_letter(m.slot), t.group_marker(m.slot))
        };
        buf[(strip_x + col, y)].set_char(ch).set_style(style);
    }
    if clamped > 0 {
        buf[(gutter_x, y)].set_char('◀').set_style(t.warn);
    }

    if show_right {
        let mut x = strip_x + strip_w;
        // Right-aligned: pad by arithmetic, since `‥` is one column but three bytes.
        let range_w = count_width(p.log_start) + 1 + count_width(p.high_watermark);
        let pad = (usize::from(right_w) - marks_width(p)).saturating_sub(range_w);
        for _ in 0..pad {
            x = put(buf, x, y, max_x, " ", t.dim);
        }
        let range = text.fmt(format_args!(
            "{}‥{}",
            Count(p.log_start),
            Count(p.high_watermark)
        ));
        x = put(buf, x, y, max_x, range, t.dim);
        for m in &p.marks {
            x = put(buf, x, y, max_x, " ", t.text);
            let mut letter = [0u8; 4];
            let letter = group_letter(m.slot).encode_utf8(&mut letter);
            x = put(buf, x, y, max_x, letter, t.group(m.slot));
            let lag = match m.lag {
                Some(l) => text.fmt(format_args!("{}", Count(l))),
                None => "–",
            };
            x = put(buf, x, y, max_x, lag, t.group(m.slot));
        }
    }
}

fn marks_width(p: &PartitionView) -> usize {
    p.marks
        .iter()
        .map(|m| 2 + m.lag.map_or(1, count_width))
        .sum()
}
