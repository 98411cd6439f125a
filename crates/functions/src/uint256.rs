//! `uint256(value)`: the exact uint256 in `value` as `DECIMAL(76, 0)` — from decimal or
//! `0x` hex text, big-endian bytes (cryo's `value_binary`), integers or integral
//! decimals. NULL when the value is not a uint256 below 10^76; `uint256_error` says why.

use std::sync::Arc;

use arrow::array::{ArrayRef, Decimal256Builder};
use arrow::datatypes::DataType;
use datafusion::common::{plan_err, Result};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use crate::amount::{is_amount_type, visit_amounts};
use crate::kernel::{finish, to_arrays, undictionary};
use chainstat_chain::uint256::DECIMAL_PRECISION;

/// `DECIMAL(76, 0)`, the SQL type of raw token amounts.
pub const RAW_AMOUNT_TYPE: DataType = DataType::Decimal256(DECIMAL_PRECISION, 0);

/// The `uint256` function.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Uint256 {
    signature: Signature,
}

impl Default for Uint256 {
    fn default() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

/// Type check shared by the amount functions: a clear error for floats and others.
pub fn check_amount_arg(fname: &str, t: &DataType) -> Result<DataType> {
    let t = undictionary(t);
    if matches!(t, DataType::Float16 | DataType::Float32 | DataType::Float64) {
        return plan_err!(
            "{fname}: {t} amounts are inexact and are not accepted; use the exporter's \
             decimal string or binary value column (e.g. cryo's value_string / value_binary)"
        );
    }
    if !is_amount_type(&t) {
        return plan_err!(
            "{fname}: cannot take a value of type {t}: expected a decimal or 0x-hex string, \
             big-endian binary, an integer, or an integral DECIMAL"
        );
    }
    Ok(t)
}

impl ScalarUDFImpl for Uint256 {
    fn name(&self) -> &str {
        "uint256"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(RAW_AMOUNT_TYPE)
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types {
            [t] => Ok(vec![check_amount_arg(self.name(), t)?]),
            _ => plan_err!("uint256 takes 1 argument, got {}", arg_types.len()),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, all_scalar) = to_arrays(&args.args, args.number_rows)?;
        let mut b = Decimal256Builder::with_capacity(arrays[0].len())
            .with_precision_and_scale(DECIMAL_PRECISION, 0)?;
        visit_amounts(&arrays[0], |v| {
            match v.map(|r| r.and_then(|u| u.to_decimal())) {
                Some(Ok(d)) => b.append_value(d),
                _ => b.append_null(),
            }
        })?;
        let array: ArrayRef = Arc::new(b.finish());
        finish(array, all_scalar)
    }
}

/// The `uint256` UDF.
pub fn udf() -> ScalarUDF {
    ScalarUDF::new_from_impl(Uint256::default())
}
