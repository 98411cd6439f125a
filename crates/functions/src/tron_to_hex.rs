//! `tron_to_hex(value)`: `41` + 40 lowercase hex digits for a TRON address given as
//! base58check `T…` (checksum verified), hex, or raw bytes. NULL when invalid.

use arrow::datatypes::DataType;
use datafusion::logical_expr::ScalarUDF;

use crate::kernel::{Out, Value, ValueFunction};
use chainstat_chain::{tron, ChainFamily};

fn row(_: Option<ChainFamily>, v: Value<'_>) -> Out {
    let parsed = match v {
        Value::Text(s) => tron::parse_any(s),
        Value::Bytes(b) => tron::from_bytes(b),
    };
    parsed.map_or(Out::Null, |a| Out::Text(tron::to_hex(&a)))
}

/// The `tron_to_hex` UDF.
pub fn udf() -> ScalarUDF {
    ValueFunction::udf("tron_to_hex", false, true, DataType::Utf8, row)
}
