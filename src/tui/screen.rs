//! The whole screen: splits the area with [`layout`](super::layout) and draws every pane,
//! the help overlay on top, or the too-small notice instead.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Widget};

use super::app::{App, Focus};
use super::layout::{self, Wants};
use super::theme::Theme;
use super::view::View;
use super::{
    caption, events, footer, groups, header, help, lag_chart, partitions, producers, too_small,
};

/// What every pane draws from: the frame's snapshot and the UI state.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    pub view: &'a View,
    pub app: &'a App,
}

impl<'a> Ctx<'a> {
    pub fn theme(&self) -> &'a Theme {
        &self.app.theme
    }

    /// A pane's box. The focused pane gets a bright border and a `▶` before its title, so
    /// focus is visible without colour.
    pub fn block(&self, title: &'a str, pane: Focus) -> Block<'a> {
        let theme = self.theme();
        let focused = self.app.focus == pane;
        let (marker, border) = if focused {
            ("▶ ", theme.border_focused)
        } else {
            ("", theme.border)
        };
        Block::bordered()
            .border_style(border)
            .title(Line::from(vec![
                Span::styled(marker, theme.border_focused),
                Span::styled(title, theme.title),
            ]))
    }
}

/// The root widget.
#[derive(Debug, Clone, Copy)]
pub struct Screen<'a> {
    ctx: Ctx<'a>,
}

impl<'a> Screen<'a> {
    pub fn new(view: &'a View, app: &'a App) -> Self {
        Screen {
            ctx: Ctx { view, app },
        }
    }

    /// The content rows each pane would like, from the view.
    fn wants(&self, width: u16) -> Wants {
        let view = self.ctx.view;
        Wants {
            partitions: partitions::rows_wanted(view),
            producers: view.producers.len() as u16,
            groups: groups::rows_wanted(view, width * 2 / 5),
            caption: view.caption.as_ref().map_or(0, |c| caption::rows(c, width)),
        }
    }
}

impl Widget for &Screen<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if !layout::fits(area) {
            too_small::TooSmall::new(area, self.ctx.theme()).render(area, buf);
            return;
        }
        let ctx = self.ctx;
        let a = layout::split(area, self.wants(area.width));
        header::HeaderBar(ctx).render(a.header, buf);
        if let Some(rect) = a.caption {
            caption::Banner(ctx).render(rect, buf);
        }
        partitions::Partitions(ctx).render(a.partitions, buf);
        producers::Producers(ctx).render(a.producers, buf);
        groups::Groups(ctx).render(a.groups, buf);
        lag_chart::LagChart(ctx).render(a.lag, buf);
        events::Events(ctx).render(a.events, buf);
        footer::Footer(ctx).render(a.footer, buf);
        if ctx.app.help_open {
            help::Help(ctx).render(area, buf);
        }
    }
}

/// Simulated time as `mm:ss.t`, or `h:mm:ss` past an hour.
pub fn fmt_time(ms: i64) -> String {
    let ms = ms.max(0);
    let secs = ms / 1000;
    if secs >= 3600 {
        format!("{}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
    } else {
        format!("{:02}:{:02}.{}", secs / 60, secs % 60, ms % 1000 / 100)
    }
}

/// A count in at most five characters: 999, 12.3k, 4.5M.
pub fn fmt_count(n: i64) -> String {
    let a = n.unsigned_abs() as f64;
    let sign = if n < 0 { "-" } else { "" };
    if a < 10_000.0 {
        format!("{n}")
    } else if a < 999_950.0 {
        format!("{sign}{:.1}k", a / 1e3)
    } else {
        format!("{sign}{:.1}M", a / 1e6)
    }
}

/// A rate per second with one decimal, or a compact count when large.
pub fn fmt_rate(r: f64) -> String {
    if r < 1000.0 {
        format!("{r:.1}/s")
    } else {
        format!("{}/s", fmt_count(r.round() as i64))
    }
}

/// A speed multiplier: 0.25×, 1×, 64×.
pub fn fmt_speed(s: f64) -> String {
    if s.fract() == 0.0 {
        format!("{s}×")
    } else {
        format!("{s:.2}×").replace(".50×", ".5×")
    }
}

/// Writes `spans` left to right from `(x, y)`, clipped at `max_x`; returns the next x.
pub fn put(buf: &mut Buffer, x: u16, y: u16, max_x: u16, text: &str, style: Style) -> u16 {
    if x >= max_x {
        return x;
    }
    let (next, _) = buf.set_stringn(x, y, text, usize::from(max_x - x), style);
    next
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(fmt_time(0), "00:00.0");
        assert_eq!(fmt_time(83_456), "01:23.4");
        assert_eq!(fmt_time(3_723_000), "1:02:03");
        assert_eq!(fmt_count(9_999), "9999");
        assert_eq!(fmt_count(12_345), "12.3k");
        assert_eq!(fmt_count(-4_500_000), "-4.5M");
        assert_eq!(fmt_rate(20.0), "20.0/s");
        assert_eq!(fmt_rate(250_000.0), "250.0k/s");
        assert_eq!(fmt_speed(0.25), "0.25×");
        assert_eq!(fmt_speed(0.5), "0.5×");
        assert_eq!(fmt_speed(64.0), "64×");
    }
}
