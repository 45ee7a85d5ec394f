//! The whole screen: splits the area with the [`super::layout`] module, works out where
//! the scrolling panes start, and draws every pane, the help overlay on top, or the
//! too-small notice instead.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

use super::app::App;
use super::context::{DrawContext, Viewport};
use super::layout::{self, Areas, Wants};
use super::pane::Pane;
use super::view::View;
use super::{
    brokers, caption, events, footer, groups, header, help, lag_chart, partitions, producers,
    too_small,
};

/// The root widget.
#[derive(Debug, Clone, Copy)]
pub struct Screen<'a> {
    ctx: DrawContext<'a>,
}

impl<'a> Screen<'a> {
    /// The screen for one frame's snapshot and the UI state.
    pub fn new(view: &'a View, app: &'a App) -> Self {
        Screen {
            ctx: DrawContext::new(view, app),
        }
    }

    /// The content rows each pane would like, from the view.
    fn wants(&self, width: u16) -> Wants {
        let view = self.ctx.view;
        Wants {
            partitions: partitions::rows_wanted(view),
            producers: view.producers.len() as u16,
            groups: groups::rows_wanted(view, width * 2 / 5, self.detail()),
            caption: view.caption.as_ref().map_or(0, |c| caption::rows(c, width)),
            brokers: brokers::rows_wanted(view),
        }
    }

    /// The group whose verdict's reason the groups pane shows.
    fn detail(&self) -> Option<usize> {
        groups::detail_group(self.ctx.view, self.ctx.app)
    }

    /// Where the scrolling panes start: when a pane's content does not fit, at the
    /// selected topic or the selected row's group, so the selection stays visible.
    fn viewport(&self, a: &Areas) -> Viewport {
        let (view, app) = (self.ctx.view, self.ctx.app);
        let height = |area: Rect| Pane::content_area(area).height;
        let first_topic = if partitions::rows_wanted(view) > height(a.partitions) {
            app.selected_topic
        } else {
            0
        };
        let wanted = groups::rows_wanted(view, a.groups.width, self.detail());
        let first_group = if wanted > height(a.groups) {
            view.group_row(app.selected_row).map_or(0, |r| r.group)
        } else {
            0
        };
        Viewport {
            first_topic,
            first_group,
        }
    }
}

impl Widget for &Screen<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if !layout::fits(area) {
            too_small::TooSmall::new(area, self.ctx.theme()).render(area, buf);
            return;
        }
        let a = layout::split(area, self.wants(area.width));
        let ctx = DrawContext {
            viewport: self.viewport(&a),
            ..self.ctx
        };
        header::HeaderBar(ctx).render(a.header, buf);
        if let Some(rect) = a.caption {
            caption::Banner(ctx).render(rect, buf);
        }
        partitions::Partitions(ctx).render(a.partitions, buf);
        producers::Producers(ctx).render(a.producers, buf);
        groups::Groups(ctx).render(a.groups, buf);
        if let Some(rect) = a.brokers {
            brokers::Brokers(ctx).render(rect, buf);
        }
        lag_chart::LagChart(ctx).render(a.lag, buf);
        events::Events(ctx).render(a.events, buf);
        footer::Footer(ctx).render(a.footer, buf);
        if ctx.app.help_open {
            help::Help(ctx).render(area, buf);
        }
    }
}

#[cfg(test)]
mod tests {
    use ratatui::buffer::Buffer;

    use super::*;
    use crate::tui::theme::Theme;
    use crate::tui::view::{GroupPhase, GroupView, MemberView, PartitionView, TopicView};

    const TOPICS: [&str; 8] = [
        "apple", "birch", "cedar", "daisy", "elder", "fern", "grove", "heath",
    ];
    const GROUPS: [&str; 6] = ["north", "south", "east", "west", "upper", "lower"];

    fn topic(name: &str) -> TopicView {
        TopicView {
            name: name.to_string(),
            partitions: (0..3)
                .map(|p| PartitionView {
                    partition: p,
                    ..PartitionView::default()
                })
                .collect(),
        }
    }

    fn group(slot: usize, name: &str) -> GroupView {
        GroupView {
            generation: Some(1),
            protocol: "classic range".to_string(),
            members: (1..=2)
                .map(|m| MemberView {
                    id: format!("{name}-{m}"),
                    state: None,
                    partitions: Vec::new(),
                    client_id: None,
                    host: None,
                })
                .collect(),
            ..GroupView::new(name, slot, "Stable", GroupPhase::Stable)
        }
    }

    fn view() -> View {
        View {
            topics: TOPICS.iter().map(|name| topic(name)).collect(),
            groups: GROUPS
                .iter()
                .enumerate()
                .map(|(i, g)| group(i, g))
                .collect(),
            ..View::default()
        }
    }

    fn draw(view: &View, app: &App) -> String {
        let area = Rect::new(0, 0, 80, 24);
        let mut buf = Buffer::empty(area);
        (&Screen::new(view, app)).render(area, &mut buf);
        buf.content.iter().map(|c| c.symbol()).collect()
    }

    #[test]
    fn an_overflowing_pane_starts_at_the_selection() {
        let view = view();
        let mut app = App::new(Theme::default(), false);
        app.selected_topic = 5;
        // The second member of "upper".
        app.selected_row = 4 * 3 + 2;
        app.clamp_selection(view.selectable());
        let screen = draw(&view, &app);
        assert!(screen.contains("▸ fern"), "{screen}");
        assert!(!screen.contains("apple"), "{screen}");
        assert!(screen.contains("upper Stable"), "{screen}");
        assert!(screen.contains("▸upper-2"), "{screen}");
        assert!(!screen.contains("north Stable"), "{screen}");
    }

    #[test]
    fn a_selection_past_the_end_is_clamped_once_and_shown_at_the_last_item() {
        let view = view();
        let mut app = App::new(Theme::default(), false);
        (app.selected_topic, app.selected_row) = (50, 500);
        app.clamp_selection(view.selectable());
        assert_eq!(app.selected_topic, TOPICS.len() - 1);
        assert_eq!(app.selected_row, GROUPS.len() * 3 - 1);
        let screen = draw(&view, &app);
        assert!(screen.contains("▸ heath"), "{screen}");
        assert!(screen.contains("▸lower-2"), "{screen}");
    }

    #[test]
    fn a_pane_whose_content_fits_starts_at_the_top() {
        let mut view = view();
        view.topics.truncate(2);
        view.groups.truncate(2);
        let mut app = App::new(Theme::default(), false);
        (app.selected_topic, app.selected_row) = (1, 5);
        app.clamp_selection(view.selectable());
        let screen = draw(&view, &app);
        assert!(
            screen.contains("  apple") && screen.contains("▸ birch"),
            "{screen}"
        );
        assert!(
            screen.contains("north") && screen.contains("▸south-2"),
            "{screen}"
        );
    }
}
