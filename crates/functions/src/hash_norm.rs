//! `hash_norm(chain, hash)`: canonical text of a 32-byte transaction or block hash —
//! lowercase hex, with `0x` on EVM chains and without on TRON and Bitcoin (each chain's
//! explorer convention) — from hex text (either case, `0x` optional) or 32 raw bytes.
//! NULL when the value is not 32 bytes of hex. Binary input is taken in display order
//! (as exporters write it); Bitcoin's internal little-endian order must be reversed
//! byte by byte before it is passed in.

use arrow::datatypes::DataType;
use datafusion::logical_expr::ScalarUDF;

use crate::kernel::{Out, Value, ValueFunction};
use chainstat_chain::{hex, ChainFamily};

fn row(chain: Option<ChainFamily>, v: Value<'_>) -> Out {
    let Some(family) = chain else {
        return Out::Null;
    };
    if let Value::Text(s) = v {
        let canonical = match family {
            ChainFamily::Evm => {
                s.len() == 66 && s.starts_with("0x") && hex::is_lower_hex(&s.as_bytes()[2..])
            }
            ChainFamily::Tron | ChainFamily::Bitcoin => {
                s.len() == 64 && hex::is_lower_hex(s.as_bytes())
            }
        };
        if canonical {
            return Out::Same;
        }
    }
    let mut bytes = [0u8; 32];
    let ok = match v {
        Value::Text(s) => hex::decode_into(hex::strip_0x(s.trim()).as_bytes(), &mut bytes),
        Value::Bytes(b) if b.len() == 32 => {
            bytes.copy_from_slice(b);
            true
        }
        Value::Bytes(_) => false,
    };
    if !ok {
        return Out::Null;
    }
    let h = hex::encode(&bytes);
    Out::Text(match family {
        ChainFamily::Evm => format!("0x{h}"),
        ChainFamily::Tron | ChainFamily::Bitcoin => h,
    })
}

/// The `hash_norm` UDF.
pub fn udf() -> ScalarUDF {
    ValueFunction::udf("hash_norm", true, true, DataType::Utf8, row)
}
