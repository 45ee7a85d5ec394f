//! The bottom line: key hints for the focused pane first (after help, quit and, on a
//! cluster, the broker keys), then the global ones, taken from the key map so they can
//! never be out of date. Where nothing is simulated, keys that only act on a simulation
//! are not offered.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

use super::action::Action;
use super::keymap::{KEYMAP, KeyRow, Scope};
use super::update::offered;

const ESSENTIAL: [Action; 2] = [Action::ToggleHelp, Action::Quit];
use super::context::DrawContext;
use super::text::put;

/// The key hint bar.
#[derive(Debug, Clone, Copy)]
pub struct Footer<'a>(pub DrawContext<'a>);

impl Widget for Footer<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.0.theme();
        let focus = self.0.app.focus;
        let simulated = self.0.view.header.simulated();
        let works = |r: &&KeyRow| offered(r, simulated);
        // Help and quit always fit; then this pane's own keys; then the other global ones.
        let essential = |r: &&KeyRow| r.bindings.iter().any(|(_, a)| ESSENTIAL.contains(a));
        // On a cluster, the broker keys are what the screen is for: they come next.
        let cluster = !self.0.view.brokers.is_empty();
        let brokers = KEYMAP
            .iter()
            .filter(move |r| cluster && r.scope == Scope::Broker);
        let first = KEYMAP.iter().filter(essential).chain(brokers);
        let own = KEYMAP
            .iter()
            .filter(|r| r.scope != Scope::Global && r.scope.applies_to(focus));
        let global = KEYMAP.iter().filter(|r| {
            r.scope == Scope::Global && !essential(r) && r.bindings[0].1 != Action::CloseHelp
        });
        let max_x = area.right();
        let mut x = area.x + 1;
        for row in first.chain(own).chain(global).filter(works) {
            let keys = row.plain_keys();
            let need = (keys.chars().count() + row.hint.chars().count() + 3) as u16;
            if x + need > max_x {
                continue;
            }
            x = put(buf, x, area.y, max_x, &keys, t.accent);
            x = put(buf, x, area.y, max_x, " ", t.text);
            x = put(buf, x, area.y, max_x, row.hint, t.dim);
            x = put(buf, x, area.y, max_x, "  ", t.text);
        }
    }
}
