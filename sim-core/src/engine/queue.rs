//! The event queue: a binary heap ordered by (time, insertion sequence), so events at
//! the same moment run in the order they were scheduled — the tie-break that makes a
//! run reproducible. The heap holds small (time, seq, slot) entries; payloads live in a
//! slab so sifting never moves large events.

use super::SimTime;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

#[derive(PartialEq, Eq)]
struct Entry {
    time: SimTime,
    seq: u64,
    slot: u32,
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        // BinaryHeap is a max-heap: reverse so the earliest (time, seq) pops first.
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

/// A deterministic priority queue of future events.
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry>,
    slots: Vec<Option<E>>,
    free: Vec<u32>,
    next_seq: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue { heap: BinaryHeap::new(), slots: Vec::new(), free: Vec::new(), next_seq: 0 }
    }
}

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
        self.heap.push(Entry { time, seq, slot });
        seq
    }

    /// The time of the next event, if any.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|e| e.time)
    }

    /// Removes and returns the earliest event.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let e = self.heap.pop()?;
        self.free.push(e.slot);
        let event = self.slots[e.slot as usize].take().expect("queued slot holds its event");
        Some((e.time, event))
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Drops the events `keep` refuses (a process that restarts loses its timers and the
    /// messages on their way to it); the others keep their order.
    pub fn retain(&mut self, mut keep: impl FnMut(&E) -> bool) {
        let entries = std::mem::take(&mut self.heap).into_vec();
        let mut kept = Vec::with_capacity(entries.len());
        for e in entries {
            if self.slots[e.slot as usize].as_ref().is_some_and(&mut keep) {
                kept.push(e);
            } else {
                self.slots[e.slot as usize] = None;
                self.free.push(e.slot);
            }
        }
        self.heap = BinaryHeap::from(kept);
    }

    /// Changes the events in place (order and times unchanged).
    pub fn for_each_mut(&mut self, mut f: impl FnMut(&mut E)) {
        for e in self.heap.iter() {
            if let Some(ev) = self.slots[e.slot as usize].as_mut() {
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
    }
}
