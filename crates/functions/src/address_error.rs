//! `address_error(chain, address)`: why `address` is not a valid address of `chain`
//! (`empty`, `bad length`, `bad characters`, `bad checksum`, `bad prefix`), or NULL
//! when it is valid (or NULL). Used to fill `rejects.reason`.

use arrow::datatypes::DataType;
use datafusion::logical_expr::ScalarUDF;

use crate::kernel::{Out, Value, ValueFunction};
use chainstat_chain::{self as chain, ChainFamily};

fn row(chain: Option<ChainFamily>, v: Value<'_>) -> Out {
    let Some(family) = chain else {
        return Out::Null;
    };
    let r = match v {
        Value::Text(s) if chain::is_canonical_text(family, s) => return Out::Null,
        Value::Text(s) => chain::normalize_text(family, s),
        Value::Bytes(b) => chain::normalize_bytes(family, b),
    };
    match r {
        Ok(_) => Out::Null,
        Err(e) => Out::Text(e.code().to_string()),
    }
}

/// The `address_error` UDF.
pub fn udf() -> ScalarUDF {
    ValueFunction::udf("address_error", true, true, DataType::Utf8, row)
}
