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

use crate::kernel::{finish, to_arrays};

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

/// The key of each row of `arrays` (all of one length).
pub fn hash_rows(arrays: &[ArrayRef]) -> Result<Int64Array> {
    let rows = arrays.first().map(|a| a.len()).unwrap_or(0);
    if arrays.iter().any(|a| a.len() != rows) {
        return exec_err!("key_hash: arguments of different lengths");
    }
    // Dictionary-encoded columns hash as their values.
    let resolved = arrays
        .iter()
        .map(|a| match a.data_type() {
            DataType::Dictionary(_, v) => Ok(arrow::compute::cast(a, v)?),
            _ => Ok(Arc::clone(a)),
        })
        .collect::<Result<Vec<ArrayRef>>>()?;
    let encoders = resolved
        .iter()
        .map(|a| encoder(a.as_ref()))
        .collect::<Result<Vec<_>>>()?;
    let mut key = KeyHasher::new();
    let mut out = Vec::with_capacity(rows);
    for row in 0..rows {
        key.clear();
        for encode in &encoders {
            encode(row, &mut key);
        }
        out.push(key.finish());
    }
    Ok(Int64Array::from(out))
}

/// Adds one column's value at a row to a key.
type Encoder<'a> = Box<dyn Fn(usize, &mut KeyHasher) + 'a>;

/// The encoder of a column, by its Arrow type (see the scheme in `chainstat_chain::key`).
fn encoder(array: &dyn Array) -> Result<Encoder<'_>> {
    macro_rules! each {
        ($a:expr, |$h:ident, $v:ident| $add:expr) => {{
            let a = $a;
            Box::new(move |row: usize, $h: &mut KeyHasher| {
                if a.is_null(row) {
                    $h.null()
                } else {
                    let $v = a.value(row);
                    $add
                }
            })
        }};
    }
    macro_rules! int {
        ($t:ty) => {
            each!(array.as_primitive::<$t>(), |h, v| h.integer(i128::from(v)))
        };
    }
    Ok(match array.data_type() {
        DataType::Null => Box::new(|_, h: &mut KeyHasher| h.null()),
        DataType::Boolean => each!(array.as_boolean(), |h, v| h.boolean(v)),
        DataType::Int8 => int!(Int8Type),
        DataType::Int16 => int!(Int16Type),
        DataType::Int32 => int!(Int32Type),
        DataType::Int64 => int!(Int64Type),
        DataType::UInt8 => int!(UInt8Type),
        DataType::UInt16 => int!(UInt16Type),
        DataType::UInt32 => int!(UInt32Type),
        DataType::UInt64 => int!(UInt64Type),
        DataType::Utf8 => each!(array.as_string::<i32>(), |h, v| h.string(v)),
        DataType::LargeUtf8 => each!(array.as_string::<i64>(), |h, v| h.string(v)),
        DataType::Utf8View => each!(array.as_string_view(), |h, v| h.string(v)),
        DataType::Binary => each!(array.as_binary::<i32>(), |h, v| h.binary(v)),
        DataType::LargeBinary => each!(array.as_binary::<i64>(), |h, v| h.binary(v)),
        DataType::BinaryView => each!(array.as_binary_view(), |h, v| h.binary(v)),
        DataType::FixedSizeBinary(_) => {
            each!(array.as_fixed_size_binary(), |h, v| h.binary(v))
        }
        t => return exec_err!("key_hash: no key encoding for {t}"),
    })
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
