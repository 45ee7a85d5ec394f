//! Fitting text to the columns a pane has, without ever cutting a word or a number in two.
//!
//! A pane builds a row as [`Fields`]: pieces of text, each with a priority. When the row is
//! too wide, the least important fields give way first: a field with a shorter form a reader
//! can still decode switches to it, then fields are dropped whole, lowest priority first and
//! rightmost first among equals. Only free text (names, captions) is ever shortened, and
//! then at a word boundary with an ellipsis. Text that runs over several rows (events,
//! captions, reasons) goes through [`wrap_rows`], which breaks at spaces and marks text
//! that had to stop early with the same ellipsis.
//!
//! ```text
//! width 57: A analytics WARN PreparingRebalance gen 2 · classic range
//! width 32: A analytics WARN Preparing gen 2
//! width 20: A analytics WARN
//! ```

use std::ops::Range;

use ratatui::buffer::Buffer;
use ratatui::style::Style;
use ratatui::text::Span;

use super::text::put;

/// The priority of a field that is never dropped: the row's subject, such as a name.
pub const KEEP: u8 = u8::MAX;

/// The mark that says text went on beyond what is shown.
pub const ELLIPSIS: &str = "…";

/// Columns `text` takes on a terminal.
pub fn width(text: &str) -> usize {
    if text.is_ascii() {
        text.len()
    } else {
        Span::raw(text).width()
    }
}

/// How a field is shown once the row is fitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    Full,
    Short,
    Gone,
}

#[derive(Debug, Clone)]
struct Field {
    full: Range<usize>,
    short: Option<Range<usize>>,
    style: Style,
    priority: u8,
    /// Free text, which may end early with an ellipsis at a word boundary.
    text: bool,
    /// A separator that belongs to the next field, and goes with it.
    lead: bool,
    form: Form,
}

/// One row of prioritised fields; see the module docs. Reuse one across rows (call
/// [`Fields::clear`]) so a frame formats into the same buffer.
#[derive(Debug, Default)]
pub struct Fields {
    text: String,
    fields: Vec<Field>,
}

impl Fields {
    /// Empties the row, keeping the memory.
    pub fn clear(&mut self) -> &mut Self {
        self.text.clear();
        self.fields.clear();
        self
    }

    fn format(&mut self, args: std::fmt::Arguments<'_>) -> Range<usize> {
        use std::fmt::Write;
        let start = self.text.len();
        // Writing into a String cannot fail.
        let _ = self.text.write_fmt(args);
        // Text a client chose is shown escaped, so what is measured is what is drawn.
        if self.text[start..]
            .chars()
            .any(crate::printable::needs_escape)
        {
            let escaped = crate::printable::printable(&self.text[start..]).into_owned();
            self.text.truncate(start);
            self.text.push_str(&escaped);
        }
        start..self.text.len()
    }

    fn add(&mut self, priority: u8, style: Style, full: Range<usize>, text: bool) -> &mut Self {
        self.fields.push(Field {
            full,
            short: None,
            style,
            priority,
            text,
            lead: false,
            form: Form::Full,
        });
        self
    }

    /// A field shown whole or not at all: numbers, labels, anything a cut would garble.
    pub fn push(&mut self, priority: u8, style: Style, args: std::fmt::Arguments<'_>) -> &mut Self {
        let full = self.format(args);
        self.add(priority, style, full, false)
    }

    /// Like [`Fields::push`], with a shorter form tried before the field is dropped.
    pub fn push_or_short(
        &mut self,
        priority: u8,
        style: Style,
        full: std::fmt::Arguments<'_>,
        short: std::fmt::Arguments<'_>,
    ) -> &mut Self {
        let full = self.format(full);
        let short = self.format(short);
        self.add(priority, style, full, false);
        if let Some(f) = self.fields.last_mut() {
            f.short = Some(short);
        }
        self
    }

    /// A separator drawn before the next field, in its own style, and dropped with it.
    pub fn lead(&mut self, style: Style, text: &str) -> &mut Self {
        let full = self.format(format_args!("{text}"));
        self.add(KEEP, style, full, false);
        if let Some(f) = self.fields.last_mut() {
            f.lead = true;
        }
        self
    }

    /// Free text, such as a name: when even the fields that are kept do not fit, it ends
    /// early with an ellipsis at a word boundary.
    pub fn push_text(&mut self, priority: u8, style: Style, text: &str) -> &mut Self {
        let full = self.format(format_args!("{text}"));
        self.add(priority, style, full, true)
    }

    fn shown(&self, f: &Field) -> &str {
        match (f.form, &f.short) {
            (Form::Gone, _) => "",
            (Form::Short, Some(short)) => &self.text[short.clone()],
            _ => &self.text[f.full.clone()],
        }
    }

    /// Columns the row takes as fitted so far.
    pub fn width(&self) -> usize {
        self.fields.iter().map(|f| width(self.shown(f))).sum()
    }

    /// Whether the last fitting dropped a field of `priority`: a pane keeps a column only
    /// while every row has room for it.
    pub fn dropped(&self, priority: u8) -> bool {
        self.fields
            .iter()
            .any(|f| f.priority == priority && f.form == Form::Gone)
    }

    /// Chooses each field's form so the row fits `columns`, if dropping can make it fit.
    /// Level by level from the lowest: a field of priority `p` takes its shorter form at
    /// level `p / 2`, so a decodable abbreviation comes before losing a field of nearly the
    /// same importance, and is dropped at level `p`; right to left within a level.
    pub fn fit(&mut self, columns: usize) -> &mut Self {
        for f in &mut self.fields {
            f.form = Form::Full;
        }
        let mut total = self.width();
        let mut level = 0u8;
        while total > columns && level < KEEP {
            for i in (0..self.fields.len()).rev() {
                let f = &self.fields[i];
                let form = if f.form == Form::Full && f.short.is_some() && f.priority / 2 == level {
                    Form::Short
                } else if f.form != Form::Gone && f.priority == level {
                    Form::Gone
                } else {
                    continue;
                };
                if total <= columns {
                    break;
                }
                let before = width(self.shown(f));
                self.fields[i].form = form;
                total = total - before + width(self.shown(&self.fields[i]));
                if form == Form::Gone && i > 0 && self.fields[i - 1].lead {
                    total -= width(self.shown(&self.fields[i - 1]));
                    self.fields[i - 1].form = Form::Gone;
                }
            }
            level += 1;
        }
        self
    }

    /// Fits the row to `max_x - x` and draws it from `(x, y)`; returns the next x. Free
    /// text that still does not fit ends with an ellipsis; a whole field that does not
    /// fit ends the row there.
    pub fn draw(&mut self, buf: &mut Buffer, x: u16, y: u16, max_x: u16) -> u16 {
        self.fit(usize::from(max_x.saturating_sub(x)));
        let mut x = x;
        for (i, f) in self.fields.iter().enumerate() {
            let text = self.shown(f);
            if text.is_empty() {
                continue;
            }
            let room = usize::from(max_x.saturating_sub(x));
            let next = match self.fields.get(i + 1) {
                Some(n) if f.lead && !n.text => width(self.shown(n)),
                _ => 0,
            };
            if width(text) + next <= room {
                x = put(buf, x, y, max_x, text, f.style);
                continue;
            }
            if f.text && room >= 2 {
                let (kept, _) = ellipsize(text, room);
                x = put(buf, x, y, max_x, kept, f.style);
                x = put(buf, x, y, max_x, ELLIPSIS, f.style);
            }
            break;
        }
        x
    }
}

/// The longest start of `text` that, with an ellipsis after it, fits `columns`: cut at the
/// last space that fits, or inside the word only when the first word alone is too long.
/// Returns the start to draw and whether an ellipsis must follow it.
pub fn ellipsize(text: &str, columns: usize) -> (&str, bool) {
    if width(text) <= columns {
        return (text, false);
    }
    (cut(text, columns.saturating_sub(width(ELLIPSIS))), true)
}

/// The longest start of `text` within `room` columns that ends at a word boundary, or
/// inside the first word when that alone is wider.
fn cut(text: &str, room: usize) -> &str {
    let mut end = 0;
    let mut used = 0;
    let mut last_space = None;
    for (i, c) in text.char_indices() {
        let w = width(c.encode_utf8(&mut [0u8; 4]));
        if used + w > room {
            break;
        }
        if c == ' ' {
            last_space = Some(i);
        }
        used += w;
        end = i + c.len_utf8();
    }
    // The cut falls on a boundary when the next character is a space or there is none.
    let on_boundary = text[end..].starts_with(' ') || end == text.len();
    let mut kept = match last_space {
        _ if on_boundary => &text[..end],
        Some(i) if !text[..i].trim().is_empty() => &text[..i],
        _ => &text[..end],
    }
    .trim_end();
    // A number right before the ellipsis would read as a number cut short.
    while kept.ends_with(|c: char| c.is_ascii_digit())
        && let Some(i) = kept.rfind(' ')
    {
        kept = kept[..i].trim_end();
    }
    kept
}

/// Breaks `text` at spaces into at most `max_rows` rows, the first `first` columns wide and
/// the others `rest`. A word wider than its row, or text left over after the last row, ends
/// that row with an ellipsis.
pub fn wrap_rows(text: &str, first: usize, rest: usize, max_rows: usize) -> Vec<String> {
    let mut rows: Vec<String> = Vec::new();
    if max_rows == 0 {
        return rows;
    }
    // Text that fits keeps its own spacing.
    let trimmed = text.trim();
    if !trimmed.is_empty() && width(trimmed) <= first {
        rows.push(trimmed.to_string());
        return rows;
    }
    let mut row = String::new();
    let mut words = text.split(' ').filter(|w| !w.is_empty()).peekable();
    while let Some(word) = words.next() {
        let limit = if rows.is_empty() { first } else { rest }.max(1);
        let sep = usize::from(!row.is_empty());
        if width(&row) + sep + width(word) <= limit {
            if sep == 1 {
                row.push(' ');
            }
            row.push_str(word);
            continue;
        }
        if !row.is_empty() {
            if rows.len() + 1 == max_rows {
                rows.push(ended(&format!("{row} {word}"), limit));
                return rows;
            }
            rows.push(std::mem::take(&mut row));
        }
        let limit = if rows.is_empty() { first } else { rest }.max(1);
        if width(word) <= limit {
            row.push_str(word);
        } else {
            rows.push(ended(word, limit));
            if rows.len() == max_rows && words.peek().is_some() {
                return rows;
            }
        }
    }
    if !row.is_empty() {
        rows.push(row);
    }
    rows
}

/// `text` ended with an ellipsis within `columns`, which says there was more.
fn ended(text: &str, columns: usize) -> String {
    let room = columns.saturating_sub(width(ELLIPSIS));
    let kept = if width(text) <= room {
        text.trim_end()
    } else {
        cut(text, room)
    };
    format!("{kept}{ELLIPSIS}")
}

#[cfg(test)]
mod tests {
    use ratatui::layout::Rect;

    use super::*;

    fn drawn(fields: &mut Fields, columns: u16) -> String {
        let mut buf = Buffer::empty(Rect::new(0, 0, columns, 1));
        fields.draw(&mut buf, 0, 0, columns);
        let row: String = buf.content.iter().map(|c| c.symbol()).collect();
        row.trim_end().to_string()
    }

    fn header() -> Fields {
        let mut f = Fields::default();
        let s = Style::new();
        f.push(KEEP, s, format_args!("A "))
            .push_text(KEEP, s, "analytics")
            .push(90, s, format_args!(" WARN"))
            .push_or_short(
                80,
                s,
                format_args!(" PreparingRebalance"),
                format_args!(" Preparing"),
            )
            .push(50, s, format_args!(" gen {}", 2))
            .push(10, s, format_args!(" · classic range"));
        f
    }

    #[test]
    fn drops_the_least_important_fields_whole() {
        let mut f = header();
        assert_eq!(
            drawn(&mut f, 80),
            "A analytics WARN PreparingRebalance gen 2 · classic range"
        );
        assert_eq!(
            drawn(&mut f, 56),
            "A analytics WARN PreparingRebalance gen 2"
        );
        assert_eq!(drawn(&mut f, 32), "A analytics WARN Preparing gen 2");
        assert!(f.dropped(10) && !f.dropped(50) && !f.dropped(80));
        assert_eq!(drawn(&mut f, 30), "A analytics WARN Preparing");
        assert!(
            f.dropped(50) && !f.dropped(80),
            "a shorter form is not dropped"
        );
        assert_eq!(drawn(&mut f, 20), "A analytics WARN");
        assert_eq!(drawn(&mut f, 12), "A analytics");
        assert_eq!(drawn(&mut f, 8), "A analy…");
    }

    #[test]
    fn numbers_are_never_cut() {
        let mut f = Fields::default();
        f.push(KEEP, Style::new(), format_args!("lag {}", 123_456));
        assert_eq!(
            drawn(&mut f, 8),
            "",
            "a kept number that cannot fit is left out"
        );
        assert_eq!(drawn(&mut f, 10), "lag 123456");
    }

    #[test]
    fn free_text_ends_at_a_word_boundary() {
        assert_eq!(
            ellipsize("rebalance started (work", 20),
            ("rebalance started", true)
        );
        assert_eq!(ellipsize("short", 20), ("short", false));
        assert_eq!(ellipsize("murmur2", 5), ("murm", true));
        assert_eq!(
            ellipsize("retention deleted 20 records", 23),
            ("retention deleted", true),
            "no number before the ellipsis"
        );
        let mut f = Fields::default();
        f.push_text(KEEP, Style::new(), "one two three");
        assert_eq!(drawn(&mut f, 10), "one two…");
    }

    #[test]
    fn wraps_at_spaces_and_marks_what_is_left_out() {
        assert_eq!(wrap_rows("a bb ccc dddd", 6, 6, 5), ["a bb", "ccc", "dddd"]);
        assert_eq!(wrap_rows("a bb ccc dddd", 6, 6, 2), ["a bb", "ccc…"]);
        assert_eq!(wrap_rows("abcdefghij kl", 5, 5, 3), ["abcd…", "kl"]);
        assert_eq!(wrap_rows("one two three", 3, 8, 3), ["one", "two", "three"]);
        assert_eq!(wrap_rows("", 5, 5, 3), Vec::<String>::new());
        for rows in [1, 2, 3] {
            for row in wrap_rows("the quick brown fox jumps over", 9, 9, rows) {
                assert!(width(&row) <= 9, "{row}");
            }
        }
    }
}
