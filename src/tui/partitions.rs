//! The partition logs: one strip per partition, newest records on the right.
//!
//! A strip of `s` cells shows offsets `hw-s+1 ..= hw`; the last cell is where the next
//! record will go, so a group that has caught up sits there. Records are `▮` in their
//! key's shade, offsets retention removed are `░`. Each group's committed offset is its
//! letter on its colour; a group further back than the strip is pinned to the left edge
//! with `◀` in the gutter. Only the strip's own cells are visited, never the log.
//!
//! On a replicated cluster, where there is room, the leader and the replicas in sync
//! follow: `L1 isr 1,2,3`, `L2 isr 2 of 3` (under-replicated), `offline`.
//!
//! ```text
//! ▶ orders  4 partitions
//!  p0 ◀B▮▮▮▮▮▮▮▮▮▮▮▮▮A▮▮▮  0‥812  A3 B400  L1 isr 1,2,3
//!  p1  ░░░▮▮▮▮▮▮▮▮▮▮▮▮▮▮A 80‥790  A0 B381  L2 isr 2 of 3
//! ```

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

use super::app::Focus;
use super::context::DrawContext;
use super::text::{Count, Scratch, count_width, put};
use super::theme::{KEY_SHADES, Theme, group_letter};
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
pub struct Partitions<'a>(pub DrawContext<'a>);

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
        let selected = ctx.app.selected_topic;
        let mut y = inner.y;
        for (i, topic) in view
            .topics
            .iter()
            .enumerate()
            .skip(ctx.viewport.first_topic)
        {
            if y >= inner.bottom() {
                break;
            }
            draw_title(ctx, topic, i == selected, inner, y, buf);
            y += 1;
            let right_w = right_widths(topic);
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
    ctx: DrawContext<'_>,
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

/// The widest right-hand texts among a topic's strips, so strips line up.
fn right_widths(topic: &TopicView) -> RightWidths {
    let (mut offsets, mut replicas) = (0, 0);
    for p in &topic.partitions {
        offsets = offsets.max(right_text_len(p));
        replicas = replicas.max(Replicas::of(p).width());
    }
    RightWidths {
        offsets,
        // Two spaces before it, as before the offsets.
        replicas: if replicas > 0 { replicas as u16 + 1 } else { 0 },
    }
}

fn right_text_len(p: &PartitionView) -> u16 {
    (2 + count_width(p.log_start) + 1 + count_width(p.high_watermark) + marks_width(p)) as u16
}

/// The narrowest strip replica details may squeeze a strip to.
const MIN_STRIP_WITH_REPLICAS: u16 = 16;

fn draw_strip(
    ctx: DrawContext<'_>,
    p: &PartitionView,
    right: RightWidths,
    row: Rect,
    buf: &mut Buffer,
) {
    let t = ctx.theme();
    let (y, max_x) = (row.y, row.right());
    let mut text = Scratch::default();
    let label = text.fmt(format_args!(" p{:<2}", p.partition));
    let label_w = label.len() as u16 + 1; // plus the gutter
    let right_w = right.offsets;
    let show_right = row.width > label_w + right_w + 8;
    let show_replicas = right.replicas > 0
        && row.width > label_w + right_w + right.replicas + MIN_STRIP_WITH_REPLICAS;
    let strip_w = match (show_right, show_replicas) {
        (true, true) => row.width - label_w - right_w - right.replicas,
        (true, false) => row.width - label_w - right_w,
        _ => row.width.saturating_sub(label_w),
    };
    put(buf, row.x, y, max_x, label, t.text);
    let gutter_x = row.x + label_w - 1;
    if strip_w == 0 {
        return;
    }
    let strip = Strip {
        x: gutter_x + 1,
        y,
        width: strip_w,
        first: p.high_watermark - i64::from(strip_w) + 1,
    };
    strip.draw_records(t, p, buf);
    if strip.draw_marks(t, p, buf) {
        buf[(gutter_x, y)].set_char('◀').set_style(t.warn);
    }
    if show_right {
        let x = draw_range(t, p, right_w, (strip.x + strip_w, y), max_x, &mut text, buf);
        draw_lags(t, p, (x, y), max_x, &mut text, buf);
    }
    if show_replicas {
        let x = strip.x + strip_w + right_w;
        draw_replicas(t, p, (x, y), max_x, &mut text, buf);
    }
}

/// The widths of the two right-hand parts of a topic's strips, so strips line up.
#[derive(Debug, Clone, Copy)]
struct RightWidths {
    /// The offset range and each group's lag.
    offsets: u16,
    /// The leader and the replicas in sync; 0 when no strip of the topic shows them.
    replicas: u16,
}

/// What a strip says about its replicas: nothing for a partition that is not replicated
/// and is healthy, so a single broker's strips stay as they are.
enum Replicas<'p> {
    None,
    InSync {
        leader: i32,
        isr: &'p [i32],
    },
    Short {
        leader: i32,
        isr: &'p [i32],
        of: usize,
    },
    Offline,
}

impl<'p> Replicas<'p> {
    fn of(p: &'p PartitionView) -> Self {
        let Some(leader) = p.leader else {
            return if p.offline() {
                Replicas::Offline
            } else {
                Replicas::None
            };
        };
        if p.under_replicated() {
            Replicas::Short {
                leader,
                isr: &p.isr,
                of: p.replicas.len(),
            }
        } else if p.replicas.len() > 1 {
            Replicas::InSync {
                leader,
                isr: &p.isr,
            }
        } else {
            Replicas::None
        }
    }

    /// Columns taken, with the space before it.
    fn width(&self) -> usize {
        let ids = |isr: &[i32]| -> usize {
            isr.iter()
                .map(|b| count_width(i64::from(*b)))
                .sum::<usize>()
                + isr.len().saturating_sub(1)
        };
        match self {
            Replicas::None => 0,
            Replicas::InSync { leader, isr } => 7 + count_width(i64::from(*leader)) + ids(isr),
            Replicas::Short { leader, isr, of } => {
                11 + count_width(i64::from(*leader)) + ids(isr) + count_width(*of as i64)
            }
            Replicas::Offline => 8,
        }
    }
}

/// ` L1 isr 1,2,3`, under-replicated ` L2 isr 2 of 3` in the warning colour, or ` offline`.
fn draw_replicas(
    t: &Theme,
    p: &PartitionView,
    (x, y): (u16, u16),
    max_x: u16,
    text: &mut Scratch,
    buf: &mut Buffer,
) {
    let x = put(buf, x, y, max_x, " ", t.text);
    let (leader, isr, style) = match Replicas::of(p) {
        Replicas::None => return,
        Replicas::Offline => {
            put(buf, x, y, max_x, " offline", t.bad);
            return;
        }
        Replicas::InSync { leader, isr } => (leader, isr, t.dim),
        Replicas::Short { leader, isr, .. } => (leader, isr, t.warn),
    };
    let mut x = put(
        buf,
        x,
        y,
        max_x,
        text.fmt(format_args!(" L{leader} isr ")),
        style,
    );
    for (i, b) in isr.iter().enumerate() {
        if i > 0 {
            x = put(buf, x, y, max_x, ",", style);
        }
        x = put(buf, x, y, max_x, text.fmt(format_args!("{b}")), style);
    }
    if p.under_replicated() {
        put(
            buf,
            x,
            y,
            max_x,
            text.fmt(format_args!(" of {}", p.replicas.len())),
            style,
        );
    }
}

/// The cells of one partition's strip: offsets `first..first + width` from `x`.
#[derive(Debug, Clone, Copy)]
struct Strip {
    x: u16,
    y: u16,
    width: u16,
    /// The offset in the leftmost cell.
    first: i64,
}

impl Strip {
    /// A cell per offset: a record in its key's shade, `░` where retention removed it, `·`
    /// for a record older than the view's tail, blank past the high watermark.
    fn draw_records(self, t: &Theme, p: &PartitionView, buf: &mut Buffer) {
        // One look per key shade, worked out once per strip rather than once per cell.
        let mut looks = [t.record_cell(None); KEY_SHADES + 1];
        for (shade, look) in looks.iter_mut().skip(1).enumerate() {
            *look = t.record_cell(Some(shade as u8));
        }
        let tail_len = p.tail.len() as i64;
        let row = buf.index_of(self.x, self.y);
        let cells = &mut buf.content[row..row + usize::from(self.width)];
        for (col, cell) in cells.iter_mut().enumerate() {
            let offset = self.first + col as i64;
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
    }

    /// Each group's letter at its committed offset, `+` where two meet, pinned to the left
    /// edge when further back than the strip. Returns whether any was pinned.
    fn draw_marks(self, t: &Theme, p: &PartitionView, buf: &mut Buffer) -> bool {
        // A fixed set of placed columns avoids allocating per strip.
        let mut placed = [u16::MAX; 8];
        let mut clamped = 0u16;
        for (i, m) in p.marks.iter().enumerate() {
            let Some(c) = m.committed else { continue };
            let col = if c < self.first {
                clamped += 1;
                clamped - 1
            } else {
                (c - self.first) as u16
            };
            if col >= self.width {
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
            buf[(self.x + col, self.y)].set_char(ch).set_style(style);
        }
        clamped > 0
    }
}

/// The partition's offset range, right-aligned in the `right_w` columns that leave room
/// for the lags. Returns the next x.
fn draw_range(
    t: &Theme,
    p: &PartitionView,
    right_w: u16,
    (mut x, y): (u16, u16),
    max_x: u16,
    text: &mut Scratch,
    buf: &mut Buffer,
) -> u16 {
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
    put(buf, x, y, max_x, range, t.dim)
}

/// Each group's letter and its lag on the partition.
fn draw_lags(
    t: &Theme,
    p: &PartitionView,
    (mut x, y): (u16, u16),
    max_x: u16,
    text: &mut Scratch,
    buf: &mut Buffer,
) {
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

fn marks_width(p: &PartitionView) -> usize {
    p.marks
        .iter()
        .map(|m| 2 + m.lag.map_or(1, count_width))
        .sum()
}
