//! The one parallel runner: calls are independent, so every stage that works call by call
//! (transcribe, scan, the batch that does both) hands its list here, `jobs` at a time, and gets
//! the results back in the list's order, whatever order they finished in.
//! [`Slots`] is the other half: a budget of decodes that a call's windows share with the other
//! calls in flight. It is a counting semaphore on std's Mutex and Condvar (twenty lines: std has
//! none, and the crates that do are async or unmaintained).

use rayon::prelude::*;

/// `f` of every item, `jobs` items at a time (at least one), in the items' order. A pool that
/// cannot be built (no threads left) degrades to one item at a time rather than failing.
pub fn map<T: Sync, R: Send>(items: &[T], jobs: usize, f: impl Fn(&T) -> R + Sync + Send) -> Vec<R> {
    match rayon::ThreadPoolBuilder::new().num_threads(jobs.max(1)).build() {
        Ok(pool) => pool.install(|| items.par_iter().map(&f).collect()),
        Err(_) => items.iter().map(f).collect(),
    }
}

/// A budget of work slots shared by every caller holding it: at most `n` pieces of work run
/// at once, whichever caller they belong to. The transcriber decodes a call's windows through
/// one, so that calls in flight share the cores: a lone call (one long recording, or the last
/// of a batch) has every slot to itself, and many calls never run more than `n` decodes.
pub struct Slots {
    total: usize,
    free: std::sync::Mutex<usize>,
    freed: std::sync::Condvar,
}

impl Slots {
    pub fn new(n: usize) -> Slots {
        Slots { total: n.max(1), free: std::sync::Mutex::new(n.max(1)), freed: std::sync::Condvar::new() }
    }

    /// `f` of every index in `0..n`, each in a slot, on up to `n` threads of its own; results
    /// in index order. (std's scoped threads, not the rayon pool: a rayon worker waiting for
    /// nested work steals other calls, which would put more calls in flight than `jobs`.)
    pub fn map<R: Send>(&self, n: usize, f: impl Fn(usize) -> R + Sync) -> Vec<R> {
        if n <= 1 {
            return (0..n).map(|i| self.with(|| f(i))).collect();
        }
        let next = std::sync::atomic::AtomicUsize::new(0);
        let results: Vec<std::sync::Mutex<Option<R>>> = (0..n).map(|_| std::sync::Mutex::new(None)).collect();
        let workers = n.min(self.total);
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| {
                    loop {
                        let done = self.with(|| {
                            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            if i >= n {
                                return true;
                            }
                            let r = f(i);
                            *results[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
                            false
                        });
                        if done {
                            break;
                        }
                    }
                });
            }
        });
        results
            .into_iter()
            .map(|m| m.into_inner().unwrap_or_else(|e| e.into_inner()).expect("every index was run"))
            .collect()
    }

    /// Runs `f` holding one slot.
    fn with<R>(&self, f: impl FnOnce() -> R) -> R {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        while *free == 0 {
            free = self.freed.wait(free).unwrap_or_else(|e| e.into_inner());
        }
        *free -= 1;
        drop(free);
        // Released on unwind too, so a panicking piece of work cannot starve the others.
        struct Release<'a>(&'a Slots);
        impl Drop for Release<'_> {
            fn drop(&mut self) {
                *self.0.free.lock().unwrap_or_else(|e| e.into_inner()) += 1;
                self.0.freed.notify_one();
            }
        }
        let _release = Release(self);
        f()
    }

    /// How many pieces of work run at once, at most.
    pub fn capacity(&self) -> usize {
        self.total
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_keep_the_items_order_and_run_jobs_at_a_time() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let (now, most) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let items: Vec<u64> = (0..40).collect();
        let out = super::map(&items, 3, |&i| {
            let n = now.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(n, Ordering::SeqCst);
            std::thread::sleep(std::time::Duration::from_millis(2 + (i * 7) % 5));
            now.fetch_sub(1, Ordering::SeqCst);
            i * 2
        });
        assert_eq!(out, items.iter().map(|i| i * 2).collect::<Vec<_>>());
        let most = most.load(Ordering::SeqCst);
        assert!((2..=3).contains(&most), "{most} at once");
    }

    #[test]
    fn slots_bound_the_work_of_all_their_callers_together() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let slots = super::Slots::new(3);
        let (now, most) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let work = |i: usize| {
            let n = now.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(n, Ordering::SeqCst);
            std::thread::sleep(std::time::Duration::from_millis(3));
            now.fetch_sub(1, Ordering::SeqCst);
            i * 10
        };
        // Four callers at once (as calls in flight), each with 7 pieces: never more than 3 run.
        let outs: Vec<Vec<usize>> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..4).map(|_| s.spawn(|| slots.map(7, work))).collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for out in outs {
            assert_eq!(out, (0..7).map(|i| i * 10).collect::<Vec<_>>());
        }
        assert_eq!(most.load(Ordering::SeqCst), 3);
        // One caller alone gets every slot.
        most.store(0, Ordering::SeqCst);
        slots.map(9, work);
        assert_eq!(most.load(Ordering::SeqCst), 3);
        assert!(slots.map(0, work).is_empty());
    }

    #[test]
    fn a_panicking_piece_gives_its_slot_back() {
        let slots = super::Slots::new(1);
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| slots.map(1, |_| panic!("boom"))));
        assert!(r.is_err());
        assert_eq!(slots.map(2, |i| i), vec![0, 1]);
    }
}
