//! The top line: scenario, simulated time, speed, run state, seed, rates, and the
//! network server when one is listening.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

use super::context::DrawContext;
use super::text::{fmt_rate, fmt_speed, fmt_time, put};
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
        let parts = [
            (format!(" {} ", h.scenario), t.title),
            (format!(" {} ", fmt_time(h.sim_time_ms)), t.accent),
            (format!(" {} ", fmt_speed(h.speed)), t.text),
            (format!(" {state} "), state_style),
            (format!(" seed {} ", h.seed), t.dim),
            (format!(" in {} ", fmt_rate(h.produce_rate)), t.text),
            (format!(" out {} ", fmt_rate(h.consume_rate)), t.text),
        ];
        let max_x = area.right();
        let mut x = area.x;
        for (i, (text, style)) in parts.iter().enumerate() {
            if i > 0 {
                x = put(buf, x, area.y, max_x, "│", t.dim);
            }
            x = put(buf, x, area.y, max_x, text, *style);
        }
        if let Some(server) = &h.server {
            let text = format!(" kafka {} · {} conn ", server.listen, server.connections);
            x = put(buf, x, area.y, max_x, "│", t.dim);
            put(buf, x, area.y, max_x, &text, t.accent);
        }
    }
}
