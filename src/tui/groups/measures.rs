//! A group's second line in the groups pane, its lag three ways first: in records, in time
//! (the oldest unprocessed record's age) and the ETA, then the consume rate and the
//! at-least-once counters. When the pane is too narrow for all three measures the ETA
//! starts a new row rather than being cut off. Under the selected group, the rule behind
//! its verdict.
//!
//! ```text
//!   lag 360 (1m02s) · not draining · 7.5/s · dup 0 · lost 0 · max 7.5/s each
//!   WARN: lag on orders/1 grew over its last 5 commits, from 6 to 169, and did not
//!   fall at the newest
//! ```

use ratatui::style::Style;

use super::Lines;
use crate::sim::Status;
use crate::tui::fit::{ELLIPSIS, Fields, KEEP, wrap_rows};
use crate::tui::text::{Age, Count, Rate, printed_width, put};
use crate::tui::theme::Theme;
use crate::tui::view::GroupView;

/// The most rows a reason takes; a longer one ends with `…` at a word boundary.
const REASON_ROWS: usize = 3;
/// Where a wrapped line continues.
const CONTINUE_AT: u16 = 4;

/// How a status word looks: good, worth a look, or needing someone.
pub(super) fn status_style(t: &Theme, status: Status) -> Style {
    match status {
        Status::Ok => t.good,
        Status::Warn | Status::Rewind => t.warn,
        Status::Stall | Status::Stop | Status::Err => t.bad,
    }
}

/// What the ETA part says, once a source has judged the group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Eta {
    CaughtUp,
    In(i64),
    NotDraining,
}

fn eta(g: &GroupView) -> Option<Eta> {
    g.verdict.as_ref()?;
    Some(match g.eta_ms {
        _ if g.total_lag <= 0 => Eta::CaughtUp,
        Some(ms) => Eta::In(ms),
        None => Eta::NotDraining,
    })
}

impl std::fmt::Display for Eta {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Eta::CaughtUp => f.write_str("caught up"),
            Eta::In(ms) => write!(f, "eta {}", Age(*ms)),
            Eta::NotDraining => f.write_str("not draining"),
        }
    }
}

/// The lag in records, with the lag in time when known: `  lag 360 (1m02s)`.
struct LagText<'g>(&'g GroupView);

impl std::fmt::Display for LagText<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "  lag {}", Count(self.0.total_lag))?;
        match self.0.time_lag_ms {
            Some(ms) => write!(f, " ({})", Age(ms)),
            None => Ok(()),
        }
    }
}

/// Whether the ETA goes on a row of its own at `width` columns.
fn eta_wraps(g: &GroupView, width: usize) -> bool {
    eta(g).is_some_and(|e| printed_width(format_args!("{} · {e}", LagText(g))) > width)
}

/// Whether the counters go on a row of their own at `width` columns: when one of them is
/// above zero (news: duplicates or lost records) and it does not fit beside the lag.
fn counters_wrap(g: &GroupView, width: usize) -> bool {
    let (dup, lost) = (g.duplicates.unwrap_or(0), g.lost.unwrap_or(0));
    if dup == 0 && lost == 0 {
        return false;
    }
    let lag = match eta(g) {
        Some(e) => printed_width(format_args!("{} · {e}", LagText(g))),
        None => printed_width(format_args!("{}", LagText(g))),
    };
    let dup = if dup > 0 {
        printed_width(format_args!(" · dup {dup}"))
    } else {
        0
    };
    let lost = if lost > 0 {
        printed_width(format_args!(" · lost {lost}"))
    } else {
        0
    };
    lag + dup + lost > width
}

/// Rows the stats take at `width` columns: one, or two when the ETA or the counters
/// wrap.
pub(super) fn stats_rows(g: &GroupView, width: usize) -> usize {
    1 + usize::from(eta_wraps(g, width) || counters_wrap(g, width))
}

/// Rows the reason takes at `width` columns.
pub(super) fn reason_rows(g: &GroupView, width: usize) -> usize {
    g.verdict
        .as_ref()
        .filter(|v| !v.reason.is_empty())
        .map_or(0, |v| {
            let w = reason_width(width);
            wrap_rows(&v.reason, w, w, REASON_ROWS).len()
        })
}

fn reason_width(width: usize) -> usize {
    width.saturating_sub(2).max(10)
}

/// Draws the stats rows. When narrow, the per-consumer maximum goes first, then the
/// at-least-once counters while they are zero, then the rate; the lag stays. The ETA, and
/// counters above zero, go on a second row rather than being dropped.
pub(super) fn stats(lines: &mut Lines<'_>, t: &Theme, g: &GroupView) {
    let width = usize::from(lines.area.width);
    let (eta_wraps, counters_wrap) = (eta_wraps(g, width), counters_wrap(g, width));
    let Some((x, y, max_x)) = lines.next() else {
        return;
    };
    let row = lines.fields.clear();
    row.push(KEEP, t.title, format_args!("  lag {}", Count(g.total_lag)));
    if let Some(ms) = g.time_lag_ms {
        row.push(85, t.title, format_args!(" ({})", Age(ms)));
    }
    let e = eta(g);
    // Lag that holds steady while the group keeps up is not draining either, and needs
    // no attention: only a group already in trouble gets the warning colour.
    let in_trouble = g.verdict.as_ref().is_some_and(|v| v.status != Status::Ok);
    let style = if e == Some(Eta::NotDraining) && in_trouble {
        t.warn
    } else {
        t.text
    };
    if let Some(e) = e.filter(|_| !eta_wraps) {
        row.push(80, style, format_args!(" · {e}"));
    }
    if !eta_wraps && !counters_wrap {
        counters(row, t, g, " · ");
        row.draw(lines.buf, x, y, max_x);
        return;
    }
    row.draw(lines.buf, x, y, max_x);
    let Some((x, y, max_x)) = lines.next() else {
        return;
    };
    let row = lines.fields.clear();
    match e.filter(|_| eta_wraps) {
        Some(e) => {
            row.push(KEEP, style, format_args!("{e}"));
            counters(row, t, g, " · ");
        }
        None => counters(row, t, g, ""),
    }
    row.draw(lines.buf, x + CONTINUE_AT, y, max_x);
}

/// The consume rate and the at-least-once counters, after the lag, where the source
/// knows them. A counter above zero is news, and outlasts everything but the lag itself.
fn counters(row: &mut Fields, t: &Theme, g: &GroupView, sep: &str) {
    row.push(60, t.text, format_args!("{sep}{}", Rate(g.consume_rate)));
    if let Some(dup) = g.duplicates {
        let (dup_style, dup_priority) = if dup > 0 { (t.warn, 88) } else { (t.dim, 40) };
        row.push(dup_priority, dup_style, format_args!(" · dup {dup}"));
    }
    if let Some(lost) = g.lost {
        let (lost_style, lost_priority) = if lost > 0 { (t.bad, 88) } else { (t.dim, 40) };
        row.push(lost_priority, lost_style, format_args!(" · lost {lost}"));
    }
    if let Some(r) = g.process_rate {
        row.push(20, t.dim, format_args!(" · max {} each", Rate(r)));
    }
}

/// Draws the rule behind the verdict, wrapped, its status word in the status's style.
/// `None` when the pane is full.
pub(super) fn reason(lines: &mut Lines<'_>, t: &Theme, g: &GroupView) -> Option<()> {
    let Some(v) = g.verdict.as_ref().filter(|v| !v.reason.is_empty()) else {
        return Some(());
    };
    let w = reason_width(usize::from(lines.area.width));
    let rows = wrap_rows(&v.reason, w, w, REASON_ROWS);
    for (i, row) in rows.iter().enumerate() {
        let (x, y, max_x) = lines.next()?;
        let mut x = x + 2;
        let mut row = row.as_str();
        if i == 0
            && let Some(rest) = row.strip_prefix(v.status.as_str())
        {
            x = put(
                lines.buf,
                x,
                y,
                max_x,
                v.status.as_str(),
                status_style(t, v.status),
            );
            row = rest;
        }
        match row.strip_suffix(ELLIPSIS) {
            Some(kept) => {
                x = put(lines.buf, x, y, max_x, kept, t.text);
                put(lines.buf, x, y, max_x, ELLIPSIS, t.dim);
            }
            None => {
                put(lines.buf, x, y, max_x, row, t.text);
            }
        }
    }
    Some(())
}
