//! `btc_address_type(address)`: `p2pkh`, `p2sh`, `p2wpkh`, `p2wsh`, `p2tr` or
//! `witness_unknown` for a valid Bitcoin address (base58check or bech32/bech32m, mainnet
//! or testnet); NULL when the address is invalid.

use arrow::datatypes::DataType;
use datafusion::logical_expr::ScalarUDF;

use crate::kernel::{Out, Value, ValueFunction};
use chainstat_chain::{bitcoin, ChainFamily};

fn row(_: Option<ChainFamily>, v: Value<'_>) -> Out {
    match v {
        Value::Text(s) => {
            bitcoin::address_type(s).map_or(Out::Null, |t| Out::Text(t.name().into()))
        }
        Value::Bytes(_) => Out::Null,
    }
}

/// The `btc_address_type` UDF.
pub fn udf() -> ScalarUDF {
    ValueFunction::udf("btc_address_type", false, false, DataType::Utf8, row)
}
