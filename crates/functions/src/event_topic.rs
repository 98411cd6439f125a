//! `event_topic(signature)`: an event's `topic0`, the keccak-256 of its canonical
//! signature, as `0x` + 64 lowercase hex — `event_topic('Transfer(address,address,uint256)')`
//! is `0xddf252ad…`. Spaces are ignored and `uint`/`int` spelled out; NULL for text that
//! is not a signature, including one with parameter names (`address _user`), which would
//! hash to another event.

use arrow::datatypes::DataType;
use datafusion::logical_expr::ScalarUDF;

use crate::kernel::{Out, Value, ValueFunction};
use chainstat_chain::{abi, ChainFamily};

fn row(_: Option<ChainFamily>, v: Value<'_>) -> Out {
    match v {
        Value::Text(s) => abi::event_topic(s).map_or(Out::Null, |t| Out::Text(abi::to_hex(&t))),
        Value::Bytes(_) => Out::Null,
    }
}

/// The `event_topic` UDF.
pub fn udf() -> ScalarUDF {
    ValueFunction::udf("event_topic", false, false, DataType::Utf8, row)
}
