//! A detached tmux session running a command, for end-to-end tests that drive the real
//! binary as a person would and read what the screen shows.

#![allow(dead_code)]

use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// Runs tmux; a missing tmux fails the test (`.ci/run` installs it).
pub fn tmux(args: &[&str]) -> Output {
    Command::new("tmux")
        .args(args)
        .output()
        .expect("tmux must be installed to run the end-to-end tests (.ci/run installs it)")
}

/// One tmux session of `width` × `height` running `sh -c cmd`; killed when dropped.
pub struct Session {
    /// The session name, unique per test and process.
    pub name: String,
}

impl Session {
    /// Starts `cmd` in a new session named after `test` and this process.
    pub fn start(test: &str, width: u16, height: u16, cmd: &str) -> Session {
        let name = format!("mk-{test}-{}", std::process::id());
        let (w, h) = (width.to_string(), height.to_string());
        let out = tmux(&[
            "new-session",
            "-d",
            "-s",
            &name,
            "-x",
            &w,
            "-y",
            &h,
            "sh",
            "-c",
            cmd,
        ]);
        assert!(
            out.status.success(),
            "tmux: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Session { name }
    }

    /// The screen as text, one line per row.
    pub fn screen(&self) -> String {
        let out = tmux(&["capture-pane", "-p", "-t", &self.name]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Sends keys as tmux names them (`q`, `Tab`, `C-c`).
    pub fn send(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", self.name.as_str()];
        args.extend_from_slice(keys);
        assert!(tmux(&args).status.success());
    }

    /// Polls every `poll` until `pred` holds on the screen, for at most `deadline`, and
    /// returns what it found.
    pub fn wait_for<T>(
        &self,
        what: &str,
        deadline: Duration,
        poll: Duration,
        mut pred: impl FnMut(&str) -> Option<T>,
    ) -> T {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if let Some(found) = pred(&screen) {
                return found;
            }
            assert!(
                start.elapsed() < deadline,
                "timed out waiting for {what}; screen:\n{screen}"
            );
            std::thread::sleep(poll);
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = tmux(&["kill-session", "-t", &self.name]);
    }
}
