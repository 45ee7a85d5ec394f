//! What is drawn instead of the panes when the terminal is below the minimum size.

use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::layout::{MIN_HEIGHT, MIN_WIDTH};
use super::theme::Theme;

/// The "terminal too small" notice.
#[derive(Debug, Clone, Copy)]
pub struct TooSmall<'a> {
    size: Rect,
    theme: &'a Theme,
}

impl<'a> TooSmall<'a> {
    /// The notice for a terminal of `size`.
    pub fn new(size: Rect, theme: &'a Theme) -> Self {
        TooSmall { size, theme }
    }
}

impl Widget for TooSmall<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let lines = vec![
            Line::styled("terminal too small", self.theme.warn),
            Line::raw(format!(
                "{}×{}, need at least {MIN_WIDTH}×{MIN_HEIGHT}",
                self.size.width, self.size.height
            )),
            Line::styled("enlarge the window, or press q to quit", self.theme.dim),
        ];
        let top = area.height.saturating_sub(lines.len() as u16) / 2;
        let rect = Rect {
            y: area.y + top,
            height: area.height - top,
            ..area
        };
        Paragraph::new(lines)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true })
            .render(rect, buf);
    }
}
