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
use crate::tui::text::{Age, Count, Rate, printed_width, put, wrap};
use crate::tui::theme::Theme;
use crate::tui::view::GroupView;

/// The most rows a reason takes; a longer one is cut with `…`.
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

/// Rows the stats take at `width` columns: one, or two when the ETA wraps.
pub(super) fn stats_rows(g: &GroupView, width: usize) -> usize {
    1 + usize::from(eta_wraps(g, width))
}

/// Rows the reason takes at `width` columns.
pub(super) fn reason_rows(g: &GroupView, width: usize) -> usize {
    g.verdict
        .as_ref()
        .filter(|v| !v.reason.is_empty())
        .map_or(0, |v| {
            wrap(&v.reason, reason_width(width)).len().min(REASON_ROWS)
        })
}

fn reason_width(width: usize) -> usize {
    width.saturating_sub(2).max(10)
}

/// Draws the stats rows.
pub(super) fn stats(lines: &mut Lines<'_>, t: &Theme, g: &GroupView) {
    let wraps = eta_wraps(g, usize::from(lines.area.width));
    let Some((x, y, max_x)) = lines.next() else {
        return;
    };
    let text = lines.text.fmt(format_args!("{}", LagText(g)));
    let mut at = (put(lines.buf, x, y, max_x, text, t.title), y);
    if let Some(e) = eta(g) {
        let sep = if wraps {
            let Some((x, y, _)) = lines.next() else {
                return;
            };
            at = (x + CONTINUE_AT, y);
            ""
        } else {
            " · "
        };
        // Lag that holds steady while the group keeps up is not draining either, and
        // needs no attention: only a group already in trouble gets the warning colour.
        let in_trouble = g.verdict.as_ref().is_some_and(|v| v.status != Status::Ok);
        let style = if e == Eta::NotDraining && in_trouble {
            t.warn
        } else {
            t.text
        };
        let text = lines.text.fmt(format_args!("{sep}{e}"));
        at.0 = put(lines.buf, at.0, at.1, max_x, text, style);
    }
    counters(lines, t, g, at);
}

/// The consume rate and the at-least-once counters, after the lag.
fn counters(lines: &mut Lines<'_>, t: &Theme, g: &GroupView, (x, y): (u16, u16)) {
    let max_x = lines.area.right();
    let text = lines.text.fmt(format_args!(" · {}", Rate(g.consume_rate)));
    let mut x = put(lines.buf, x, y, max_x, text, t.text);
    if let Some(dup) = g.duplicates {
        let dup_style = if dup > 0 { t.warn } else { t.dim };
        let text = lines.text.fmt(format_args!(" · dup {dup}"));
        x = put(lines.buf, x, y, max_x, text, dup_style);
    }
    if let Some(lost) = g.lost {
        let lost_style = if lost > 0 { t.bad } else { t.dim };
        let text = lines.text.fmt(format_args!(" · lost {lost}"));
        x = put(lines.buf, x, y, max_x, text, lost_style);
    }
    if let Some(r) = g.process_rate {
        let text = lines.text.fmt(format_args!(" · max {} each", Rate(r)));
        put(lines.buf, x, y, max_x, text, t.dim);
    }
}

/// Draws the rule behind the verdict, wrapped, its status word in the status's style.
/// `None` when the pane is full.
pub(super) fn reason(lines: &mut Lines<'_>, t: &Theme, g: &GroupView) -> Option<()> {
    let Some(v) = g.verdict.as_ref().filter(|v| !v.reason.is_empty()) else {
        return Some(());
    };
    let rows = wrap(&v.reason, reason_width(usize::from(lines.area.width)));
    let cut = rows.len() > REASON_ROWS;
    for (i, row) in rows.iter().take(REASON_ROWS).enumerate() {
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
        x = put(lines.buf, x, y, max_x, row, t.text);
        if cut && i + 1 == REASON_ROWS {
            put(lines.buf, x, y, max_x, "…", t.dim);
        }
    }
    Some(())
}
