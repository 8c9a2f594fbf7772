//! The progress bar of a long run: simulated time out of the run's end, on stderr, only
//! when stderr is a terminal and the run has already taken half a second (so short runs
//! and tests print nothing).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sim_core::engine::{SimDuration, SimTime};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

const SHOW_AFTER: Duration = Duration::from_millis(500);

pub struct Bar {
    bar: ProgressBar,
    started: Instant,
    shown: bool,
    terminal: bool,
    until: SimTime,
}

impl Bar {
    pub fn new(until: SimTime) -> Self {
        let bar = ProgressBar::with_draw_target(Some(until.as_ms().max(1)), ProgressDrawTarget::hidden());
        bar.set_style(ProgressStyle::with_template("{bar:40} {msg} ({elapsed})").unwrap_or_else(|_| ProgressStyle::default_bar()));
        Bar { bar, started: Instant::now(), shown: false, terminal: std::io::stderr().is_terminal(), until }
    }

    /// The run has reached `now` (simulated).
    pub fn update(&mut self, now: SimTime) {
        if !self.terminal {
            return;
        }
        if !self.shown && self.started.elapsed() >= SHOW_AFTER {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            self.shown = true;
        }
        if self.shown {
            self.bar.set_position(now.as_ms().min(self.until.as_ms()));
            self.bar.set_message(format!("simulated {} of {}", SimDuration(now.as_ms()), SimDuration(self.until.as_ms())));
        }
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
