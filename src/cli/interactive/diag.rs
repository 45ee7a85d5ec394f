//! Diagnostics while the UI owns the terminal. Writing to stdout or stderr would corrupt
//! the screen, so they go to the file `--log` names, or nowhere.

use std::fmt::Arguments;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// A line-oriented diagnostics sink.
#[derive(Debug, Default)]
pub struct Diag {
    out: Option<BufWriter<File>>,
}

impl Diag {
    /// Opens (truncating) `path`, or discards everything when there is none.
    pub fn open(path: Option<&Path>) -> io::Result<Self> {
        let out = path
            .map(|p| File::create(p).map(BufWriter::new))
            .transpose()?;
        Ok(Diag { out })
    }

    /// Writes one line stamped with simulated time. A failing log must not stop the UI,
    /// so the first write error turns logging off.
    pub fn line(&mut self, sim_ms: i64, args: Arguments<'_>) {
        if let Some(out) = &mut self.out
            && writeln!(out, "[{:>10.3}s] {args}", sim_ms as f64 / 1000.0).is_err()
        {
            self.out = None;
        }
    }

    /// Pushes buffered lines to the file, so they survive a crash that follows.
    pub fn flush(&mut self) {
        if let Some(out) = &mut self.out {
            let _ = out.flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_stamped_lines_to_the_file() {
        let path = std::env::temp_dir().join(format!("diag-{}.log", std::process::id()));
        let mut d = Diag::open(Some(&path)).unwrap();
        d.line(1_500, format_args!("hello {}", 7));
        d.flush();
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(text, "[     1.500s] hello 7\n");
    }

    #[test]
    fn without_a_path_nothing_is_written() {
        let mut d = Diag::open(None).unwrap();
        d.line(0, format_args!("dropped"));
        assert!(d.out.is_none());
    }
}
