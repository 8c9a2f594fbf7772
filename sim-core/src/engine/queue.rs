//! The event queue, ordered by (time, insertion sequence), so events at the same moment
//! run in the order they were scheduled — the tie-break that makes a run reproducible.
//!
//! A bucketed time queue: one FIFO of slots per distinct millisecond, the buckets in a
//! B-tree by time. Sequence numbers only grow, so a bucket's FIFO order *is* its
//! sequence order, and the pair (time, seq) needs no comparison at all. A simulated
//! cluster schedules most events a millisecond or a network latency ahead, so hundreds
//! of thousands of pending events share a few dozen times: popping is a front-of-FIFO
//! read instead of a binary heap's sift through a heap of that size (`BinaryHeap::pop`
//! was 5 % of `ksim bench density --nodes 5000 --pods 150000`, most of it cache misses).
//! Payloads live in a slab so the buckets hold 4-byte slot numbers.
//!
//! The earliest bucket is kept out of the tree (`front`): events are popped from it and
//! most are pushed to it (a zero delay) or just after it, so the tree is searched once
//! per millisecond rather than once per event. A trace replay spreads its events over
//! many distinct times, a few each, where `first_entry` on every pop was 3 % of the run.

use super::SimTime;
use std::collections::{BTreeMap, VecDeque};

/// A deterministic priority queue of future events.
pub struct EventQueue<E> {
    /// The earliest bucket, never empty; None only when the queue is empty.
    front: Option<(SimTime, VecDeque<u32>)>,
    /// The later buckets (every key after `front`'s time).
    buckets: BTreeMap<SimTime, VecDeque<u32>>,
    /// Emptied FIFOs kept for reuse, so a new millisecond does not allocate.
    spare: Vec<VecDeque<u32>>,
    len: usize,
    slots: Vec<Option<E>>,
    free: Vec<u32>,
    next_seq: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue { front: None, buckets: BTreeMap::new(), spare: Vec::new(), len: 0, slots: Vec::new(), free: Vec::new(), next_seq: 0 }
    }
}

/// How many emptied FIFOs are kept for reuse, and the largest capacity kept: a burst's
/// FIFO (hundreds of thousands of slots) is freed, so the spares hold at most 1 MiB.
const SPARE_FIFOS: usize = 64;
const SPARE_CAPACITY: usize = 4096;

impl<E> EventQueue<E> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Schedules `event` at `time`; returns its sequence number.
    pub fn push(&mut self, time: SimTime, event: E) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        let slot = match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = Some(event);
                i
            }
            None => {
                assert!(self.slots.len() < u32::MAX as usize, "event queue full");
                self.slots.push(Some(event));
                (self.slots.len() - 1) as u32
            }
        };
        match &mut self.front {
            Some((t, fifo)) if *t == time => fifo.push_back(slot),
            Some((t, _)) if *t < time => {
                let spare = &mut self.spare;
                self.buckets.entry(time).or_insert_with(|| spare.pop().unwrap_or_default()).push_back(slot);
            }
            // Earlier than the front (or the queue is empty): a new front; the old one
            // goes back to the tree.
            _ => {
                let mut fifo = self.spare.pop().unwrap_or_default();
                fifo.push_back(slot);
                if let Some((t, old)) = self.front.replace((time, fifo)) {
                    self.buckets.insert(t, old);
                }
            }
        }
        self.len += 1;
        seq
    }

    /// The time of the next event, if any.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.front.as_ref().map(|(t, _)| *t)
    }

    /// Removes and returns the earliest event.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let (time, fifo) = self.front.as_mut()?;
        let time = *time;
        let slot = fifo.pop_front().expect("the front bucket is never empty");
        if fifo.is_empty() {
            let next = self.buckets.pop_first();
            if let Some((_, fifo)) = std::mem::replace(&mut self.front, next) {
                self.recycle(fifo);
            }
        }
        self.len -= 1;
        self.free.push(slot);
        let event = self.slots[slot as usize].take().expect("queued slot holds its event");
        Some((time, event))
    }

    /// Keeps an emptied FIFO for a later bucket, unless enough are kept or it is large.
    fn recycle(&mut self, fifo: VecDeque<u32>) {
        if self.spare.len() < SPARE_FIFOS && fifo.capacity() <= SPARE_CAPACITY {
            self.spare.push(fifo);
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Drops the events `keep` refuses (a process that restarts loses its timers and the
    /// messages on their way to it); the others keep their order.
    pub fn retain(&mut self, mut keep: impl FnMut(&E) -> bool) {
        let (slots, free) = (&mut self.slots, &mut self.free);
        for fifo in self.front.iter_mut().map(|(_, f)| f).chain(self.buckets.values_mut()) {
            fifo.retain(|&slot| {
                let kept = slots[slot as usize].as_ref().is_some_and(&mut keep);
                if !kept {
                    slots[slot as usize] = None;
                    free.push(slot);
                }
                kept
            });
        }
        self.buckets.retain(|_, fifo| !fifo.is_empty());
        if self.front.as_ref().is_some_and(|(_, f)| f.is_empty()) {
            self.front = self.buckets.pop_first();
        }
        self.len = self.front.iter().map(|(_, f)| f.len()).sum::<usize>() + self.buckets.values().map(VecDeque::len).sum::<usize>();
    }

    /// Changes the events in place (order and times unchanged).
    pub fn for_each_mut(&mut self, mut f: impl FnMut(&mut E)) {
        for &slot in self.front.iter().flat_map(|(_, f)| f).chain(self.buckets.values().flatten()) {
            if let Some(ev) = self.slots[slot as usize].as_mut() {
                f(ev);
            }
        }
    }

    /// Events scheduled so far (the next sequence number).
    pub fn scheduled(&self) -> u64 {
        self.next_seq
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn retain_drops_events_and_keeps_the_order_of_the_others() {
        let mut q = EventQueue::new();
        for (t, e) in [(5, "a"), (1, "b"), (5, "c"), (3, "d"), (1, "e")] {
            q.push(SimTime(t), e);
        }
        q.retain(|e| *e != "c" && *e != "b");
        q.push(SimTime(1), "f");
        let order: Vec<&str> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, ["e", "f", "d", "a"]);
    }

    /// A burst's emptied FIFO is freed, not kept as a spare with its capacity.
    #[test]
    fn spare_fifos_stay_small() {
        let mut q = EventQueue::new();
        for i in 0..100_000u32 {
            q.push(SimTime(u64::from(i % 2)), i);
        }
        q.push(SimTime(9), 0);
        while q.len() > 1 {
            q.pop();
        }
        assert!(q.spare.iter().all(|f| f.capacity() <= SPARE_CAPACITY));
        assert!(q.spare.len() <= SPARE_FIFOS);
    }

    #[test]
    fn same_time_events_pop_in_insertion_order() {
        let mut q = EventQueue::new();
        q.push(SimTime(5), "b");
        q.push(SimTime(1), "a");
        q.push(SimTime(5), "c");
        q.push(SimTime(5), "d");
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).map(|(_, e)| e).collect();
        assert_eq!(order, ["a", "b", "c", "d"]);
    }

    proptest! {
        #[test]
        fn pops_sorted_by_time_then_seq(times in proptest::collection::vec(0u64..20, 0..200)) {
            let mut q = EventQueue::new();
            for (i, t) in times.iter().enumerate() {
                q.push(SimTime(*t), i);
            }
            let mut popped = Vec::new();
            while let Some((t, i)) = q.pop() {
                popped.push((t, i));
            }
            let mut expected: Vec<_> = times.iter().enumerate().map(|(i, t)| (SimTime(*t), i)).collect();
            expected.sort();
            prop_assert_eq!(popped, expected);
        }

        /// Pushes and pops interleaved (as a simulation does: events scheduled at or after
        /// the time just popped), with `retain` among them in half the operations (the
        /// events whose number is a multiple of the op's dropped, so that the front bucket
        /// is emptied and refilled by it too), against a sorted list as the model.
        #[test]
        fn pushes_pops_and_retains_match_a_sorted_model(ops in proptest::collection::vec((0u64..5, 0usize..3, 0usize..4), 0..300)) {
            let mut q = EventQueue::new();
            let mut model: Vec<(SimTime, usize)> = Vec::new();
            let mut now = SimTime(0);
            for (i, (ahead, pops, drop_every)) in ops.into_iter().enumerate() {
                q.push(SimTime(now.0 + ahead), i);
                model.push((SimTime(now.0 + ahead), i));
                model.sort();
                if drop_every >= 2 {
                    q.retain(|e| e % drop_every != 0);
                    model.retain(|(_, e)| e % drop_every != 0);
                }
                prop_assert_eq!(q.len(), model.len());
                prop_assert_eq!(q.peek_time(), model.first().map(|(t, _)| *t));
                for _ in 0..pops {
                    let got = q.pop();
                    let want = (!model.is_empty()).then(|| model.remove(0));
                    prop_assert_eq!(got, want);
                    if let Some((t, _)) = got {
                        now = t;
                    }
                }
            }
            let mut seen = Vec::new();
            q.for_each_mut(|e| seen.push(*e));
            prop_assert_eq!(seen, model.iter().map(|(_, e)| *e).collect::<Vec<_>>());
        }
    }
}
