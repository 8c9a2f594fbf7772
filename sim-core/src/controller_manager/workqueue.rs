//! The workqueue every controller drains (client-go `util/workqueue`): a deduplicating
//! queue of keys (`queue.go`: a key added while already queued is queued once), delayed
//! additions (`delaying_queue.go` AddAfter: a key waiting twice keeps the earlier time)
//! and per-item failure back-off (`rate_limiting_queue.go` AddRateLimited / Forget /
//! NumRequeues with `default_rate_limiters.go`'s DefaultControllerRateLimiter: the
//! maximum of ItemExponentialFailureRateLimiter(5 ms, 1000 s) and an overall token bucket
//! of 10 qps with a burst of 100).
//!
//! The processing/dirty sets of queue.go: a key being processed is not handed out again;
//! added meanwhile, it is marked dirty and queued when `done` is called. A sync takes zero
//! simulated time, but a controller whose sync writes through the apiserver can keep its
//! key processing until every write is answered (as upstream's synchronous client calls
//! keep the worker busy). Every key is bounded by the objects that exist, so the queue is
//! too.

use crate::engine::{SimDuration, SimTime};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// ItemExponentialFailureRateLimiter's base delay.
pub const BASE_DELAY: SimDuration = SimDuration::from_ms(5);
/// ItemExponentialFailureRateLimiter's cap.
pub const MAX_DELAY: SimDuration = SimDuration::from_secs(1000);
/// BucketRateLimiter: 10 additions per second overall …
pub const BUCKET_QPS: u64 = 10;
/// … with a burst of 100.
pub const BUCKET_BURST: u64 = 100;

/// `rate.Limiter` (golang.org/x/time/rate) as the bucket limiter uses it: Reserve() takes
/// a token now and says how long to wait for it. Tokens are counted in thousandths so
/// that the arithmetic stays in integers.
#[derive(Clone, Debug)]
struct TokenBucket {
    /// Thousandths of a token available at `last`.
    milli_tokens: i64,
    last: SimTime,
}

impl TokenBucket {
    fn new() -> Self {
        TokenBucket { milli_tokens: (BUCKET_BURST * 1000) as i64, last: SimTime::ZERO }
    }

    /// The delay before the next token (Reserve().Delay()).
    fn reserve(&mut self, now: SimTime) -> SimDuration {
        let now = now.max(self.last);
        // QPS tokens per 1000 ms = QPS thousandths of a token per ms.
        let refill = now.since(self.last).as_ms() as i64 * BUCKET_QPS as i64;
        self.milli_tokens = (self.milli_tokens + refill).min((BUCKET_BURST * 1000) as i64);
        self.last = now;
        self.milli_tokens -= 1000;
        if self.milli_tokens >= 0 {
            SimDuration::ZERO
        } else {
            // Ceil: the token is whole at the first millisecond it is.
            let per_ms = BUCKET_QPS as i64;
            SimDuration::from_ms(((-self.milli_tokens + per_ms - 1) / per_ms) as u64)
        }
    }
}

/// How keys come out of the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// In the order they were added (client-go's queue).
    Fifo,
    /// Sorted by key.
    Sorted,
}

/// A rate-limited, delaying, deduplicating queue of keys.
#[derive(Clone, Debug)]
pub struct WorkQueue<K: Ord + Clone> {
    order: Order,
    fifo: VecDeque<K>,
    queued: BTreeSet<K>,
    /// Keys waiting to be added, with when; and the same ordered by time.
    waiting: BTreeMap<K, SimTime>,
    by_time: BTreeSet<(SimTime, K)>,
    failures: BTreeMap<K, u32>,
    processing: BTreeSet<K>,
    dirty: BTreeSet<K>,
    /// ItemExponentialFailureRateLimiter's base delay and cap.
    base_delay: SimDuration,
    max_delay: SimDuration,
    bucket: Option<TokenBucket>,
}

impl<K: Ord + Clone> WorkQueue<K> {
    /// A queue with DefaultControllerRateLimiter.
    pub fn new(order: Order) -> Self {
        WorkQueue {
            order,
            fifo: VecDeque::new(),
            queued: BTreeSet::new(),
            waiting: BTreeMap::new(),
            by_time: BTreeSet::new(),
            failures: BTreeMap::new(),
            processing: BTreeSet::new(),
            dirty: BTreeSet::new(),
            base_delay: BASE_DELAY,
            max_delay: MAX_DELAY,
            bucket: Some(TokenBucket::new()),
        }
    }

    /// A queue whose per-item back-off runs from `base` to `max` (with the same bucket):
    /// the EndpointSlice and Endpoints controllers' 1 s to 1000 s.
    pub fn with_delays(order: Order, base: SimDuration, max: SimDuration) -> Self {
        WorkQueue { base_delay: base, max_delay: max, ..Self::new(order) }
    }

    /// A queue whose per-item back-off stops at `max_delay` (the namespace controller's
    /// nsControllerRateLimiter: 5 ms to 60 s, with the same bucket).
    pub fn with_max_delay(order: Order, max_delay: SimDuration) -> Self {
        WorkQueue { max_delay, ..Self::new(order) }
    }

    /// A queue whose rate limiter is only the per-item exponential one (no bucket).
    pub fn without_bucket(order: Order) -> Self {
        WorkQueue { bucket: None, ..Self::new(order) }
    }

    /// Add: queue the key unless it is queued already; a key being processed is marked
    /// dirty and queued when it is done.
    pub fn add(&mut self, key: K) {
        if self.processing.contains(&key) {
            self.dirty.insert(key);
            return;
        }
        if !self.queued.contains(&key) {
            self.queue_new(key);
        }
    }

    /// `add` of a borrowed key, copied only where the queue keeps it (a key already
    /// queued or marked dirty, as most are when a controller's objects change in a
    /// burst, costs no copy).
    pub fn add_ref(&mut self, key: &K) {
        if self.processing.contains(key) {
            if !self.dirty.contains(key) {
                self.dirty.insert(key.clone());
            }
            return;
        }
        if !self.queued.contains(key) {
            self.queue_new(key.clone());
        }
    }

    /// Queues a key neither queued nor processing.
    fn queue_new(&mut self, key: K) {
        if self.order == Order::Fifo {
            self.fifo.push_back(key.clone());
        }
        self.queued.insert(key);
    }

    /// Done: the key's processing is over; if it was added meanwhile, it is queued now.
    pub fn done(&mut self, key: &K) {
        self.processing.remove(key);
        if self.dirty.remove(key) {
            self.add(key.clone());
        }
    }

    pub fn is_processing(&self, key: &K) -> bool {
        self.processing.contains(key)
    }

    /// AddAfter: the key is added once `d` has passed (at once for 0); a key already
    /// waiting keeps the earlier of the two times. Returns when it will be added (None:
    /// added now).
    pub fn add_after(&mut self, key: K, d: SimDuration, now: SimTime) -> Option<SimTime> {
        if d == SimDuration::ZERO {
            self.add(key);
            return None;
        }
        let at = now + d;
        match self.waiting.get(&key) {
            Some(&t) if t <= at => return Some(t),
            Some(&t) => {
                self.by_time.remove(&(t, key.clone()));
            }
            None => {}
        }
        self.waiting.insert(key.clone(), at);
        self.by_time.insert((at, key));
        Some(at)
    }

    /// When(key) of the rate limiter: the back-off for one more failure of `key`.
    pub fn when(&mut self, key: &K, now: SimTime) -> SimDuration {
        let n = self.failures.entry(key.clone()).or_default();
        let exp = *n;
        *n = n.saturating_add(1);
        let item = if exp >= 40 { self.max_delay } else { SimDuration::from_ms(self.base_delay.as_ms().saturating_mul(1u64 << exp)).min(self.max_delay) };
        let bucket = self.bucket.as_mut().map_or(SimDuration::ZERO, |b| b.reserve(now));
        item.max(bucket)
    }

    /// AddRateLimited: add after the rate limiter's back-off. Returns when.
    pub fn add_rate_limited(&mut self, key: K, now: SimTime) -> Option<SimTime> {
        let d = self.when(&key, now);
        self.add_after(key, d, now)
    }

    /// Forget: the key's failures are over (its back-off starts again from the base).
    pub fn forget(&mut self, key: &K) {
        self.failures.remove(key);
    }

    /// NumRequeues.
    pub fn num_requeues(&self, key: &K) -> u32 {
        self.failures.get(key).copied().unwrap_or(0)
    }

    /// Moves the waiting keys that are due into the queue.
    pub fn promote_due(&mut self, now: SimTime) {
        while let Some((t, k)) = self.by_time.first().cloned() {
            if t > now {
                break;
            }
            self.by_time.remove(&(t, k.clone()));
            self.waiting.remove(&k);
            self.add(k);
        }
    }

    /// When the next waiting key is due.
    pub fn next_due(&self) -> Option<SimTime> {
        self.by_time.first().map(|(t, _)| *t)
    }

    /// Get: the next key to sync (it is processing until `done`).
    pub fn pop(&mut self) -> Option<K> {
        let k = match self.order {
            Order::Fifo => {
                let k = self.fifo.pop_front()?;
                self.queued.remove(&k);
                k
            }
            Order::Sorted => self.queued.pop_first()?,
        };
        self.processing.insert(k.clone());
        Some(k)
    }

    /// Takes every queued key (in queue order, each processing until `done`), leaving the
    /// queue empty.
    pub fn drain(&mut self) -> Vec<K> {
        let mut out = Vec::with_capacity(self.queued.len());
        while let Some(k) = self.pop() {
            out.push(k);
        }
        out
    }

    pub fn len(&self) -> usize {
        self.queued.len()
    }

    pub fn is_empty(&self) -> bool {
        self.queued.is_empty()
    }

    /// Keys waiting for a later time.
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_deduplicated_and_fifo() {
        let mut q = WorkQueue::new(Order::Fifo);
        q.add("b");
        q.add("a");
        q.add("b");
        assert_eq!(q.drain(), ["b", "a"]);
        let mut q = WorkQueue::new(Order::Sorted);
        q.add("b");
        q.add("a");
        assert_eq!(q.drain(), ["a", "b"]);
    }

    /// `add_ref` queues, deduplicates and marks dirty as `add` does.
    #[test]
    fn a_borrowed_key_is_added_as_an_owned_one() {
        let mut q: WorkQueue<String> = WorkQueue::new(Order::Fifo);
        q.add_ref(&"b".to_string());
        q.add("a".to_string());
        q.add_ref(&"b".to_string());
        assert_eq!(q.pop().as_deref(), Some("b"));
        q.add_ref(&"b".to_string());
        q.add_ref(&"b".to_string());
        assert_eq!(q.pop().as_deref(), Some("a"), "b is processing: not queued again");
        q.done(&"b".to_string());
        assert_eq!(q.drain(), ["b"]);
    }

    /// queue_test.go TestAddWhileProcessing: a key added while it is processed comes back
    /// once, after Done.
    #[test]
    fn a_key_added_while_processing_comes_back_after_done() {
        let mut q = WorkQueue::new(Order::Fifo);
        q.add("k");
        assert_eq!(q.pop(), Some("k"));
        q.add("k");
        q.add("k");
        assert!(q.is_empty(), "not handed out twice at once");
        q.done(&"k");
        assert_eq!(q.drain(), ["k"]);
        q.done(&"k");
        assert!(q.is_empty());
    }

    #[test]
    fn add_after_keeps_the_earlier_time() {
        let mut q = WorkQueue::new(Order::Fifo);
        let now = SimTime(1000);
        assert_eq!(q.add_after("k", SimDuration::from_ms(50), now), Some(SimTime(1050)));
        assert_eq!(q.add_after("k", SimDuration::from_ms(80), now), Some(SimTime(1050)));
        assert_eq!(q.add_after("k", SimDuration::from_ms(10), now), Some(SimTime(1010)));
        assert_eq!(q.waiting(), 1);
        q.promote_due(SimTime(1009));
        assert!(q.is_empty());
        q.promote_due(SimTime(1010));
        assert_eq!(q.drain(), ["k"]);
        assert_eq!(q.next_due(), None);
    }

    /// default_rate_limiters_test.go TestItemExponentialFailureRateLimiter: 1 ms base,
    /// 1 s max → 1, 2, 4, 8, 16 ms …; here with ksim's 5 ms base: 5, 10, 20, … capped at
    /// 1000 s, and Forget starts again from the base.
    #[test]
    fn exponential_failure_back_off_is_per_item() {
        let mut q = WorkQueue::without_bucket(Order::Fifo);
        let now = SimTime::ZERO;
        let d: Vec<u64> = (0..5).map(|_| q.when(&"one", now).as_ms()).collect();
        assert_eq!(d, [5, 10, 20, 40, 80]);
        assert_eq!(q.when(&"two", now).as_ms(), 5, "another key has its own count");
        assert_eq!(q.num_requeues(&"one"), 5);
        for _ in 0..30 {
            q.when(&"one", now);
        }
        assert_eq!(q.when(&"one", now), MAX_DELAY);
        q.forget(&"one");
        assert_eq!(q.when(&"one", now).as_ms(), 5);
    }

    /// default_rate_limiters_test.go TestMaxOfRateLimiter / the bucket's burst: the first
    /// 100 additions pass at once, then one every 100 ms (10 qps).
    #[test]
    fn the_bucket_allows_a_burst_of_100_then_10_per_second() {
        let mut q = WorkQueue::new(Order::Fifo);
        let now = SimTime(5000);
        for i in 0..100 {
            assert_eq!(q.when(&i, now).as_ms(), 5, "item {i}: only its own 5 ms");
        }
        assert_eq!(q.when(&100, now).as_ms(), 100);
        assert_eq!(q.when(&101, now).as_ms(), 200);
        assert_eq!(q.when(&102, SimTime(5200)).as_ms(), 100, "200 ms refilled two tokens, two were owed");
    }
}
