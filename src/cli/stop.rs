//! The termination signals that end the UI and `serve`.

use std::future::Future;

/// A future that resolves, with the signal's name, on the first termination signal:
/// SIGINT, SIGTERM or SIGHUP on Unix; Ctrl-C, Ctrl-Break or the console closing on
/// Windows. The handlers are installed when this is called, not when the future is first
/// polled, so a signal that arrives before the caller starts waiting still stops it
/// cleanly. Call it inside the async runtime.
pub(crate) fn signal() -> std::io::Result<impl Future<Output = &'static str>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        let mut hangup = signal(SignalKind::hangup())?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => "SIGINT",
                _ = terminate.recv() => "SIGTERM",
                _ = hangup.recv() => "SIGHUP",
            }
        })
    }
    #[cfg(windows)]
    {
        use tokio::signal::windows::{ctrl_break, ctrl_c, ctrl_close};
        let mut interrupt = ctrl_c()?;
        let mut brk = ctrl_break()?;
        let mut close = ctrl_close()?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => "Ctrl-C",
                _ = brk.recv() => "Ctrl-Break",
                _ = close.recv() => "console closed",
            }
        })
    }
}
