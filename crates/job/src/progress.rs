//! Stage progress: a spinner with the current stage on a terminal, one JSON line per
//! stage on stderr otherwise (CI logs, cron mail, log shippers). Every stage's time is
//! also kept for the run manifest.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use crate::manifest::Timing;

/// Reports stages of a run.
pub struct Progress {
    bar: Option<ProgressBar>,
    quiet: bool,
    timings: Mutex<Vec<Timing>>,
    started: Instant,
}

/// A running stage; finish it with [`Stage::done`].
pub struct Stage<'a> {
    progress: &'a Progress,
    name: String,
    started: Instant,
}

impl Progress {
    /// Spinner on a terminal (stderr), JSON lines otherwise; `quiet` prints nothing.
    pub fn new(quiet: bool) -> Progress {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new_spinner();
            if let Ok(style) = ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}") {
                bar.set_style(style);
            }
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Progress {
            bar,
            quiet,
            timings: Mutex::new(Vec::new()),
            started: Instant::now(),
        }
    }

    /// Starts a stage.
    pub fn stage(&self, name: &str) -> Stage<'_> {
        if let Some(bar) = &self.bar {
            bar.set_message(name.to_string());
        }
        Stage {
            progress: self,
            name: name.to_string(),
            started: Instant::now(),
        }
    }

    /// The timings so far.
    pub fn timings(&self) -> Vec<Timing> {
        self.timings.lock().map(|t| t.clone()).unwrap_or_default()
    }

    /// Clears the spinner.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    fn record(&self, t: Timing) {
        if let Some(bar) = &self.bar {
            bar.println(format!(
                "  {:<34} {:>7.2}s  {}",
                t.stage, t.seconds, t.detail
            ));
        } else if !self.quiet {
            let line = serde_json::json!({
                "ts": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                "stage": t.stage,
                "status": "done",
                "seconds": (t.seconds * 1000.0).round() / 1000.0,
                "elapsed": (self.started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0,
                "detail": t.detail,
            });
            eprintln!("{line}");
        }
        if let Ok(mut v) = self.timings.lock() {
            v.push(t);
        }
    }
}

impl Stage<'_> {
    /// Ends the stage with a short description of what it did.
    pub fn done(self, detail: impl Into<String>) {
        self.progress.record(Timing {
            stage: self.name,
            seconds: self.started.elapsed().as_secs_f64(),
            detail: detail.into(),
        });
    }
}
