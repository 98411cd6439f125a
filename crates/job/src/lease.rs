//! One writer per output root.
//!
//! A run takes the root's lease before it writes anything and holds it until its commit
//! and pruning are done, so two runs never interleave their writes, commits or pruning.
//!
//! - **Local folder:** an exclusive `flock` on `<root>/_lease.lock`. The kernel drops it
//!   when the process ends, even on `kill -9`, so a dead run never blocks the next one.
//! - **Object store:** `_lease.json` written with a conditional put (`If-None-Match: *`).
//!   It names the holder and an expiry; the holder renews it every third of the lease
//!   time with a compare-and-swap on its ETag. A lease past its expiry (its run died) is
//!   taken over with the same compare-and-swap, so only one of two waiting runs wins.
//!
//! Either way `_lease.json` says who holds the root, for the error a second run prints.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutPayload, UpdateVersion};
use serde::{Deserialize, Serialize};

use crate::error::{JobError, Result};
use crate::publish::Root;

/// The lease record's name under the output root.
pub const LEASE: &str = "_lease.json";
/// The lock file of a local root.
const LOCK: &str = "_lease.lock";

/// Who holds an output root, and until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseRecord {
    /// The holding run.
    pub run_id: String,
    /// `host:pid` of the holding process.
    pub holder: String,
    /// Unique per acquisition: tells this holder's record from a later one.
    pub token: String,
    /// When the lease was taken (RFC 3339).
    pub acquired_at: String,
    /// When it lapses unless renewed (RFC 3339; local leases end with the process).
    pub expires_at: String,
}

impl LeaseRecord {
    fn new(run_id: &str, ttl: Duration) -> LeaseRecord {
        let now = chrono::Utc::now();
        LeaseRecord {
            run_id: run_id.to_string(),
            holder: format!("{}:{}", hostname(), std::process::id()),
            token: format!(
                "{}-{}-{:x}",
                run_id,
                std::process::id(),
                now.timestamp_nanos_opt().unwrap_or(0)
            ),
            acquired_at: rfc3339(now),
            expires_at: rfc3339(later(now, ttl)),
        }
    }

    fn expired(&self) -> bool {
        chrono::DateTime::parse_from_rfc3339(&self.expires_at)
            .map(|t| t < chrono::Utc::now())
            .unwrap_or(true)
    }
}

/// A held lease; [`Lease::release`] gives it back (dropping it stops renewing, and a
/// local lock is released with the process anyway).
pub struct Lease {
    root: Root,
    record: LeaseRecord,
    kind: Kind,
}

enum Kind {
    Local {
        _lock: std::fs::File,
    },
    Store {
        state: Arc<StoreState>,
        renew: tokio::task::JoinHandle<()>,
    },
}

struct StoreState {
    version: Mutex<UpdateVersion>,
    /// Why the lease was lost, once it was.
    lost: Mutex<Option<String>>,
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Kind::Store { renew, .. } = &self.kind {
            renew.abort();
        }
    }
}

impl Lease {
    /// Takes the lease of `root` for `run_id`, or fails with [`JobError::Locked`] naming
    /// the run that holds it.
    pub async fn acquire(root: &Root, run_id: &str, ttl: Duration) -> Result<Lease> {
        match root.local_dir("") {
            Some(dir) => Self::acquire_local(root, &dir, run_id, ttl).await,
            None => Self::acquire_store(root, run_id, ttl).await,
        }
    }

    async fn acquire_local(
        root: &Root,
        dir: &std::path::Path,
        run_id: &str,
        ttl: Duration,
    ) -> Result<Lease> {
        std::fs::create_dir_all(dir).map_err(|e| JobError::publish(&root.url, e))?;
        let path = dir.join(LOCK);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| JobError::publish(root.url_of(LOCK), e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let holder = read_record(root).await.ok().flatten();
                return Err(locked(root, holder, "until that process ends"));
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(JobError::publish(root.url_of(LOCK), e))
            }
        }
        let mut record = LeaseRecord::new(run_id, ttl);
        record.expires_at = "when the process ends".into();
        root.put(LEASE, to_json(&record)?).await?;
        Ok(Lease {
            root: root.clone(),
            record,
            kind: Kind::Local { _lock: file },
        })
    }

    async fn acquire_store(root: &Root, run_id: &str, ttl: Duration) -> Result<Lease> {
        let path = root.path(LEASE);
        for _ in 0..3 {
            let record = LeaseRecord::new(run_id, ttl);
            let body = PutPayload::from(to_json(&record)?);
            let taken = match root
                .store
                .put_opts(&path, body.clone(), PutMode::Create.into())
                .await
            {
                Ok(r) => Some(r),
                Err(
                    object_store::Error::AlreadyExists { .. }
                    | object_store::Error::Precondition { .. },
                ) => {
                    let got = match root.store.get(&path).await {
                        Ok(g) => g,
                        // Released in between: try again.
                        Err(object_store::Error::NotFound { .. }) => continue,
                        Err(e) => return Err(JobError::publish(root.url_of(LEASE), e)),
                    };
                    let version = UpdateVersion {
                        e_tag: got.meta.e_tag.clone(),
                        version: got.meta.version.clone(),
                    };
                    let bytes = got
                        .bytes()
                        .await
                        .map_err(|e| JobError::publish(root.url_of(LEASE), e))?;
                    let held: LeaseRecord = parse_record(root, &bytes)?;
                    if !held.expired() {
                        let until = format!("until {} unless renewed", held.expires_at);
                        return Err(locked(root, Some(held), &until));
                    }
                    match root
                        .store
                        .put_opts(&path, body, PutMode::Update(version).into())
                        .await
                    {
                        Ok(r) => {
                            log::warn!(
                                "took over the expired lease of run {} ({}) on {}",
                                held.run_id,
                                held.holder,
                                root.url
                            );
                            Some(r)
                        }
                        // Another run took it first: look again.
                        Err(object_store::Error::Precondition { .. }) => None,
                        Err(e) => return Err(no_conditional_put(root, e)),
                    }
                }
                Err(e) => return Err(no_conditional_put(root, e)),
            };
            let Some(put) = taken else { continue };
            let state = Arc::new(StoreState {
                version: Mutex::new(UpdateVersion {
                    e_tag: put.e_tag,
                    version: put.version,
                }),
                lost: Mutex::new(None),
            });
            let renew = tokio::spawn(renew(
                root.store.clone(),
                path.clone(),
                record.clone(),
                ttl,
                state.clone(),
            ));
            return Ok(Lease {
                root: root.clone(),
                record,
                kind: Kind::Store { state, renew },
            });
        }
        Err(JobError::Locked {
            root: root.url.clone(),
            holder: "another run (the lease changed hands while this run tried to take it)".into(),
        })
    }

    /// The run holding it.
    pub fn run_id(&self) -> &str {
        &self.record.run_id
    }

    /// Fails unless this run still holds the lease: called just before the commit.
    pub async fn check(&self) -> Result<()> {
        let Kind::Store { state, .. } = &self.kind else {
            return Ok(());
        };
        if let Some(why) = state.lost.lock().map(|l| l.clone()).unwrap_or(None) {
            return Err(JobError::LeaseLost {
                root: self.root.url.clone(),
                reason: why,
            });
        }
        match read_record(&self.root).await? {
            Some(r) if r.token == self.record.token && !r.expired() => Ok(()),
            Some(r) if r.token == self.record.token => Err(JobError::LeaseLost {
                root: self.root.url.clone(),
                reason: format!("it expired at {} without being renewed", r.expires_at),
            }),
            Some(r) => Err(JobError::LeaseLost {
                root: self.root.url.clone(),
                reason: format!("run {} ({}) holds it now", r.run_id, r.holder),
            }),
            None => Err(JobError::LeaseLost {
                root: self.root.url.clone(),
                reason: "the lease object was deleted".into(),
            }),
        }
    }

    /// Gives the lease back (deletes the record if it is still this run's).
    pub async fn release(self) {
        if let Kind::Store { renew, .. } = &self.kind {
            renew.abort();
        }
        match read_record(&self.root).await {
            Ok(Some(r)) if r.token == self.record.token => {
                if let Err(e) = self.root.store.delete(&self.root.path(LEASE)).await {
                    log::warn!("lease of {} not released: {e}", self.root.url);
                }
            }
            Ok(_) => {}
            Err(e) => log::warn!("lease of {} not released: {e}", self.root.url),
        }
    }
}

/// Renews the lease every third of its time by a compare-and-swap on its version; stops
/// (and marks the lease lost) when another run has replaced it or it lapsed.
async fn renew(
    store: Arc<dyn ObjectStore>,
    path: object_store::path::Path,
    mut record: LeaseRecord,
    ttl: Duration,
    state: Arc<StoreState>,
) {
    let every = (ttl / 3).max(Duration::from_millis(200));
    loop {
        tokio::time::sleep(every).await;
        let now = chrono::Utc::now();
        let lapsed = record.expired();
        record.expires_at = rfc3339(later(now, ttl));
        let Ok(body) = serde_json::to_vec_pretty(&record) else {
            return;
        };
        let version = match state.version.lock() {
            Ok(v) => v.clone(),
            Err(_) => return,
        };
        let lose = |why: String| {
            if let Ok(mut l) = state.lost.lock() {
                *l = Some(why);
            }
        };
        if lapsed {
            lose("it lapsed before it could be renewed".into());
            return;
        }
        match store
            .put_opts(
                &path,
                PutPayload::from(body),
                PutMode::Update(version).into(),
            )
            .await
        {
            Ok(r) => {
                if let Ok(mut v) = state.version.lock() {
                    *v = UpdateVersion {
                        e_tag: r.e_tag,
                        version: r.version,
                    };
                }
            }
            Err(
                object_store::Error::Precondition { .. } | object_store::Error::NotFound { .. },
            ) => {
                lose("another run replaced it".into());
                return;
            }
            // A transient failure: the next tick tries again, before the lease lapses.
            Err(e) => log::warn!("renewing the output lease failed (will retry): {e}"),
        }
    }
}

async fn read_record(root: &Root) -> Result<Option<LeaseRecord>> {
    match root.get(LEASE).await? {
        Some(bytes) => parse_record(root, &bytes).map(Some),
        None => Ok(None),
    }
}

fn parse_record(root: &Root, bytes: &[u8]) -> Result<LeaseRecord> {
    serde_json::from_slice(bytes).map_err(|e| {
        JobError::publish(
            root.url_of(LEASE),
            format!("unreadable lease ({e}); if no run is writing here, delete it"),
        )
    })
}

fn locked(root: &Root, holder: Option<LeaseRecord>, until: &str) -> JobError {
    JobError::Locked {
        root: root.url.clone(),
        holder: match holder {
            Some(h) => format!(
                "run {} ({}, since {}) holds it {until}",
                h.run_id, h.holder, h.acquired_at
            ),
            None => format!("another run holds it {until}"),
        },
    }
}

fn no_conditional_put(root: &Root, e: object_store::Error) -> JobError {
    match e {
        object_store::Error::NotImplemented { .. } => JobError::publish(
            root.url_of(LEASE),
            format!(
                "the output store cannot write conditionally ({e}); chainstat needs it to \
                 keep one writer per output root (on S3, leave aws_conditional_put at its \
                 default `etag`)"
            ),
        ),
        other => JobError::publish(root.url_of(LEASE), other),
    }
}

fn to_json(record: &LeaseRecord) -> Result<Vec<u8>> {
    serde_json::to_vec_pretty(record).map_err(|e| JobError::publish(LEASE, e))
}

fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn later(now: chrono::DateTime<chrono::Utc>, ttl: Duration) -> chrono::DateTime<chrono::Utc> {
    chrono::TimeDelta::from_std(ttl)
        .ok()
        .and_then(|d| now.checked_add_signed(d))
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC)
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".into())
}
