//! Registering an input table: list its files, read each file's schema, recognise the
//! exporter format (or check a forced one), and register it in a DataFusion session —
//! Parquet and CSV as listing tables (so Ballista can ship their scans), NDJSON loaded
//! exactly (big integers kept as text) into memory.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::MemTable;
use datafusion::datasource::file_format::csv::CsvFormat;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::file_format::FileFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::prelude::SessionContext;
use futures::TryStreamExt;
use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt};
use serde::{Deserialize, Serialize};

use crate::error::{IoError, Result};
use crate::format::{Format, Lineage};
use crate::location;

/// How the files of a table are encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileType {
    /// Apache Parquet.
    Parquet,
    /// CSV with a header row (ethereum-etl / tronetl default).
    Csv,
    /// Newline-delimited JSON (ethereum-etl `.json`).
    Json,
}

impl FileType {
    /// File name suffix used to filter listings.
    pub fn extension(self) -> &'static str {
        match self {
            FileType::Parquet => ".parquet",
            FileType::Csv => ".csv",
            FileType::Json => ".json",
        }
    }

    /// Parses `parquet`, `csv`, `json`/`ndjson`/`jsonl`.
    pub fn from_name(s: &str) -> Result<FileType> {
        match s.trim().to_ascii_lowercase().as_str() {
            "parquet" => Ok(FileType::Parquet),
            "csv" => Ok(FileType::Csv),
            "json" | "ndjson" | "jsonl" => Ok(FileType::Json),
            other => Err(IoError::Config(format!(
                "unknown file type '{other}' (known: parquet, csv, json)"
            ))),
        }
    }

    /// The type named by a file name's extension, if any.
    fn from_extension(name: &str) -> Option<FileType> {
        let l = name.to_ascii_lowercase();
        if l.ends_with(".parquet") {
            Some(FileType::Parquet)
        } else if l.ends_with(".csv") {
            Some(FileType::Csv)
        } else if l.ends_with(".json") || l.ends_with(".jsonl") || l.ends_with(".ndjson") {
            Some(FileType::Json)
        } else {
            None
        }
    }
}

/// A table as the user declares it (`--table name=URL,format=…` or `[[table]]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableSpec {
    /// SQL name of the raw table.
    pub name: String,
    /// URL or path (file, folder or glob).
    pub url: String,
    /// Exporter format; detected from the schema when absent.
    #[serde(default)]
    pub format: Option<String>,
    /// Chain (`ethereum`, `tron`, `bitcoin`, …); inferred when absent.
    #[serde(default)]
    pub chain: Option<String>,
    /// File encoding; guessed from the extension when absent.
    #[serde(default, rename = "type")]
    pub file_type: Option<String>,
}

impl TableSpec {
    /// Checks the closed-set fields (format, chain, type) without touching the data, so a
    /// typo fails when the config is loaded, naming the table.
    pub fn validate(&self) -> Result<()> {
        let named = |e: IoError| IoError::Config(format!("table '{}': {e}", self.name));
        if let Some(f) = &self.format {
            Format::from_name(f).map_err(named)?;
        }
        if let Some(c) = &self.chain {
            c.parse::<chainstat_chain::ChainFamily>()
                .map_err(|e| IoError::Config(format!("table '{}': {e}", self.name)))?;
        }
        if let Some(t) = &self.file_type {
            FileType::from_name(t).map_err(named)?;
        }
        Ok(())
    }

    /// Parses `name=URL[,format=…][,chain=…][,type=…]`.
    pub fn parse_arg(arg: &str) -> Result<TableSpec> {
        let (name, rest) = arg.split_once('=').ok_or_else(|| {
            IoError::Config(format!(
                "--table '{arg}': expected name=URL[,format=…,chain=…]"
            ))
        })?;
        let mut parts = rest.split(',');
        let url = parts.next().unwrap_or_default().trim().to_string();
        let mut spec = TableSpec {
            name: name.trim().to_string(),
            url,
            ..Default::default()
        };
        for p in parts {
            let (k, v) = p.split_once('=').ok_or_else(|| {
                IoError::Config(format!("--table '{arg}': option '{p}' is not key=value"))
            })?;
            let v = Some(v.trim().to_string());
            match k.trim() {
                "format" => spec.format = v,
                "chain" => spec.chain = v,
                "type" => spec.file_type = v,
                other => {
                    return Err(IoError::Config(format!(
                        "--table '{arg}': unknown option '{other}' (known: format, chain, type)"
                    )))
                }
            }
        }
        if spec.name.is_empty() || spec.url.is_empty() {
            return Err(IoError::Config(format!(
                "--table '{arg}': expected name=URL[,format=…,chain=…]"
            )));
        }
        spec.validate()?;
        Ok(spec)
    }
}

/// One input file and what identifies its content: size, ETag (object stores) and
/// modification time.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InputObject {
    /// Full URL (`file:///…`, `s3://…`).
    pub url: String,
    /// Bytes.
    pub size: u64,
    /// ETag when the store has one.
    pub etag: Option<String>,
    /// Last modification (RFC 3339).
    pub last_modified: String,
}

impl InputObject {
    /// From an object-store listing entry under `url`'s store.
    pub fn from_meta(url: &ListingTableUrl, meta: &ObjectMeta) -> Self {
        InputObject {
            url: file_name(url, meta),
            size: meta.size,
            etag: meta.e_tag.clone(),
            last_modified: meta.last_modified.to_rfc3339(),
        }
    }
}

/// What registration found out about a table.
#[derive(Debug, Clone)]
pub struct RegisteredTable {
    /// The declaration.
    pub spec: TableSpec,
    /// Detected or forced format.
    pub format: Format,
    /// Chain of its rows.
    pub chain: String,
    /// Encoding.
    pub file_type: FileType,
    /// Raw schema (with hive partition columns).
    pub schema: SchemaRef,
    /// Number of files.
    pub files: usize,
    /// Total bytes.
    pub bytes: u64,
    /// The files read, in URL order, with what identifies their content (for run
    /// manifests and incremental runs).
    pub objects: Vec<InputObject>,
    /// How the canonical SQL names file and row.
    pub lineage: Lineage,
}

fn read_err(table: &str, location: &str, e: impl std::fmt::Display) -> IoError {
    let msg = e.to_string();
    let hint = if msg.contains("403")
        || msg.contains("Forbidden")
        || msg.contains("InvalidAccessKeyId")
        || msg.contains("SignatureDoesNotMatch")
        || msg.contains("AccessDenied")
    {
        " (access denied: check the credentials in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY \
         or [storage] in the config; they are not shown here)"
    } else if msg.contains("404") || msg.contains("NotFound") || msg.contains("not found") {
        " (no such object: check the path)"
    } else {
        ""
    };
    IoError::Read {
        table: table.to_string(),
        location: location.to_string(),
        reason: format!("{msg}{hint}"),
    }
}

async fn list_files(
    ctx: &SessionContext,
    spec: &TableSpec,
    url: &ListingTableUrl,
    store: &Arc<dyn ObjectStore>,
    ext: &str,
) -> Result<Vec<ObjectMeta>> {
    let state = ctx.state();
    let stream = url
        .list_all_files(&state, store.as_ref(), ext)
        .await
        .map_err(|e| read_err(&spec.name, &spec.url, e))?;
    let mut files: Vec<ObjectMeta> = stream
        .try_collect()
        .await
        .map_err(|e| read_err(&spec.name, &spec.url, e))?;
    // Deterministic order: object stores list in any order.
    files.sort_by(|a, b| a.location.cmp(&b.location));
    if files.is_empty() && !url.is_collection() && url.get_glob().is_none() {
        return Err(read_err(
            &spec.name,
            &spec.url,
            "no such object (404 not found)",
        ));
    }
    if files.is_empty() {
        return Err(IoError::NoFiles {
            table: spec.name.clone(),
            location: spec.url.clone(),
            file_type: match ext.trim_start_matches('.') {
                "" => "data".to_string(),
                e => e.to_string(),
            },
        });
    }
    Ok(files)
}

fn file_name(url: &ListingTableUrl, meta: &ObjectMeta) -> String {
    let base = url.object_store();
    format!("{}{}", base.as_str(), meta.location)
}

/// Registers `spec` in `ctx` as a raw table named `spec.name`.
///
/// `staging`: a folder URL where tables chainstat loads itself (NDJSON) are written as
/// Parquet so that a Ballista cluster can read them; `None` keeps them in memory
/// (embedded engine).
pub async fn register(
    ctx: &SessionContext,
    spec: &TableSpec,
    staging: Option<&str>,
) -> Result<RegisteredTable> {
    let url = location::parse(&spec.name, &spec.url)?;
    let forced = spec.format.as_deref().map(Format::from_name).transpose()?;
    let store = ctx
        .runtime_env()
        .object_store(url.object_store())
        .map_err(|e| read_err(&spec.name, &spec.url, e))?;
    let file_type = match &spec.file_type {
        Some(t) => FileType::from_name(t)?,
        None => match FileType::from_extension(&spec.url) {
            Some(t) => t,
            // A folder or glob: go by the files it holds (Parquet wins a tie).
            None => {
                let all = list_files(ctx, spec, &url, &store, "").await?;
                let count = |t: FileType| {
                    all.iter()
                        .filter(|f| FileType::from_extension(f.location.as_ref()) == Some(t))
                        .count()
                };
                [FileType::Parquet, FileType::Csv, FileType::Json]
                    .into_iter()
                    .max_by_key(|t| (count(*t), *t == FileType::Parquet))
                    .unwrap_or(FileType::Parquet)
            }
        },
    };
    let ext = match (&spec.file_type, FileType::from_extension(&spec.url)) {
        // A single object named explicitly: no extension filter needed.
        (_, Some(_)) if !url.is_collection() => "",
        _ => file_type.extension(),
    };
    let files = list_files(ctx, spec, &url, &store, ext).await?;
    let bytes = files.iter().map(|f| f.size).sum();

    let (schema, lineage) = match file_type {
        FileType::Json => {
            let (schema, batches) = load_ndjson(spec, &url, &store, &files).await?;
            register_batches(ctx, &spec.name, Arc::clone(&schema), batches, staging).await?;
            (schema, Lineage::Columns)
        }
        FileType::Parquet | FileType::Csv => {
            let format: Arc<dyn FileFormat> = match file_type {
                FileType::Csv => Arc::new(CsvFormat::default().with_has_header(true)),
                _ => Arc::new(ParquetFormat::default()),
            };
            let state = ctx.state();
            let mut schemas = Vec::with_capacity(files.len());
            for f in &files {
                let s = format
                    .infer_schema(&state, &store, std::slice::from_ref(f))
                    .await
                    .map_err(|e| IoError::Corrupt {
                        file: file_name(&url, f),
                        reason: e.to_string(),
                    })?;
                let s = if file_type == FileType::Csv {
                    all_text(&s)
                } else {
                    s
                };
                schemas.push((file_name(&url, f), s));
            }
            check_formats(spec, forced, &schemas)?;
            let merged = Schema::try_merge(schemas.iter().map(|(_, s)| s.as_ref().clone()))
                .map_err(|e| {
                    IoError::Config(format!(
                        "table '{}': files have incompatible schemas: {e}",
                        spec.name
                    ))
                })?;
            let mut options = ListingOptions::new(format).with_file_extension(ext);
            // A `key=value` folder whose key is also a column of the files (chainstat's own
            // published tables keep `month` in the file) is read from the file: declaring it
            // twice would make the schema invalid.
            let partitions: Vec<String> = options
                .infer_partitions(&state, &url)
                .await?
                .into_iter()
                .filter(|p| merged.field_with_name(p).is_err())
                .collect();
            if !partitions.is_empty() {
                options = options.with_table_partition_cols(
                    partitions
                        .iter()
                        .map(|p| (p.clone(), DataType::Utf8))
                        .collect(),
                );
            }
            let config = ListingTableConfig::new(url.clone())
                .with_listing_options(options)
                .with_schema(Arc::new(merged));
            let table = ListingTable::try_new(config)?;
            let schema = table_schema(&table);
            ctx.deregister_table(spec.name.as_str())?;
            ctx.register_table(spec.name.as_str(), Arc::new(table))?;
            let prefix = url.object_store().as_str().to_string();
            let lineage = if file_type == FileType::Csv {
                Lineage::ScanNoRow(prefix)
            } else {
                Lineage::Scan(prefix)
            };
            (schema, lineage)
        }
    };

    let format = match forced {
        Some(f) => {
            f.check_types(&schema, &spec.name)?;
            f
        }
        None => Format::detect(&schema, &spec.url)?,
    };
    let chain = match &spec.chain {
        Some(c) => {
            c.parse::<chainstat_chain::ChainFamily>()
                .map_err(|e| IoError::Config(format!("table '{}': {e}", spec.name)))?;
            c.to_ascii_lowercase()
        }
        None if format == Format::Raw => String::new(),
        None => infer_chain(ctx, spec, format).await?,
    };
    Ok(RegisteredTable {
        spec: spec.clone(),
        format,
        chain,
        file_type,
        schema,
        files: files.len(),
        objects: files
            .iter()
            .map(|f| InputObject::from_meta(&url, f))
            .collect(),
        bytes,
        lineage,
    })
}

fn table_schema(table: &ListingTable) -> SchemaRef {
    use datafusion::catalog::TableProvider;
    table.schema()
}

/// CSV is read as text: type inference on a sample would turn 78-digit amounts into
/// floats; every value is parsed exactly by the canonical SQL instead.
fn all_text(s: &Schema) -> SchemaRef {
    Arc::new(Schema::new(
        s.fields()
            .iter()
            .map(|f| Field::new(f.name(), DataType::Utf8, true))
            .collect::<Vec<_>>(),
    ))
}

fn check_formats(
    spec: &TableSpec,
    forced: Option<Format>,
    schemas: &[(String, SchemaRef)],
) -> Result<()> {
    let mut first: Option<(String, Format)> = None;
    for (file, schema) in schemas {
        let f = match forced {
            Some(f) => {
                f.check_columns(schema, file)?;
                f.check_types(schema, file)?;
                f
            }
            None => Format::detect(schema, file)?,
        };
        match &first {
            None => first = Some((file.clone(), f)),
            Some((ff, fmt)) if *fmt != f => {
                return Err(IoError::MixedFormats {
                    table: spec.name.clone(),
                    first: ff.clone(),
                    first_format: fmt.name().to_string(),
                    other: file.clone(),
                    other_format: f.name().to_string(),
                })
            }
            _ => {}
        }
    }
    Ok(())
}

/// The chain of a table without `chain=`: Bitcoin formats are Bitcoin; token transfers
/// are TRON when the addresses are base58 `T…`, otherwise Ethereum; cryo maps its
/// `chain_id`.
async fn infer_chain(ctx: &SessionContext, spec: &TableSpec, format: Format) -> Result<String> {
    let sql = match format {
        Format::BitcoinInputs | Format::BitcoinOutputs => return Ok("bitcoin".into()),
        Format::CryoErc20 | Format::CryoLogs => format!(
            "SELECT CAST(chain_id AS VARCHAR) AS v FROM {} WHERE chain_id IS NOT NULL LIMIT 1",
            crate::format::ident(&spec.name)
        ),
        // A base58 or `41…` contract is TRON; `0x…` is taken for Ethereum, so a TRON
        // export in 0x hex (Google's BigQuery TRON dataset) needs `chain = "tron"`.
        Format::Logs => format!(
            "SELECT CAST(address AS VARCHAR) AS v FROM {} WHERE address IS NOT NULL LIMIT 1",
            crate::format::ident(&spec.name)
        ),
        Format::TokenTransfers => format!(
            "SELECT CAST(token_address AS VARCHAR) AS v FROM {} WHERE token_address IS NOT NULL LIMIT 1",
            crate::format::ident(&spec.name)
        ),
        Format::Tokens => format!(
            "SELECT CAST(address AS VARCHAR) AS v FROM {} WHERE address IS NOT NULL LIMIT 1",
            crate::format::ident(&spec.name)
        ),
        Format::Blocks => return Ok("ethereum".into()),
        Format::Raw => return Ok(String::new()),
    };
    let Ok(has_chain_id) = ctx
        .table(spec.name.as_str())
        .await
        .map(|t| t.schema().field_with_unqualified_name("chain_id").is_ok())
    else {
        return Ok("ethereum".into());
    };
    if matches!(format, Format::CryoErc20 | Format::CryoLogs) && !has_chain_id {
        return Ok("ethereum".into());
    }
    let batches = ctx.sql(&sql).await?.collect().await?;
    let v = batches.iter().find(|b| b.num_rows() > 0).and_then(|b| {
        arrow::array::cast::AsArray::as_string_opt::<i32>(b.column(0))
            .map(|a| a.value(0).to_string())
            .or_else(|| {
                arrow::array::cast::AsArray::as_string_view_opt(b.column(0))
                    .map(|a| a.value(0).to_string())
            })
    });
    Ok(match (format, v.as_deref()) {
        (Format::CryoErc20 | Format::CryoLogs, Some(id)) => chain_for_id(id).to_string(),
        (_, Some(a)) if a.starts_with('T') => "tron".into(),
        (_, Some(a)) if a.starts_with("41") && a.len() == 42 => "tron".into(),
        _ => "ethereum".into(),
    })
}

fn chain_for_id(id: &str) -> &'static str {
    match id {
        "56" => "bsc",
        "137" => "polygon",
        "42161" => "arbitrum",
        "10" => "optimism",
        "8453" => "base",
        "43114" => "avalanche",
        _ => "ethereum",
    }
}

/// Encodes batches as one Parquet file in memory (an empty file with the schema when
/// there are none).
pub fn encode_parquet(
    schema: &SchemaRef,
    batches: &[RecordBatch],
) -> std::result::Result<Vec<u8>, parquet::errors::ParquetError> {
    let mut buf = Vec::new();
    let mut w = parquet::arrow::ArrowWriter::try_new(&mut buf, Arc::clone(schema), None)?;
    for b in batches {
        w.write(b)?;
    }
    w.close()?;
    Ok(buf)
}

/// Stores `bytes` as `part-0.parquet` in `folder` (local path or object-store URL,
/// through the session's object stores) and returns the folder's listing URL.
pub async fn put_parquet(
    ctx: &SessionContext,
    folder: &str,
    bytes: Vec<u8>,
) -> Result<ListingTableUrl> {
    let err = |e: &dyn std::fmt::Display| IoError::Read {
        table: String::new(),
        location: folder.to_string(),
        reason: format!("cannot write Parquet: {e}"),
    };
    if !folder.contains("://") {
        std::fs::create_dir_all(folder).map_err(|e| err(&e))?;
    }
    let url = location::parse("output", folder)?;
    let store = ctx
        .runtime_env()
        .object_store(url.object_store())
        .map_err(|e| err(&e))?;
    store
        .put(
            &url.prefix().clone().join("part-0.parquet"),
            object_store::PutPayload::from(bytes),
        )
        .await
        .map_err(|e| err(&e))?;
    Ok(url)
}

/// Registers batches chainstat built itself (NDJSON rows, labels) as table `name`:
/// in memory for the embedded engine, or — with `staging` — written once as Parquet
/// under `staging/<name>-<content hash>/` and registered as a listing table, so that
/// Ballista executors can read it.
pub async fn register_batches(
    ctx: &SessionContext,
    name: &str,
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
    staging: Option<&str>,
) -> Result<()> {
    ctx.deregister_table(name)?;
    let Some(dir) = staging else {
        let table = MemTable::try_new(schema, vec![batches])?;
        ctx.register_table(name, Arc::new(table))?;
        return Ok(());
    };
    let err = |e: &dyn std::fmt::Display| IoError::Read {
        table: name.to_string(),
        location: dir.to_string(),
        reason: format!("cannot stage as Parquet: {e}"),
    };
    let buf = encode_parquet(&schema, &batches).map_err(|e| err(&e))?;
    // Content-addressed: reruns over the same input reuse the same path.
    let digest = {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        buf.hash(&mut h);
        h.finish()
    };
    let folder = format!("{}/{name}-{digest:016x}/", dir.trim_end_matches('/'));
    let url = put_parquet(ctx, &folder, buf).await?;
    let options =
        ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
    let config = ListingTableConfig::new(url)
        .with_listing_options(options)
        .with_schema(schema);
    ctx.register_table(name, Arc::new(ListingTable::try_new(config)?))?;
    Ok(())
}

/// Reads NDJSON files exactly: every scalar field as text (numbers keep all digits), every
/// array as a list of text (ethereum-etl's `topics`), plus `_file` and `_row` (0-based
/// line within the file).
async fn load_ndjson(
    spec: &TableSpec,
    url: &ListingTableUrl,
    store: &Arc<dyn ObjectStore>,
    files: &[ObjectMeta],
) -> Result<(SchemaRef, Vec<RecordBatch>)> {
    // Column name → whether any file has it as an array.
    let mut columns: BTreeMap<String, bool> = BTreeMap::new();
    let mut contents = Vec::with_capacity(files.len());
    for f in files {
        let name = file_name(url, f);
        let bytes = store
            .get(&f.location)
            .await
            .map_err(|e| read_err(&spec.name, &name, e))?
            .bytes()
            .await
            .map_err(|e| read_err(&spec.name, &name, e))?;
        let (schema, _) =
            arrow::json::reader::infer_json_schema(std::io::Cursor::new(&bytes), None).map_err(
                |e| IoError::Corrupt {
                    file: name.clone(),
                    reason: e.to_string(),
                },
            )?;
        for field in schema.fields() {
            let list = matches!(
                field.data_type(),
                DataType::List(_) | DataType::LargeList(_)
            );
            *columns.entry(field.name().clone()).or_default() |= list;
        }
        contents.push((name, bytes));
    }
    let text_schema = Arc::new(Schema::new(
        columns
            .iter()
            .map(|(c, list)| match list {
                true => Field::new(
                    c,
                    DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
                    true,
                ),
                false => Field::new(c, DataType::Utf8, true),
            })
            .collect::<Vec<_>>(),
    ));
    let mut out_fields: Vec<Field> = text_schema
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    out_fields.push(Field::new("_file", DataType::Utf8, false));
    out_fields.push(Field::new("_row", DataType::Int64, false));
    let out_schema = Arc::new(Schema::new(out_fields));
    let mut batches = Vec::new();
    for (name, bytes) in contents {
        let reader = arrow::json::ReaderBuilder::new(Arc::clone(&text_schema))
            .with_coerce_primitive(true)
            .build(std::io::Cursor::new(bytes))
            .map_err(|e| IoError::Corrupt {
                file: name.clone(),
                reason: e.to_string(),
            })?;
        let mut row = 0i64;
        for batch in reader {
            let batch = batch.map_err(|e| IoError::Corrupt {
                file: name.clone(),
                reason: e.to_string(),
            })?;
            let n = batch.num_rows();
            let mut cols: Vec<ArrayRef> = batch.columns().to_vec();
            cols.push(Arc::new(StringArray::from(vec![name.as_str(); n])));
            cols.push(Arc::new(Int64Array::from_iter_values(row..row + n as i64)));
            row += n as i64;
            batches.push(
                RecordBatch::try_new(Arc::clone(&out_schema), cols).map_err(|e| {
                    IoError::Corrupt {
                        file: name.clone(),
                        reason: e.to_string(),
                    }
                })?,
            );
        }
    }
    Ok((out_schema, batches))
}
