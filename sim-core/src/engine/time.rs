//! Simulated time: integer milliseconds since the start of the run. Durations parse
//! and print in Go's style (`1h2m3s`, `500ms`, `1.5s`) as Kubernetes flags and
//! kubectl do.

use std::fmt;

/// A moment of simulated time, in milliseconds since the run started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub u64);

/// A span of simulated time, in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(pub u64);

impl SimTime {
    pub const ZERO: SimTime = SimTime(0);
    pub const MAX: SimTime = SimTime(u64::MAX);
    pub const fn from_secs(s: u64) -> SimTime {
        SimTime(s * 1000)
    }
    pub const fn as_ms(self) -> u64 {
        self.0
    }
    pub fn saturating_add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
    pub fn since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
}

/// A moment or none in 8 bytes, where an `Option<SimTime>` is 16 (for what is kept per
/// pod). The last millisecond of `u64` stands for none: a moment saturated there (a
/// sum past the end of time) is kept as the millisecond before, which compares the same
/// against every moment a run reaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MaybeSimTime(u64);

impl MaybeSimTime {
    pub const NONE: MaybeSimTime = MaybeSimTime(u64::MAX);

    pub fn get(self) -> Option<SimTime> {
        (self != MaybeSimTime::NONE).then_some(SimTime(self.0))
    }
}

impl From<Option<SimTime>> for MaybeSimTime {
    fn from(t: Option<SimTime>) -> Self {
        t.map_or(MaybeSimTime::NONE, |t| MaybeSimTime(t.0.min(u64::MAX - 1)))
    }
}

impl std::ops::Add<SimDuration> for SimTime {
    type Output = SimTime;
    fn add(self, d: SimDuration) -> SimTime {
        self.saturating_add(d)
    }
}

impl SimDuration {
    pub const ZERO: SimDuration = SimDuration(0);
    pub const fn from_ms(ms: u64) -> SimDuration {
        SimDuration(ms)
    }
    pub const fn from_secs(s: u64) -> SimDuration {
        SimDuration(s * 1000)
    }
    pub const fn as_ms(self) -> u64 {
        self.0
    }
    pub fn times(self, k: u64) -> SimDuration {
        SimDuration(self.0.saturating_mul(k))
    }

    /// Parses a Go-style duration: a sequence of decimal numbers with units `h`, `m`,
    /// `s`, `ms` (e.g. `1h30m`, `90s`, `1.5s`, `250ms`). A bare `0` is allowed.
    /// Sub-millisecond remainders are rejected rather than silently rounded.
    pub fn parse(s: &str) -> Result<SimDuration, String> {
        let bad = || format!("invalid duration {s:?}: expected e.g. 30s, 5m, 1h30m, 250ms");
        let t = s.trim();
        if t == "0" {
            return Ok(SimDuration::ZERO);
        }
        if t.is_empty() {
            return Err(bad());
        }
        let bytes = t.as_bytes();
        let mut i = 0;
        let mut total_us: u128 = 0; // micro-ms: value * 1000 to keep one fraction exact
        while i < bytes.len() {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
                i += 1;
            }
            let num = &t[start..i];
            let ustart = i;
            while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
                i += 1;
            }
            let unit = &t[ustart..i];
            let unit_ms: u128 = match unit {
                "h" => 3_600_000,
                "m" => 60_000,
                "s" => 1000,
                "ms" => 1,
                _ => return Err(bad()),
            };
            let (int_part, frac_part) = match num.split_once('.') {
                Some((a, b)) => (a, b),
                None => (num, ""),
            };
            if (int_part.is_empty() && frac_part.is_empty()) || frac_part.contains('.') {
                return Err(bad());
            }
            if int_part.len() > 12 || frac_part.len() > 9 {
                return Err(bad());
            }
            let ip: u128 = if int_part.is_empty() { 0 } else { int_part.parse().map_err(|_| bad())? };
            let mut fp: u128 = 0;
            let mut scale: u128 = 1;
            for c in frac_part.bytes() {
                fp = fp * 10 + u128::from(c - b'0');
                scale *= 10;
            }
            // value in thousandths of a millisecond
            let part = ip * unit_ms * 1000 + fp * unit_ms * 1000 / scale;
            if !(fp * unit_ms * 1000).is_multiple_of(scale) {
                return Err(format!("invalid duration {s:?}: finer than a microsecond"));
            }
            total_us = total_us.saturating_add(part);
        }
        if !total_us.is_multiple_of(1000) {
            return Err(format!("invalid duration {s:?}: ksim's clock ticks in whole milliseconds"));
        }
        let ms = total_us / 1000;
        u64::try_from(ms).map(SimDuration).map_err(|_| bad())
    }
}

fn write_go_duration(f: &mut fmt::Formatter<'_>, ms: u64) -> fmt::Result {
    if ms == 0 {
        return write!(f, "0s");
    }
    let h = ms / 3_600_000;
    let m = (ms / 60_000) % 60;
    let s = (ms / 1000) % 60;
    let rem = ms % 1000;
    if h > 0 {
        write!(f, "{h}h")?;
    }
    if m > 0 {
        write!(f, "{m}m")?;
    }
    if s > 0 || rem > 0 {
        if rem == 0 {
            write!(f, "{s}s")?;
        } else if h == 0 && m == 0 && s == 0 {
            write!(f, "{rem}ms")?;
        } else {
            let frac = format!("{rem:03}");
            write!(f, "{s}.{}s", frac.trim_end_matches('0'))?;
        }
    }
    Ok(())
}

impl fmt::Display for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_go_duration(f, self.0)
    }
}

impl fmt::Display for SimTime {
    /// `t=` style: seconds with millisecond precision, e.g. `65.250s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:03}s", self.0 / 1000, self.0 % 1000)
    }
}

/// kubectl's AGE column (`HumanDuration`): `45s`, `5m30s`, `3h`, `2d5h`.
pub fn human_duration(d: SimDuration) -> String {
    let secs = d.0 / 1000;
    if secs < 60 * 2 {
        return format!("{secs}s");
    }
    let minutes = secs / 60;
    if minutes < 10 {
        let s = secs % 60;
        return if s == 0 { format!("{minutes}m") } else { format!("{minutes}m{s}s") };
    }
    if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = minutes / 60;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 { format!("{hours}h") } else { format!("{hours}h{m}m") };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    format!("{}d", hours / 24)
}

/// Go's time.Duration.String for whole seconds, as Kubernetes prints durations in
/// messages: `10s`, `1m20s`, `5m0s`, `1h0m0s`.
pub fn go_duration(d: SimDuration) -> String {
    let s = d.as_ms() / 1000;
    match (s / 3600, s / 60 % 60, s % 60) {
        (0, 0, sec) => format!("{sec}s"),
        (0, m, sec) => format!("{m}m{sec}s"),
        (h, m, sec) => format!("{h}h{m}m{sec}s"),
    }
}

/// Go's time.Duration.String of a whole number of milliseconds: `0s`, `500ms`, `2s`,
/// `2.5s`, `1m0.5s`.
pub fn go_duration_ms(d: SimDuration) -> String {
    let ms = d.as_ms();
    if ms == 0 {
        return "0s".into();
    }
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let (whole, frac) = (ms / 1000, ms % 1000);
    let frac = if frac == 0 { String::new() } else { format!(".{frac:03}").trim_end_matches('0').to_string() };
    match (whole / 3600, whole / 60 % 60, whole % 60) {
        (0, 0, s) => format!("{s}{frac}s"),
        (0, m, s) => format!("{m}m{s}{frac}s"),
        (h, m, s) => format!("{h}h{m}m{s}{frac}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `MaybeSimTime` reads back what it was given; a moment saturated at the end of
    /// time is the millisecond before, still a moment and still after every other.
    #[test]
    fn maybe_sim_times_read_back() {
        assert_eq!(std::mem::size_of::<MaybeSimTime>(), 8);
        for t in [None, Some(SimTime::ZERO), Some(SimTime(1_234)), Some(SimTime(u64::MAX - 1))] {
            assert_eq!(MaybeSimTime::from(t).get(), t);
        }
        let end = MaybeSimTime::from(Some(SimTime::ZERO + SimDuration(u64::MAX))).get();
        assert_eq!(end, Some(SimTime(u64::MAX - 1)));
        assert!(end.is_some_and(|t| SimTime(u64::MAX - 2) < t));
    }

    #[test]
    fn parses_go_durations() {
        assert_eq!(SimDuration::parse("30s"), Ok(SimDuration(30_000)));
        assert_eq!(SimDuration::parse("1h30m"), Ok(SimDuration(5_400_000)));
        assert_eq!(SimDuration::parse("1.5s"), Ok(SimDuration(1500)));
        assert_eq!(SimDuration::parse("250ms"), Ok(SimDuration(250)));
        assert_eq!(SimDuration::parse("0"), Ok(SimDuration(0)));
        assert_eq!(SimDuration::parse("2m10s"), Ok(SimDuration(130_000)));
        for bad in ["", "s", "10", "1d", "1.2.3s", "-1s", "1.0001ms", "99999999999999h"] {
            assert!(SimDuration::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn prints_go_durations() {
        for (ms, s) in [(0, "0s"), (250, "250ms"), (1500, "1.5s"), (90_000, "1m30s"), (3_600_000, "1h")] {
            assert_eq!(SimDuration(ms).to_string(), s);
            assert_eq!(SimDuration::parse(s), Ok(SimDuration(ms)));
        }
        assert_eq!(SimTime(65_250).to_string(), "65.250s");
    }

    #[test]
    fn human_durations_like_kubectl() {
        assert_eq!(human_duration(SimDuration::from_secs(45)), "45s");
        assert_eq!(human_duration(SimDuration::from_secs(330)), "5m30s");
        assert_eq!(human_duration(SimDuration::from_secs(1800)), "30m");
        assert_eq!(human_duration(SimDuration::from_secs(3 * 3600 + 600)), "3h10m");
        assert_eq!(human_duration(SimDuration::from_secs(72 * 3600)), "3d");
    }
}
