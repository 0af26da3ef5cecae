//! The one parallel runner: calls are independent, so every stage that works call by call
//! (transcribe, scan, the batch that does both) hands its list here, `jobs` at a time, and gets
//! the results back in the list's order, whatever order they finished in.

use rayon::prelude::*;

/// `f` of every item, `jobs` items at a time (at least one), in the items' order. A pool that
/// cannot be built (no threads left) degrades to one item at a time rather than failing.
pub fn map<T: Sync, R: Send>(items: &[T], jobs: usize, f: impl Fn(&T) -> R + Sync + Send) -> Vec<R> {
    match rayon::ThreadPoolBuilder::new().num_threads(jobs.max(1)).build() {
        Ok(pool) => pool.install(|| items.par_iter().map(&f).collect()),
        Err(_) => items.iter().map(f).collect(),
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
}
