//! The top line: what is shown (a scenario or a cluster), then what its source knows:
//! simulated time, speed, run state and seed; the cluster's id, brokers and how old its
//! data is; the rates; the network server when one is listening. An alert about the
//! source comes right after the title, where it is never cut off.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::Widget;

use super::context::DrawContext;
use super::fit::{Fields, KEEP};
use super::text::{Age, fmt_rate, fmt_speed, fmt_time};
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
        // The title and its alert stay; the rest gives way by priority, the least telling
        // first (the seed, then the rates: a cluster's id, which says which cluster this
        // is, outlasts them), the run state and what is down last.
        let mut row = Fields::default();
        row.push_text(KEEP, t.title, &format!(" {} ", h.title));
        if let Some(alert) = &h.alert {
            row.lead(t.dim, "│")
                .push_text(KEEP, t.bad, &format!(" ✗ {alert} "));
        }
        if let Some(clock) = &h.sim {
            sim_parts(t, h.now_ms, clock, &mut row);
        }
        cluster_parts(t, view, &mut row);
        part(
            &mut row,
            t,
            50,
            t.text,
            format_args!(" in {} ", fmt_rate(h.produce_rate)),
        );
        part(
            &mut row,
            t,
            50,
            t.text,
            format_args!(" out {} ", fmt_rate(h.consume_rate)),
        );
        if let Some(server) = &h.server {
            let (listen, conns) = (&server.listen, server.connections);
            part(
                &mut row,
                t,
                60,
                t.accent,
                format_args!(" kafka {listen} · {conns} conn "),
            );
        }
        row.draw(buf, area.x, area.y, area.right());
    }
}

/// One part of the line after the first, behind a separator that goes with it.
fn part(row: &mut Fields, t: &Theme, priority: u8, style: Style, args: std::fmt::Arguments<'_>) {
    row.lead(t.dim, "│");
    row.push(priority, style, args);
}

/// Simulated time, speed (with the speed reached when the machine cannot keep up), run
/// state and seed.
fn sim_parts(t: &Theme, now_ms: i64, clock: &SimClock, row: &mut Fields) {
    let (state, state_style) = match clock.run_state {
        RunState::Running => ("▶ running", t.good),
        RunState::Paused => ("⏸ paused", t.warn),
        RunState::HeldAtBeat => ("⏸ beat: press n", t.warn),
    };
    let (speed, speed_style) = match clock.reached_speed {
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
    part(
        row,
        t,
        KEEP,
        t.accent,
        format_args!(" {} ", fmt_time(now_ms)),
    );
    part(row, t, 80, speed_style, format_args!("{speed}"));
    part(row, t, 90, state_style, format_args!(" {state} "));
    part(row, t, 20, t.dim, format_args!(" seed {} ", clock.seed));
}

/// The cluster's id, its brokers and the partitions short of replicas, and the age of the
/// data, each when the source knows it.
fn cluster_parts(t: &Theme, view: &View, row: &mut Fields) {
    let h = &view.header;
    if let Some(id) = &h.cluster_id {
        part(row, t, 55, t.dim, format_args!(" id {id} "));
    }
    // A simulation's brokers pane says as much, and its header stays about its clock.
    if !view.brokers.is_empty() && !h.simulated() {
        let n = view.brokers.len();
        let down = (view.brokers.iter())
            .filter(|b| b.state != BrokerState::Up)
            .count();
        let s = if n == 1 { "" } else { "s" };
        part(row, t, 70, t.text, format_args!(" {n} broker{s} "));
        if down > 0 {
            part(row, t, 85, t.bad, format_args!(" {down} down "));
        }
    }
    if view.under_replicated > 0 {
        let n = view.under_replicated;
        part(row, t, 85, t.warn, format_args!(" {n} under-replicated "));
    }
    if view.offline > 0 {
        part(
            row,
            t,
            88,
            t.bad,
            format_args!(" {} offline ", view.offline),
        );
    }
    if let Some(age) = h.data_age_ms {
        part(
            row,
            t,
            75,
            t.accent,
            format_args!(" polled {} ago ", Age(age)),
        );
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
