//! `is_valid_address(chain, address)`: whether `address` is a well-formed address of
//! `chain` (checksums verified). NULL for a NULL address.

use arrow::datatypes::DataType;
use datafusion::logical_expr::ScalarUDF;

use crate::kernel::{Out, Value, ValueFunction};
use chainstat_chain::{self as chain, ChainFamily};

fn row(chain: Option<ChainFamily>, v: Value<'_>) -> Out {
    let Some(family) = chain else {
        return Out::Null;
    };
    let ok = match v {
        Value::Text(s) => {
            chain::is_canonical_text(family, s) || chain::normalize_text(family, s).is_ok()
        }
        Value::Bytes(b) => chain::normalize_bytes(family, b).is_ok(),
    };
    Out::Bool(ok)
}

/// The `is_valid_address` UDF.
pub fn udf() -> ScalarUDF {
    ValueFunction::udf("is_valid_address", true, true, DataType::Boolean, row)
}
