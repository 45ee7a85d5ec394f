//! The `?` overlay: every row of the key map, centred over the screen.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget, Wrap};

use super::keymap::KEYMAP;
use super::screen::Ctx;

/// The help overlay.
#[derive(Debug, Clone, Copy)]
pub struct Help<'a>(pub Ctx<'a>);

impl Widget for Help<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.0.theme();
        let key_w = KEYMAP
            .iter()
            .map(|r| r.plain_keys().chars().count())
            .max()
            .unwrap_or(0);
        let lines: Vec<Line> = KEYMAP
            .iter()
            .map(|r| {
                Line::from(vec![
                    Span::styled(format!("{:<key_w$}  ", r.plain_keys()), t.accent),
                    Span::styled(r.help, t.text),
                ])
            })
            .collect();
        let width = area.width.saturating_sub(4).min(100);
        // Long rows wrap; the box grows by the lines they wrap onto.
        let inner = usize::from(width.saturating_sub(2)).max(1);
        let rows: usize = KEYMAP
            .iter()
            .map(|r| (key_w + 2 + r.help.chars().count()).div_ceil(inner))
            .sum();
        let height = (rows as u16 + 2).min(area.height);
        let rect = area.centered(Constraint::Length(width), Constraint::Length(height));
        Clear.render(rect, buf);
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(
                Block::bordered()
                    .border_style(t.border_focused)
                    .title(Span::styled(" Keys ", t.title))
                    .title_bottom(Span::styled(" Esc closes ", t.dim)),
            )
            .render(rect, buf);
    }
}
