//! `tron_from_hex(value)`: the base58check `T…` form of a TRON address given as hex
//! (`41…` or a bare 20-byte EVM-style `0x…`, as TRON's event logs carry it) or raw bytes.
//! NULL when invalid.

use arrow::datatypes::DataType;
use datafusion::logical_expr::ScalarUDF;

use crate::kernel::{Out, Value, ValueFunction};
use chainstat_chain::{tron, ChainFamily};

fn row(_: Option<ChainFamily>, v: Value<'_>) -> Out {
    let parsed = match v {
        Value::Text(s) => tron::from_hex(s),
        Value::Bytes(b) => tron::from_bytes(b),
    };
    parsed.map_or(Out::Null, |a| Out::Text(tron::to_base58(&a)))
}

/// The `tron_from_hex` UDF.
pub fn udf() -> ScalarUDF {
    ValueFunction::udf("tron_from_hex", false, true, DataType::Utf8, row)
}
