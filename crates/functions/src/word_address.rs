//! `word_address(chain, word)`: the address a 32-byte log word holds (an indexed `address`
//! topic, or an `address` argument in the data), in the chain's canonical form: EVM
//! `0x…` lowercase, TRON base58check `T…`. Hex text or raw bytes; NULL when the word's
//! first 12 bytes are not zero (it is not an address) or it is not 32 (or 20) bytes.

use arrow::datatypes::DataType;
use datafusion::logical_expr::ScalarUDF;

use crate::kernel::{Out, Value, ValueFunction};
use chainstat_chain::{abi, ChainFamily};

fn row(chain: Option<ChainFamily>, v: Value<'_>) -> Out {
    let Some(family) = chain.filter(|f| *f != ChainFamily::Bitcoin) else {
        return Out::Null;
    };
    let bytes = match v {
        Value::Text(s) => match abi::parse_hex(s) {
            Some(b) => b,
            None => return Out::Null,
        },
        Value::Bytes(b) => b.to_vec(),
    };
    abi::word_address(family, &bytes).map_or(Out::Null, Out::Text)
}

/// The `word_address` UDF.
pub fn udf() -> ScalarUDF {
    ValueFunction::udf("word_address", true, true, DataType::Utf8, row)
}
