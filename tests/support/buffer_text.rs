//! A drawn buffer as plain text, one line per row without trailing blanks: what a
//! snapshot of the screen should show a reader.

use ratatui::buffer::Buffer;

pub fn text(buf: &Buffer) -> String {
    let w = usize::from(buf.area.width);
    buf.content
        .chunks(w)
        .map(|row| {
            row.iter()
                .map(|c| c.symbol())
                .collect::<String>()
                .trim_end()
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}
