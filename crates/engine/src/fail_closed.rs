//! A scheduler that fails queries closed when it loses an executor.
//!
//! Ballista 55 reruns the stages of a lost executor, but outputs the surviving executors
//! had already pushed downstream (into the next stage's inputs or the final result) are
//! not withdrawn, so a rerun can read them twice: counts and sums came back ×1.3 and
//! ×3.3 with success. Retries are therefore off (one task attempt, one stage attempt),
//! and the one path those limits do not cover — an executor declared dead after its
//! heartbeat stops — is closed here: removing an executor cancels every running job
//! before the scheduler's "executor lost" event can reset any stage. The client sees the
//! job fail (`Job … failed: Cancelled`) and reports it as a lost executor.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use ballista_core::error::Result;
use ballista_core::serde::protobuf::ExecutorHeartbeat;
use ballista_core::serde::scheduler::{ExecutorData, ExecutorMetadata};
use ballista_core::JobId;
use ballista_scheduler::cluster::{BoundTask, ClusterState, ClusterStateEventStream, ExecutorSlot};
use ballista_scheduler::config::TaskDistributionPolicy;
use ballista_scheduler::scheduler_server::SchedulerServer;
use ballista_scheduler::state::task_manager::JobInfoCache;
use datafusion_proto::protobuf::{LogicalPlanNode, PhysicalPlanNode};

/// The scheduler this state belongs to.
pub type Server = SchedulerServer<LogicalPlanNode, PhysicalPlanNode>;

/// The message a query cancelled by [`FailClosed`] fails with on the client.
pub const CANCELLED: &str = "failed: Cancelled";

/// Wraps the scheduler's cluster state; `server` is set once the scheduler exists.
pub struct FailClosed {
    /// The state it wraps.
    pub inner: Arc<dyn ClusterState>,
    /// The scheduler, to cancel jobs through.
    pub server: Arc<OnceLock<Server>>,
}

#[async_trait::async_trait]
impl ClusterState for FailClosed {
    async fn init(&self) -> Result<()> {
        self.inner.init().await
    }

    async fn bind_schedulable_tasks(
        &self,
        distribution: TaskDistributionPolicy,
        active_jobs: Arc<HashMap<JobId, JobInfoCache>>,
        executors: Option<HashSet<String>>,
    ) -> Result<Vec<BoundTask>> {
        self.inner
            .bind_schedulable_tasks(distribution, active_jobs, executors)
            .await
    }

    async fn unbind_tasks(&self, executor_slots: Vec<ExecutorSlot>) -> Result<()> {
        self.inner.unbind_tasks(executor_slots).await
    }

    async fn register_executor(
        &self,
        metadata: ExecutorMetadata,
        spec: ExecutorData,
    ) -> Result<()> {
        self.inner.register_executor(metadata, spec).await
    }

    async fn save_executor_metadata(&self, metadata: ExecutorMetadata) -> Result<()> {
        self.inner.save_executor_metadata(metadata).await
    }

    async fn get_executor_metadata(&self, executor_id: &str) -> Result<ExecutorMetadata> {
        self.inner.get_executor_metadata(executor_id).await
    }

    async fn registered_executor_metadata(&self) -> Vec<ExecutorMetadata> {
        self.inner.registered_executor_metadata().await
    }

    async fn save_executor_heartbeat(&self, heartbeat: ExecutorHeartbeat) -> Result<()> {
        self.inner.save_executor_heartbeat(heartbeat).await
    }

    async fn remove_executor(&self, executor_id: &str) -> Result<()> {
        self.inner.remove_executor(executor_id).await?;
        // Queued before the scheduler's ExecutorLost event (posted after this returns,
        // on the same event loop), so no stage of a live job is reset and rerun.
        if let Some(server) = self.server.get() {
            let running = server.state.task_manager.get_running_job_cache();
            for job_id in running.keys() {
                log::error!(
                    "executor {executor_id} lost: cancelling job {job_id} rather than rerunning \
                     its stages (a rerun can count rows twice)"
                );
                if let Err(e) = server.cancel_job(job_id.clone()).await {
                    log::error!("cancelling job {job_id}: {e}");
                }
            }
        }
        Ok(())
    }

    fn executor_heartbeats(&self) -> HashMap<String, ExecutorHeartbeat> {
        self.inner.executor_heartbeats()
    }

    fn get_executor_heartbeat(&self, executor_id: &str) -> Option<ExecutorHeartbeat> {
        self.inner.get_executor_heartbeat(executor_id)
    }

    async fn cluster_state_events(&self) -> Result<ClusterStateEventStream> {
        self.inner.cluster_state_events().await
    }
}
