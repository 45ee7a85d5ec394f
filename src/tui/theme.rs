//! Colours and glyphs. Every colour has a textual twin (a letter, a glyph or a word), so
//! the monochrome theme chosen by `NO_COLOR` loses no information.

use ratatui::style::{Color, Modifier, Style};

/// Which palette to draw with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ThemeKind {
    #[default]
    /// The standard palette.
    Default,
    /// Bright colours and bold text, for projectors and low-contrast screens.
    HighContrast,
    /// No colour at all: what `NO_COLOR` asks for.
    Mono,
}

/// The palette and text styles the panes draw with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    /// Which palette this is.
    pub kind: ThemeKind,
    /// Plain text.
    pub text: Style,
    /// Secondary text.
    pub dim: Style,
    /// Pane borders.
    pub border: Style,
    /// The focused pane's border.
    pub border_focused: Style,
    /// Pane titles and names.
    pub title: Style,
    /// Highlights.
    pub accent: Style,
    /// Healthy states.
    pub good: Style,
    /// States to watch.
    pub warn: Style,
    /// Trouble.
    pub bad: Style,
    /// The caption banner.
    pub caption: Style,
    /// The selected row.
    pub selected: Style,
    /// Offsets that retention removed.
    pub removed: Style,
    group_colors: &'static [Color],
    key_colors: &'static [Color],
}

const GROUP_COLORS: &[Color] = &[
    Color::Cyan,
    Color::Magenta,
    Color::Yellow,
    Color::Green,
    Color::LightBlue,
    Color::LightRed,
];

const HC_GROUP_COLORS: &[Color] = &[
    Color::LightCyan,
    Color::LightMagenta,
    Color::LightYellow,
    Color::LightGreen,
    Color::White,
    Color::LightRed,
];

const KEY_COLORS: &[Color] = &[
    Color::Blue,
    Color::Green,
    Color::Yellow,
    Color::Magenta,
    Color::Cyan,
    Color::Red,
    Color::LightBlue,
    Color::LightGreen,
];

const HC_KEY_COLORS: &[Color] = &[
    Color::LightBlue,
    Color::LightGreen,
    Color::LightYellow,
    Color::LightMagenta,
    Color::LightCyan,
    Color::LightRed,
    Color::White,
    Color::Gray,
];

/// How many distinct key shades a record cell can take.
pub const KEY_SHADES: usize = 8;

/// Letters naming key shades in the monochrome theme.
const KEY_LETTERS: [char; KEY_SHADES] = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];

impl Default for Theme {
    fn default() -> Self {
        Theme::new(ThemeKind::Default)
    }
}

impl Theme {
    /// The palette for `kind`.
    pub fn new(kind: ThemeKind) -> Self {
        let plain = Style::new();
        match kind {
            ThemeKind::Default => Theme {
                kind,
                text: plain,
                dim: plain.fg(Color::DarkGray),
                border: plain.fg(Color::DarkGray),
                border_focused: plain.fg(Color::White).add_modifier(Modifier::BOLD),
                title: plain.add_modifier(Modifier::BOLD),
                accent: plain.fg(Color::Cyan),
                good: plain.fg(Color::Green),
                warn: plain.fg(Color::Yellow).add_modifier(Modifier::BOLD),
                bad: plain.fg(Color::Red).add_modifier(Modifier::BOLD),
                caption: plain.fg(Color::Black).bg(Color::Yellow),
                selected: plain.add_modifier(Modifier::REVERSED),
                removed: plain.fg(Color::DarkGray),
                group_colors: GROUP_COLORS,
                key_colors: KEY_COLORS,
            },
            ThemeKind::HighContrast => {
                let bold = plain.add_modifier(Modifier::BOLD);
                Theme {
                    kind,
                    text: plain.fg(Color::White),
                    dim: plain.fg(Color::Gray),
                    border: plain.fg(Color::White),
                    border_focused: bold.fg(Color::LightYellow),
                    title: bold.fg(Color::White),
                    accent: bold.fg(Color::LightCyan),
                    good: bold.fg(Color::LightGreen),
                    warn: bold.fg(Color::LightYellow),
                    bad: bold.fg(Color::LightRed),
                    caption: bold.fg(Color::Black).bg(Color::White),
                    selected: bold.add_modifier(Modifier::REVERSED),
                    removed: plain.fg(Color::Gray),
                    group_colors: HC_GROUP_COLORS,
                    key_colors: HC_KEY_COLORS,
                }
            }
            ThemeKind::Mono => {
                let bold = plain.add_modifier(Modifier::BOLD);
                Theme {
                    kind,
                    text: plain,
                    dim: plain,
                    border: plain,
                    border_focused: bold,
                    title: bold,
                    accent: bold,
                    good: plain,
                    warn: bold,
                    bad: bold,
                    caption: plain.add_modifier(Modifier::REVERSED),
                    selected: plain.add_modifier(Modifier::REVERSED),
                    removed: plain,
                    group_colors: &[],
                    key_colors: &[],
                }
            }
        }
    }

    /// The theme for `kind`, or monochrome when `no_color` (the `NO_COLOR` convention).
    pub fn resolve(kind: ThemeKind, no_color: bool) -> Self {
        Theme::new(if no_color { ThemeKind::Mono } else { kind })
    }

    /// Whether `NO_COLOR` is set to a non-empty value, per no-color.org.
    pub fn no_color_env() -> bool {
        std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
    }

    /// The style for things belonging to the group in colour slot `slot`.
    pub fn group(&self, slot: usize) -> Style {
        match self.group_colors.get(slot % self.group_colors.len().max(1)) {
            Some(c) => Style::new().fg(*c),
            None => Style::new().add_modifier(Modifier::BOLD),
        }
    }

    /// The committed-offset marker style: the letter on the group's colour.
    pub fn group_marker(&self, slot: usize) -> Style {
        match self.group_colors.get(slot % self.group_colors.len().max(1)) {
            Some(c) => Style::new()
                .fg(Color::Black)
                .bg(*c)
                .add_modifier(Modifier::BOLD),
            None => Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD),
        }
    }

    /// A record cell for a key shade (`None` is a record without a key).
    pub fn record_cell(&self, shade: Option<u8>) -> (char, Style) {
        match (shade, self.kind) {
            (None, ThemeKind::Mono) => ('.', Style::new()),
            (Some(s), ThemeKind::Mono) => (KEY_LETTERS[s as usize % KEY_SHADES], Style::new()),
            (None, _) => ('▪', self.text),
            (Some(s), _) => (
                '▮',
                Style::new().fg(self.key_colors[s as usize % self.key_colors.len()]),
            ),
        }
    }
}

/// The letter that names a group's colour slot everywhere it appears.
pub fn group_letter(slot: usize) -> char {
    (b'A' + (slot % 26) as u8) as char
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_forces_mono() {
        assert_eq!(
            Theme::resolve(ThemeKind::HighContrast, true).kind,
            ThemeKind::Mono
        );
        assert_eq!(
            Theme::resolve(ThemeKind::HighContrast, false).kind,
            ThemeKind::HighContrast
        );
    }

    #[test]
    fn mono_uses_no_colour_anywhere() {
        let t = Theme::new(ThemeKind::Mono);
        for s in [t.text, t.dim, t.caption, t.group(0), t.group_marker(3)] {
            assert_eq!(s.fg, None);
            assert_eq!(s.bg, None);
        }
        assert_eq!(t.record_cell(Some(1)).0, 'b');
        assert_eq!(t.record_cell(Some(1)).1.fg, None);
    }

    #[test]
    fn group_letters_run_a_to_z() {
        assert_eq!(group_letter(0), 'A');
        assert_eq!(group_letter(2), 'C');
        assert_eq!(group_letter(26), 'A');
    }
}
