//! `traffic-counts-add-up`: every request a traffic client sent ended exactly one way —
//! succeeded, or failed for one reason (sent = succeeded + the failures). Not a
//! Kubernetes guarantee but the traffic model's own bookkeeping (the issue's "traffic
//! counters add up"), checked on each client's cumulative counts after every tick.

use super::Violation;
use crate::engine::SimTime;
use crate::traffic::Counters;

pub const TRAFFIC_COUNTS_ADD_UP: &str = "traffic-counts-add-up";

pub fn check(name: &str, c: &Counters, time: SimTime, event: &str) -> Option<Violation> {
    (c.sent != c.succeeded + c.errors()).then(|| Violation {
        invariant: TRAFFIC_COUNTS_ADD_UP,
        time,
        event: event.to_string(),
        objects: vec![format!("traffic/{name}")],
        message: format!("sent {} but {} succeeded and {} failed", c.sent, c.succeeded, c.errors()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fires_when_a_request_is_lost_or_counted_twice() {
        let mut c = Counters::default();
        (c.sent, c.succeeded) = (10, 7);
        c.failed.insert("timeout", 3);
        assert!(check("shop", &c, SimTime::ZERO, "e").is_none());
        c.failed.insert("refused", 1);
        let v = check("shop", &c, SimTime::ZERO, "e").expect("fires");
        assert_eq!(v.message, "sent 10 but 7 succeeded and 4 failed");
    }
}
