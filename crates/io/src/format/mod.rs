//! Exporter schemas chainstat reads, one file each, and detection of which one a file
//! is in. A format knows its columns and the SQL that turns its rows into chainstat's
//! canonical rows (with a reject reason for rows that cannot be parsed), so the whole
//! read path is a DataFusion plan that runs unchanged on Ballista.

pub mod bitcoin_inputs;
pub mod bitcoin_outputs;
pub mod blocks;
pub mod cryo_erc20;
pub mod logs;
pub mod token_transfers;
pub mod tokens;

use arrow::datatypes::{DataType, Schema};

use crate::error::IoError;

/// What canonical view a format feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TableKind {
    /// Account-model token transfers → `transfers`.
    Transfers,
    /// UTXO inputs → `utxo_inputs`.
    UtxoInputs,
    /// UTXO outputs → `utxo_outputs`.
    UtxoOutputs,
    /// Block headers (number → timestamp), joined to exports without a timestamp.
    Blocks,
    /// Token metadata (decimals), joined to `transfers` for token units.
    Tokens,
    /// Event logs (contract, topics, data) → `logs`.
    Logs,
    /// Any other table (chainstat's own outputs, analysts' files): queried as is.
    Raw,
}

impl TableKind {
    /// Name of the canonical view.
    pub fn view(self) -> &'static str {
        match self {
            TableKind::Transfers => "transfers",
            TableKind::UtxoInputs => "utxo_inputs",
            TableKind::UtxoOutputs => "utxo_outputs",
            TableKind::Blocks => "blocks",
            TableKind::Tokens => "tokens",
            TableKind::Logs => "logs",
            TableKind::Raw => "(none)",
        }
    }
}

/// The type family a column must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeClass {
    /// Any string type.
    Text,
    /// Any integer (or text holding one, for CSV).
    Integer,
    /// A uint256 amount: decimal/hex text, binary, integer or integral decimal.
    Amount,
    /// A timestamp, or integer seconds since the epoch.
    Time,
    /// Text or binary (addresses and hashes; cryo writes binary).
    TextOrBinary,
    /// A list of strings (BigQuery's `addresses`).
    TextList,
    /// A list of strings or one comma-joined string (ethereum-etl's `topics`: a list in
    /// BigQuery and JSON, joined in CSV).
    TextOrTextList,
}

impl TypeClass {
    /// Whether `t` is acceptable; CSV files are read all-text, so text always passes
    /// for the numeric classes (values are validated row by row instead).
    pub fn accepts(self, t: &DataType) -> bool {
        let text = matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View);
        let binary = matches!(
            t,
            DataType::Binary
                | DataType::LargeBinary
                | DataType::BinaryView
                | DataType::FixedSizeBinary(_)
        );
        match self {
            TypeClass::Text => text,
            TypeClass::Integer => t.is_integer() || text,
            TypeClass::Amount => {
                text || binary
                    || t.is_integer()
                    || matches!(t, DataType::Decimal128(_, _) | DataType::Decimal256(_, _))
            }
            TypeClass::Time => t.is_integer() || matches!(t, DataType::Timestamp(_, _)) || text,
            TypeClass::TextOrBinary => text || binary,
            TypeClass::TextOrTextList => text || TypeClass::TextList.accepts(t),
            TypeClass::TextList => match t {
                DataType::List(f) | DataType::LargeList(f) | DataType::ListView(f) => {
                    matches!(
                        f.data_type(),
                        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
                    )
                }
                _ => false,
            },
        }
    }

    /// Human description for errors.
    pub fn describe(self) -> &'static str {
        match self {
            TypeClass::Text => "a string",
            TypeClass::Integer => "an integer",
            TypeClass::Amount => {
                "a uint256 amount (decimal STRING, binary, integer or integral DECIMAL; not a float)"
            }
            TypeClass::Time => "a TIMESTAMP or integer unix seconds",
            TypeClass::TextOrBinary => "a string or binary",
            TypeClass::TextList => "a LIST of strings",
            TypeClass::TextOrTextList => "a LIST of strings or one comma-separated string",
        }
    }
}

/// One column a format needs.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// Name as the exporter writes it.
    pub name: &'static str,
    /// Accepted types.
    pub class: TypeClass,
    /// Whether detection requires it.
    pub required: bool,
}

const fn req(name: &'static str, class: TypeClass) -> Column {
    Column {
        name,
        class,
        required: true,
    }
}

const fn opt(name: &'static str, class: TypeClass) -> Column {
    Column {
        name,
        class,
        required: false,
    }
}

/// An exporter schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// BigQuery `crypto_ethereum.token_transfers` / ethereum-etl / tronetl `token_transfer`.
    TokenTransfers,
    /// cryo `erc20_transfers`.
    CryoErc20,
    /// BigQuery `crypto_bitcoin.inputs` / bitcoin-etl.
    BitcoinInputs,
    /// BigQuery `crypto_bitcoin.outputs` / bitcoin-etl.
    BitcoinOutputs,
    /// ethereum-etl / tronetl `blocks` (number, timestamp).
    Blocks,
    /// ethereum-etl `tokens` (address, decimals).
    Tokens,
    /// ethereum-etl / BigQuery / tronetl `logs` (address, topics, data).
    Logs,
    /// cryo `logs` (address, topic0 … topic3, data as bytes).
    CryoLogs,
    /// Queried as is (`format = "raw"`): never detected, never fed to the views.
    Raw,
}

/// Every format, in detection order (most specific first).
pub const ALL: &[Format] = &[
    Format::CryoErc20,
    Format::TokenTransfers,
    Format::CryoLogs,
    Format::Logs,
    Format::BitcoinInputs,
    Format::BitcoinOutputs,
    Format::Blocks,
    Format::Tokens,
];

impl Format {
    /// Canonical name, used in config (`format = "…"`) and `describe`.
    pub fn name(self) -> &'static str {
        match self {
            Format::TokenTransfers => token_transfers::NAME,
            Format::CryoErc20 => cryo_erc20::NAME,
            Format::BitcoinInputs => bitcoin_inputs::NAME,
            Format::BitcoinOutputs => bitcoin_outputs::NAME,
            Format::Blocks => blocks::NAME,
            Format::Tokens => tokens::NAME,
            Format::Logs => logs::NAME,
            Format::CryoLogs => logs::CRYO_NAME,
            Format::Raw => "raw",
        }
    }

    /// Other accepted names.
    pub fn aliases(self) -> &'static [&'static str] {
        match self {
            Format::TokenTransfers => token_transfers::ALIASES,
            Format::CryoErc20 => cryo_erc20::ALIASES,
            Format::BitcoinInputs => bitcoin_inputs::ALIASES,
            Format::BitcoinOutputs => bitcoin_outputs::ALIASES,
            Format::Blocks => blocks::ALIASES,
            Format::Tokens => tokens::ALIASES,
            Format::Logs => logs::ALIASES,
            Format::CryoLogs => logs::CRYO_ALIASES,
            Format::Raw => &["plain", "as-is"],
        }
    }

    /// Columns of the format.
    pub fn columns(self) -> &'static [Column] {
        match self {
            Format::TokenTransfers => token_transfers::COLUMNS,
            Format::CryoErc20 => cryo_erc20::COLUMNS,
            Format::BitcoinInputs => bitcoin_inputs::COLUMNS,
            Format::BitcoinOutputs => bitcoin_outputs::COLUMNS,
            Format::Blocks => blocks::COLUMNS,
            Format::Tokens => tokens::COLUMNS,
            Format::Logs => logs::COLUMNS,
            Format::CryoLogs => logs::CRYO_COLUMNS,
            Format::Raw => &[],
        }
    }

    /// The canonical view the format feeds.
    pub fn kind(self) -> TableKind {
        match self {
            Format::TokenTransfers | Format::CryoErc20 => TableKind::Transfers,
            Format::BitcoinInputs => TableKind::UtxoInputs,
            Format::BitcoinOutputs => TableKind::UtxoOutputs,
            Format::Blocks => TableKind::Blocks,
            Format::Tokens => TableKind::Tokens,
            Format::Logs | Format::CryoLogs => TableKind::Logs,
            Format::Raw => TableKind::Raw,
        }
    }

    /// The select that maps a raw table of this format to its canonical columns plus
    /// `_file`, `_row` and `_reason` (NULL for a good row).
    pub fn checked_sql(self, src: &SourceTable<'_>) -> String {
        match self {
            Format::TokenTransfers => token_transfers::checked_sql(src),
            Format::CryoErc20 => cryo_erc20::checked_sql(src),
            Format::BitcoinInputs => bitcoin_inputs::checked_sql(src),
            Format::BitcoinOutputs => bitcoin_outputs::checked_sql(src),
            Format::Blocks => blocks::checked_sql(src),
            Format::Tokens => tokens::checked_sql(src),
            Format::Logs => logs::checked_sql(src),
            Format::CryoLogs => logs::cryo_checked_sql(src),
            // Never called: raw tables feed no view.
            Format::Raw => format!("SELECT * FROM {} WHERE false", ident(src.table)),
        }
    }

    /// Parses a format name or alias.
    pub fn from_name(s: &str) -> Result<Format, IoError> {
        let l = s.trim().to_ascii_lowercase();
        ALL.iter()
            .copied()
            .chain([Format::Raw])
            .find(|f| f.name() == l || f.aliases().contains(&l.as_str()))
            .ok_or_else(|| {
                let names: Vec<&str> = ALL.iter().map(|f| f.name()).chain(["raw"]).collect();
                IoError::Config(format!(
                    "unknown format '{s}' (known: {})",
                    names.join(", ")
                ))
            })
    }

    /// Whether `schema` has every required column (types are checked separately, so a
    /// file with the right names but a bad type gets a precise error).
    pub fn matches(self, schema: &Schema) -> bool {
        let has = |n: &str| schema.field_with_name(n).is_ok();
        self.columns()
            .iter()
            .filter(|c| c.required)
            .all(|c| has(c.name))
            && match self {
                Format::CryoErc20 => cryo_erc20::value_column(schema).is_some(),
                Format::BitcoinOutputs => !has("spent_transaction_hash"),
                _ => true,
            }
    }

    /// Checks column types, naming the first bad column.
    /// With the format given in the config: every column detection would require must be
    /// there (else the SQL would fail with a bare "no field named").
    pub fn check_columns(self, schema: &Schema, file: &str) -> Result<(), IoError> {
        let missing: Vec<&str> = self
            .columns()
            .iter()
            .filter(|c| c.required && schema.field_with_name(c.name).is_err())
            .map(|c| c.name)
            .collect();
        if missing.is_empty() || self == Format::Raw {
            return Ok(());
        }
        Err(IoError::UnknownSchema {
            file: file.to_string(),
            found: schema_text(schema),
            expected: format!(
                "  format {} needs column(s) {} as well",
                self.name(),
                missing.join(", ")
            ),
        })
    }

    pub fn check_types(self, schema: &Schema, file: &str) -> Result<(), IoError> {
        for c in self.columns() {
            if let Ok(f) = schema.field_with_name(c.name) {
                if !c.class.accepts(f.data_type()) {
                    return Err(IoError::ColumnType {
                        file: file.to_string(),
                        column: c.name.to_string(),
                        found: f.data_type().to_string(),
                        expected: c.class.describe().to_string(),
                        format: self.name().to_string(),
                    });
                }
            }
        }
        if self == Format::CryoErc20 {
            cryo_erc20::check_value(schema, file)?;
        }
        Ok(())
    }

    /// Finds the format of `schema`, or explains what each format expects.
    pub fn detect(schema: &Schema, file: &str) -> Result<Format, IoError> {
        match ALL.iter().copied().find(|f| f.matches(schema)) {
            Some(f) => {
                f.check_types(schema, file)?;
                Ok(f)
            }
            None => Err(IoError::UnknownSchema {
                file: file.to_string(),
                found: schema_text(schema),
                expected: expected_columns(),
            }),
        }
    }
}

/// "format: col, col, …" for every format, for error messages and docs.
/// A file's columns and types, for errors.
fn schema_text(schema: &Schema) -> String {
    schema
        .fields()
        .iter()
        .map(|f| format!("{} {}", f.name(), f.data_type()))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn expected_columns() -> String {
    ALL.iter()
        .map(|f| {
            let cols: Vec<&str> = f
                .columns()
                .iter()
                .filter(|c| c.required)
                .map(|c| c.name)
                .collect();
            format!("  expected for {}: {}", f.name(), cols.join(", "))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Where a row came from: how the SQL of a format names the file and row.
#[derive(Debug, Clone)]
pub enum Lineage {
    /// Parquet read by DataFusion: `input_file_name()`, `file_row_index()`; the store
    /// URL (`s3://bucket/`, `file:///`) is prefixed so the name is a full URL.
    Scan(String),
    /// CSV read by DataFusion: file name only (row numbers are not exposed for CSV).
    ScanNoRow(String),
    /// Tables chainstat loaded itself (NDJSON): `_file` and `_row` columns.
    Columns,
    /// Not needed (the canonical views): NULLs, so the scan stays a plain scan that
    /// joins, filters and Ballista's plan serialisation all handle.
    Omitted,
}

impl Lineage {
    /// SQL for the file name (of a row of [`SourceTable::from_sql`]'s `t`).
    pub fn file_sql(&self) -> String {
        match self {
            Lineage::Scan(p) | Lineage::ScanNoRow(p) => {
                format!("concat({}, t.{SCAN_FILE})", lit(p))
            }
            Lineage::Columns => "_file".to_string(),
            Lineage::Omitted => "CAST(NULL AS VARCHAR)".to_string(),
        }
    }

    /// SQL for the 0-based row within the file.
    pub fn row_sql(&self) -> String {
        match self {
            Lineage::Scan(_) => format!("t.{SCAN_ROW}"),
            Lineage::ScanNoRow(_) => "CAST(NULL AS BIGINT)".to_string(),
            Lineage::Columns => "_row".to_string(),
            Lineage::Omitted => "CAST(NULL AS BIGINT)".to_string(),
        }
    }
}

/// Columns [`SourceTable::from_sql`] adds to a scanned table for [`Lineage::Scan`]: file
/// name and row, as DataFusion's scan reports them.
const SCAN_FILE: &str = "__chainstat_file";
const SCAN_ROW: &str = "__chainstat_row";

/// What a format's SQL builder needs to know about one registered table.
#[derive(Debug, Clone)]
pub struct SourceTable<'a> {
    /// Registered (raw) table name.
    pub table: &'a str,
    /// Chain name (`ethereum`, `tron`, `bitcoin`, …).
    pub chain: &'a str,
    /// The table's schema.
    pub schema: &'a Schema,
    /// How to name file and row.
    pub lineage: Lineage,
    /// Whether a blocks table of the same chain is registered (the `blocks` view then
    /// dates exports that carry no timestamp).
    pub has_blocks: bool,
}

impl SourceTable<'_> {
    /// The raw table as `t`, for a `FROM` clause.
    ///
    /// With [`Lineage::Scan`] / [`Lineage::ScanNoRow`], `t` is a subquery that takes
    /// `input_file_name()` (and `file_row_index()`) right on the scan. These functions
    /// can only be evaluated by the scan itself, and DataFusion moves them into it only
    /// when the projection directly above the scan is that simple: written among the
    /// validation's expressions, whose common subexpressions (the address and amount
    /// checks share them with the select) DataFusion keeps in that projection, they
    /// failed ("input_file_name() is source dependent and cannot be evaluated
    /// directly"). So the job's one validation pass can also name each reject's file and
    /// row, instead of validating the table again for `rejects`.
    pub fn from_sql(&self) -> String {
        let table = ident(self.table);
        match &self.lineage {
            Lineage::Scan(_) => format!(
                "(SELECT *, input_file_name() AS {SCAN_FILE}, file_row_index() AS {SCAN_ROW} \
                 FROM {table}) t"
            ),
            Lineage::ScanNoRow(_) => {
                format!("(SELECT *, input_file_name() AS {SCAN_FILE} FROM {table}) t")
            }
            Lineage::Columns | Lineage::Omitted => format!("{table} t"),
        }
    }
}

/// Quotes an identifier for SQL.
pub fn ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// Quotes a string literal for SQL.
pub fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// SQL turning a time column of any accepted type into `TIMESTAMP … UTC` (microseconds).
pub fn time_sql(expr: &str, t: &DataType) -> String {
    match t {
        DataType::Timestamp(_, _) => {
            format!("arrow_cast({expr}, 'Timestamp(µs, \"UTC\")')")
        }
        _ => format!(
            "arrow_cast(to_timestamp_seconds(TRY_CAST({expr} AS BIGINT)), 'Timestamp(µs, \"UTC\")')"
        ),
    }
}

/// SQL for the chain's time of a row — the export's own column, else the blocks table,
/// else NULL (the docs say so: tronetl and ethereum-etl CSVs carry no timestamp) — and
/// the `FROM` clause (without the keyword) that provides it, with the export as `t`.
/// The blocks side is written first so it is the hash join's build side: one row per
/// block, where the export has one per transfer.
pub fn block_time_sql(src: &SourceTable<'_>, column: &str) -> (String, String) {
    let table = src.from_sql();
    if let Ok(f) = src.schema.field_with_name(column) {
        (
            time_sql(&format!("t.{}", ident(column)), f.data_type()),
            table,
        )
    } else if src.has_blocks {
        (
            "b.block_time".to_string(),
            format!(
                "(SELECT number, MIN(block_time) AS block_time FROM blocks \
                 WHERE chain = {} GROUP BY number) b RIGHT JOIN {table} \
                 ON b.number = TRY_CAST(t.block_number AS BIGINT)",
                lit(src.chain)
            ),
        )
    } else {
        (
            "CAST(NULL AS TIMESTAMP) AT TIME ZONE 'UTC'".to_string(),
            table,
        )
    }
}

/// `CASE WHEN … END` that names the first problem of a row, NULL when the row is fine.
pub fn reason_sql(checks: &[(String, String)]) -> String {
    let mut s = String::from("CASE");
    for (cond, reason) in checks {
        s.push_str(&format!(" WHEN {cond} THEN {reason}"));
    }
    s.push_str(" END");
    s
}

/// Checks for a required address column of `chain`. The reason (`address_error`) is only
/// computed where `addr_norm` — the select's own normalisation, computed once for both
/// (DataFusion shares the common expression) — found the address invalid: each address
/// is validated once, not twice.
pub fn address_checks(chain: &str, col: &str) -> Vec<(String, String)> {
    let c = format!("t.{}", ident(col));
    vec![
        (format!("{c} IS NULL"), lit(&format!("{col} missing"))),
        (
            format!(
                "addr_norm({0}, {c}) IS NULL AND address_error({0}, {c}) IS NOT NULL",
                lit(chain)
            ),
            format!(
                "{} || address_error({}, {c})",
                lit(&format!("{col}: ")),
                lit(chain)
            ),
        ),
    ]
}

/// Checks for a required integer column.
pub fn integer_checks(col: &str) -> Vec<(String, String)> {
    let c = format!("t.{}", ident(col));
    vec![
        (format!("{c} IS NULL"), lit(&format!("{col} missing"))),
        (
            format!("TRY_CAST({c} AS BIGINT) IS NULL OR TRY_CAST({c} AS BIGINT) < 0"),
            lit(&format!("{col} not a non-negative integer")),
        ),
    ]
}

/// Checks for a required 32-byte hash column.
pub fn hash_checks(chain: &str, col: &str) -> Vec<(String, String)> {
    let c = format!("t.{}", ident(col));
    vec![
        (format!("{c} IS NULL"), lit(&format!("{col} missing"))),
        (
            format!("hash_norm({}, {c}) IS NULL", lit(chain)),
            lit(&format!("{col}: not a 32-byte hash")),
        ),
    ]
}

/// The checked select of an account-model transfers export: canonical `transfers`
/// columns plus `_file`, `_row`, `_reason`. Exporters differ only in the name of the
/// token column and of the exact amount column.
pub fn transfers_checked_sql(src: &SourceTable<'_>, token_col: &str, value_col: &str) -> String {
    let chain = lit(src.chain);
    let token = format!("t.{}", ident(token_col));
    let value = format!("t.{}", ident(value_col));
    let (time, from) = block_time_sql(src, "block_timestamp");
    let mut checks = Vec::new();
    checks.extend(address_checks(src.chain, token_col));
    checks.extend(address_checks(src.chain, "from_address"));
    checks.extend(address_checks(src.chain, "to_address"));
    checks.push((
        format!("uint256({value}) IS NULL AND uint256_error({value}) IS NOT NULL"),
        format!("uint256_error({value})"),
    ));
    checks.extend(hash_checks(src.chain, "transaction_hash"));
    checks.extend(integer_checks("log_index"));
    checks.extend(integer_checks("block_number"));
    format!(
        "SELECT {chain} AS chain, \
         addr_norm({chain}, {token}) AS asset, \
         addr_norm({chain}, t.from_address) AS from_address, \
         addr_norm({chain}, t.to_address) AS to_address, \
         uint256({value}) AS amount_raw, \
         hash_norm({chain}, t.transaction_hash) AS tx_hash, \
         TRY_CAST(t.log_index AS BIGINT) AS log_index, \
         TRY_CAST(t.block_number AS BIGINT) AS block_number, \
         {time} AS block_time, \
         {} AS source_table, \
         {} AS _file, {} AS _row, {} AS _reason \
         FROM {from}",
        lit(src.table),
        src.lineage.file_sql(),
        src.lineage.row_sql(),
        reason_sql(&checks),
    )
}
