//! Consumer groups: the verdict, state, generation and protocol, lag in records and in
//! time with the ETA, consume rate, duplicates and lost records, then the members (with
//! the client id and host of a real client) and their partitions, committed offset and
//! lag per partition. While the groups or lag pane has the focus, the selected group also
//! shows the rule behind its verdict. What a source cannot know is left out.
//!
//! A rebalance shows in two steps, as it happens: the state word changes first
//! (`PreparingRebalance`, `CompletingRebalance`; `Assigning`, `Reconciling` under the
//! consumer protocol), then the members' partitions move. A partition nobody is working on
//! meanwhile is marked `‖`.
//!
//! ```text
//! A billing OK Stable gen 3 · classic range
//!   lag 12 (0.4s) · eta 2.0s · 30.0/s · dup 0 · lost 0 · max 15.0/s each
//!  billing-1  p0 1200+3 ‖p1 1190+5
//!  billing-2  p2 1180+0  p3 1175+4
//! ```

mod measures;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::Widget;

use super::app::{App, Focus};
use super::context::DrawContext;
use super::text::{Count, Scratch, count_width, put};
use super::theme::{Theme, group_letter};
use super::view::{GroupPhase, GroupView, MemberView, View};
use crate::sim::MemberState;

/// Content rows the pane would like at `width` columns (the pane's outer width),
/// counting rows that wrap and the reason under group `detail` (see [`detail_group`]).
pub fn rows_wanted(view: &View, width: u16, detail: Option<usize>) -> u16 {
    let inner = usize::from(width.saturating_sub(2)).max(1);
    view.groups
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let reason = if detail == Some(i) {
                measures::reason_rows(g, inner)
            } else {
                0
            };
            (rows_of(g, inner) + reason) as u16
        })
        .sum()
}

/// The group whose verdict's reason is shown: the selected row's, while the groups or lag
/// pane has the focus.
pub fn detail_group(view: &View, app: &App) -> Option<usize> {
    matches!(app.focus, Focus::Groups | Focus::Lag)
        .then(|| view.group_row(app.selected_row).map(|r| r.group))
        .flatten()
}

fn rows_of(g: &GroupView, width: usize) -> usize {
    // Each cell is about " p0 " plus offset and lag: estimate from the widest.
    let cell = cell_estimate(g);
    let member_rows: usize = g
        .members
        .iter()
        .map(|m| {
            (1 + m.id.len() + client_width(m) + m.partitions.len() * cell)
                .div_ceil(width)
                .max(1)
        })
        .sum();
    1 + measures::stats_rows(g, width) + member_rows + usize::from(has_unassigned(g))
}

fn cell_estimate(g: &GroupView) -> usize {
    g.offsets
        .iter()
        .map(|o| {
            5 + usize::from(o.paused)
                + o.committed.map_or(1, count_width)
                + o.lag.map_or(0, |l| 1 + count_width(l))
        })
        .max()
        .unwrap_or(8)
}

fn has_unassigned(g: &GroupView) -> bool {
    g.offsets
        .iter()
        .any(|o| !is_assigned(g, &o.topic, o.partition))
}

fn is_assigned(g: &GroupView, topic: &str, partition: u32) -> bool {
    // Each member's partitions are sorted: a group of a thousand partitions is asked this
    // a thousand times a frame.
    g.members.iter().any(|m| {
        m.partitions
            .binary_search_by(|(t, p)| (t.as_str(), *p).cmp(&(topic, partition)))
            .is_ok()
    })
}

/// Columns a real client's id and host take after the member id.
fn client_width(m: &MemberView) -> usize {
    [&m.client_id, &m.host]
        .into_iter()
        .flatten()
        .map(|s| 1 + s.chars().count())
        .sum()
}

/// The consumer groups pane.
#[derive(Debug, Clone, Copy)]
pub struct Groups<'a>(pub DrawContext<'a>);

impl Widget for Groups<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let ctx = self.0;
        let block = ctx.block("Groups", Focus::Groups);
        let inner = block.inner(area);
        block.render(area, buf);
        let t = ctx.theme();
        let view = ctx.view;
        if view.groups.is_empty() {
            put(buf, inner.x, inner.y, inner.right(), "no groups", t.dim);
            return;
        }
        let selected = view.group_row(ctx.app.selected_row);
        let focused = matches!(ctx.app.focus, Focus::Groups | Focus::Lag);
        let detail = detail_group(view, ctx.app);
        let first = ctx.viewport.first_group;
        let mut lines = Lines {
            buf,
            area: inner,
            y: inner.y,
            text: Scratch::default(),
        };
        for (gi, g) in view.groups.iter().enumerate().skip(first) {
            let header_selected = selected.is_some_and(|r| r.group == gi && r.member.is_none());
            group_header(&mut lines, t, g, header_selected, focused);
            measures::stats(&mut lines, t, g);
            if detail == Some(gi) && measures::reason(&mut lines, t, g).is_none() {
                return;
            }
            let multi_topic = g.offsets.iter().any(|o| o.topic != g.offsets[0].topic);
            for (mi, m) in g.members.iter().enumerate() {
                let sel = selected.is_some_and(|r| r.group == gi && r.member == Some(mi));
                let style = match (sel, focused) {
                    (true, true) => t.selected,
                    _ => t.group(g.slot),
                };
                let row = MemberRow {
                    member: m,
                    selected: sel,
                    style,
                };
                if row.draw(&mut lines, t, g, multi_topic).is_none() {
                    return;
                }
            }
            if has_unassigned(g) && unassigned_row(&mut lines, t, g, multi_topic).is_none() {
                return;
            }
        }
    }
}

/// A member's row: the selection marker, its id, its state unless active, then its
/// partitions, wrapping onto more rows as needed.
struct MemberRow<'v> {
    member: &'v MemberView,
    selected: bool,
    /// How the id is drawn.
    style: Style,
}

impl MemberRow<'_> {
    /// `None` when the pane is full.
    fn draw(
        &self,
        lines: &mut Lines<'_>,
        t: &Theme,
        g: &GroupView,
        multi_topic: bool,
    ) -> Option<()> {
        let m = self.member;
        let (x, y, max_x) = lines.next()?;
        let marker = if self.selected { "▸" } else { " " };
        let x = put(lines.buf, x, y, max_x, marker, t.accent);
        let mut x = put(lines.buf, x, y, max_x, &m.id, self.style);
        for text in [&m.client_id, &m.host].into_iter().flatten() {
            x = put(lines.buf, x, y, max_x, " ", t.dim);
            x = put(lines.buf, x, y, max_x, text, t.dim);
        }
        if let Some(state) = m.state.filter(|s| *s != MemberState::Active) {
            let look = if state == MemberState::Crashed {
                t.bad
            } else {
                t.warn
            };
            x = put(lines.buf, x, y, max_x, " ", look);
            x = put(lines.buf, x, y, max_x, state.label(), look);
        }
        let parts = m.partitions.iter().map(|(topic, p)| (topic.as_str(), *p));
        let at = partition_cells(lines, t, g, parts, multi_topic, (x, y))?;
        if m.partitions.is_empty() {
            put(lines.buf, at.0, at.1, max_x, " (no partitions)", t.dim);
        }
        Some(())
    }
}

/// The partitions of the group's topics no member owns. `None` when the pane is full.
fn unassigned_row(
    lines: &mut Lines<'_>,
    t: &Theme,
    g: &GroupView,
    multi_topic: bool,
) -> Option<()> {
    let (x, y, max_x) = lines.next()?;
    let x = put(lines.buf, x, y, max_x, "  unassigned", t.warn);
    let parts = g
        .offsets
        .iter()
        .filter(|o| !is_assigned(g, &o.topic, o.partition))
        .map(|o| (o.topic.as_str(), o.partition));
    partition_cells(lines, t, g, parts, multi_topic, (x, y)).map(|_| ())
}

/// Draws a cell per partition from `at`, wrapping as needed. Returns where the next one
/// would go, or `None` when the pane is full.
fn partition_cells<'v>(
    lines: &mut Lines<'_>,
    t: &Theme,
    g: &GroupView,
    parts: impl Iterator<Item = (&'v str, u32)>,
    multi_topic: bool,
    mut at: (u16, u16),
) -> Option<(u16, u16)> {
    for (topic, p) in parts {
        at = PartitionCell::new(g, topic, p, multi_topic).draw(lines, t, g.slot, at)?;
    }
    Some(at)
}

/// Hands out one row at a time until the pane is full.
struct Lines<'b> {
    buf: &'b mut Buffer,
    area: Rect,
    y: u16,
    /// Where the rows' numbers are formatted.
    text: Scratch,
}

impl Lines<'_> {
    fn next(&mut self) -> Option<(u16, u16, u16)> {
        if self.y >= self.area.bottom() {
            return None;
        }
        self.y += 1;
        Some((self.area.x, self.y - 1, self.area.right()))
    }
}

fn state_style(t: &Theme, phase: GroupPhase) -> Style {
    match phase {
        GroupPhase::Stable => t.good,
        GroupPhase::Rebalancing => t.warn,
        GroupPhase::Idle => t.dim,
    }
}

fn group_header(lines: &mut Lines<'_>, t: &Theme, g: &GroupView, selected: bool, focused: bool) {
    let Some((x, y, max_x)) = lines.next() else {
        return;
    };
    let mut letter = [0u8; 4];
    let letter = group_letter(g.slot).encode_utf8(&mut letter);
    let x = put(lines.buf, x, y, max_x, letter, t.group_marker(g.slot));
    let x = put(lines.buf, x, y, max_x, " ", t.text);
    let name_style = if selected && focused {
        t.selected
    } else {
        t.group(g.slot).patch(t.title)
    };
    let mut x = put(lines.buf, x, y, max_x, &g.name, name_style);
    if let Some(v) = &g.verdict {
        x = put(lines.buf, x, y, max_x, " ", t.text);
        let look = t.title.patch(measures::status_style(t, v.status));
        x = put(lines.buf, x, y, max_x, v.status.as_str(), look);
    }
    let x = put(lines.buf, x, y, max_x, " ", t.text);
    let mut x = put(lines.buf, x, y, max_x, &g.state, state_style(t, g.phase));
    if let Some(generation) = g.generation {
        let text = lines.text.fmt(format_args!(" gen {generation}"));
        x = put(lines.buf, x, y, max_x, text, t.dim);
    }
    // The protocol matters least here: shown whole or not at all.
    let protocol = lines.text.fmt(format_args!(" · {}", g.protocol));
    if !g.protocol.is_empty() && usize::from(x) + protocol.chars().count() <= usize::from(max_x) {
        put(lines.buf, x, y, max_x, protocol, t.dim);
    }
}

/// One partition of a member: its name, committed offset and lag, e.g. `p0 1200+3`.
struct PartitionCell<'v> {
    topic: &'v str,
    partition: u32,
    multi_topic: bool,
    committed: Option<i64>,
    lag: Option<i64>,
    paused: bool,
}

impl<'v> PartitionCell<'v> {
    fn new(g: &GroupView, topic: &'v str, partition: u32, multi_topic: bool) -> Self {
        let offset = g.offset(topic, partition);
        PartitionCell {
            topic,
            partition,
            multi_topic,
            committed: offset.and_then(|o| o.committed),
            lag: offset.and_then(|o| o.lag),
            paused: offset.is_some_and(|o| o.paused),
        }
    }

    /// Columns the cell takes, worked out without formatting it.
    fn width(&self) -> u16 {
        let digits = self.partition.checked_ilog10().unwrap_or(0) as usize + 1;
        let name = if self.multi_topic {
            self.topic.chars().count() + 1 + digits + 1
        } else {
            1 + digits + 1
        };
        let committed = self.committed.map_or(1, count_width);
        let lag = self.lag.map_or(0, |l| 1 + count_width(l));
        (1 + usize::from(self.paused) + name + committed + lag) as u16
    }

    /// Draws after `at`, wrapping onto a new indented row when the cell does not fit.
    /// Returns where the next cell goes, or `None` when the pane is full.
    fn draw(
        &self,
        lines: &mut Lines<'_>,
        t: &Theme,
        slot: usize,
        at: (u16, u16),
    ) -> Option<(u16, u16)> {
        let width = self.width();
        let max_x = lines.area.right();
        let (mut x, mut y) = at;
        if x + width > max_x && x > lines.area.x + 6 {
            let (nx, ny, _) = lines.next()?;
            (x, y) = (nx + 3, ny);
        }
        let x = put(lines.buf, x, y, max_x, " ", t.text);
        let (x, name_style) = if self.paused {
            (put(lines.buf, x, y, max_x, "‖", t.warn), t.warn)
        } else {
            (x, t.text)
        };
        let name = if self.multi_topic {
            lines
                .text
                .fmt(format_args!("{}/{} ", self.topic, self.partition))
        } else {
            lines.text.fmt(format_args!("p{} ", self.partition))
        };
        let x = put(lines.buf, x, y, max_x, name, name_style);
        let committed = match self.committed {
            Some(c) => lines.text.fmt(format_args!("{}", Count(c))),
            None => "–",
        };
        let x = put(lines.buf, x, y, max_x, committed, t.dim);
        let x = match self.lag {
            Some(l) => {
                let lag = lines.text.fmt(format_args!("+{}", Count(l)));
                put(lines.buf, x, y, max_x, lag, t.group(slot))
            }
            None => x,
        };
        Some((x, y))
    }
}
