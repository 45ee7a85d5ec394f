//! Where each pane goes. Sizes follow the content: the top half grows to fit the
//! partition strips and groups, and whatever is left goes to the lag chart and events,
//! so a taller terminal shows more history rather than empty boxes.
//!
//! ```text
//! header                                        (1 row)
//! caption banner                                (1 row, only with a caption)
//! ┌ Partitions ──────────────┐┌ Brokers ───────┐  (only on a cluster)
//! │                          │└────────────────┘
//! │                          │┌ Groups ────────┐
//! │                          ││                │  top: fits the content,
//! └──────────────────────────┘│                │  at most two thirds
//! ┌ Producers ───────────────┐│                │
//! └──────────────────────────┘└────────────────┘
//! ┌ Lag ───────────┐┌ Events ──────────────────┐
//! │                ││                          │  bottom: the rest
//! └────────────────┘└──────────────────────────┘
//! footer                                        (1 row)
//! ```

use ratatui::layout::{Constraint, Layout, Rect};

/// The narrowest terminal the full layout fits; below it a notice is shown instead.
pub const MIN_WIDTH: u16 = 70;
/// The shortest terminal the full layout fits.
pub const MIN_HEIGHT: u16 = 20;

/// How many content rows each pane would like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Wants {
    pub partitions: u16,
    pub producers: u16,
    pub groups: u16,
    /// Rows the caption banner needs: 0 without a caption.
    pub caption: u16,
    /// One per broker of a cluster; 0 leaves out the brokers pane.
    pub brokers: u16,
}

/// Every pane's rectangle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub header: Rect,
    pub caption: Option<Rect>,
    pub partitions: Rect,
    pub producers: Rect,
    pub groups: Rect,
    /// Only on a cluster.
    pub brokers: Option<Rect>,
    pub lag: Rect,
    pub events: Rect,
    pub footer: Rect,
}

/// Whether `area` is big enough for [`split`].
pub fn fits(area: Rect) -> bool {
    area.width >= MIN_WIDTH && area.height >= MIN_HEIGHT
}

/// Splits the screen. Callers check [`fits`] first; smaller areas still get a layout
/// (with squeezed panes) rather than a panic.
pub fn split(area: Rect, wants: Wants) -> Areas {
    let caption_rows = wants.caption.min(2);
    let [header, caption, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(caption_rows),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(area);

    // Borders take two rows per box; the left column stacks two boxes.
    let producers_h = (wants.producers.max(1) + 2).min(body.height / 4 + 2);
    let left_need = wants.partitions + 2 + producers_h;
    let brokers_h = if wants.brokers > 0 {
        (wants.brokers + 2).min(body.height / 3)
    } else {
        0
    };
    let right_need = wants.groups + 2 + brokers_h;
    let top_max = body.height.saturating_mul(2) / 3;
    let top_h = left_need.max(right_need).clamp(8.min(top_max), top_max);
    let [top, bottom] =
        Layout::vertical([Constraint::Length(top_h), Constraint::Fill(1)]).areas(body);

    let [left, right] =
        Layout::horizontal([Constraint::Percentage(60), Constraint::Fill(1)]).areas(top);
    let [brokers, groups] =
        Layout::vertical([Constraint::Length(brokers_h), Constraint::Fill(1)]).areas(right);
    let partitions_h = left.height.saturating_sub(producers_h).max(3);
    let [partitions, producers] =
        Layout::vertical([Constraint::Length(partitions_h), Constraint::Fill(1)]).areas(left);
    let [lag, events] =
        Layout::horizontal([Constraint::Percentage(45), Constraint::Fill(1)]).areas(bottom);

    Areas {
        header,
        caption: (caption_rows > 0).then_some(caption),
        partitions,
        producers,
        groups,
        brokers: (brokers_h > 0).then_some(brokers),
        lag,
        events,
        footer,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wants() -> Wants {
        Wants {
            partitions: 5,
            producers: 2,
            groups: 8,
            caption: 0,
            brokers: 0,
        }
    }

    fn inside(inner: Rect, outer: Rect) -> bool {
        inner.x >= outer.x
            && inner.y >= outer.y
            && inner.right() <= outer.right()
            && inner.bottom() <= outer.bottom()
    }

    #[test]
    fn panes_tile_the_minimum_screen_without_overlap() {
        let area = Rect::new(0, 0, MIN_WIDTH, MIN_HEIGHT);
        let a = split(
            area,
            Wants {
                caption: 2,
                ..wants()
            },
        );
        let panes = [
            a.header,
            a.caption.unwrap(),
            a.partitions,
            a.producers,
            a.groups,
            a.lag,
            a.events,
            a.footer,
        ];
        let total: u32 = panes.iter().map(|r| r.area()).sum();
        assert_eq!(total, area.area());
        for (i, p) in panes.iter().enumerate() {
            assert!(inside(*p, area));
            for q in &panes[i + 1..] {
                assert!(!p.intersects(*q), "{p:?} overlaps {q:?}");
            }
        }
        assert!(a.partitions.height >= 3 && a.lag.height >= 4, "{a:?}");
    }

    #[test]
    fn taller_screens_give_the_bottom_more_room() {
        let small = split(Rect::new(0, 0, 80, 24), wants());
        let big = split(Rect::new(0, 0, 160, 48), wants());
        assert!(big.lag.height > small.lag.height);
        assert!(big.partitions.height >= wants().partitions + 2);
    }

    #[test]
    fn a_cluster_puts_its_brokers_above_the_groups() {
        let plain = split(Rect::new(0, 0, 80, 24), wants());
        assert_eq!(plain.brokers, None);
        let a = split(
            Rect::new(0, 0, 80, 24),
            Wants {
                brokers: 3,
                ..wants()
            },
        );
        let brokers = a.brokers.unwrap();
        assert_eq!(brokers.height, 3 + 2);
        assert_eq!((brokers.x, brokers.width), (a.groups.x, a.groups.width));
        assert_eq!(brokers.bottom(), a.groups.y);
        assert_eq!(
            (a.partitions.x, a.partitions.width),
            (plain.partitions.x, plain.partitions.width)
        );
        // Many brokers take no more than a third of the body.
        let many = split(
            Rect::new(0, 0, 80, 24),
            Wants {
                brokers: 32,
                ..wants()
            },
        );
        assert!(many.brokers.unwrap().height <= 22 / 3, "{many:?}");
        assert!(many.groups.height >= 3, "{many:?}");
    }

    #[test]
    fn fits_checks_both_dimensions() {
        assert!(fits(Rect::new(0, 0, 80, 24)));
        assert!(!fits(Rect::new(0, 0, 60, 15)));
        assert!(!fits(Rect::new(0, 0, 200, MIN_HEIGHT - 1)));
    }
}
