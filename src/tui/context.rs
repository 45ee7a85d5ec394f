//! What every pane draws from: the frame's view, the UI state, and where the scrolling
//! panes start this frame.

use ratatui::text::{Line, Span};

use super::app::{App, Focus};
use super::pane::Pane;
use super::theme::Theme;
use super::view::View;

/// Where each scrolling pane starts this frame. The screen works it out from the layout
/// before any pane draws, so the panes only draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Viewport {
    /// The first topic the partitions pane shows.
    pub first_topic: usize,
    /// The first group the groups pane shows.
    pub first_group: usize,
}

/// A pane's inputs for one frame. The selection in `app` has been fitted to `view` (see
/// [`App::clamp_selection`]), so panes use it as it is.
#[derive(Debug, Clone, Copy)]
pub struct DrawContext<'a> {
    /// The frame's data.
    pub view: &'a View,
    /// The UI state, selection fitted to the view.
    pub app: &'a App,
    /// Where the scrolling panes start.
    pub viewport: Viewport,
}

impl<'a> DrawContext<'a> {
    /// The inputs for drawing a pane on its own: every pane starts at the top.
    pub fn new(view: &'a View, app: &'a App) -> Self {
        DrawContext {
            view,
            app,
            viewport: Viewport::default(),
        }
    }

    /// The palette in use.
    pub fn theme(&self) -> &'a Theme {
        &self.app.theme
    }

    /// A pane's box. The focused pane gets a bright border and a `▶` before its title, so
    /// focus is visible without colour.
    pub fn block(&self, title: &'a str, pane: Focus) -> Pane<'a> {
        let theme = self.theme();
        let focused = self.app.focus == pane;
        let (marker, border) = if focused {
            ("▶ ", theme.border_focused)
        } else {
            ("", theme.border)
        };
        Pane::new(
            Line::from(vec![
                Span::styled(marker, theme.border_focused),
                Span::styled(title, theme.title),
            ]),
            border,
        )
    }
}
