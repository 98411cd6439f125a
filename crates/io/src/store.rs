//! Object stores for table URLs: `s3://`, `gs://`, `az://` / `abfss://`, `http(s)://`
//! and local files, configured from the standard environment variables
//! (`AWS_*`, `GOOGLE_*`, `AZURE_*`) and then from `[storage.*]` keys in the config file,
//! which win (so one job file can pin an endpoint whatever the shell exports).
//!
//! [`ChainstatObjectStores`] is a DataFusion `ObjectStoreRegistry` that builds a store
//! the first time a bucket is seen and caches it. Every process that reads data — the
//! embedded engine, a Ballista scheduler, each executor — installs one built from the
//! same [`StorageConfig`], so no secret travels inside a plan or a session setting.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, RwLock};

use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::execution::object_store::ObjectStoreRegistry;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};
use object_store::gcp::{GoogleCloudStorageBuilder, GoogleConfigKey};
use object_store::http::HttpBuilder;
use object_store::local::LocalFileSystem;
use object_store::{ClientConfigKey, ObjectStore};
use serde::{Deserialize, Serialize};
use url::Url;

/// Per-scheme object store options, as `object_store` config keys
/// (`endpoint`, `region`, `access_key_id`, `allow_http`, `virtual_hosted_style_request`,
/// `service_account_path`, `account_name`, …). Values here override the environment.
#[derive(Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct StorageConfig {
    /// Options for `s3://` (AWS S3 and S3-compatible servers: MinIO, Ceph, R2).
    #[serde(default)]
    pub s3: BTreeMap<String, String>,
    /// Options for `gs://`.
    #[serde(default)]
    pub gcs: BTreeMap<String, String>,
    /// Options for `az://`, `azure://`, `abfs(s)://`.
    #[serde(default)]
    pub azure: BTreeMap<String, String>,
    /// Options for `http(s)://` (client options such as `timeout`, `allow_http`).
    #[serde(default)]
    pub http: BTreeMap<String, String>,
    /// How requests to every object store are retried.
    #[serde(default)]
    pub retry: RetrySettings,
}

/// Retries of failed object-store requests (`[storage.retry]`): exponential backoff with
/// jitter, so a store that is down for a while (a restart, a network blip) costs a
/// delay, not the night's run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetrySettings {
    /// Retries per request (the time limit below usually ends them first).
    pub max_retries: usize,
    /// Give up on a request after this long in all (keep under the credentials'
    /// lifetime; object_store advises at most 5 minutes).
    pub timeout_seconds: u64,
    /// First wait.
    pub initial_backoff_ms: u64,
    /// Longest single wait.
    pub max_backoff_seconds: u64,
}

impl Default for RetrySettings {
    fn default() -> Self {
        RetrySettings {
            max_retries: 100,
            timeout_seconds: 300,
            initial_backoff_ms: 500,
            max_backoff_seconds: 30,
        }
    }
}

impl RetrySettings {
    fn config(&self) -> object_store::RetryConfig {
        object_store::RetryConfig {
            backoff: object_store::BackoffConfig {
                init_backoff: std::time::Duration::from_millis(self.initial_backoff_ms),
                max_backoff: std::time::Duration::from_secs(self.max_backoff_seconds),
                // object_store draws each wait between the first and `base` × the last
                // one: base 2 grew 20 waits to only 25 s in all; 3 grows them ~1.5× a try.
                base: 3.0,
            },
            max_retries: self.max_retries,
            retry_timeout: std::time::Duration::from_secs(self.timeout_seconds),
        }
    }
}

/// Keys whose values are secrets: never printed.
fn is_secret(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    ["secret", "token", "key", "password", "credential", "sas"]
        .iter()
        .any(|s| k.contains(s))
        && !k.contains("key_id")
}

impl fmt::Debug for StorageConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redact = |m: &BTreeMap<String, String>| -> BTreeMap<String, String> {
            m.iter()
                .map(|(k, v)| {
                    let shown = if is_secret(k) {
                        "<redacted>".to_string()
                    } else {
                        v.clone()
                    };
                    (k.clone(), shown)
                })
                .collect()
        };
        f.debug_struct("StorageConfig")
            .field("s3", &redact(&self.s3))
            .field("gcs", &redact(&self.gcs))
            .field("azure", &redact(&self.azure))
            .field("http", &redact(&self.http))
            .field("retry", &self.retry)
            .finish()
    }
}

fn store_err(url: &Url, reason: impl fmt::Display) -> DataFusionError {
    DataFusionError::Configuration(format!(
        "cannot open object store for {}: {reason}",
        bucket_url(url)
    ))
}

/// `scheme://host` of a URL: what identifies a store, and safe to print.
pub fn bucket_url(url: &Url) -> String {
    format!("{}://{}", url.scheme(), url.host_str().unwrap_or(""))
}

/// Builds a store for the bucket / host of `url`.
pub fn build_store(config: &StorageConfig, url: &Url) -> DfResult<Arc<dyn ObjectStore>> {
    match url.scheme() {
        "file" => Ok(Arc::new(LocalFileSystem::new())),
        "s3" | "s3a" => {
            let bucket = url
                .host_str()
                .ok_or_else(|| store_err(url, "no bucket name in URL"))?;
            let mut b = AmazonS3Builder::from_env()
                .with_bucket_name(bucket)
                .with_retry(config.retry.config());
            let endpoint = config
                .s3
                .iter()
                .find(|(k, _)| {
                    matches!(
                        k.as_str(),
                        "endpoint" | "aws_endpoint" | "endpoint_url" | "aws_endpoint_url"
                    )
                })
                .map(|(_, v)| v.clone())
                .or_else(|| std::env::var("AWS_ENDPOINT_URL").ok())
                .or_else(|| std::env::var("AWS_ENDPOINT").ok());
            if let Some(ep) = &endpoint {
                // S3-compatible servers (MinIO, Ceph, moto…) are addressed path-style, and
                // a plain-http endpoint is an explicit choice, not an accident.
                b = b
                    .with_endpoint(ep)
                    .with_virtual_hosted_style_request(false)
                    .with_allow_http(ep.starts_with("http://"));
            }
            if std::env::var("AWS_REGION").is_err()
                && std::env::var("AWS_DEFAULT_REGION").is_err()
                && !config.s3.contains_key("region")
            {
                b = b.with_region("us-east-1");
            }
            if let Ok(r) = std::env::var("AWS_DEFAULT_REGION") {
                if std::env::var("AWS_REGION").is_err() {
                    b = b.with_region(r);
                }
            }
            for (k, v) in &config.s3 {
                let key = AmazonS3ConfigKey::from_str(&k.to_ascii_lowercase())
                    .map_err(|_| store_err(url, format!("unknown [storage.s3] key '{k}'")))?;
                b = b.with_config(key, v);
            }
            Ok(Arc::new(b.build().map_err(|e| store_err(url, e))?))
        }
        "gs" | "gcs" => {
            let bucket = url
                .host_str()
                .ok_or_else(|| store_err(url, "no bucket name in URL"))?;
            let mut b = GoogleCloudStorageBuilder::from_env()
                .with_bucket_name(bucket)
                .with_retry(config.retry.config());
            for (k, v) in &config.gcs {
                let key = GoogleConfigKey::from_str(&k.to_ascii_lowercase())
                    .map_err(|_| store_err(url, format!("unknown [storage.gcs] key '{k}'")))?;
                b = b.with_config(key, v);
            }
            Ok(Arc::new(b.build().map_err(|e| store_err(url, e))?))
        }
        "az" | "azure" | "abfs" | "abfss" | "adl" => {
            let mut b = MicrosoftAzureBuilder::from_env()
                .with_url(url.as_str())
                .with_retry(config.retry.config());
            for (k, v) in &config.azure {
                let key = AzureConfigKey::from_str(&k.to_ascii_lowercase())
                    .map_err(|_| store_err(url, format!("unknown [storage.azure] key '{k}'")))?;
                b = b.with_config(key, v);
            }
            Ok(Arc::new(b.build().map_err(|e| store_err(url, e))?))
        }
        "http" | "https" => {
            let base = format!(
                "{}://{}{}",
                url.scheme(),
                url.host_str().unwrap_or(""),
                url.port().map(|p| format!(":{p}")).unwrap_or_default()
            );
            let mut b = HttpBuilder::new()
                .with_url(base)
                .with_retry(config.retry.config());
            if url.scheme() == "http" {
                b = b.with_config(ClientConfigKey::AllowHttp, "true");
            }
            for (k, v) in &config.http {
                let key = ClientConfigKey::from_str(&k.to_ascii_lowercase())
                    .map_err(|_| store_err(url, format!("unknown [storage.http] key '{k}'")))?;
                b = b.with_config(key, v);
            }
            Ok(Arc::new(b.build().map_err(|e| store_err(url, e))?))
        }
        other => Err(store_err(
            url,
            format!(
                "unsupported scheme '{other}' (supported: s3, gs, az, abfss, http, https, file)"
            ),
        )),
    }
}

/// Registry key: `scheme://host[:port]`, as DataFusion's default registry uses.
fn key(url: &Url) -> String {
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    format!(
        "{}://{}{}",
        url.scheme(),
        url.host_str().unwrap_or(""),
        port
    )
}

/// An `ObjectStoreRegistry` that builds stores on first use from a [`StorageConfig`].
pub struct ChainstatObjectStores {
    config: StorageConfig,
    stores: RwLock<BTreeMap<String, Arc<dyn ObjectStore>>>,
}

impl ChainstatObjectStores {
    /// A registry for `config` (plus the environment).
    pub fn new(config: StorageConfig) -> Self {
        Self {
            config,
            stores: RwLock::new(BTreeMap::new()),
        }
    }
}

impl fmt::Debug for ChainstatObjectStores {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys: Vec<String> = self
            .stores
            .read()
            .map(|s| s.keys().cloned().collect())
            .unwrap_or_default();
        f.debug_struct("ChainstatObjectStores")
            .field("config", &self.config)
            .field("stores", &keys)
            .finish()
    }
}

impl ObjectStoreRegistry for ChainstatObjectStores {
    fn register_store(
        &self,
        url: &Url,
        store: Arc<dyn ObjectStore>,
    ) -> Option<Arc<dyn ObjectStore>> {
        self.stores.write().ok()?.insert(key(url), store)
    }

    fn deregister_store(&self, url: &Url) -> DfResult<Arc<dyn ObjectStore>> {
        self.stores
            .write()
            .map_err(|_| DataFusionError::Internal("object store registry poisoned".into()))?
            .remove(&key(url))
            .ok_or_else(|| DataFusionError::Execution(format!("no object store for {}", key(url))))
    }

    fn get_store(&self, url: &Url) -> DfResult<Arc<dyn ObjectStore>> {
        let k = key(url);
        if let Some(s) = self.stores.read().ok().and_then(|m| m.get(&k).cloned()) {
            return Ok(s);
        }
        let store = build_store(&self.config, url)?;
        if let Ok(mut m) = self.stores.write() {
            m.insert(k, Arc::clone(&store));
        }
        Ok(store)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_secrets() {
        let mut c = StorageConfig::default();
        c.s3.insert("secret_access_key".into(), "hunter2".into());
        c.s3.insert("access_key_id".into(), "AKIDVISIBLE".into());
        let s = format!("{c:?}");
        assert!(!s.contains("hunter2"), "{s}");
        assert!(s.contains("AKIDVISIBLE"), "{s}");
    }

    #[test]
    fn unknown_scheme_is_a_clear_error() {
        let reg = ChainstatObjectStores::new(StorageConfig::default());
        let e = reg
            .get_store(&Url::parse("ftp://host/x").unwrap())
            .unwrap_err()
            .to_string();
        assert!(e.contains("unsupported scheme 'ftp'"), "{e}");
    }

    #[test]
    fn unknown_config_key_is_named() {
        let mut c = StorageConfig::default();
        c.s3.insert("endpoitn".into(), "http://127.0.0.1:1".into());
        let e = build_store(&c, &Url::parse("s3://bucket/x").unwrap())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("unknown [storage.s3] key 'endpoitn'"), "{e}");
    }
}
