//! `addr_norm(chain, address)`: the one canonical text form chainstat stores for an
//! address of `chain` — EVM chains: lowercase `0x…`; TRON: base58check `T…` (hex input is
//! converted); Bitcoin: base58 unchanged, bech32 lowercased. NULL when invalid; an
//! unknown chain name is an error.

use arrow::datatypes::DataType;
use datafusion::logical_expr::ScalarUDF;

use crate::kernel::{Out, Value, ValueFunction};
use chainstat_chain::{self as chain, ChainFamily};

fn row(chain: Option<ChainFamily>, v: Value<'_>) -> Out {
    let Some(family) = chain else {
        return Out::Null;
    };
    let r = match v {
        Value::Text(s) if chain::is_canonical_text(family, s) => return Out::Same,
        Value::Text(s) => chain::normalize_text(family, s),
        Value::Bytes(b) => chain::normalize_bytes(family, b),
    };
    r.map_or(Out::Null, Out::Text)
}

/// The `addr_norm` UDF.
pub fn udf() -> ScalarUDF {
    ValueFunction::udf("addr_norm", true, true, DataType::Utf8, row)
}
