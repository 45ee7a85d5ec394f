//! Text for the panes: numbers, rates, times and speeds in a few columns, formatted
//! without allocating, and written straight into the buffer's cells.

use ratatui::buffer::Buffer;
use ratatui::style::Style;

/// Simulated time as `mm:ss.t`, or `h:mm:ss` past an hour.
pub fn fmt_time(ms: i64) -> String {
    Elapsed(ms).to_string()
}

/// Simulated time in the form [`fmt_time`] gives, for formatting without an allocation.
#[derive(Debug, Clone, Copy)]
pub struct Elapsed(pub i64);

impl std::fmt::Display for Elapsed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ms = self.0.max(0);
        let secs = ms / 1000;
        if secs >= 3600 {
            write!(f, "{}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
        } else {
            write!(f, "{:02}:{:02}.{}", secs / 60, secs % 60, ms % 1000 / 100)
        }
    }
}

/// A span of time in at most five characters: `0.4s`, `12s`, `1m02s`, `3h05m`, `4d03h`.
#[derive(Debug, Clone, Copy)]
pub struct Age(pub i64);

impl std::fmt::Display for Age {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ms = self.0.max(0);
        // Integer arithmetic, rounded to the unit shown, as the other formats here.
        if ms < 9_950 {
            let tenths = (ms + 50) / 100;
            return write!(f, "{}.{}s", tenths / 10, tenths % 10);
        }
        let s = (ms + 500) / 1000;
        if s < 60 {
            write!(f, "{s}s")
        } else if s < 3_600 {
            write!(f, "{}m{:02}s", s / 60, s % 60)
        } else if s < 100 * 3_600 {
            write!(f, "{}h{:02}m", s / 3_600, s / 60 % 60)
        } else {
            write!(f, "{}d{:02}h", s / 86_400, s / 3_600 % 24)
        }
    }
}

/// A count in at most five characters: 999, 12.3k, 4.5M.
pub fn fmt_count(n: i64) -> String {
    Count(n).to_string()
}

/// How many characters [`fmt_count`] prints for `n`, by arithmetic: layout code asks
/// this for every partition and group on every frame.
pub fn count_width(n: i64) -> usize {
    fn digits(mut v: u64) -> usize {
        let mut d = 1;
        while v >= 10 {
            v /= 10;
            d += 1;
        }
        d
    }
    let sign = usize::from(n < 0);
    let a = n.unsigned_abs();
    sign + if a < 10_000 {
        digits(a)
    } else if a < 999_950 {
        digits((a + 50) / 1000) + 3
    } else {
        digits((a + 50_000) / 1_000_000) + 3
    }
}

/// A count in compact form; see [`fmt_count`].
#[derive(Debug, Clone, Copy)]
pub struct Count(pub i64);

impl std::fmt::Display for Count {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.0;
        let sign = if n < 0 { "-" } else { "" };
        // Integer arithmetic: float formatting is slow, and this runs per partition per
        // frame. Tenths are rounded half up.
        let a = n.unsigned_abs();
        if a < 10_000 {
            write!(f, "{n}")
        } else if a < 999_950 {
            let tenths = (a + 50) / 100;
            write!(f, "{sign}{}.{}k", tenths / 10, tenths % 10)
        } else {
            let tenths = (a + 50_000) / 100_000;
            write!(f, "{sign}{}.{}M", tenths / 10, tenths % 10)
        }
    }
}

/// A rate per second with one decimal, or a compact count when large.
pub fn fmt_rate(r: f64) -> String {
    Rate(r).to_string()
}

/// A rate in the form [`fmt_rate`] gives, for formatting without an allocation.
#[derive(Debug, Clone, Copy)]
pub struct Rate(pub f64);

impl std::fmt::Display for Rate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tenths = (self.0.max(0.0) * 10.0).round() as u64;
        if tenths < 10_000 {
            write!(f, "{}.{}/s", tenths / 10, tenths % 10)
        } else {
            write!(f, "{}/s", Count(self.0.round() as i64))
        }
    }
}

/// A reusable text buffer: a pane formats each piece of a row into it rather than
/// allocating a `String` per piece, per row, per frame.
#[derive(Debug, Default)]
pub struct Scratch(String);

impl Scratch {
    /// The formatted text, valid until the next call.
    pub fn fmt(&mut self, args: std::fmt::Arguments<'_>) -> &str {
        use std::fmt::Write;
        self.0.clear();
        // Writing into a String cannot fail.
        let _ = self.0.write_fmt(args);
        &self.0
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

/// Writes `text` from `(x, y)`, clipped at `max_x` and the buffer's edge; returns the
/// next x. Plain printable ASCII, which is nearly everything the panes print, skips
/// grapheme segmentation and goes straight into the cells: this is the frame's hot path.
pub fn put(buf: &mut Buffer, x: u16, y: u16, max_x: u16, text: &str, style: Style) -> u16 {
    let right = max_x.min(buf.area.right());
    if x >= right || y >= buf.area.bottom() || x < buf.area.x || y < buf.area.y {
        return x;
    }
    if text.bytes().all(|b| (b' '..=b'~').contains(&b)) {
        let n = usize::from(right - x).min(text.len());
        let start = buf.index_of(x, y);
        for (cell, b) in buf.content[start..start + n].iter_mut().zip(text.bytes()) {
            cell.set_char(char::from(b)).set_style(style);
        }
        return x + n as u16;
    }
    let text = crate::printable::printable(text);
    let (next, _) = buf.set_stringn(x, y, &*text, usize::from(right - x), style);
    next
}

/// How many characters `args` prints, counted without allocating: layout code asks this
/// before it draws.
pub fn printed_width(args: std::fmt::Arguments<'_>) -> usize {
    struct Counter(usize);
    impl std::fmt::Write for Counter {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            self.0 += s.chars().count();
            Ok(())
        }
    }
    let mut c = Counter(0);
    // Counting cannot fail.
    let _ = std::fmt::Write::write_fmt(&mut c, args);
    c.0
}

/// Splits `text` at spaces into lines of at most `width` characters (longer words stand
/// alone on their line).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split(' ') {
        let last = lines.last_mut().expect("starts with one line");
        let len = last.chars().count();
        if len > 0 && len + 1 + word.chars().count() > width {
            lines.push(word.to_string());
        } else {
            if len > 0 {
                last.push(' ');
            }
            last.push_str(word);
        }
    }
    lines
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
        for n in [
            0,
            7,
            -12,
            9_999,
            10_000,
            99_949,
            99_950,
            999_949,
            999_950,
            -4_500_000,
            99_950_000,
            i64::MIN,
        ] {
            assert_eq!(count_width(n), fmt_count(n).len(), "{n}");
        }
        assert_eq!(fmt_rate(20.0), "20.0/s");
        assert_eq!(fmt_rate(250_000.0), "250.0k/s");
        assert_eq!(fmt_rate(12.34), "12.3/s");
        assert_eq!(fmt_rate(999.96), "1000/s");
        assert_eq!(fmt_count(999_949), "999.9k");
        assert_eq!(fmt_count(999_950), "1.0M");
        assert_eq!(fmt_speed(0.25), "0.25×");
        assert_eq!(fmt_speed(0.5), "0.5×");
        assert_eq!(fmt_speed(64.0), "64×");
        let ages = [
            0, 449, 9_949, 9_950, 59_499, 59_500, 62_000, 3_599_499, 3_723_000,
        ];
        let want = [
            "0.0s", "0.4s", "9.9s", "10s", "59s", "1m00s", "1m02s", "59m59s", "1h02m",
        ];
        for (ms, want) in ages.into_iter().zip(want) {
            assert_eq!(Age(ms).to_string(), want, "{ms}");
        }
        assert_eq!(Age(100 * 3_600_000 + 7_200_000).to_string(), "4d06h");
    }

    #[test]
    fn printed_width_counts_characters() {
        assert_eq!(
            printed_width(format_args!("lag {} ({})", Count(12_345), Age(62_000))),
            17
        );
        assert_eq!(printed_width(format_args!("{}", "not draining ·")), 14);
    }

    #[test]
    fn wraps_at_spaces() {
        assert_eq!(wrap("a bb ccc dddd", 6), vec!["a bb", "ccc", "dddd"]);
        assert_eq!(wrap("short", 10), vec!["short"]);
    }

    #[test]
    fn put_escapes_control_characters_as_the_server_log_does() {
        use ratatui::layout::Rect;
        let mut buf = Buffer::empty(Rect::new(0, 0, 20, 1));
        put(&mut buf, 0, 0, 20, "ab\ncd\x1b[2J", Style::new());
        let row: String = (0..20).map(|x| buf[(x, 0)].symbol()).collect();
        assert_eq!(row.trim_end(), "ab\\ncd\\u{1b}[2J");
    }

    #[test]
    fn put_clips_and_matches_the_general_path() {
        use ratatui::layout::Rect;
        use ratatui::style::Color;
        let area = Rect::new(0, 0, 10, 2);
        let style = Style::new().fg(Color::Red);
        for text in ["hello world", "héllo wörld"] {
            let mut fast = Buffer::empty(area);
            let end = put(&mut fast, 2, 1, 8, text, style);
            let mut slow = Buffer::empty(area);
            let (slow_end, _) = slow.set_stringn(2, 1, text, 6, style);
            assert_eq!(fast, slow, "{text}");
            assert_eq!(end, slow_end);
        }
        let mut buf = Buffer::empty(area);
        assert_eq!(put(&mut buf, 9, 5, 10, "x", style), 9, "outside the buffer");
        assert_eq!(
            put(&mut buf, 10, 0, 20, "x", style),
            10,
            "past the right edge"
        );
    }
}
