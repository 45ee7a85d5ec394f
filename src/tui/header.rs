//! The top line: what is shown (a scenario or a cluster), then what its source knows:
//! simulated time, speed, run state and seed; the cluster's id, brokers and how old its
//! data is; the rates; the network server when one is listening. An alert about the
//! source comes right after the title, where it is never cut off.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::Widget;

use super::context::DrawContext;
use super::text::{Age, fmt_rate, fmt_speed, fmt_time, put};
use super::theme::Theme;
use super::view::{RunState, SimClock, View};
use crate::broker::BrokerState;

/// The header bar.
#[derive(Debug, Clone, Copy)]
pub struct HeaderBar<'a>(pub DrawContext<'a>);

impl Widget for HeaderBar<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let view = self.0.view;
        let h = &view.header;
        let t = self.0.theme();
        let mut parts = vec![(format!(" {} ", h.title), t.title)];
        if let Some(alert) = &h.alert {
            parts.push((format!(" ✗ {alert} "), t.bad));
        }
        if let Some(clock) = &h.sim {
            sim_parts(t, h.now_ms, clock, &mut parts);
        }
        cluster_parts(t, view, &mut parts);
        parts.push((format!(" in {} ", fmt_rate(h.produce_rate)), t.text));
        parts.push((format!(" out {} ", fmt_rate(h.consume_rate)), t.text));
        if let Some(server) = &h.server {
            let text = format!(" kafka {} · {} conn ", server.listen, server.connections);
            parts.push((text, t.accent));
        }
        let max_x = area.right();
        let mut x = area.x;
        for (i, (text, style)) in parts.iter().enumerate() {
            if i > 0 {
                x = put(buf, x, area.y, max_x, "│", t.dim);
            }
            x = put(buf, x, area.y, max_x, text, *style);
        }
    }
}

/// Simulated time, speed (with the speed reached when the machine cannot keep up), run
/// state and seed.
fn sim_parts(t: &Theme, now_ms: i64, clock: &SimClock, parts: &mut Vec<(String, Style)>) {
    let (state, state_style) = match clock.run_state {
        RunState::Running => ("▶ running", t.good),
        RunState::Paused => ("⏸ paused", t.warn),
        RunState::HeldAtBeat => ("⏸ beat: press n", t.warn),
    };
    let speed = match clock.reached_speed {
        Some(r) => (
            format!(
                " {} asked, {} reached ",
                fmt_speed(clock.speed),
                fmt_reached(r)
            ),
            t.warn,
        ),
        None => (format!(" {} ", fmt_speed(clock.speed)), t.text),
    };
    parts.push((format!(" {} ", fmt_time(now_ms)), t.accent));
    parts.push(speed);
    parts.push((format!(" {state} "), state_style));
    parts.push((format!(" seed {} ", clock.seed), t.dim));
}

/// The cluster's id, its brokers and the partitions short of replicas, and the age of the
/// data, each when the source knows it.
fn cluster_parts(t: &Theme, view: &View, parts: &mut Vec<(String, Style)>) {
    let h = &view.header;
    if let Some(id) = &h.cluster_id {
        parts.push((format!(" id {id} "), t.dim));
    }
    // A simulation's brokers pane says as much, and its header stays about its clock.
    if !view.brokers.is_empty() && !h.simulated() {
        let n = view.brokers.len();
        let down = (view.brokers.iter())
            .filter(|b| b.state != BrokerState::Up)
            .count();
        let s = if n == 1 { "" } else { "s" };
        parts.push((format!(" {n} broker{s} "), t.text));
        if down > 0 {
            parts.push((format!(" {down} down "), t.bad));
        }
    }
    if view.under_replicated > 0 {
        let text = format!(" {} under-replicated ", view.under_replicated);
        parts.push((text, t.warn));
    }
    if view.offline > 0 {
        parts.push((format!(" {} offline ", view.offline), t.bad));
    }
    if let Some(age) = h.data_age_ms {
        parts.push((format!(" polled {} ago ", Age(age)), t.accent));
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
    use crate::tui::view::{BrokerView, Header, View};
    use crate::tui::{App, Theme};

    fn draw(view: &View) -> String {
        let app = App::new(Theme::default(), false);
        let area = Rect::new(0, 0, 160, 1);
        let mut buf = Buffer::empty(area);
        HeaderBar(DrawContext::new(view, &app)).render(area, &mut buf);
        buf.content.iter().map(|c| c.symbol()).collect()
    }

    fn line(header: Header) -> String {
        draw(&View {
            header,
            ..View::default()
        })
    }

    #[test]
    fn a_speed_not_reached_is_shown_beside_the_one_asked() {
        let clock = SimClock {
            speed: 64.0,
            ..SimClock::default()
        };
        let asked = Header {
            sim: Some(clock),
            ..Header::default()
        };
        let plain = line(asked.clone());
        assert!(plain.contains(" 64× "), "{plain}");
        assert!(!plain.contains("reached"), "{plain}");
        let slow = line(Header {
            sim: Some(SimClock {
                reached_speed: Some(9.3),
                ..clock
            }),
            ..asked.clone()
        });
        assert!(slow.contains(" 64× asked, 9× reached "), "{slow}");
        let crawl = line(Header {
            sim: Some(SimClock {
                reached_speed: Some(0.42),
                ..clock
            }),
            ..asked
        });
        assert!(crawl.contains(" 64× asked, 0.42× reached "), "{crawl}");
    }

    #[test]
    fn without_simulated_time_there_is_no_clock_speed_or_seed() {
        let observed = View {
            header: Header {
                title: "kafka1:9092".into(),
                now_ms: 42_000,
                cluster_id: Some("MkU3OEVBNTcwNTJENDM2Qg".into()),
                data_age_ms: Some(1_200),
                alert: Some("no broker answers; retrying in 2.0s".into()),
                ..Header::default()
            },
            brokers: (1..=3)
                .map(|id| {
                    let state = if id == 3 {
                        BrokerState::Down
                    } else {
                        BrokerState::Up
                    };
                    BrokerView::new(id, state)
                })
                .collect(),
            under_replicated: 4,
            ..View::default()
        };
        let text = draw(&observed);
        assert!(
            text.starts_with(" kafka1:9092 │ ✗ no broker answers; retrying in 2.0s │"),
            "the alert comes first: {text}"
        );
        for part in [
            " id MkU3OEVBNTcwNTJENDM2Qg ",
            " 3 brokers ",
            " 1 down ",
            " 4 under-replicated ",
            " polled 1.2s ago ",
        ] {
            assert!(text.contains(part), "{part} in {text}");
        }
        for sim_only in ["00:42.0", "seed", "running", "×"] {
            assert!(!text.contains(sim_only), "{sim_only} in {text}");
        }
    }
}
