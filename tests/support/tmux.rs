//! A detached tmux session running a command, for end-to-end tests that drive the real
//! binary as a person would and read what the screen shows.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// Runs tmux; a missing tmux fails the test (`.ci/run` installs it).
pub fn tmux(args: &[&str]) -> Output {
    Command::new("tmux")
        .args(args)
        .output()
        .expect("tmux must be installed to run the end-to-end tests (.ci/run installs it)")
}

fn session_name(test: &str) -> String {
    format!("mk-{test}-{}", std::process::id())
}

/// One tmux session of `width` × `height` running `sh -c cmd`; killed when dropped.
pub struct Session {
    /// The session name, unique per test and process.
    pub name: String,
}

impl Session {
    /// Starts `cmd` in a new session named after `test` and this process.
    pub fn start(test: &str, width: u16, height: u16, cmd: &str) -> Session {
        let name = session_name(test);
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

/// A command run in a session by a shell that, once it exits, writes its exit status and
/// the terminal's settings to files beside its stderr, and keeps the pane open so the last
/// screen can still be read. The files go and the session is killed when dropped.
pub struct BinaryRun {
    /// The session the command runs in.
    pub session: Session,
    status: PathBuf,
    stderr: PathBuf,
    stty: PathBuf,
}

impl BinaryRun {
    /// Runs `command` (a program and its arguments, as `sh` reads them) in a session of
    /// `width` × `height` named after `test`.
    pub fn start(test: &str, width: u16, height: u16, command: &str) -> BinaryRun {
        let name = session_name(test);
        let file = |ext: &str| std::env::temp_dir().join(format!("{name}.{ext}"));
        let (status, stderr, stty) = (file("status"), file("stderr"), file("stty"));
        for f in [&status, &stderr, &stty] {
            let _ = std::fs::remove_file(f);
        }
        // The status is written last, so once it exists the other files are complete.
        let cmd = format!(
            "{command} 2>{err}; s=$?; stty -a >{tty}; echo $s >{st}; sleep 60",
            err = stderr.display(),
            tty = stty.display(),
            st = status.display(),
        );
        let session = Session::start(test, width, height, &cmd);
        BinaryRun {
            session,
            status,
            stderr,
            stty,
        }
    }

    /// Whether the command has exited (its status is written).
    pub fn exited(&self) -> bool {
        std::fs::metadata(&self.status).is_ok()
    }

    /// The exit status the command left, once it has exited within `deadline`.
    pub fn wait_exit(&self, deadline: Duration) -> i32 {
        let start = Instant::now();
        loop {
            if let Ok(s) = std::fs::read_to_string(&self.status)
                && !s.trim().is_empty()
            {
                return s.trim().parse().expect("status file holds a number");
            }
            assert!(
                start.elapsed() < deadline,
                "the binary did not exit; stderr: {}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// What the command wrote to stderr (complete once it has exited).
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Checks the terminal is back to normal after the command exited: cooked mode with
    /// echo, and the main screen rather than the alternate one.
    pub fn assert_restored(&self) {
        let stty = std::fs::read_to_string(&self.stty).expect("stty ran after exit");
        let flags: Vec<&str> = stty.split_whitespace().collect();
        assert!(
            flags.contains(&"icanon") && flags.contains(&"echo"),
            "{stty}"
        );
        let out = tmux(&[
            "display-message",
            "-p",
            "-t",
            &self.session.name,
            "#{alternate_on}",
        ]);
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "0");
    }
}

impl Drop for BinaryRun {
    fn drop(&mut self) {
        for f in [&self.status, &self.stderr, &self.stty] {
            let _ = std::fs::remove_file(f);
        }
    }
}
