//! Seed labels: which addresses belong to which entity (an exchange, a mixer, a
//! sanctioned service), from CSV files or GraphSense TagPacks. Every label keeps its
//! source and confidence through to the cluster outputs; labels that cannot be used
//! (invalid address, unsupported currency) are counted in `label_rejects`, not dropped.

pub mod csv;
pub mod tagpack;

use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use chainstat_chain::{self as chain, ChainFamily};
use object_store::ObjectStoreExt;
use serde::{Deserialize, Serialize};

use crate::error::{IoError, Result};

/// One usable label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// Chain of the address.
    pub chain: String,
    /// Canonical address.
    pub address: String,
    /// Entity name, lowercase (`binance`, `garantex`…).
    pub entity: String,
    /// Category (`exchange`, `mixer`, …), lowercase.
    pub category: Option<String>,
    /// Where the label comes from (file, URL in the pack).
    pub source: String,
    /// Confidence as the source states it (a TagPack level or a number).
    pub confidence: Option<String>,
}

/// A label that could not be used, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelReject {
    /// File it came from.
    pub file: String,
    /// 0-based entry (CSV data row or TagPack tag) in that file.
    pub row: i64,
    /// The address as given.
    pub address: String,
    /// Why it was not used.
    pub reason: String,
}

/// A labels input in the config: `[[labels]] url = "…"`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelsSpec {
    /// A CSV or TagPack YAML file (URL or path).
    pub url: String,
    /// `csv` or `tagpack`; from the extension when absent.
    #[serde(default)]
    pub format: Option<String>,
}

impl LabelsSpec {
    /// Checks `format` when the config is loaded.
    pub fn validate(&self) -> Result<()> {
        match self
            .format
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("csv" | "tagpack" | "yaml") => Ok(()),
            Some(other) => Err(IoError::Config(format!(
                "labels '{}': unknown format '{other}' (known: csv, tagpack)",
                self.url
            ))),
        }
    }
}

/// The chain an address most likely belongs to, from its form alone: `0x` + 40 hex is
/// EVM (Ethereum), a valid `T…` base58check is TRON, a valid Bitcoin address is Bitcoin.
pub fn chain_of_address(a: &str) -> Option<&'static str> {
    let t = a.trim();
    if chain::evm::normalize(t).is_ok() && (t.starts_with("0x") || t.starts_with("0X")) {
        Some("ethereum")
    } else if chain::tron::from_base58(t).is_ok() {
        Some("tron")
    } else if chain::bitcoin::address_type(t).is_ok() {
        Some("bitcoin")
    } else {
        None
    }
}

/// Normalises `address` for `chain_name`, or says why not.
pub fn canonical(chain_name: &str, address: &str) -> std::result::Result<String, String> {
    let family: ChainFamily = chain_name.parse().map_err(|e| format!("{e}"))?;
    chain::normalize_text(family, address).map_err(|e| format!("address: {e}"))
}

/// Reads one labels file (URL or path) into labels and rejects.
pub async fn load(
    ctx: &datafusion::prelude::SessionContext,
    spec: &LabelsSpec,
) -> Result<(Vec<Label>, Vec<LabelReject>)> {
    let url = crate::location::parse("labels", &spec.url)?;
    let read_err = |e: &dyn std::fmt::Display| IoError::Read {
        table: "labels".into(),
        location: spec.url.clone(),
        reason: e.to_string(),
    };
    let store = ctx
        .runtime_env()
        .object_store(url.object_store())
        .map_err(|e| read_err(&e))?;
    let bytes = store
        .get(url.prefix())
        .await
        .map_err(|e| read_err(&e))?
        .bytes()
        .await
        .map_err(|e| read_err(&e))?;
    let text = String::from_utf8(bytes.to_vec()).map_err(|e| IoError::Corrupt {
        file: spec.url.clone(),
        reason: format!("not UTF-8 text: {e}"),
    })?;
    let format = match spec.format.as_deref() {
        Some(f) => f.to_ascii_lowercase(),
        None if spec.url.ends_with(".yaml") || spec.url.ends_with(".yml") => "tagpack".into(),
        None => "csv".into(),
    };
    match format.as_str() {
        "csv" => csv::parse(&spec.url, &text),
        "tagpack" | "yaml" => tagpack::parse(&spec.url, &text),
        other => Err(IoError::Config(format!(
            "labels '{}': unknown format '{other}' (known: csv, tagpack)",
            spec.url
        ))),
    }
}

/// Loads every labels input and registers the `labels` and `label_rejects` tables
/// (staged as Parquet when `staging` is given, for a cluster). Returns (labels, rejects)
/// counts.
pub async fn register(
    ctx: &datafusion::prelude::SessionContext,
    specs: &[LabelsSpec],
    staging: Option<&str>,
) -> Result<(usize, usize)> {
    let mut labels = Vec::new();
    let mut rejects = Vec::new();
    for spec in specs {
        let (l, r) = load(ctx, spec).await?;
        labels.extend(l);
        rejects.extend(r);
    }
    let counts = (labels.len(), rejects.len());
    let lb = labels_batch(&mut labels)?;
    let rb = rejects_batch(&rejects)?;
    crate::table::register_batches(ctx, "labels", labels_schema(), vec![lb], staging).await?;
    crate::table::register_batches(ctx, "label_rejects", rejects_schema(), vec![rb], staging)
        .await?;
    Ok(counts)
}

/// Schema of the `labels` table.
pub fn labels_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("chain", DataType::Utf8, false),
        Field::new("address", DataType::Utf8, false),
        Field::new("entity", DataType::Utf8, false),
        Field::new("category", DataType::Utf8, true),
        Field::new("source", DataType::Utf8, false),
        Field::new("confidence", DataType::Utf8, true),
    ]))
}

/// Schema of the `label_rejects` table.
pub fn rejects_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("file", DataType::Utf8, false),
        Field::new("row", DataType::Int64, false),
        Field::new("address", DataType::Utf8, false),
        Field::new("reason", DataType::Utf8, false),
    ]))
}

/// Labels as one record batch (sorted, so outputs are deterministic).
pub fn labels_batch(labels: &mut [Label]) -> Result<RecordBatch> {
    labels.sort_by(|a, b| {
        (&a.chain, &a.address, &a.entity, &a.source)
            .cmp(&(&b.chain, &b.address, &b.entity, &b.source))
    });
    let col = |f: &dyn Fn(&Label) -> Option<&str>| -> ArrayRef {
        Arc::new(StringArray::from(labels.iter().map(f).collect::<Vec<_>>()))
    };
    RecordBatch::try_new(
        labels_schema(),
        vec![
            col(&|l| Some(l.chain.as_str())),
            col(&|l| Some(l.address.as_str())),
            col(&|l| Some(l.entity.as_str())),
            col(&|l| l.category.as_deref()),
            col(&|l| Some(l.source.as_str())),
            col(&|l| l.confidence.as_deref()),
        ],
    )
    .map_err(|e| IoError::Config(format!("labels: {e}")))
}

/// Label rejects as one record batch.
pub fn rejects_batch(rejects: &[LabelReject]) -> Result<RecordBatch> {
    RecordBatch::try_new(
        rejects_schema(),
        vec![
            Arc::new(StringArray::from(
                rejects.iter().map(|r| r.file.as_str()).collect::<Vec<_>>(),
            )),
            Arc::new(Int64Array::from(
                rejects.iter().map(|r| r.row).collect::<Vec<_>>(),
            )),
            Arc::new(StringArray::from(
                rejects
                    .iter()
                    .map(|r| r.address.as_str())
                    .collect::<Vec<_>>(),
            )),
            Arc::new(StringArray::from(
                rejects
                    .iter()
                    .map(|r| r.reason.as_str())
                    .collect::<Vec<_>>(),
            )),
        ],
    )
    .map_err(|e| IoError::Config(format!("label rejects: {e}")))
}
