//! The `?` overlay: every row of the key map, centred over the screen.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget};

use super::context::DrawContext;
use super::keymap::KEYMAP;
use super::text::wrap;

/// The help overlay.
#[derive(Debug, Clone, Copy)]
pub struct Help<'a>(pub DrawContext<'a>);

impl Widget for Help<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.0.theme();
        let key_w = KEYMAP
            .iter()
            .map(|r| r.plain_keys().chars().count())
            .max()
            .unwrap_or(0);
        let width = area.width.saturating_sub(4).min(100);
        // Long descriptions wrap under their own column, not under the keys.
        let text_w = usize::from(width.saturating_sub(2))
            .saturating_sub(key_w + 2)
            .max(10);
        let mut lines: Vec<Line> = Vec::new();
        for row in KEYMAP {
            for (i, chunk) in wrap(row.help, text_w).into_iter().enumerate() {
                let keys = if i == 0 {
                    row.plain_keys()
                } else {
                    String::new()
                };
                lines.push(Line::from(vec![
                    Span::styled(format!("{keys:<key_w$}  "), t.accent),
                    Span::styled(chunk, t.text),
                ]));
            }
        }
        let height = (lines.len() as u16 + 2).min(area.height);
        let rect = area.centered(Constraint::Length(width), Constraint::Length(height));
        Clear.render(rect, buf);
        Paragraph::new(lines)
            .block(
                Block::bordered()
                    .border_style(t.border_focused)
                    .title(Span::styled(" Keys ", t.title))
                    .title_bottom(Span::styled(" Esc closes ", t.dim)),
            )
            .render(rect, buf);
    }
}
