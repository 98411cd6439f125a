//! `key_hash(a, b, …)`: a 64-bit key (as BIGINT) of the values of one row, the same in
//! every process, build and run: the scheme `chainstat_chain::key` defines (XXH64 over
//! a documented encoding of each value). Used to find duplicate natural keys cheaply and
//! to split rows into passes. Equal keys only *suggest* equal values — callers compare
//! the real values for the rows a key groups (a 64-bit collision among a billion keys
//! is likely enough to matter).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Int64Array};
use arrow::datatypes::{
    DataType, Int16Type, Int32Type, Int64Type, Int8Type, UInt16Type, UInt32Type, UInt64Type,
    UInt8Type,
};
use chainstat_chain::key::KeyHasher;
use datafusion::common::{exec_err, plan_err, Result};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use crate::kernel::{finish, to_arrays, visit, Value};

/// The `key_hash` function.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct KeyHash {
    signature: Signature,
}

impl Default for KeyHash {
    fn default() -> Self {
        Self {
            signature: Signature::variadic_any(Volatility::Immutable),
        }
    }
}

/// True for the types the key scheme defines an encoding for.
fn supported(t: &DataType) -> bool {
    match t {
        DataType::Dictionary(_, v) => supported(v),
        t => t.is_integer() || *t == DataType::Boolean || crate::kernel::is_text_or_binary(t),
    }
}

impl ScalarUDFImpl for KeyHash {
    fn name(&self) -> &str {
        "key_hash"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        if arg_types.is_empty() {
            return plan_err!("key_hash takes at least one argument");
        }
        if let Some(t) = arg_types.iter().find(|t| !supported(t)) {
            return plan_err!(
                "key_hash: no key encoding for {t} (strings, binary, integers and booleans \
                 have one)"
            );
        }
        Ok(DataType::Int64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, all_scalar) = to_arrays(&args.args, args.number_rows)?;
        finish(Arc::new(hash_rows(&arrays)?), all_scalar)
    }
}

/// The key of each row of `arrays` (all of one length), column by column.
pub fn hash_rows(arrays: &[ArrayRef]) -> Result<Int64Array> {
    let rows = arrays.first().map(|a| a.len()).unwrap_or(0);
    let mut hashers = vec![KeyHasher::new(); rows];
    for array in arrays {
        add_column(array, &mut hashers)?;
    }
    Ok(Int64Array::from_iter_values(
        hashers.iter().map(KeyHasher::finish),
    ))
}

fn add_column(array: &ArrayRef, hashers: &mut [KeyHasher]) -> Result<()> {
    macro_rules! ints {
        ($t:ty) => {
            for (h, v) in hashers.iter_mut().zip(array.as_primitive::<$t>().iter()) {
                match v {
                    Some(v) => h.integer(i128::from(v)),
                    None => h.null(),
                }
            }
        };
    }
    match array.data_type() {
        DataType::Dictionary(_, v) => {
            let values = arrow::compute::cast(array, v)?;
            add_column(&values, hashers)?;
        }
        DataType::Null => hashers.iter_mut().for_each(KeyHasher::null),
        DataType::Boolean => {
            for (h, v) in hashers.iter_mut().zip(array.as_boolean().iter()) {
                match v {
                    Some(v) => h.boolean(v),
                    None => h.null(),
                }
            }
        }
        DataType::Int8 => ints!(Int8Type),
        DataType::Int16 => ints!(Int16Type),
        DataType::Int32 => ints!(Int32Type),
        DataType::Int64 => ints!(Int64Type),
        DataType::UInt8 => ints!(UInt8Type),
        DataType::UInt16 => ints!(UInt16Type),
        DataType::UInt32 => ints!(UInt32Type),
        DataType::UInt64 => ints!(UInt64Type),
        t if crate::kernel::is_text_or_binary(t) => {
            let mut row = hashers.iter_mut();
            let mut missing = false;
            visit(array, |v| match (row.next(), v) {
                (Some(h), Some(Value::Text(s))) => h.string(s),
                (Some(h), Some(Value::Bytes(b))) => h.binary(b),
                (Some(h), None) => h.null(),
                (None, _) => missing = true,
            })?;
            if missing {
                return exec_err!("key_hash: arguments of different lengths");
            }
        }
        t => return exec_err!("key_hash: no key encoding for {t}"),
    }
    Ok(())
}

/// The `key_hash` UDF.
pub fn udf() -> ScalarUDF {
    ScalarUDF::new_from_impl(KeyHash::default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int64Array, StringArray};

    #[test]
    fn equal_rows_hash_equal_and_different_rows_differ() -> Result<()> {
        let h: ArrayRef = Arc::new(StringArray::from(vec!["0xab", "0xab", "0xab", "0xcd"]));
        let i: ArrayRef = Arc::new(Int64Array::from(vec![1, 1, 2, 1]));
        let k = hash_rows(&[h, i])?;
        assert_eq!(k.value(0), k.value(1));
        assert_ne!(k.value(0), k.value(2));
        assert_ne!(k.value(0), k.value(3));
        // Same inputs, same value in a later call (fixed seed: executors agree).
        let again = hash_rows(&[
            Arc::new(StringArray::from(vec!["0xab"])) as ArrayRef,
            Arc::new(Int64Array::from(vec![1])) as ArrayRef,
        ])?;
        assert_eq!(again.value(0), k.value(0));
        Ok(())
    }

    #[test]
    fn a_value_hashes_the_same_however_arrow_stores_it() -> Result<()> {
        use arrow::array::{Int32Array, StringViewArray};
        let utf8: ArrayRef = Arc::new(StringArray::from(vec![Some("tron"), None]));
        let view: ArrayRef = Arc::new(StringViewArray::from(vec![Some("tron"), None]));
        let i64s: ArrayRef = Arc::new(Int64Array::from(vec![Some(7), None]));
        let i32s: ArrayRef = Arc::new(Int32Array::from(vec![Some(7), None]));
        assert_eq!(
            hash_rows(&[utf8.clone(), i64s.clone()])?,
            hash_rows(&[view, i32s])?
        );
        // The documented scheme, value by value.
        let mut h = KeyHasher::new();
        h.string("tron");
        h.integer(7);
        assert_eq!(hash_rows(&[utf8, i64s])?.value(0), h.finish());
        Ok(())
    }
}
