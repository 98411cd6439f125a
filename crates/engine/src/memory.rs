//! The memory pool behind `--memory-limit` / `[engine] memory_limit`.
//!
//! DataFusion's greedy pool (first come, first served) with two changes, both found by
//! running the 10M-transfer job under 2 GB:
//!
//! - Buffers of `RepartitionExec` are neither refused nor counted. DataFusion 55.2
//!   spills a batch that a repartition cannot reserve memory for into a spill pool whose
//!   reader can wait forever when two input tasks spill at the same time
//!   (apache/datafusion#24883, fixed after 55.2): the job stopped in clustering with
//!   every worker parked and no error. Counting them without refusing did not work
//!   either: DataFusion charges a batch with every buffer it references, so a
//!   repartition of slices of large string buffers was charged 2.8 GB (in a process
//!   whose whole RSS was 2.9 GB) and starved the hash joins. They are batches in flight
//!   between two operators.
//! - No operator that can spill holds more than half of the pool. Purely greedy, one
//!   partition's sort took 1.9 GB without ever spilling, and its sibling could not get
//!   memory for a single batch (which it needs before it has anything to spill): the
//!   run failed or not depending on which partition started first. Capped at half, the
//!   first sort spills at 1 GB and leaves room for the other.

use std::fmt;
use std::num::NonZeroUsize;
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

/// A greedy pool of `limit` bytes that ignores repartition buffers and gives no
/// spillable consumer more than half of it.
#[derive(Debug)]
pub struct BoundedPool {
    inner: Arc<dyn MemoryPool>,
    /// The most one spillable consumer may hold.
    share: usize,
}

impl BoundedPool {
    /// A pool of `limit` bytes; errors name the five largest consumers.
    pub fn new(limit: usize) -> Self {
        let greedy = GreedyMemoryPool::new(limit);
        let tracked =
            TrackConsumersPool::new(greedy, NonZeroUsize::new(5).unwrap_or(NonZeroUsize::MIN));
        Self {
            inner: Arc::new(tracked),
            share: limit / 2,
        }
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
            self.inner.grow(reservation, additional)
        }
    }

    fn shrink(&self, reservation: &MemoryReservation, shrink: usize) {
        if !uncounted(reservation) {
            self.inner.shrink(reservation, shrink)
        }
    }

    fn try_grow(&self, reservation: &MemoryReservation, additional: usize) -> Result<()> {
        let consumer = reservation.consumer();
        if uncounted(reservation) {
            Ok(())
        } else if consumer.can_spill() && reservation.size() + additional > self.share {
            Err(DataFusionError::ResourcesExhausted(format!(
                "{} would hold {} bytes, more than half of the {}-byte memory limit: spill",
                consumer.name(),
                reservation.size() + additional,
                self.share * 2
            )))
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
    fn repartition_buffers_are_free_spillers_get_half_at_most() {
        let pool: Arc<dyn MemoryPool> = Arc::new(BoundedPool::new(1000));
        let repartition = MemoryConsumer::new("RepartitionExec[0]").register(&pool);
        repartition
            .try_grow(1500)
            .expect("repartition is never refused");
        assert_eq!(pool.reserved(), 0, "nor counted");
        let sort = MemoryConsumer::new("ExternalSorter[0]")
            .with_can_spill(true)
            .register(&pool);
        sort.try_grow(500).expect("the repartition takes no room");
        drop(repartition);
        assert_eq!(pool.reserved(), 500);
        let err = sort
            .try_grow(1)
            .expect_err("a spillable consumer gets half at most");
        assert!(err.to_string().contains("more than half"), "{err}");
        let merge = MemoryConsumer::new("ExternalSorterMerge[0]").register(&pool);
        merge
            .try_grow(500)
            .expect("consumers that cannot spill share the rest");
        let err = merge.try_grow(1).expect_err("the limit still holds");
        assert!(err.to_string().contains("ExternalSorterMerge"), "{err}");
    }
}
