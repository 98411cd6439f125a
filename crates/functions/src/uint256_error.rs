//! `uint256_error(value)`: why `value` is not an exact uint256 that fits `DECIMAL(76,0)`
//! (`value missing`, `value not numeric`, `value negative`, `value overflows uint256`,
//! `value >= 10^76 …`), or NULL when it is fine. NULL input is reported as missing,
//! since a transfer without an amount is a broken row. Fills `rejects.reason`.

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
use chainstat_chain::uint256::AmountError;

/// The `uint256_error` function.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Uint256Error {
    signature: Signature,
}

impl ScalarUDFImpl for Uint256Error {
    fn name(&self) -> &str {
        "uint256_error"
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
            _ => plan_err!("uint256_error takes 1 argument, got {}", arg_types.len()),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, all_scalar) = to_arrays(&args.args, args.number_rows)?;
        let mut b = StringBuilder::with_capacity(arrays[0].len(), 16);
        visit_amounts(&arrays[0], |v| {
            match v
                .unwrap_or(Err(AmountError::Missing))
                .and_then(|u| u.to_decimal())
            {
                Ok(_) => b.append_null(),
                Err(e) => b.append_value(e.code()),
            }
        })?;
        let array: ArrayRef = Arc::new(b.finish());
        finish(array, all_scalar)
    }
}

/// The `uint256_error` UDF.
pub fn udf() -> ScalarUDF {
    ScalarUDF::new_from_impl(Uint256Error {
        signature: Signature::user_defined(Volatility::Immutable),
    })
}
