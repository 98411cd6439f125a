//! Labels: which addresses belong to which entity (an exchange, a mixer, a darknet
//! market) and which carry a risk attribute (sanctioned, blacklisted, scam), from CSV
//! files, GraphSense TagPacks, OFAC's per-asset address lists and Dune-style exchange
//! address CSVs. Ownership labels go to the `labels` table and seed the clustering; risk
//! labels go to `risk_labels` and never link or name anything ([`kind`]). Every label
//! keeps its source and confidence through to the outputs; labels that cannot be used
//! (invalid address, unsupported currency, the zero address) are counted in
//! `label_rejects`, not dropped.

pub mod csv;
pub mod dune;
pub mod kind;
pub mod ofac;
pub mod tagpack;

pub use kind::{LabelRole, RolePolicy, DEFAULT_RISK_CATEGORIES};

use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanArray, Int64Array, RecordBatch, StringArray};
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
    /// Ownership (names the entity, seeds the clustering) or risk (an attribute).
    pub role: LabelRole,
    /// Whether addresses sharing this ownership label are one entity. False for a
    /// GraphSense tag that names no actor and is not a cluster definer: GraphSense
    /// applies such a tag to its address alone.
    pub links: bool,
    /// The list or tag title a risk label comes from (`USDT_blacklisted`, `OFAC SDN
    /// (USDT)`); for ownership labels unused.
    pub list: Option<String>,
}

impl Label {
    /// A label of `entity`, as an ownership label that links like any other of its
    /// entity; a source that says otherwise sets `role`, `links` and `list` after.
    pub fn new(
        chain: &str,
        address: String,
        entity: &str,
        category: Option<String>,
        source: String,
        confidence: Option<String>,
    ) -> Self {
        Label {
            chain: chain.to_string(),
            address,
            entity: entity.trim().to_ascii_lowercase(),
            category,
            source,
            confidence,
            role: LabelRole::Ownership,
            links: true,
            list: None,
        }
    }
}

/// What one labels file gave.
#[derive(Debug, Default)]
pub struct Parsed {
    /// Usable labels, both roles.
    pub labels: Vec<Label>,
    /// Entries that could not be used.
    pub rejects: Vec<LabelReject>,
}

impl Parsed {
    /// Keeps `label`, unless its address is the chain's zero address (nobody's).
    pub fn push(&mut self, file: &str, row: i64, label: Label) {
        if kind::is_null_address(&label.chain, &label.address) {
            self.rejects.push(LabelReject {
                file: file.to_string(),
                row,
                address: label.address,
                reason: "the zero address (mints and burns) belongs to nobody".into(),
            });
        } else {
            self.labels.push(label);
        }
    }

    /// Counts an entry that could not be used.
    pub fn reject(&mut self, file: &str, row: i64, address: &str, reason: String) {
        self.rejects.push(LabelReject {
            file: file.to_string(),
            row,
            address: address.to_string(),
            reason,
        });
    }
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

/// Label formats a `[[labels]]` entry may name.
pub const FORMATS: &str = "csv, tagpack, ofac, dune";

/// A labels input in the config: `[[labels]] url = "…"`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelsSpec {
    /// A labels file (URL or path).
    pub url: String,
    /// `csv`, `tagpack`, `ofac` (one address per line) or `dune`; from the extension and
    /// the CSV header when absent.
    #[serde(default)]
    pub format: Option<String>,
    /// `ownership`, `risk` or `auto` (default): what every label of the file asserts;
    /// `auto` decides per label from the source's own fields and `risk_categories`.
    #[serde(default)]
    pub kind: Option<String>,
    /// Categories that make a label a risk attribute (default
    /// [`DEFAULT_RISK_CATEGORIES`]).
    #[serde(default)]
    pub risk_categories: Option<Vec<String>>,
    /// The category of this file's risk labels that carry no risk category of their own
    /// (default `risk`; `sanction` for a sanctions list whose tags say `user`).
    #[serde(default)]
    pub risk_category: Option<String>,
}

impl LabelsSpec {
    /// A labels input of `url` with every default.
    pub fn new(url: impl Into<String>) -> Self {
        LabelsSpec {
            url: url.into(),
            ..LabelsSpec::default()
        }
    }

    /// Checks `format` and `kind` when the config is loaded.
    pub fn validate(&self) -> Result<()> {
        self.policy()?;
        match self
            .format
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("csv" | "tagpack" | "yaml" | "ofac" | "dune") => Ok(()),
            Some(other) => Err(IoError::Config(format!(
                "labels '{}': unknown format '{other}' (known: {FORMATS})",
                self.url
            ))),
        }
    }

    /// How this input's labels get their role.
    pub fn policy(&self) -> Result<RolePolicy> {
        RolePolicy::of(
            self.kind.as_deref(),
            self.risk_categories.as_deref(),
            self.risk_category.as_deref(),
        )
        .map_err(|e| IoError::Config(format!("labels '{}': {e}", self.url)))
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
pub async fn load(ctx: &datafusion::prelude::SessionContext, spec: &LabelsSpec) -> Result<Parsed> {
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
    parse(spec, &text)
}

/// Parses one labels file's text by its format (named, or from the extension and, for
/// CSV, the header).
pub fn parse(spec: &LabelsSpec, text: &str) -> Result<Parsed> {
    let policy = spec.policy()?;
    let lower = spec.url.to_ascii_lowercase();
    let format = match spec.format.as_deref() {
        Some(f) => f.to_ascii_lowercase(),
        None if lower.ends_with(".yaml") || lower.ends_with(".yml") => "tagpack".into(),
        None if lower.ends_with(".txt") => "ofac".into(),
        None => match csv::header(text).as_deref() {
            Some(h) if dune::is_dune_header(h) => "dune".into(),
            Some(h) if ofac::is_name_list_header(h) => "ofac".into(),
            _ => "csv".into(),
        },
    };
    let mut parsed = match format.as_str() {
        "csv" => csv::parse(&spec.url, text, &policy),
        "tagpack" | "yaml" => tagpack::parse(&spec.url, text, &policy),
        "ofac" => ofac::parse(&spec.url, text, &policy),
        "dune" => dune::parse(&spec.url, text, &policy),
        other => Err(IoError::Config(format!(
            "labels '{}': unknown format '{other}' (known: {FORMATS})",
            spec.url
        ))),
    }?;
    policy.settle(&mut parsed.labels);
    Ok(parsed)
}

/// Loads every labels input and registers the `labels` (ownership), `risk_labels` and
/// `label_rejects` tables (staged as Parquet when `staging` is given, for a cluster).
/// Returns (labels of both roles, rejects) counts.
pub async fn register(
    ctx: &datafusion::prelude::SessionContext,
    specs: &[LabelsSpec],
    staging: Option<&str>,
) -> Result<(usize, usize)> {
    let mut all = Parsed::default();
    for spec in specs {
        let p = load(ctx, spec).await?;
        all.labels.extend(p.labels);
        all.rejects.extend(p.rejects);
    }
    let counts = (all.labels.len(), all.rejects.len());
    let (mut risks, mut owners): (Vec<Label>, Vec<Label>) = all
        .labels
        .into_iter()
        .partition(|l| l.role == LabelRole::Risk);
    let lb = labels_batch(&mut owners)?;
    let kb = risk_labels_batch(&mut risks)?;
    let rb = rejects_batch(&all.rejects)?;
    crate::table::register_batches(ctx, "labels", labels_schema(), vec![lb], staging).await?;
    crate::table::register_batches(ctx, "risk_labels", risk_labels_schema(), vec![kb], staging)
        .await?;
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
        Field::new("links", DataType::Boolean, false),
    ]))
}

/// Schema of the `risk_labels` table: one risk attribute of one address.
pub fn risk_labels_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("chain", DataType::Utf8, false),
        Field::new("address", DataType::Utf8, false),
        Field::new("category", DataType::Utf8, false),
        Field::new("list", DataType::Utf8, false),
        Field::new("name", DataType::Utf8, false),
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
            Arc::new(BooleanArray::from(
                labels.iter().map(|l| l.links).collect::<Vec<_>>(),
            )),
        ],
    )
    .map_err(|e| IoError::Config(format!("labels: {e}")))
}

/// Risk labels as one record batch (sorted, so outputs are deterministic). A risk
/// label without a category gets `risk`; without a list, its name.
pub fn risk_labels_batch(labels: &mut [Label]) -> Result<RecordBatch> {
    labels.sort_by(|a, b| {
        (
            &a.chain,
            &a.address,
            &a.category,
            &a.list,
            &a.entity,
            &a.source,
        )
            .cmp(&(
                &b.chain,
                &b.address,
                &b.category,
                &b.list,
                &b.entity,
                &b.source,
            ))
    });
    let col = |f: &dyn Fn(&Label) -> Option<&str>| -> ArrayRef {
        Arc::new(StringArray::from(labels.iter().map(f).collect::<Vec<_>>()))
    };
    RecordBatch::try_new(
        risk_labels_schema(),
        vec![
            col(&|l| Some(l.chain.as_str())),
            col(&|l| Some(l.address.as_str())),
            col(&|l| Some(l.category.as_deref().unwrap_or("risk"))),
            col(&|l| Some(l.list.as_deref().unwrap_or(l.entity.as_str()))),
            col(&|l| Some(l.entity.as_str())),
            col(&|l| Some(l.source.as_str())),
            col(&|l| l.confidence.as_deref()),
        ],
    )
    .map_err(|e| IoError::Config(format!("risk labels: {e}")))
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
