//! The caption banner: the newest timeline caption, or in presenter mode the beat that
//! is waiting for `n`.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

use super::context::DrawContext;
use super::fit::wrap_rows;
use super::text::put;
use super::view::Caption;

fn banner_text(caption: &Caption) -> String {
    if caption.held {
        format!(" ⏸ next: {}  (press n) ", caption.text)
    } else {
        format!(" » {} ", caption.text)
    }
}

/// The most rows the banner takes; a longer caption ends with an ellipsis.
pub const MAX_ROWS: u16 = 2;

/// Rows the banner needs at `width`: one, or two when the caption is longer than a line.
pub fn rows(caption: &Caption, width: u16) -> u16 {
    lines(caption, width).len().clamp(1, usize::from(MAX_ROWS)) as u16
}

/// The banner's rows: the text broken at spaces, the first row indented by one column.
fn lines(caption: &Caption, width: u16) -> Vec<String> {
    let w = usize::from(width);
    wrap_rows(
        &banner_text(caption),
        w.saturating_sub(1),
        w,
        usize::from(MAX_ROWS),
    )
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
        buf.set_style(area, style);
        let rows = lines(caption, area.width);
        for (i, (row, y)) in rows.iter().zip(area.y..area.bottom()).enumerate() {
            let x = area.x + u16::from(i == 0);
            put(buf, x, y, area.right(), row, style);
        }
    }
}
