//! The partition logs: one strip per partition, newest records on the right.
//!
//! A strip of `s` cells shows offsets `end-s+1 ..= end`, `end` being the log end; the
//! last cell is where the next record will go, so a group that has caught up sits there.
//! Records are `▮` in their key's shade, offsets retention removed are `░`. Each group's
//! committed offset is its letter on its colour; a group further back than the strip is
//! pinned to the left edge with `◀` in the gutter. Only the strip's own cells are
//! visited, never the log.
//!
//! ```text
//! ▶ orders  4 partitions
//!  p0 ◀B▮▮▮▮▮▮▮▮▮▮▮▮▮A▮▮▮  0‥812  A3 B400
//!  p1  ░░░▮▮▮▮▮▮▮▮▮▮▮▮▮▮A 80‥790  A0 B381
//! ```
//!
//! On a cluster a strip also shows replication. Records past the high watermark, which
//! followers have still to copy and nobody may read, are hollow `▯`, so the high
//! watermark is where filled records end. A follower short of the leader's end is its
//! broker id at its log end offset (a follower with everything sits at the end, unmarked).
//! Offsets the last election cut away, and no record has taken again, are `✕` past the
//! end. The right-hand side names the leader and the ISR, `OFFLINE` when no broker leads,
//! and how many records elections have cut.
//!
//! ```text
//!  p0 ◀▮▮▮▮▮▮▮▮▮▮▮▮▮▮▮▮▮▮3▮▮▮▯▯A   0‥812 L2 ISR 2,1      A3
//!  p1 ◀3▮▮▮▮▮▮▮▮▮▮▮▮▮▮▮▮▮▮▮▮▮▮A✕✕ 0‥790 OFFLINE ISR 1 cut 12 A0
//! ```

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::Widget;

use super::app::Focus;
use super::context::DrawContext;
use super::text::{Count, Scratch, count_width, put};
use super::theme::{KEY_SHADES, Theme, group_letter};
use super::view::{PartitionView, ReplicationView, TopicView, View};

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
    let range = 2 + count_width(p.log_start) + 1 + count_width(p.high_watermark);
    (range + replication_width(p) + marks_width(p)) as u16
}

fn draw_strip(ctx: DrawContext<'_>, p: &PartitionView, right_w: u16, row: Rect, buf: &mut Buffer) {
    let t = ctx.theme();
    let (y, max_x) = (row.y, row.right());
    let mut text = Scratch::default();
    let label = text.fmt(format_args!(" p{:<2}", p.partition));
    let label_w = label.len() as u16 + 1; // plus the gutter
    // A replicated strip's right side names the leader and the ISR: worth a shorter strip.
    let min_strip = if p.replication.is_some() { 6 } else { 8 };
    let show_right = row.width > label_w + right_w + min_strip;
    let strip_w = if show_right {
        row.width - label_w - right_w
    } else {
        row.width.saturating_sub(label_w)
    };
    put(buf, row.x, y, max_x, label, t.text);
    let gutter_x = row.x + label_w - 1;
    if strip_w == 0 {
        return;
    }
    // A cut shows past the end, in at most a third of the strip, so records stay in view.
    let cut_cells = (p.replication.as_ref())
        .and_then(|r| r.cut)
        .map_or(0, |(from, to)| (to - from).min(i64::from(strip_w / 3)));
    let strip = Strip {
        x: gutter_x + 1,
        y,
        width: strip_w,
        first: p.log_end() + cut_cells - i64::from(strip_w) + 1,
    };
    strip.draw_records(t, p, buf);
    if strip.draw_marks(t, p, buf) {
        buf[(gutter_x, y)].set_char('◀').set_style(t.warn);
    }
    if show_right {
        let x = draw_range(t, p, right_w, (strip.x + strip_w, y), max_x, &mut text, buf);
        let x = match &p.replication {
            Some(r) => draw_replication(t, r, (x, y), max_x, &mut text, buf),
            None => x,
        };
        draw_lags(t, p, (x, y), max_x, &mut text, buf);
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
    /// A cell per offset: a record in its key's shade, `▯` past the high watermark, `░`
    /// where retention removed it, `·` for a record older than the view's tail, `✕` where
    /// an election cut records past the end, blank past the end otherwise.
    fn draw_records(self, t: &Theme, p: &PartitionView, buf: &mut Buffer) {
        // One look per key shade, worked out once per strip rather than once per cell.
        let mut looks = [t.record_cell(None); KEY_SHADES + 1];
        for (shade, look) in looks.iter_mut().skip(1).enumerate() {
            *look = t.record_cell(Some(shade as u8));
        }
        let tail_len = p.tail.len() as i64;
        let end = p.log_end();
        let cut = (p.replication.as_ref())
            .and_then(|r| r.cut)
            .unwrap_or((end, end));
        let row = buf.index_of(self.x, self.y);
        let cells = &mut buf.content[row..row + usize::from(self.width)];
        for (col, cell) in cells.iter_mut().enumerate() {
            let offset = self.first + col as i64;
            let (ch, style) = if offset >= cut.0 && offset < cut.1 {
                ('✕', t.bad)
            } else if offset >= end || offset < 0 {
                (' ', t.text)
            } else if offset < p.log_start {
                ('░', t.removed)
            } else if offset >= p.high_watermark {
                ('▯', t.dim)
            } else {
                let back = end - offset;
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

    /// Each group's letter at its committed offset, then each lagging follower's broker
    /// id at its log end offset; `+` where two meet; pinned to the left edge when further
    /// back than the strip. Returns whether any was pinned.
    fn draw_marks(self, t: &Theme, p: &PartitionView, buf: &mut Buffer) -> bool {
        let mut marks = Marks::new(self);
        for m in &p.marks {
            if let Some(c) = m.committed {
                marks.place(c, group_letter(m.slot), t.group_marker(m.slot), t, buf);
            }
        }
        if let Some(r) = &p.replication {
            for (broker, leo) in r.lagging_followers() {
                let style = if r.isr.contains(&broker) {
                    t.accent
                } else {
                    t.bad
                };
                marks.place(leo, broker_glyph(broker), style, t, buf);
            }
        }
        marks.clamped > 0
    }
}

/// Markers placed on one strip so far, to pin and to spot collisions.
struct Marks {
    strip: Strip,
    /// A fixed set of placed columns avoids allocating per strip.
    placed: [u16; 16],
    count: usize,
    clamped: u16,
}

impl Marks {
    fn new(strip: Strip) -> Self {
        Marks {
            strip,
            placed: [u16::MAX; 16],
            count: 0,
            clamped: 0,
        }
    }

    fn place(&mut self, offset: i64, ch: char, style: Style, t: &Theme, buf: &mut Buffer) {
        let s = self.strip;
        let col = if offset < s.first {
            self.clamped += 1;
            self.clamped - 1
        } else {
            (offset - s.first) as u16
        };
        if col >= s.width {
            return;
        }
        let collides = self.placed.contains(&col);
        if let Some(slot) = self.placed.get_mut(self.count) {
            *slot = col;
        }
        self.count += 1;
        let (ch, style) = if collides {
            ('+', t.accent)
        } else {
            (ch, style)
        };
        buf[(s.x + col, s.y)].set_char(ch).set_style(style);
    }
}

/// A broker's marker on a strip: its id, or `#` past 9.
fn broker_glyph(broker: i32) -> char {
    u32::try_from(broker)
        .ok()
        .filter(|b| *b <= 9)
        .and_then(|b| char::from_digit(b, 10))
        .unwrap_or('#')
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
    let pad =
        (usize::from(right_w) - marks_width(p) - replication_width(p)).saturating_sub(range_w);
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

/// ` L2 ISR 2,3,1` or ` OFFLINE ISR 1`, then ` cut 12` once elections cut records.
/// Returns the next x.
fn draw_replication(
    t: &Theme,
    r: &ReplicationView,
    (x, y): (u16, u16),
    max_x: u16,
    text: &mut Scratch,
    buf: &mut Buffer,
) -> u16 {
    let x = match r.leader {
        Some(l) => put(buf, x, y, max_x, text.fmt(format_args!(" L{l}")), t.title),
        None => put(buf, x, y, max_x, " OFFLINE", t.bad),
    };
    let mut x = put(buf, x, y, max_x, " ISR ", t.dim);
    for (i, b) in r.isr.iter().enumerate() {
        let sep = if i == 0 { "" } else { "," };
        x = put(buf, x, y, max_x, text.fmt(format_args!("{sep}{b}")), t.text);
    }
    if r.truncated > 0 {
        let cut = text.fmt(format_args!(" cut {}", Count(r.truncated as i64)));
        x = put(buf, x, y, max_x, cut, t.bad);
    }
    x
}

/// The columns [`draw_replication`] takes.
fn replication_width(p: &PartitionView) -> usize {
    let Some(r) = &p.replication else { return 0 };
    let leader = r
        .leader
        .map_or(" OFFLINE".len(), |l| 2 + count_width(i64::from(l)));
    let isr: usize = r.isr.iter().map(|b| count_width(i64::from(*b))).sum();
    let cut = if r.truncated > 0 {
        5 + count_width(r.truncated as i64)
    } else {
        0
    };
    leader + 5 + isr + r.isr.len().saturating_sub(1) + cut
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
