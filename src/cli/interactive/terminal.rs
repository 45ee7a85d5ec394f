//! Taking the terminal over and always giving it back: on return, on error, on a signal
//! and on a panic (the hook restores first, so the panic message lands on a normal
//! screen).

use std::io::{self, BufWriter, Write};
use std::sync::Once;

use crossterm::cursor::{Hide, Show};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

use super::record::Output;

/// The terminal type the UI draws on. Output is buffered and flushed once per frame.
pub type Tui = Terminal<CrosstermBackend<BufWriter<Output>>>;

/// Enough for a full 200×60 frame with colours in one write.
const OUT_BUFFER: usize = 256 * 1024;

/// Puts the terminal in raw mode on the alternate screen, with the panic hook in place;
/// everything the UI writes goes to `out`.
pub fn enter(mut out: Output) -> io::Result<Tui> {
    install_panic_hook();
    enable_raw_mode()?;
    if let Err(e) = execute!(out, EnterAlternateScreen, Hide) {
        restore();
        return Err(e);
    }
    let backend = CrosstermBackend::new(BufWriter::with_capacity(OUT_BUFFER, out));
    Terminal::new(backend).inspect_err(|_| restore())
}

/// Leaves raw mode and the alternate screen. Safe to call more than once, and from a
/// panic hook: errors are ignored because there is nowhere left to report them.
pub fn restore() {
    let _ = disable_raw_mode();
    let mut out = io::stdout();
    let _ = execute!(out, LeaveAlternateScreen, Show);
    let _ = out.flush();
}

fn install_panic_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
    });
}
