//! Zoom: the focused pane alone between the header and the footer, for a projector. The
//! caption banner stays, so a presenter's story is never hidden. The panes know they are
//! zoomed ([`DrawContext::zoomed`]) and use the room: the partitions pane draws taller
//! markers, the lag chart plots all the history it has. The brokers pane takes no focus:
//! on a cluster it stays above the groups when they are zoomed, as it sits beside them.
//!
//! ```text
//! header
//! caption banner (only with a caption)
//! ┌▶ Partitions ──────────────────────────────────────────────┐
//! │ the focused pane, as large as the screen allows            │
//! └────────────────────────────────────────────────────────────┘
//! footer
//! ```

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::Widget;

use super::app::Focus;
use super::context::{DrawContext, Viewport};
use super::pane::Pane;
use super::{brokers, caption, events, footer, groups, header, lag_chart, partitions, producers};

/// The zoomed screen's rows: header, banner, the pane, footer.
fn split(ctx: DrawContext<'_>, area: Rect) -> [Rect; 4] {
    let caption_rows = ctx
        .view
        .caption
        .as_ref()
        .map_or(0, |c| caption::rows(c, area.width));
    Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(caption_rows),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(area)
}

/// The brokers pane over the zoomed groups, at most a third of the body, and the
/// groups' area; no brokers pane without a cluster.
fn groups_split(ctx: DrawContext<'_>, body: Rect) -> (Option<Rect>, Rect) {
    let wanted = brokers::rows_wanted(ctx.view);
    if wanted == 0 {
        return (None, body);
    }
    let rows = (wanted + 2).min(body.height / 3);
    let [top, rest] = Layout::vertical([Constraint::Length(rows), Constraint::Fill(1)]).areas(body);
    (Some(top), rest)
}

/// Where the zoomed pane starts when its content does not fit: at the selection.
fn viewport(ctx: DrawContext<'_>, body: Rect) -> Viewport {
    let (view, app) = (ctx.view, ctx.app);
    let height = Pane::content_area(body).height;
    let first_topic = if partitions::rows_wanted_zoomed(view) > height {
        app.selected_topic
    } else {
        0
    };
    let detail = groups::detail_group(view, app);
    let groups_height = Pane::content_area(groups_split(ctx, body).1).height;
    let cap = groups_height.saturating_add(1);
    let first_group = if groups::rows_wanted(view, body.width, detail, cap) > groups_height {
        view.group_row(app.selected_row).map_or(0, |r| r.group)
    } else {
        0
    };
    Viewport {
        first_topic,
        first_group,
    }
}

/// Draws the header, the banner, the focused pane over the rest and the footer.
pub fn render(ctx: DrawContext<'_>, area: Rect, buf: &mut Buffer) {
    let [top, banner, body, bottom] = split(ctx, area);
    let ctx = DrawContext {
        viewport: viewport(ctx, body),
        ..ctx
    };
    header::HeaderBar(ctx).render(top, buf);
    if banner.height > 0 {
        caption::Banner(ctx).render(banner, buf);
    }
    match ctx.app.focus {
        Focus::Partitions => partitions::Partitions(ctx).render(body, buf),
        Focus::Groups => {
            let (top, rest) = groups_split(ctx, body);
            if let Some(top) = top {
                brokers::Brokers(ctx).render(top, buf);
            }
            groups::Groups(ctx).render(rest, buf);
        }
        Focus::Producers => producers::Producers(ctx).render(body, buf),
        Focus::Lag => lag_chart::LagChart(ctx).render(body, buf),
        Focus::Events => events::Events(ctx).render(body, buf),
    }
    footer::Footer(ctx).render(bottom, buf);
}
