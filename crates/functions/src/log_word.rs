//! `log_word(data, n)`: the `n`-th (0-based) 32-byte word of a log's ABI-encoded `data`,
//! as `0x` + 64 lowercase hex, ready for `word_address` or `uint256`. Hex text or raw
//! bytes; NULL when `data` is not hex, `n` is negative, or `data` holds fewer than
//! `n + 1` whole words (a truncated log is NULL, never a zero-padded word).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, StringBuilder};
use arrow::datatypes::{DataType, Int64Type};
use datafusion::common::{plan_err, Result};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use crate::kernel::{finish, is_text_or_binary, to_arrays, undictionary, visit, Value};
use chainstat_chain::abi;

/// The `log_word` function.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct LogWord {
    signature: Signature,
}

impl Default for LogWord {
    fn default() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

const EXPECTED: &str = "log_word(data STRING or BINARY, n INTEGER)";

impl ScalarUDFImpl for LogWord {
    fn name(&self) -> &str {
        "log_word"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let [data, n] = arg_types else {
            return plan_err!(
                "log_word takes 2 arguments, got {}: expected {EXPECTED}",
                arg_types.len()
            );
        };
        let data = undictionary(data);
        if !is_text_or_binary(&data) {
            return plan_err!("log_word: cannot take data of type {data}: expected {EXPECTED}");
        }
        let n = undictionary(n);
        if !(n.is_integer() || n == DataType::Null) {
            return plan_err!(
                "log_word: the word index must be an integer, got {n}: expected {EXPECTED}"
            );
        }
        Ok(vec![data, DataType::Int64])
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, all_scalar) = to_arrays(&args.args, args.number_rows)?;
        let n = arrays[1].as_primitive::<Int64Type>();
        let rows = arrays[0].len();
        let mut out = StringBuilder::with_capacity(rows, rows * 66);
        let mut i = 0;
        visit(&arrays[0], |v| {
            let index = (!n.is_null(i))
                .then(|| n.value(i))
                .and_then(|k| usize::try_from(k).ok());
            let word = match (v, index) {
                (Some(Value::Text(s)), Some(k)) => {
                    abi::parse_hex(s).and_then(|b| abi::word(&b, k).map(abi::to_hex))
                }
                (Some(Value::Bytes(b)), Some(k)) => abi::word(b, k).map(abi::to_hex),
                _ => None,
            };
            out.append_option(word);
            i += 1;
        })?;
        finish(Arc::new(out.finish()) as ArrayRef, all_scalar)
    }
}

/// The `log_word` UDF.
pub fn udf() -> ScalarUDF {
    ScalarUDF::new_from_impl(LogWord::default())
}
