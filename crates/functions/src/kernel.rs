//! Shared plumbing for chainstat's scalar functions: reading string / binary Arrow
//! arrays of any flavour (Utf8, LargeUtf8, Utf8View, Binary…), type checking with
//! errors that name the function, and a generic UDF for "one chain value in, one value
//! out" functions so each SQL function file only holds its per-row rule.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BooleanBuilder, StringBuilder};
use arrow::datatypes::DataType;
use datafusion::common::{exec_err, plan_err, Result, ScalarValue};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use chainstat_chain::ChainFamily;

/// One input value: text, or raw bytes as cryo and other binary exporters write them.
#[derive(Debug, Clone, Copy)]
pub enum Value<'a> {
    /// A string cell.
    Text(&'a str),
    /// A binary cell.
    Bytes(&'a [u8]),
}

/// True for the string and binary types functions accept for addresses and hashes.
pub fn is_text_or_binary(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Utf8
            | DataType::LargeUtf8
            | DataType::Utf8View
            | DataType::Binary
            | DataType::LargeBinary
            | DataType::BinaryView
            | DataType::FixedSizeBinary(_)
            | DataType::Null
    )
}

/// True for the string types.
pub fn is_text(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Null
    )
}

/// Unwraps dictionary-encoded arguments to their value type (DataFusion casts for us).
pub fn undictionary(t: &DataType) -> DataType {
    match t {
        DataType::Dictionary(_, v) => v.as_ref().clone(),
        other => other.clone(),
    }
}

/// Calls `f` for every row of `array` with its value (or `None` for NULL).
pub fn visit(array: &ArrayRef, mut f: impl FnMut(Option<Value<'_>>)) -> Result<()> {
    match array.data_type() {
        DataType::Utf8 => array
            .as_string::<i32>()
            .iter()
            .for_each(|v| f(v.map(Value::Text))),
        DataType::LargeUtf8 => array
            .as_string::<i64>()
            .iter()
            .for_each(|v| f(v.map(Value::Text))),
        DataType::Utf8View => array
            .as_string_view()
            .iter()
            .for_each(|v| f(v.map(Value::Text))),
        DataType::Binary => array
            .as_binary::<i32>()
            .iter()
            .for_each(|v| f(v.map(Value::Bytes))),
        DataType::LargeBinary => array
            .as_binary::<i64>()
            .iter()
            .for_each(|v| f(v.map(Value::Bytes))),
        DataType::BinaryView => array
            .as_binary_view()
            .iter()
            .for_each(|v| f(v.map(Value::Bytes))),
        DataType::FixedSizeBinary(_) => array
            .as_fixed_size_binary()
            .iter()
            .for_each(|v| f(v.map(Value::Bytes))),
        DataType::Null => (0..array.len()).for_each(|_| f(None)),
        other => return exec_err!("expected a string or binary column, got {other}"),
    }
    Ok(())
}

/// Evaluates all arguments as arrays of `n` rows; also says whether every argument was
/// a scalar, in which case the caller returns a scalar too.
pub fn to_arrays(args: &[ColumnarValue], n: usize) -> Result<(Vec<ArrayRef>, bool)> {
    let all_scalar = args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_)));
    let rows = if all_scalar { 1 } else { n };
    let arrays = args
        .iter()
        .map(|a| a.to_array(rows))
        .collect::<Result<Vec<_>>>()?;
    Ok((arrays, all_scalar))
}

/// Wraps a computed array back into a `ColumnarValue`, as a scalar when inputs were.
pub fn finish(array: ArrayRef, all_scalar: bool) -> Result<ColumnarValue> {
    if all_scalar {
        Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(
            &array, 0,
        )?))
    } else {
        Ok(ColumnarValue::Array(array))
    }
}

/// Resolves the chain argument per row, parsing each distinct name once.
pub struct ChainResolver {
    last: Option<(String, ChainFamily)>,
}

impl ChainResolver {
    /// A resolver with an empty cache.
    pub fn new() -> Self {
        Self { last: None }
    }

    /// The family for `name`, or an execution error naming the known chains.
    pub fn resolve(&mut self, fname: &str, name: &str) -> Result<ChainFamily> {
        if let Some((n, fam)) = &self.last {
            if n == name {
                return Ok(*fam);
            }
        }
        match name.parse::<ChainFamily>() {
            Ok(fam) => {
                self.last = Some((name.to_string(), fam));
                Ok(fam)
            }
            Err(e) => exec_err!("{fname}: {e}"),
        }
    }
}

impl Default for ChainResolver {
    fn default() -> Self {
        Self::new()
    }
}

/// What one row of a [`ValueFunction`] produced.
pub enum Out {
    /// A text result.
    Text(String),
    /// The input text unchanged (already canonical: no allocation, no re-encoding —
    /// the common case for exporters that write lowercase hex).
    Same,
    /// A boolean result.
    Bool(bool),
    /// SQL NULL.
    Null,
}

/// Per-row rule of a [`ValueFunction`]: the chain (when the function takes one) and the value.
pub type RowFn = for<'a> fn(Option<ChainFamily>, Value<'a>) -> Out;

/// A scalar function `f([chain,] value)` whose result depends only on that row's value:
/// the shape of every address / hash function. NULL in gives NULL out.
pub struct ValueFunction {
    name: &'static str,
    signature: Signature,
    takes_chain: bool,
    accepts_binary: bool,
    output: DataType,
    row: RowFn,
}

impl ValueFunction {
    /// Builds the UDF. `output` must be `Utf8` or `Boolean`.
    pub fn udf(
        name: &'static str,
        takes_chain: bool,
        accepts_binary: bool,
        output: DataType,
        row: RowFn,
    ) -> ScalarUDF {
        ScalarUDF::new_from_impl(Self {
            name,
            signature: Signature::user_defined(Volatility::Immutable),
            takes_chain,
            accepts_binary,
            output,
            row,
        })
    }

    fn expected(&self) -> String {
        let v = if self.accepts_binary {
            "a string or binary value"
        } else {
            "a string value"
        };
        if self.takes_chain {
            format!("{}(chain STRING, {v})", self.name)
        } else {
            format!("{}({v})", self.name)
        }
    }
}

impl fmt::Debug for ValueFunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ValueFunction")
            .field("name", &self.name)
            .finish()
    }
}

impl PartialEq for ValueFunction {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for ValueFunction {}

impl Hash for ValueFunction {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl ScalarUDFImpl for ValueFunction {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(self.output.clone())
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let want = if self.takes_chain { 2 } else { 1 };
        if arg_types.len() != want {
            return plan_err!(
                "{} takes {want} argument(s), got {}: expected {}",
                self.name,
                arg_types.len(),
                self.expected()
            );
        }
        let types: Vec<DataType> = arg_types.iter().map(undictionary).collect();
        if self.takes_chain && !is_text(&types[0]) {
            return plan_err!(
                "{}: the chain argument must be a string, got {}: expected {}",
                self.name,
                types[0],
                self.expected()
            );
        }
        let value = &types[want - 1];
        let ok = if self.accepts_binary {
            is_text_or_binary(value)
        } else {
            is_text(value)
        };
        if !ok {
            return plan_err!(
                "{}: cannot take a value of type {value}: expected {}",
                self.name,
                self.expected()
            );
        }
        Ok(types)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, all_scalar) = to_arrays(&args.args, args.number_rows)?;
        let rows = arrays.first().map(|a| a.len()).unwrap_or(0);
        let chains = if self.takes_chain {
            Chains::resolve(self.name, &args.args[0], &arrays[0])?
        } else {
            Chains::Same(None)
        };
        let values = &arrays[arrays.len() - 1];
        let mut i = 0;
        let array: ArrayRef = match self.output {
            DataType::Boolean => {
                let mut b = BooleanBuilder::with_capacity(rows);
                visit(values, |v| {
                    match self.row_out(&chains, i, v) {
                        Out::Bool(x) => b.append_value(x),
                        _ => b.append_null(),
                    }
                    i += 1;
                })?;
                Arc::new(b.finish())
            }
            _ => {
                let mut b = StringBuilder::with_capacity(rows, rows * 42);
                visit(values, |v| {
                    match (self.row_out(&chains, i, v), v) {
                        (Out::Text(s), _) => b.append_value(s),
                        (Out::Same, Some(Value::Text(s))) => b.append_value(s),
                        _ => b.append_null(),
                    }
                    i += 1;
                })?;
                Arc::new(b.finish())
            }
        };
        finish(array, all_scalar)
    }
}

/// The chain family of every row: one for all rows when the chain argument is a
/// literal (the usual `addr_norm('ethereum', col)`: resolved once, not per row).
enum Chains {
    Same(Option<ChainFamily>),
    PerRow(Vec<Option<ChainFamily>>),
}

impl Chains {
    fn resolve(fname: &str, arg: &ColumnarValue, array: &ArrayRef) -> Result<Chains> {
        let mut resolver = ChainResolver::new();
        if let ColumnarValue::Scalar(s) = arg {
            match s.try_as_str() {
                Some(Some(name)) => return Ok(Chains::Same(Some(resolver.resolve(fname, name)?))),
                Some(None) => return Ok(Chains::Same(None)),
                // an untyped NULL literal: every row's chain is unknown
                None if s.is_null() => return Ok(Chains::Same(None)),
                // other scalar encodings (e.g. dictionary): read them row by row below
                None => {}
            }
        }
        let mut chains = Vec::with_capacity(array.len());
        let mut error = None;
        visit(array, |v| {
            chains.push(match v {
                Some(Value::Text(name)) => match resolver.resolve(fname, name) {
                    Ok(f) => Some(f),
                    Err(e) => {
                        error = Some(e);
                        None
                    }
                },
                _ => None,
            })
        })?;
        match error {
            Some(e) => Err(e),
            None => Ok(Chains::PerRow(chains)),
        }
    }

    fn get(&self, i: usize) -> Option<ChainFamily> {
        match self {
            Chains::Same(c) => *c,
            Chains::PerRow(v) => v.get(i).copied().flatten(),
        }
    }
}

impl ValueFunction {
    fn row_out(&self, chains: &Chains, i: usize, v: Option<Value<'_>>) -> Out {
        let Some(v) = v else { return Out::Null };
        if self.takes_chain {
            match chains.get(i) {
                Some(c) => (self.row)(Some(c), v),
                // NULL chain: the answer is unknown.
                None => Out::Null,
            }
        } else {
            (self.row)(None, v)
        }
    }
}
