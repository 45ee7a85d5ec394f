//! Renders a drawn buffer to SVG with its colours, for the README's screenshot: the
//! picture comes from the same widgets the terminal shows.

use std::fmt::Write;

use ratatui::buffer::{Buffer, Cell};
use ratatui::style::{Color, Modifier};

const CELL_W: f64 = 8.4;
const CELL_H: f64 = 17.0;
const BACKGROUND: &str = "#1d1f21";
const FOREGROUND: &str = "#d0d0d0";

/// The buffer as a standalone SVG document.
pub fn to_svg(buf: &Buffer) -> String {
    let area = buf.area;
    let (w, h) = (
        f64::from(area.width) * CELL_W,
        f64::from(area.height) * CELL_H,
    );
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0}" height="{h:.0}" viewBox="0 0 {w:.1} {h:.1}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="14">"#
    );
    let _ = writeln!(
        out,
        r#"<rect width="100%" height="100%" fill="{BACKGROUND}"/>"#
    );
    for y in 0..area.height {
        let row: Vec<&Cell> = (0..area.width)
            .map(|x| &buf[(area.x + x, area.y + y)])
            .collect();
        // Runs of cells with the same look become one element.
        let mut x = 0;
        while x < row.len() {
            let look = colours(row[x]);
            let mut end = x + 1;
            while end < row.len() && colours(row[end]) == look {
                end += 1;
            }
            let (fg, bg, bold) = look;
            let (px, py) = (x as f64 * CELL_W, f64::from(y) * CELL_H);
            let run_w = (end - x) as f64 * CELL_W;
            if let Some(bg) = bg {
                let _ = writeln!(
                    out,
                    r#"<rect x="{px:.1}" y="{py:.1}" width="{run_w:.1}" height="{CELL_H}" fill="{bg}"/>"#
                );
            }
            let text: String = row[x..end].iter().map(|c| c.symbol()).collect();
            if !text.trim().is_empty() {
                let weight = if bold { r#" font-weight="bold""# } else { "" };
                let _ = writeln!(
                    out,
                    r#"<text x="{px:.1}" y="{:.1}" fill="{fg}"{weight} textLength="{run_w:.1}" lengthAdjust="spacingAndGlyphs" xml:space="preserve">{}</text>"#,
                    py + CELL_H * 0.78,
                    escape(&text)
                );
            }
            x = end;
        }
    }
    out.push_str("</svg>\n");
    out
}

/// Foreground, background (if any) and boldness, with reversed video resolved.
fn colours(cell: &Cell) -> (&'static str, Option<&'static str>, bool) {
    let fg = hex(cell.fg).unwrap_or(FOREGROUND);
    let bg = hex(cell.bg);
    let bold = cell.modifier.contains(Modifier::BOLD);
    if cell.modifier.contains(Modifier::REVERSED) {
        (bg.unwrap_or(BACKGROUND), Some(fg), bold)
    } else {
        (fg, bg, bold)
    }
}

/// A terminal palette close to xterm's defaults.
fn hex(c: Color) -> Option<&'static str> {
    Some(match c {
        Color::Reset => return None,
        Color::Black => "#000000",
        Color::Red => "#cc3e3e",
        Color::Green => "#4caf50",
        Color::Yellow => "#d7ba3d",
        Color::Blue => "#4a7fd6",
        Color::Magenta => "#b35fc9",
        Color::Cyan => "#3fb6c6",
        Color::Gray => "#b0b0b0",
        Color::DarkGray => "#6c6c6c",
        Color::LightRed => "#ff6b6b",
        Color::LightGreen => "#8ae28a",
        Color::LightYellow => "#fff176",
        Color::LightBlue => "#8ab4f8",
        Color::LightMagenta => "#e29cf5",
        Color::LightCyan => "#8ef0ff",
        Color::White => "#ffffff",
        _ => FOREGROUND,
    })
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use ratatui::layout::Rect;
    use ratatui::style::Style;

    use super::*;

    #[test]
    fn runs_share_an_element_and_text_is_escaped() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 6, 1));
        buf.set_string(0, 0, "a<b", Style::new().fg(Color::Red));
        buf.set_string(3, 0, "ok", Style::new().bg(Color::Blue));
        let svg = to_svg(&buf);
        assert!(svg.contains(r##"fill="#cc3e3e""##));
        assert!(svg.contains(">a&lt;b</text>"), "{svg}");
        assert!(svg.contains(r##"fill="#4a7fd6""##));
        assert_eq!(svg.matches("<text").count(), 2);
    }
}
