//! A pane's titled box, drawn edge by edge.
//!
//! ratatui's `Block` restyles every cell of the area it is given before drawing its
//! border; for a screen of boxed panes that is a pass over the whole frame, about a third
//! of the widgets' drawing time at 200×50. A pane only needs its outline, so [`Pane`]
//! hands `Block` its four edges as thin areas (the top one with the titles) and leaves the
//! inside to the pane's content. The cells come out exactly as a full `Block` draws them.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Widget};

/// A bordered box with left-aligned titles on its top edge.
#[derive(Debug, Clone)]
pub struct Pane<'a> {
    top: Block<'a>,
    border: Style,
}

impl<'a> Pane<'a> {
    /// A box whose border is drawn in `border`, titled with `title`.
    pub fn new(title: Line<'a>, border: Style) -> Self {
        Pane {
            top: Block::bordered().border_style(border).title(title),
            border,
        }
    }

    /// Another title after the ones already there, one space apart.
    pub fn title(mut self, title: Line<'a>) -> Self {
        self.top = self.top.title(title);
        self
    }

    /// The area inside the border.
    pub fn inner(&self, area: Rect) -> Rect {
        self.top.inner(area)
    }

    /// The area inside the border of a pane at `area`: titles sit on the border, so it is
    /// the same for every pane.
    pub fn content_area(area: Rect) -> Rect {
        Block::bordered().inner(area)
    }

    fn edge(&self, borders: Borders) -> Block<'a> {
        Block::new().borders(borders).border_style(self.border)
    }
}

impl Widget for Pane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(buf.area);
        if area.height < 3 || area.width < 2 {
            // Too small to have an inside worth skipping.
            self.top.render(area, buf);
            return;
        }
        let row = |y| Rect {
            y,
            height: 1,
            ..area
        };
        let side = |x| Rect {
            x,
            y: area.y + 1,
            width: 1,
            height: area.height - 2,
        };
        self.edge(Borders::LEFT).render(side(area.x), buf);
        self.edge(Borders::RIGHT)
            .render(side(area.right() - 1), buf);
        self.edge(Borders::BOTTOM | Borders::LEFT | Borders::RIGHT)
            .render(row(area.bottom() - 1), buf);
        self.top
            .borders(Borders::TOP | Borders::LEFT | Borders::RIGHT)
            .render(row(area.y), buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::{Color, Modifier};
    use ratatui::text::Span;

    /// Whatever was under the box before, the edges and titles must come out as a full
    /// `Block` draws them, and the inside must be left alone.
    #[test]
    fn draws_exactly_what_a_full_block_draws() {
        let border = Style::new().fg(Color::Cyan);
        let titles = || {
            [
                Line::from(vec![
                    Span::styled("▶ ", Style::new().fg(Color::Yellow)),
                    Span::styled("Lag", Style::new().add_modifier(Modifier::BOLD)),
                ]),
                Line::from(Span::styled(" A ", Style::new().bg(Color::Red))),
                Line::from("a title too long to fit in the remaining space at all"),
            ]
        };
        for (w, h) in [(30, 8), (12, 3), (2, 3), (30, 2), (30, 1), (1, 5), (5, 12)] {
            let area = Rect::new(1, 1, w, h);
            let mut expected = Buffer::empty(Rect::new(0, 0, w + 2, h + 2));
            for (i, cell) in expected.content.iter_mut().enumerate() {
                cell.set_char(char::from(b'a' + (i % 26) as u8))
                    .set_fg(Color::Green);
            }
            let mut got = expected.clone();
            let [first, rest @ ..] = titles();
            let block = rest.into_iter().fold(
                Block::bordered().border_style(border).title(first.clone()),
                Block::title,
            );
            block.render(area, &mut expected);
            let [_, rest @ ..] = titles();
            let pane = rest.into_iter().fold(Pane::new(first, border), Pane::title);
            assert_eq!(pane.inner(area), Block::bordered().inner(area));
            assert_eq!(Pane::content_area(area), pane.inner(area));
            pane.render(area, &mut got);
            assert_eq!(got, expected, "{w}×{h}");
        }
    }
}
