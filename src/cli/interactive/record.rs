//! `--record FILE.cast`: everything the UI writes to the terminal, also written to an
//! asciicast v2 file (asciinema's format), so the real run can be played back in a talk or
//! embedded in a page. The first line is a JSON header with the terminal's size and the
//! start time; each flush of the terminal's output (one per frame) becomes one
//! `[seconds, "o", text]` event. The restoring of the terminal at the end is not recorded,
//! so a player stops on the last frame rather than on an empty screen.

use std::fs::File;
use std::io::{self, BufWriter, Stdout, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Creates the recording at the terminal's size.
pub(crate) fn open(path: &Path) -> anyhow::Result<Cast> {
    use anyhow::Context;
    let (width, height) = crossterm::terminal::size().context("cannot read the terminal size")?;
    Cast::create(path, width, height)
        .with_context(|| format!("cannot create the recording {}", path.display()))
}

/// A session that ended well still fails when its recording stopped early: the file is
/// not the whole session.
pub(crate) fn check(result: &mut anyhow::Result<()>, failure: &Mutex<Option<io::Error>>) {
    if let (Ok(()), Ok(failed)) = (&*result, failure.lock())
        && let Some(e) = failed.as_ref()
    {
        *result = Err(anyhow::anyhow!("the recording stopped early: {e}"));
    }
}

/// An open recording.
#[derive(Debug)]
pub struct Cast {
    file: BufWriter<File>,
    start: Instant,
    /// Output written since the last event, with any UTF-8 sequence cut at a write's end.
    pending: Vec<u8>,
}

impl Cast {
    /// Creates `path` and writes the header for a `width`×`height` terminal.
    pub fn create(path: &Path, width: u16, height: u16) -> io::Result<Cast> {
        let mut file = BufWriter::new(File::create(path)?);
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let header = serde_json::json!({
            "version": 2,
            "width": width,
            "height": height,
            "timestamp": timestamp,
            "env": {"TERM": std::env::var("TERM").unwrap_or_default()},
        });
        writeln!(file, "{header}")?;
        file.flush()?;
        Ok(Cast {
            file,
            start: Instant::now(),
            pending: Vec::new(),
        })
    }

    /// Writes what was output since the last event as one event. Event data must be text:
    /// a character split across writes waits for its other bytes.
    fn event(&mut self) -> io::Result<()> {
        let complete = match std::str::from_utf8(&self.pending) {
            Ok(_) => self.pending.len(),
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(_) => self.pending.len(),
        };
        if complete == 0 {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&self.pending[..complete]).into_owned();
        self.pending.drain(..complete);
        let seconds = (self.start.elapsed().as_secs_f64() * 1e6).round() / 1e6;
        let line = serde_json::json!([seconds, "o", text]);
        writeln!(self.file, "{line}")?;
        self.file.flush()
    }
}

/// Where the UI's output goes: the terminal, and the recording when there is one.
#[derive(Debug)]
pub struct Output {
    stdout: Stdout,
    cast: Option<Cast>,
    /// Why the recording stopped early, if it did: the UI goes on without it.
    failed: Arc<Mutex<Option<io::Error>>>,
}

impl Output {
    /// The terminal, recorded into `cast` when given.
    pub fn new(cast: Option<Cast>) -> Self {
        Output {
            stdout: io::stdout(),
            cast,
            failed: Arc::default(),
        }
    }

    /// Where the reason the recording stopped early is left, for whoever outlives the
    /// terminal.
    pub fn failure(&self) -> Arc<Mutex<Option<io::Error>>> {
        self.failed.clone()
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.stdout.write(buf)?;
        if let Some(cast) = &mut self.cast {
            cast.pending.extend_from_slice(&buf[..n]);
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.stdout.flush()?;
        if let Some(cast) = &mut self.cast
            && let Err(e) = cast.event()
        {
            self.cast = None;
            if let Ok(mut failed) = self.failed.lock() {
                *failed = Some(e);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_whole_characters_in_time_order() {
        let path = std::env::temp_dir().join(format!("record-unit-{}.cast", std::process::id()));
        let mut cast = Cast::create(&path, 80, 24).unwrap();
        let bytes = "a▮b".as_bytes();
        cast.pending.extend_from_slice(&bytes[..2]);
        cast.event().unwrap();
        cast.pending.extend_from_slice(&bytes[2..]);
        cast.event().unwrap();
        drop(cast);
        let text = std::fs::read_to_string(&path).unwrap();
        let _ = std::fs::remove_file(&path);
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines[0]["version"], 2);
        assert_eq!(lines[0]["width"], 80);
        assert_eq!(lines[1][1], "o");
        assert_eq!(lines[1][2], "a");
        assert_eq!(lines[2][2], "▮b");
        assert!(lines[1][0].as_f64() <= lines[2][0].as_f64());
    }
}
