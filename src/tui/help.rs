//! The `?` overlay: every row of the key map that applies to this screen, centred over
//! the screen; where nothing is simulated, only the keys that work there.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget};

use super::context::DrawContext;
use super::keymap::{KEYMAP, KeyRow, Scope};
use super::text::wrap;
use super::update::offered;

/// The help overlay.
#[derive(Debug, Clone, Copy)]
pub struct Help<'a>(pub DrawContext<'a>);

impl Widget for Help<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.0.theme();
        let simulated = self.0.view.header.simulated();
        // Broker keys do nothing without a cluster, so only a cluster's help lists them.
        let cluster = !self.0.view.brokers.is_empty();
        let rows = || {
            KEYMAP.iter().filter(move |r: &&KeyRow| {
                (cluster || r.scope != Scope::Broker) && offered(r, simulated)
            })
        };
        let key_w = rows()
            .map(|r| r.plain_keys().chars().count())
            .max()
            .unwrap_or(0);
        let width = area.width.saturating_sub(4).min(100);
        // Long descriptions wrap under their own column, not under the keys.
        let text_w = usize::from(width.saturating_sub(2))
            .saturating_sub(key_w + 2)
            .max(10);
        // When every wrapped line cannot fit (a cluster's extra rows on a short screen),
        // each row keeps its first line, ending in `…`, so every key stays listed.
        let wrapped: usize = rows().map(|r| wrap(r.help, text_w).len()).sum();
        let squeeze = wrapped + 2 > usize::from(area.height);
        let mut lines: Vec<Line> = Vec::new();
        for row in rows() {
            let mut chunks = wrap(row.help, text_w);
            if squeeze && chunks.len() > 1 {
                chunks = wrap(row.help, text_w - 1);
                chunks.truncate(1);
                chunks[0].push('…');
            }
            for (i, chunk) in chunks.into_iter().enumerate() {
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
