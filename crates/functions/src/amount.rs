//! Reading uint256 amounts from whatever column type an exporter used: decimal or hex
//! text, big-endian bytes, integers, or integral decimals (BigQuery `NUMERIC` satoshi
//! values arrive as `DECIMAL(38, 9)`). Floats are refused at planning time: an `f64`
//! amount has already lost digits, and chainstat never pretends otherwise.

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::{
    i256, DataType, Decimal128Type, Decimal256Type, Int16Type, Int32Type, Int64Type, Int8Type,
    UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use datafusion::common::{exec_err, Result};

use crate::kernel::{is_text_or_binary, visit, Value};
use chainstat_chain::uint256::{AmountError, U256};

/// One parsed row: NULL, or the value / why it is not a uint256.
pub type Amount = Option<std::result::Result<U256, AmountError>>;

/// True for every column type [`visit_amounts`] reads.
pub fn is_amount_type(t: &DataType) -> bool {
    is_text_or_binary(t)
        || t.is_integer()
        || matches!(t, DataType::Decimal128(_, _) | DataType::Decimal256(_, _))
}

fn from_i128(v: i128) -> std::result::Result<U256, AmountError> {
    if v < 0 {
        return Err(AmountError::Negative);
    }
    let u = v as u128;
    Ok(U256([u as u64, (u >> 64) as u64, 0, 0]))
}

fn from_i256_scaled(v: i256, scale: i8) -> std::result::Result<U256, AmountError> {
    if v.is_negative() {
        return Err(AmountError::Negative);
    }
    let ten = i256::from_i128(10);
    let integral = if scale > 0 {
        let div = ten
            .checked_pow(scale as u32)
            .ok_or(AmountError::NotNumeric)?;
        let rem = v.checked_rem(div).ok_or(AmountError::NotNumeric)?;
        if rem != i256::ZERO {
            // A fractional raw amount is not a count of base units.
            return Err(AmountError::NotNumeric);
        }
        v.checked_div(div).ok_or(AmountError::NotNumeric)?
    } else if scale < 0 {
        let mul = ten
            .checked_pow((-(scale as i32)) as u32)
            .ok_or(AmountError::Overflow)?;
        v.checked_mul(mul).ok_or(AmountError::Overflow)?
    } else {
        v
    };
    chainstat_chain::uint256::from_decimal(integral).ok_or(AmountError::Negative)
}

macro_rules! visit_prim {
    ($array:expr, $t:ty, $f:expr) => {
        $array
            .as_primitive::<$t>()
            .iter()
            .for_each(|v| $f(v.map(|x| from_i128(x as i128))))
    };
}

/// Calls `f` with every row of `array` parsed as a uint256.
pub fn visit_amounts(array: &ArrayRef, mut f: impl FnMut(Amount)) -> Result<()> {
    match array.data_type() {
        DataType::Int8 => visit_prim!(array, Int8Type, f),
        DataType::Int16 => visit_prim!(array, Int16Type, f),
        DataType::Int32 => visit_prim!(array, Int32Type, f),
        DataType::Int64 => visit_prim!(array, Int64Type, f),
        DataType::UInt8 => visit_prim!(array, UInt8Type, f),
        DataType::UInt16 => visit_prim!(array, UInt16Type, f),
        DataType::UInt32 => visit_prim!(array, UInt32Type, f),
        DataType::UInt64 => visit_prim!(array, UInt64Type, f),
        DataType::Decimal128(_, s) => {
            let s = *s;
            array
                .as_primitive::<Decimal128Type>()
                .iter()
                .for_each(|v| f(v.map(|x| from_i256_scaled(i256::from_i128(x), s))))
        }
        DataType::Decimal256(_, s) => {
            let s = *s;
            array
                .as_primitive::<Decimal256Type>()
                .iter()
                .for_each(|v| f(v.map(|x| from_i256_scaled(x, s))))
        }
        t if is_text_or_binary(t) => visit(array, |v| {
            f(v.map(|v| match v {
                Value::Text(s) => U256::parse(s),
                Value::Bytes(b) => U256::from_be_slice(b),
            }))
        })?,
        other => return exec_err!("expected an amount column, got {other}"),
    }
    Ok(())
}
