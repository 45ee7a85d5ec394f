//! The caption banner: the newest timeline caption, or in presenter mode the beat that
//! is waiting for `n`.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::context::DrawContext;
use super::view::Caption;

fn banner_text(caption: &Caption) -> String {
    if caption.held {
        format!(" ⏸ next: {}  (press n) ", caption.text)
    } else {
        format!(" » {} ", caption.text)
    }
}

/// Rows the banner needs at `width`: one, or two when the caption is longer than a line.
pub fn rows(caption: &Caption, width: u16) -> u16 {
    let len = banner_text(caption).chars().count();
    if len > usize::from(width) { 2 } else { 1 }
}

/// The banner under the header.
#[derive(Debug, Clone, Copy)]
pub struct Banner<'a>(pub DrawContext<'a>);

impl Widget for Banner<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let Some(caption) = &self.0.view.caption else {
            return;
        };
        let style = self.0.theme().caption;
        Paragraph::new(banner_text(caption))
            .style(style)
            .wrap(Wrap { trim: false })
            .render(area, buf);
    }
}
