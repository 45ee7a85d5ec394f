//! The top line: scenario, simulated time, speed, run state, seed, rates, and the
//! network server when one is listening.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

use super::context::DrawContext;
use super::fit::{Fields, KEEP};
use super::text::{fmt_rate, fmt_speed, fmt_time};
use super::view::RunState;

/// The header bar.
#[derive(Debug, Clone, Copy)]
pub struct HeaderBar<'a>(pub DrawContext<'a>);

impl Widget for HeaderBar<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let h = &self.0.view.header;
        let t = self.0.theme();
        let (state, state_style) = match h.run_state {
            RunState::Running => ("▶ running", t.good),
            RunState::Paused => ("⏸ paused", t.warn),
            RunState::HeldAtBeat => ("⏸ beat: press n", t.warn),
        };
        let speed = match h.reached_speed {
            Some(r) => (
                format!(" {} asked, {} reached ", fmt_speed(h.speed), fmt_reached(r)),
                t.warn,
            ),
            None => (format!(" {} ", fmt_speed(h.speed)), t.text),
        };
        // The run's identity and clock stay; the seed goes first, then the rates.
        let mut row = Fields::default();
        row.push_text(KEEP, t.title, &format!(" {} ", h.scenario))
            .lead(t.dim, "│")
            .push(
                KEEP,
                t.accent,
                format_args!(" {} ", fmt_time(h.sim_time_ms)),
            )
            .lead(t.dim, "│")
            .push(80, speed.1, format_args!("{}", speed.0))
            .lead(t.dim, "│")
            .push(90, state_style, format_args!(" {state} "))
            .lead(t.dim, "│")
            .push(20, t.dim, format_args!(" seed {} ", h.seed))
            .lead(t.dim, "│")
            .push(
                50,
                t.text,
                format_args!(" in {} ", fmt_rate(h.produce_rate)),
            )
            .lead(t.dim, "│")
            .push(
                50,
                t.text,
                format_args!(" out {} ", fmt_rate(h.consume_rate)),
            );
        if let Some(server) = &h.server {
            row.lead(t.dim, "│").push(
                60,
                t.accent,
                format_args!(" kafka {} · {} conn ", server.listen, server.connections),
            );
        }
        row.draw(buf, area.x, area.y, area.right());
    }
}

/// A measured speed, to the precision a glance needs: whole multiples from 1× up,
/// hundredths below.
fn fmt_reached(s: f64) -> String {
    if s >= 1.0 {
        format!("{:.0}×", s.round())
    } else {
        format!("{s:.2}×")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::view::{Header, View};
    use crate::tui::{App, Theme};

    fn line(header: Header) -> String {
        let view = View {
            header,
            ..View::default()
        };
        let app = App::new(Theme::default(), false);
        let area = Rect::new(0, 0, 120, 1);
        let mut buf = Buffer::empty(area);
        HeaderBar(DrawContext::new(&view, &app)).render(area, &mut buf);
        buf.content.iter().map(|c| c.symbol()).collect()
    }

    #[test]
    fn a_speed_not_reached_is_shown_beside_the_one_asked() {
        let asked = Header {
            speed: 64.0,
            ..Header::default()
        };
        let plain = line(asked.clone());
        assert!(plain.contains(" 64× "), "{plain}");
        assert!(!plain.contains("reached"), "{plain}");
        let slow = line(Header {
            reached_speed: Some(9.3),
            ..asked.clone()
        });
        assert!(slow.contains(" 64× asked, 9× reached "), "{slow}");
        let crawl = line(Header {
            reached_speed: Some(0.42),
            ..asked
        });
        assert!(crawl.contains(" 64× asked, 0.42× reached "), "{crawl}");
    }
}
