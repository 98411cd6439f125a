//! `evm_checksum(value)`: the EIP-55 mixed-case form of an EVM address, as explorers
//! show it; accepts the same inputs as `evm_address`. NULL when invalid.

use arrow::datatypes::DataType;
use datafusion::logical_expr::ScalarUDF;

use crate::kernel::{Out, Value, ValueFunction};
use chainstat_chain::{evm, ChainFamily};

fn row(_: Option<ChainFamily>, v: Value<'_>) -> Out {
    let parsed = match v {
        Value::Text(s) => evm::normalize(s),
        Value::Bytes(b) => evm::from_bytes(b),
    };
    parsed.map_or(Out::Null, |a| Out::Text(evm::to_checksum(&a)))
}

/// The `evm_checksum` UDF.
pub fn udf() -> ScalarUDF {
    ValueFunction::udf("evm_checksum", false, true, DataType::Utf8, row)
}
