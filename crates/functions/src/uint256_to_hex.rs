//! `uint256_to_hex(value)`: the amount as minimal lowercase `0x` hex, the form JSON-RPC
//! and log data use — handy when matching chain data against node output. Takes the
//! same inputs as `uint256` (including values ≥ 10^76); NULL when not a uint256.

use std::sync::Arc;

use arrow::array::{ArrayRef, StringBuilder};
use arrow::datatypes::DataType;
use datafusion::common::{plan_err, Result};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use crate::amount::visit_amounts;
use crate::kernel::{finish, to_arrays};
use crate::uint256::check_amount_arg;

/// The `uint256_to_hex` function.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Uint256ToHex {
    signature: Signature,
}

impl ScalarUDFImpl for Uint256ToHex {
    fn name(&self) -> &str {
        "uint256_to_hex"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types {
            [t] => Ok(vec![check_amount_arg(self.name(), t)?]),
            _ => plan_err!("uint256_to_hex takes 1 argument, got {}", arg_types.len()),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, all_scalar) = to_arrays(&args.args, args.number_rows)?;
        let mut b = StringBuilder::with_capacity(arrays[0].len(), 16);
        visit_amounts(&arrays[0], |v| match v {
            Some(Ok(u)) => b.append_value(u.to_hex()),
            _ => b.append_null(),
        })?;
        let array: ArrayRef = Arc::new(b.finish());
        finish(array, all_scalar)
    }
}

/// The `uint256_to_hex` UDF.
pub fn udf() -> ScalarUDF {
    ScalarUDF::new_from_impl(Uint256ToHex {
        signature: Signature::user_defined(Volatility::Immutable),
    })
}
