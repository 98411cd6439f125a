//! `evm_address(value)`: canonical lowercase `0x…` form of an EVM address, from text
//! (any case; mixed case must carry a valid EIP-55 checksum) or 20/32 raw bytes.
//! NULL when the value is not an address.

use arrow::datatypes::DataType;
use datafusion::logical_expr::ScalarUDF;

use crate::kernel::{Out, Value, ValueFunction};
use chainstat_chain::{evm, ChainFamily};

fn row(_: Option<ChainFamily>, v: Value<'_>) -> Out {
    let parsed = match v {
        Value::Text(s) => evm::normalize(s),
        Value::Bytes(b) => evm::from_bytes(b),
    };
    parsed.map_or(Out::Null, |a| Out::Text(evm::to_lower_hex(&a)))
}

/// The `evm_address` UDF.
pub fn udf() -> ScalarUDF {
    ValueFunction::udf("evm_address", false, true, DataType::Utf8, row)
}
