//! The discrete-event engine: integer simulated time, an event queue ordered by
//! (time, insertion sequence), seeded random streams, target-independent float math
//! and run limits. It knows nothing
//! of Kubernetes (the closed event enum lives in `crate::sim`).

pub mod math;
pub mod queue;
pub mod rng;
pub mod time;

pub use queue::EventQueue;
pub use rng::RngStreams;
pub use time::{MaybeSimTime, SimDuration, SimTime};

/// Bounds that end a run with a reported outcome instead of a hang.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Stop before processing an event later than this.
    pub until: SimTime,
    /// Stop after this many processed events.
    pub max_events: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { until: SimTime::from_secs(600), max_events: 50_000_000 }
    }
}

/// Why a run stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The queue emptied: nothing more can ever happen.
    Quiescent,
    /// The next event lies beyond `until`.
    UntilReached,
    /// `max_events` were processed.
    MaxEvents,
}

impl Outcome {
    pub fn describe(self) -> &'static str {
        match self {
            Outcome::Quiescent => "quiescent (no more events)",
            Outcome::UntilReached => "reached the end time",
            Outcome::MaxEvents => "stopped at the event limit",
        }
    }
}
