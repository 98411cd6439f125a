//! `hex_norm(value)`: bytes of any length as `0x` + lowercase hex, from hex text (either
//! case, `0x` optional, an even number of digits) or raw bytes. How the `logs` view
//! writes topics and data on every chain. NULL when the text is not hex.

use arrow::datatypes::DataType;
use datafusion::logical_expr::ScalarUDF;

use crate::kernel::{Out, Value, ValueFunction};
use chainstat_chain::{abi, hex, ChainFamily};

fn row(_: Option<ChainFamily>, v: Value<'_>) -> Out {
    match v {
        Value::Text(s) if s.starts_with("0x") && hex::is_lower_hex(&s.as_bytes()[2..]) => {
            if s.len().is_multiple_of(2) {
                Out::Same
            } else {
                Out::Null
            }
        }
        Value::Text(s) => abi::parse_hex(s).map_or(Out::Null, |b| Out::Text(abi::to_hex(&b))),
        Value::Bytes(b) => Out::Text(abi::to_hex(b)),
    }
}

/// The `hex_norm` UDF.
pub fn udf() -> ScalarUDF {
    ValueFunction::udf("hex_norm", false, true, DataType::Utf8, row)
}
