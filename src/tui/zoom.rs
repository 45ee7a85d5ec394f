//! Zoom: the focused pane alone between the header and the footer, for a projector. The
//! caption banner stays, so a presenter's story is never hidden. The panes know they are
//! zoomed ([`DrawContext::zoomed`]) and use the room: the partitions pane draws taller
//! markers, the lag chart plots all the history it has.
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
use super::{caption, events, footer, groups, header, lag_chart, partitions, producers};

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
    let first_group = if groups::rows_wanted(view, body.width, detail) > height {
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
        Focus::Groups => groups::Groups(ctx).render(body, buf),
        Focus::Producers => producers::Producers(ctx).render(body, buf),
        Focus::Lag => lag_chart::LagChart(ctx).render(body, buf),
        Focus::Events => events::Events(ctx).render(body, buf),
    }
    footer::Footer(ctx).render(bottom, buf);
}
