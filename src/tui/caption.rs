//! The caption banner: the newest timeline caption, or in presenter mode the beat that
//! is waiting for `n`.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

use super::screen::{Ctx, put};

/// The banner under the header.
#[derive(Debug, Clone, Copy)]
pub struct Banner<'a>(pub Ctx<'a>);

impl Widget for Banner<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let Some(caption) = &self.0.view.caption else {
            return;
        };
        let style = self.0.theme().caption;
        buf.set_style(area, style);
        let text = if caption.held {
            format!(" ⏸ next: {}  (press n) ", caption.text)
        } else {
            format!(" » {} ", caption.text)
        };
        put(buf, area.x, area.y, area.right(), &text, style);
    }
}
