//! `key_hash(a, b, …)`: a 64-bit hash (as BIGINT) of the values of one row, the same in
//! every process and run. Used to find duplicate natural keys cheaply: grouping by one
//! integer instead of a 66-character transaction hash and an index keeps the hash table
//! small. Equal hashes only *suggest* equal keys — callers compare the real key for the
//! rows a hash groups (a 64-bit collision among a billion keys is likely enough to
//! matter).

use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Array};
use arrow::datatypes::DataType;
use datafusion::common::hash_utils::{create_hashes, RandomState};
use datafusion::common::{plan_err, Result};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use crate::kernel::{finish, to_arrays};

/// Fixed seed: hashes must agree between a scheduler's plan and every executor.
const SEED: u64 = 0x6368_6169_6e73_7461; // "chainsta"

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
        Ok(DataType::Int64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, all_scalar) = to_arrays(&args.args, args.number_rows)?;
        finish(Arc::new(hash_rows(&arrays)?), all_scalar)
    }
}

/// The hash of each row of `arrays` (all of one length).
pub fn hash_rows(arrays: &[ArrayRef]) -> Result<Int64Array> {
    let rows = arrays.first().map(|a| a.len()).unwrap_or(0);
    let mut hashes = vec![0u64; rows];
    create_hashes(arrays, &RandomState::with_seed(SEED), &mut hashes)?;
    Ok(Int64Array::from_iter_values(
        hashes.into_iter().map(|h| h as i64),
    ))
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
}
