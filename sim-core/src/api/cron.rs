//! CronJob schedules as Kubernetes reads them: robfig/cron v3's `ParseStandard` (five
//! fields — minute, hour, day of month, month, day of week — with `*`, `?`, ranges,
//! steps, lists, month and weekday names; the `@yearly`, `@annually`, `@monthly`,
//! `@weekly`, `@daily`, `@midnight`, `@hourly` and `@every DURATION` descriptors), in
//! its own error words, evaluated in the CronJob's time zone.
//!
//! The fields are checked here by hand because the error text is robfig's (parser.go
//! getRange, parseIntOrName, mustParseInt, normalizeFields, parseDescriptor), which no
//! Rust crate reproduces; the next activation is croner's, given the fields robfig
//! parsed (a field robfig marks `*` — `*`, `?`, `*/1` — is written `*`, so croner's
//! rule for day of month and day of week, "either matches when neither is `*`", is
//! robfig's dayMatches). `@every` is robfig's ConstantDelaySchedule: the delay (at least
//! a second, whole seconds) after the moment, rounded down to the second.
//!
//! Daylight saving: robfig and croner both run a time that falls in the hour a spring
//! transition skips at the end of the gap, and a time the autumn transition repeats
//! once; ksim's clusters start in 2026 and run for hours, so it rarely matters.

use crate::engine::{SimDuration, SimTime};
use chrono::{DateTime, TimeZone, Utc};

/// 2026-01-01T00:00:00Z, the moment a run starts, in Unix seconds.
const EPOCH_UNIX: i64 = crate::api::meta::EPOCH_DAYS * 86_400;

/// A parsed schedule.
#[derive(Clone, Debug)]
pub enum Schedule {
    Cron(Box<croner::Cron>),
    /// `@every`: a fixed delay.
    Every(SimDuration),
}

/// Go's `uint`, which getRange works in.
struct Bounds {
    min: u64,
    max: u64,
    names: &'static [(&'static str, u64)],
}

const MINUTES: Bounds = Bounds { min: 0, max: 59, names: &[] };
const HOURS: Bounds = Bounds { min: 0, max: 23, names: &[] };
const DOM: Bounds = Bounds { min: 1, max: 31, names: &[] };
const MONTHS: Bounds = Bounds {
    min: 1,
    max: 12,
    names: &[("jan", 1), ("feb", 2), ("mar", 3), ("apr", 4), ("may", 5), ("jun", 6), ("jul", 7), ("aug", 8), ("sep", 9), ("oct", 10), ("nov", 11), ("dec", 12)],
};
const DOW: Bounds = Bounds { min: 0, max: 6, names: &[("sun", 0), ("mon", 1), ("tue", 2), ("wed", 3), ("thu", 4), ("fri", 5), ("sat", 6)] };

/// strconv.Atoi (a 64-bit int) and mustParseInt.
fn must_parse_int(expr: &str) -> Result<u64, String> {
    let digits = expr.strip_prefix(['+', '-']).unwrap_or(expr);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("failed to parse int from {expr}: strconv.Atoi: parsing {expr:?}: invalid syntax"));
    }
    let n: i64 = match expr.parse() {
        Ok(n) => n,
        Err(_) => return Err(format!("failed to parse int from {expr}: strconv.Atoi: parsing {expr:?}: value out of range")),
    };
    u64::try_from(n).map_err(|_| format!("negative number ({n}) not allowed: {expr}"))
}

fn parse_int_or_name(expr: &str, b: &Bounds) -> Result<u64, String> {
    let lower = expr.to_ascii_lowercase();
    if let Some((_, v)) = b.names.iter().find(|(n, _)| *n == lower) {
        return Ok(*v);
    }
    must_parse_int(expr)
}

/// getRange: the values of one comma-separated expression, and whether it is a star.
fn get_range(expr: &str, b: &Bounds) -> Result<(Vec<u64>, bool), String> {
    let range_and_step: Vec<&str> = expr.split('/').collect();
    let low_and_high: Vec<&str> = range_and_step[0].split('-').collect();
    let single = low_and_high.len() == 1;
    let (start, mut end, mut star);
    if low_and_high[0] == "*" || low_and_high[0] == "?" {
        (start, end, star) = (b.min, b.max, true);
    } else {
        start = parse_int_or_name(low_and_high[0], b)?;
        end = match low_and_high.len() {
            1 => start,
            2 => parse_int_or_name(low_and_high[1], b)?,
            _ => return Err(format!("too many hyphens: {expr}")),
        };
        star = false;
    }
    let step = match range_and_step.len() {
        1 => 1,
        2 => {
            let step = must_parse_int(range_and_step[1])?;
            // "N/step" means "N-max/step".
            if single {
                end = b.max;
            }
            if step > 1 {
                star = false;
            }
            step
        }
        _ => return Err(format!("too many slashes: {expr}")),
    };
    if start < b.min {
        return Err(format!("beginning of range ({start}) below minimum ({}): {expr}", b.min));
    }
    if end > b.max {
        return Err(format!("end of range ({end}) above maximum ({}): {expr}", b.max));
    }
    if start > end {
        return Err(format!("beginning of range ({start}) beyond end of range ({end}): {expr}"));
    }
    if step == 0 {
        return Err(format!("step of range should be a positive number: {expr}"));
    }
    Ok(((start..=end).step_by(usize::try_from(step).unwrap_or(usize::MAX)).collect(), star))
}

/// getField: a comma-separated list; the field as croner reads it (`*` when robfig marks
/// it a star).
fn get_field(field: &str, b: &Bounds) -> Result<String, String> {
    let mut values = std::collections::BTreeSet::new();
    let mut star = false;
    for expr in field.split(',') {
        let (v, s) = get_range(expr, b)?;
        values.extend(v);
        star |= s;
    }
    if star {
        return Ok("*".into());
    }
    Ok(values.iter().map(u64::to_string).collect::<Vec<_>>().join(","))
}

/// Go's time.ParseDuration for `@every` (the units Go accepts, in whole milliseconds).
fn parse_every(d: &str) -> Result<SimDuration, String> {
    SimDuration::parse(d).map_err(|_| format!("failed to parse duration @every {d}: time: invalid duration {d:?}"))
}

/// ParseStandard: the schedule, or robfig's error.
pub fn parse_standard(spec: &str) -> Result<Schedule, String> {
    let mut spec = spec.trim();
    if spec.is_empty() {
        return Err("empty spec string".into());
    }
    // A `TZ=` or `CRON_TZ=` prefix names the zone (the CronJob validation refuses it).
    if spec.starts_with("TZ=") || spec.starts_with("CRON_TZ=") {
        let (tz, rest) = spec.split_once(' ').unwrap_or((spec, ""));
        let name = tz.split_once('=').map_or("", |(_, n)| n);
        load_location(name).map_err(|e| format!("provided bad location {name}: {e}"))?;
        spec = rest.trim();
    }
    if let Some(d) = spec.strip_prefix('@') {
        let fields = match d {
            "yearly" | "annually" => "0 0 1 1 *",
            "monthly" => "0 0 1 * *",
            "weekly" => "0 0 * * 0",
            "daily" | "midnight" => "0 0 * * *",
            "hourly" => "0 * * * *",
            _ => match d.strip_prefix("every ") {
                Some(every) => {
                    // ConstantDelaySchedule: at least a second, whole seconds.
                    let delay = parse_every(every.trim())?;
                    let secs = (delay.as_ms() / 1000).max(1);
                    return Ok(Schedule::Every(SimDuration::from_secs(secs)));
                }
                None => return Err(format!("unrecognized descriptor: {spec}")),
            },
        };
        return parse_standard(fields);
    }
    let fields: Vec<&str> = spec.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(format!("expected exactly 5 fields, found {}: [{}]", fields.len(), fields.join(" ")));
    }
    let parts = [
        get_field(fields[0], &MINUTES)?,
        get_field(fields[1], &HOURS)?,
        get_field(fields[2], &DOM)?,
        get_field(fields[3], &MONTHS)?,
        get_field(fields[4], &DOW)?,
    ];
    let pattern = parts.join(" ");
    let cron = croner::Cron::new(&pattern).parse().map_err(|e| format!("{e:?}"))?;
    Ok(Schedule::Cron(Box::new(cron)))
}

/// A simulated moment as a UTC time.
pub fn to_utc(t: SimTime) -> DateTime<Utc> {
    let secs = EPOCH_UNIX + (t.as_ms() / 1000) as i64;
    Utc.timestamp_opt(secs, ((t.as_ms() % 1000) * 1_000_000) as u32).single().unwrap_or_default()
}

fn from_unix(secs: i64) -> Option<SimTime> {
    u64::try_from(secs - EPOCH_UNIX).ok().map(SimTime::from_secs)
}

impl Schedule {
    /// Schedule.Next: the first activation strictly after `t` (robfig starts from the
    /// next whole second), in `tz`. None past the calendar croner searches.
    pub fn next(&self, t: SimTime, tz: chrono_tz::Tz) -> Option<SimTime> {
        let whole = SimTime::from_secs(t.as_ms() / 1000);
        match self {
            Schedule::Every(d) => Some(SimTime(whole.as_ms() + d.as_ms())),
            Schedule::Cron(c) => {
                let at = to_utc(whole).with_timezone(&tz);
                let next = c.find_next_occurrence(&at, false).ok()?;
                from_unix(next.timestamp())
            }
        }
    }
}

/// time.LoadLocation for a CronJob's timeZone: an IANA name (`Etc/UTC`,
/// `America/New_York`); "" and "UTC" are UTC, "Local" is the controller's (UTC here).
pub fn load_location(name: &str) -> Result<chrono_tz::Tz, String> {
    match name {
        "" | "UTC" | "Local" => Ok(chrono_tz::Tz::UTC),
        n => n.parse::<chrono_tz::Tz>().map_err(|_| format!("unknown time zone {n}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> SimTime {
        crate::api::meta::Time::parse_rfc3339(s).unwrap().0
    }

    /// The error words of robfig/cron v3 parser.go: getRange's range, step and hyphen
    /// checks, mustParseInt (strconv.Atoi's own message, which a value past int64
    /// reaches too), normalizeFields' field count, parseDescriptor, ParseStandard's
    /// empty spec.
    #[test]
    fn bad_schedules_fail_in_robfig_words() {
        let err = |s: &str| parse_standard(s).unwrap_err();
        assert_eq!(err("61 * * * *"), "end of range (61) above maximum (59): 61");
        assert_eq!(err("* * * *"), "expected exactly 5 fields, found 4: [* * * *]");
        assert_eq!(err("* * 0 * *"), "beginning of range (0) below minimum (1): 0");
        assert_eq!(err("5-1 * * * *"), "beginning of range (5) beyond end of range (1): 5-1");
        assert_eq!(err("*/0 * * * *"), "step of range should be a positive number: */0");
        assert_eq!(err("1-2-3 * * * *"), "too many hyphens: 1-2-3");
        assert_eq!(err("x * * * *"), "failed to parse int from x: strconv.Atoi: parsing \"x\": invalid syntax");
        assert_eq!(err("* * * * 7"), "end of range (7) above maximum (6): 7");
        // mustParseInt returns a uint, so a value past 32 bits reaches getRange's check.
        assert_eq!(err("4294967296 * * * *"), "end of range (4294967296) above maximum (59): 4294967296");
        // A minus sign splits the range first, so only a step can be negative.
        assert_eq!(err("-1 * * * *"), "failed to parse int from : strconv.Atoi: parsing \"\": invalid syntax");
        assert_eq!(err("*/-1 * * * *"), "negative number (-1) not allowed: -1");
        assert_eq!(err("@fortnightly"), "unrecognized descriptor: @fortnightly");
        assert_eq!(err(""), "empty spec string");
    }

    #[test]
    fn next_activations() {
        let utc = chrono_tz::Tz::UTC;
        let every_minute = parse_standard("* * * * *").unwrap();
        // Strictly after: from 00:00:00 the next is 00:01:00; from 00:00:30.5 too.
        assert_eq!(every_minute.next(at("2026-01-01T00:00:00Z"), utc), Some(at("2026-01-01T00:01:00Z")));
        assert_eq!(every_minute.next(SimTime(30_500), utc), Some(at("2026-01-01T00:01:00Z")));
        let hourly = parse_standard("@hourly").unwrap();
        assert_eq!(hourly.next(at("2026-01-01T00:00:00Z"), utc), Some(at("2026-01-01T01:00:00Z")));
        let every = parse_standard("@every 90s").unwrap();
        assert_eq!(every.next(SimTime(1_500), utc), Some(SimTime(91_000)));
        // Day of month and day of week both restricted: either matches (robfig's OR).
        // 2026-01-01 is a Thursday; "0 0 15 * MON" next fires Monday 2026-01-05.
        let either = parse_standard("0 0 15 * MON").unwrap();
        assert_eq!(either.next(at("2026-01-01T00:00:00Z"), utc), Some(at("2026-01-05T00:00:00Z")));
        // A time zone: 09:00 in New York (EST, UTC−5) is 14:00 UTC.
        let ny = load_location("America/New_York").unwrap();
        let nine = parse_standard("0 9 * * *").unwrap();
        assert_eq!(nine.next(at("2026-01-01T00:00:00Z"), ny), Some(at("2026-01-01T14:00:00Z")));
        assert_eq!(load_location("Mars/Olympus").unwrap_err(), "unknown time zone Mars/Olympus");
    }
}
