//! Text from outside (a client's `client.id`, group and member ids, topic names) made safe
//! to print on a terminal or in a log.
//!
//! A newline in a `client.id` would forge a log line, and an escape sequence would reach
//! the operator's terminal. Every path that prints such text, the server log, `serve`'s
//! event lines and the UI's panes, goes through [`printable`] or [`Printable`], so the
//! same input looks the same everywhere. Control characters and the Unicode bidirectional
//! overrides (which reorder what a terminal shows) come out as Rust escapes such as `\n`
//! and `\u{1b}`; everything else is kept as it is.

use std::borrow::Cow;
use std::fmt;

/// Whether `c` must be escaped before it is printed.
pub fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

/// `text` with every character [`needs_escape`] flags escaped; borrowed (no copy) when
/// there is nothing to escape, which is nearly always.
pub fn printable(text: &str) -> Cow<'_, str> {
    if text.chars().any(needs_escape) {
        Cow::Owned(Printable(text).to_string())
    } else {
        Cow::Borrowed(text)
    }
}

/// Formats its text as [`printable`] does, without building a string first: for
/// `format!` and `eprintln!` arguments.
#[derive(Debug, Clone, Copy)]
pub struct Printable<'a>(pub &'a str);

impl fmt::Display for Printable<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(at) = rest.find(needs_escape) {
            f.write_str(&rest[..at])?;
            let c = rest[at..].chars().next().unwrap_or_default();
            write!(f, "{}", c.escape_default())?;
            rest = &rest[at + c.len_utf8()..];
        }
        f.write_str(rest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        for s in ["", "rdkafka", "héllo wörld", "kp-consumer-1-4f2a", "a\\nb"] {
            assert!(matches!(printable(s), Cow::Borrowed(t) if t == s), "{s}");
        }
    }

    #[test]
    fn controls_and_bidi_overrides_are_escaped() {
        assert_eq!(
            printable("evil\nconnection from 10.0.0.1"),
            "evil\\nconnection from 10.0.0.1"
        );
        assert_eq!(printable("\x1b[31mred\x1b[0m"), "\\u{1b}[31mred\\u{1b}[0m");
        assert_eq!(printable("a\r\tb\u{7f}\u{9b}"), "a\\r\\tb\\u{7f}\\u{9b}");
        assert_eq!(printable("abc\u{202e}fed"), "abc\\u{202e}fed");
        assert_eq!(printable("é\u{2066}é"), "é\\u{2066}é");
        assert_eq!(Printable("x\ny").to_string(), "x\\ny");
    }

    #[test]
    fn escaped_text_has_nothing_left_to_escape() {
        let all: String = (0u32..0x3000).filter_map(char::from_u32).collect();
        let once = printable(&all).into_owned();
        assert!(!once.chars().any(needs_escape));
        assert_eq!(printable(&once), once.as_str(), "escaping is idempotent");
    }
}
