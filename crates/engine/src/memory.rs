//! The memory pool behind `--memory-limit` / `[engine] memory_limit`.
//!
//! DataFusion's greedy pool (first come, first served) with three changes, each found by
//! a run that failed under a memory limit (docs/performance.md#memory---memory-limit):
//!
//! - Buffers of `RepartitionExec` (batches in flight between two operators) are neither
//!   refused nor counted: refusing them deadlocks DataFusion 55.2
//!   (apache/datafusion#24883, fixed after 55.2), and counting them charged shared string
//!   buffers and starved the hash joins (docs/performance.md#repartition-buffers-not-counted).
//! - No operator that can spill holds more than a quarter of the pool: a sort that ends
//!   within its share merges in memory, which cannot spill, so a quarter leaves half of
//!   the pool to what cannot spill when both partitions sort
//!   (docs/performance.md#a-quarter-of-the-pool-per-spillable-operator).
//! - Spillable operators together hold at most half of the pool, except each one's
//!   first 1/32 (so a new sort or aggregation can always start): otherwise a hash join's
//!   build side, which cannot spill, is refused while aggregations keep memory they could
//!   have spilled (docs/performance.md#half-of-the-pool-for-all-spillable-operators).

use std::fmt;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use datafusion::common::{DataFusionError, Result};
use datafusion::execution::memory_pool::{
    GreedyMemoryPool, MemoryConsumer, MemoryLimit, MemoryPool, MemoryReservation,
    TrackConsumersPool,
};

/// Consumers whose memory is neither refused nor counted (see the module docs).
const UNCOUNTED: &str = "RepartitionExec";

fn uncounted(reservation: &MemoryReservation) -> bool {
    reservation.consumer().name().starts_with(UNCOUNTED)
}

/// A greedy pool of `limit` bytes that ignores repartition buffers, gives no spillable
/// consumer more than a quarter of it and all of them together half (beyond each one's
/// first 1/32).
#[derive(Debug)]
pub struct BoundedPool {
    inner: Arc<dyn MemoryPool>,
    /// The most one spillable consumer may hold.
    share: usize,
    /// The most all spillable consumers may hold together…
    spillable_total: usize,
    /// …except that each may always grow to this much.
    floor: usize,
    /// What spillable consumers hold now.
    spillable: AtomicUsize,
}

impl BoundedPool {
    /// A pool of `limit` bytes; errors name the five largest consumers.
    pub fn new(limit: usize) -> Self {
        let greedy = GreedyMemoryPool::new(limit);
        let tracked =
            TrackConsumersPool::new(greedy, NonZeroUsize::new(5).unwrap_or(NonZeroUsize::MIN));
        Self {
            inner: Arc::new(tracked),
            share: limit / 4,
            spillable_total: limit / 2,
            floor: limit / 32,
            spillable: AtomicUsize::new(0),
        }
    }

    /// Refuses a spillable consumer's growth beyond its share, or beyond the spillable
    /// total once it holds more than the floor; the error tells it to spill.
    fn check_spillable(&self, reservation: &MemoryReservation, additional: usize) -> Result<()> {
        let after = reservation.size() + additional;
        let refuse = |why: &str| {
            Err(DataFusionError::ResourcesExhausted(format!(
                "{} would hold {after} bytes, {why} of the {}-byte memory limit: spill",
                reservation.consumer().name(),
                self.share * 4
            )))
        };
        if after > self.share {
            return refuse("more than a quarter");
        }
        let total = self.spillable.load(Ordering::Relaxed) + additional;
        if after > self.floor && total > self.spillable_total {
            return refuse("and spillable operators more than half");
        }
        Ok(())
    }
}

impl fmt::Display for BoundedPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "chainstat bounded pool over {}", self.inner)
    }
}

impl MemoryPool for BoundedPool {
    fn name(&self) -> &str {
        "chainstat-bounded"
    }

    fn register(&self, consumer: &MemoryConsumer) {
        self.inner.register(consumer)
    }

    fn unregister(&self, consumer: &MemoryConsumer) {
        self.inner.unregister(consumer)
    }

    fn grow(&self, reservation: &MemoryReservation, additional: usize) {
        if !uncounted(reservation) {
            self.inner.grow(reservation, additional);
            if reservation.consumer().can_spill() {
                self.spillable.fetch_add(additional, Ordering::Relaxed);
            }
        }
    }

    fn shrink(&self, reservation: &MemoryReservation, shrink: usize) {
        if !uncounted(reservation) {
            self.inner.shrink(reservation, shrink);
            if reservation.consumer().can_spill() {
                self.spillable.fetch_sub(shrink, Ordering::Relaxed);
            }
        }
    }

    fn try_grow(&self, reservation: &MemoryReservation, additional: usize) -> Result<()> {
        if uncounted(reservation) {
            return Ok(());
        }
        if reservation.consumer().can_spill() {
            self.check_spillable(reservation, additional)?;
            self.inner.try_grow(reservation, additional)?;
            self.spillable.fetch_add(additional, Ordering::Relaxed);
            Ok(())
        } else {
            self.inner.try_grow(reservation, additional)
        }
    }

    fn reserved(&self) -> usize {
        self.inner.reserved()
    }

    fn memory_limit(&self) -> MemoryLimit {
        self.inner.memory_limit()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repartition_buffers_are_free_spillers_get_a_quarter_at_most() {
        let pool: Arc<dyn MemoryPool> = Arc::new(BoundedPool::new(1000));
        let repartition = MemoryConsumer::new("RepartitionExec[0]").register(&pool);
        repartition
            .try_grow(1500)
            .expect("repartition is never refused");
        assert_eq!(pool.reserved(), 0, "nor counted");
        let sort = MemoryConsumer::new("ExternalSorter[0]")
            .with_can_spill(true)
            .register(&pool);
        sort.try_grow(250).expect("the repartition takes no room");
        drop(repartition);
        assert_eq!(pool.reserved(), 250);
        let err = sort
            .try_grow(1)
            .expect_err("a spillable consumer gets a quarter at most");
        assert!(err.to_string().contains("more than a quarter"), "{err}");
        let merge = MemoryConsumer::new("ExternalSorterMerge[0]").register(&pool);
        merge
            .try_grow(750)
            .expect("consumers that cannot spill share the rest");
        let err = merge.try_grow(1).expect_err("the limit still holds");
        assert!(err.to_string().contains("ExternalSorterMerge"), "{err}");
    }

    #[test]
    fn spillers_together_hold_half_beyond_their_floor() {
        let pool: Arc<dyn MemoryPool> = Arc::new(BoundedPool::new(3200));
        let spiller = |name: &str| {
            MemoryConsumer::new(name)
                .with_can_spill(true)
                .register(&pool)
        };
        let (a, b, c) = (spiller("sort a"), spiller("agg b"), spiller("agg c"));
        a.try_grow(800).expect("a quarter");
        b.try_grow(700).expect("within half together");
        c.try_grow(100)
            .expect("a new spiller may take its floor (1/32)");
        let err = b.try_grow(50).expect_err("beyond half together");
        assert!(err.to_string().contains("more than half"), "{err}");
        c.try_grow(1)
            .expect_err("nor beyond its floor while the others hold half");
        drop(a);
        c.try_grow(500).expect("freed memory is shared again");
        let join = MemoryConsumer::new("HashJoinInput").register(&pool);
        join.try_grow(1900)
            .expect("what cannot spill gets the rest of the pool");
    }
}
