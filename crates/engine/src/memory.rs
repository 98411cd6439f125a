//! The memory pool behind `--memory-limit` / `[engine] memory_limit`.
//!
//! DataFusion's greedy pool (first come, first served), with one exception: buffers of
//! `RepartitionExec` always get their memory. DataFusion 55.2 spills a batch that a
//! repartition cannot reserve memory for into a spill pool whose reader can wait forever
//! when two input tasks spill at the same time (apache/datafusion#24883, fixed after
//! 55.2): at 10M transfers under 2 GB the job stopped in clustering with every worker
//! parked and no error. Repartition buffers are batches in flight between two
//! operators; they are still counted, so the operators that can spill (sorts,
//! aggregations, joins) see less headroom and spill sooner.

use std::fmt;
use std::num::NonZeroUsize;
use std::sync::Arc;

use datafusion::common::Result;
use datafusion::execution::memory_pool::{
    GreedyMemoryPool, MemoryConsumer, MemoryLimit, MemoryPool, MemoryReservation,
    TrackConsumersPool,
};

/// Consumers whose growth is never refused (see the module docs).
const ALWAYS_GRANTED: &str = "RepartitionExec";

/// A greedy pool of `limit` bytes that never refuses repartition buffers.
#[derive(Debug)]
pub struct BoundedPool {
    inner: Arc<dyn MemoryPool>,
}

impl BoundedPool {
    /// A pool of `limit` bytes; errors name the five largest consumers.
    pub fn new(limit: usize) -> Self {
        let greedy = GreedyMemoryPool::new(limit);
        let tracked = TrackConsumersPool::new(greedy, NonZeroUsize::new(5).expect("5 > 0"));
        Self {
            inner: Arc::new(tracked),
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
        self.inner.grow(reservation, additional)
    }

    fn shrink(&self, reservation: &MemoryReservation, shrink: usize) {
        self.inner.shrink(reservation, shrink)
    }

    fn try_grow(&self, reservation: &MemoryReservation, additional: usize) -> Result<()> {
        if reservation.consumer().name().starts_with(ALWAYS_GRANTED) {
            self.inner.grow(reservation, additional);
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
    fn repartition_buffers_grow_past_the_limit_and_others_are_refused() {
        let pool: Arc<dyn MemoryPool> = Arc::new(BoundedPool::new(1000));
        let repartition = MemoryConsumer::new("RepartitionExec[0]").register(&pool);
        repartition
            .try_grow(1500)
            .expect("repartition is never refused");
        assert_eq!(pool.reserved(), 1500);
        let sort = MemoryConsumer::new("ExternalSorter[0]")
            .with_can_spill(true)
            .register(&pool);
        let err = sort.try_grow(10).expect_err("the pool is over its limit");
        assert!(err.to_string().contains("ExternalSorter"), "{err}");
        drop(repartition);
        sort.try_grow(900)
            .expect("room again once the buffers are gone");
        assert!(sort.try_grow(200).is_err());
    }
}
