//! `token_amount(raw, decimals [, scale])`: a raw uint256 amount in token units, exactly,
//! as `DECIMAL(76, s)`.
//!
//! The result scale is the constant `scale` argument, else 18 — fixed at planning time
//! whatever `decimals` is, so a plan's schema never depends on constant folding. Rows
//! are shifted exactly; when a value needs more digits than `DECIMAL(76, scale)` has,
//! or its decimals exceed the scale and digits would be lost, the result is NULL (the
//! raw amount stays exact in `amount_raw`) — a silently rounded amount is worse than
//! none. NULL or invalid raw gives NULL; decimals outside 0..=76 are an error.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Decimal256Builder};
use arrow::datatypes::{i256, DataType, Field, FieldRef, Int64Type};
use datafusion::common::{exec_err, internal_err, plan_err, Result, ScalarValue};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};

use crate::amount::visit_amounts;
use crate::kernel::{finish, to_arrays, undictionary};
use crate::uint256::check_amount_arg;
use chainstat_chain::uint256::DECIMAL_PRECISION;

/// Output scale when decimals vary per row and no `scale` is given.
pub const DEFAULT_SCALE: i8 = 18;

/// The `token_amount` function.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct TokenAmount {
    signature: Signature,
}

fn literal_int(v: Option<&ScalarValue>) -> Option<i64> {
    let v = v?;
    if v.is_null() {
        return None;
    }
    v.cast_to(&DataType::Int64).ok().and_then(|c| match c {
        ScalarValue::Int64(x) => x,
        _ => None,
    })
}

fn check_scale(what: &str, v: i64) -> Result<i8> {
    if (0..=DECIMAL_PRECISION as i64).contains(&v) {
        Ok(v as i8)
    } else {
        plan_err!("token_amount: {what} must be between 0 and {DECIMAL_PRECISION}, got {v}")
    }
}

fn pow10(n: u32) -> i256 {
    i256::from_i128(10).wrapping_pow(n)
}

impl ScalarUDFImpl for TokenAmount {
    fn name(&self) -> &str {
        "token_amount"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        internal_err!("token_amount: return_field_from_args should be used")
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let scale = match args.scalar_arguments {
            [_, _] => DEFAULT_SCALE,
            [_, _, s] => match literal_int(*s) {
                Some(s) => check_scale("scale", s)?,
                None => return plan_err!("token_amount: scale must be a constant integer"),
            },
            _ => return plan_err!("token_amount takes 2 or 3 arguments"),
        };
        Ok(Arc::new(Field::new(
            self.name(),
            DataType::Decimal256(DECIMAL_PRECISION, scale),
            true,
        )))
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        if !(2..=3).contains(&arg_types.len()) {
            return plan_err!(
                "token_amount takes 2 or 3 arguments (raw, decimals [, scale]), got {}",
                arg_types.len()
            );
        }
        let mut out = vec![check_amount_arg(self.name(), &arg_types[0])?];
        for (i, t) in arg_types.iter().enumerate().skip(1) {
            let t = undictionary(t);
            if !(t.is_integer() || t == DataType::Null) {
                let what = if i == 1 { "decimals" } else { "scale" };
                return plan_err!("token_amount: {what} must be an integer, got {t}");
            }
            out.push(DataType::Int64);
        }
        Ok(out)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let DataType::Decimal256(_, scale) = args.return_field.data_type().clone() else {
            return internal_err!("token_amount: unexpected return type");
        };
        let (arrays, all_scalar) = to_arrays(&args.args, args.number_rows)?;
        let n = arrays[0].len();
        let decimals = arrays[1].as_primitive::<Int64Type>();
        let mut raws = Vec::with_capacity(n);
        visit_amounts(&arrays[0], |v| raws.push(v))?;
        let limit = pow10(DECIMAL_PRECISION as u32);
        let mut b = Decimal256Builder::with_capacity(n)
            .with_precision_and_scale(DECIMAL_PRECISION, scale)?;
        for (i, raw) in raws.into_iter().enumerate() {
            if decimals.is_null(i) {
                b.append_null();
                continue;
            }
            let d = decimals.value(i);
            if !(0..=DECIMAL_PRECISION as i64).contains(&d) {
                return exec_err!("token_amount: decimals must be between 0 and 76, got {d}");
            }
            let Some(Ok(v)) = raw.map(|r| r.and_then(|u| u.to_decimal())) else {
                b.append_null();
                continue;
            };
            let shift = scale as i64 - d;
            let unscaled = if shift >= 0 {
                v.checked_mul(pow10(shift as u32)).filter(|x| *x < limit)
            } else {
                let div = pow10((-shift) as u32);
                (v.checked_rem(div) == Some(i256::ZERO))
                    .then(|| v.checked_div(div))
                    .flatten()
            };
            match unscaled {
                Some(x) => b.append_value(x),
                None => b.append_null(),
            }
        }
        let array: ArrayRef = Arc::new(b.finish());
        finish(array, all_scalar)
    }
}

/// The `token_amount` UDF.
pub fn udf() -> ScalarUDF {
    ScalarUDF::new_from_impl(TokenAmount {
        signature: Signature::user_defined(Volatility::Immutable),
    })
}
