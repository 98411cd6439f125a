//! Published column types that DuckDB, Spark, pandas/pyarrow and DataFusion all read
//! exactly (docs/job.md#published-types).
//!
//! - Token amounts are computed as `DECIMAL(76, s)` (every uint256 fits) but published as
//!   `DECIMAL(38, s)`: DuckDB reads wider decimals as DOUBLE and Spark stops at 38 digits.
//!   A value that does not fit is NULL there, and its exact text is in the column
//!   `<name>_overflow` that follows it (NULL whenever `<name>` holds the value), so no
//!   amount is ever rounded or dropped without a trace.
//! - Strings are published as plain UTF-8 (`Utf8`), not Arrow's view or large variants,
//!   which older pyarrow and Spark do not know.

use datafusion::arrow::datatypes::DataType;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{cast, try_cast, when, Expr};
use datafusion::prelude::{ident, DataFrame};

/// The widest decimal every reader takes exactly.
pub const MAX_PRECISION: u8 = 38;

/// The suffix of the text column that holds an amount too wide for `DECIMAL(38, s)`.
pub const OVERFLOW_SUFFIX: &str = "_overflow";

/// Projects `df` onto published types; columns that are already portable pass through.
pub fn portable(df: DataFrame) -> Result<DataFrame> {
    let mut exprs: Vec<Expr> = Vec::new();
    let mut changed = false;
    for field in df.schema().fields() {
        let name = field.name();
        let column = ident(name);
        match field.data_type() {
            DataType::Decimal256(_, scale) => {
                if *scale < 0 || *scale as u8 > MAX_PRECISION {
                    return Err(DataFusionError::Plan(format!(
                        "column {name}: scale {scale} cannot be published as DECIMAL({MAX_PRECISION}, s)"
                    )));
                }
                let narrow = try_cast(column.clone(), DataType::Decimal128(MAX_PRECISION, *scale));
                let overflow = when(
                    column.clone().is_not_null().and(narrow.clone().is_null()),
                    cast(column.clone(), DataType::Utf8),
                )
                .end()?;
                exprs.push(narrow.alias(name));
                exprs.push(overflow.alias(format!("{name}{OVERFLOW_SUFFIX}")));
                changed = true;
            }
            DataType::Utf8View | DataType::LargeUtf8 => {
                exprs.push(cast(column, DataType::Utf8).alias(name));
                changed = true;
            }
            _ => exprs.push(column),
        }
    }
    if changed {
        df.select(exprs)
    } else {
        Ok(df)
    }
}

/// Casts string columns that reached the batches as views or large strings to `Utf8`: a
/// plan's schema can say `Utf8` while a branch of a UNION still yields views, so the
/// projection of [`portable`] alone does not settle what is written.
pub fn strings_as_utf8(
    batches: Vec<datafusion::arrow::array::RecordBatch>,
) -> Result<Vec<datafusion::arrow::array::RecordBatch>> {
    use datafusion::arrow::datatypes::{Field, Schema};
    use std::sync::Arc;
    batches
        .into_iter()
        .map(|b| {
            let wide = |t: &DataType| matches!(t, DataType::Utf8View | DataType::LargeUtf8);
            if !b.schema().fields().iter().any(|f| wide(f.data_type())) {
                return Ok(b);
            }
            let mut fields = Vec::with_capacity(b.num_columns());
            let mut columns = Vec::with_capacity(b.num_columns());
            for (f, c) in b.schema().fields().iter().zip(b.columns()) {
                if wide(f.data_type()) {
                    columns.push(datafusion::arrow::compute::cast(c, &DataType::Utf8)?);
                    fields.push(Field::new(f.name(), DataType::Utf8, f.is_nullable()));
                } else {
                    columns.push(Arc::clone(c));
                    fields.push(f.as_ref().clone());
                }
            }
            let schema = Arc::new(Schema::new_with_metadata(
                fields,
                b.schema().metadata().clone(),
            ));
            Ok(datafusion::arrow::array::RecordBatch::try_new(
                schema, columns,
            )?)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Array, AsArray, RecordBatch};
    use datafusion::prelude::SessionContext;

    async fn published(sql: &str) -> Vec<RecordBatch> {
        let ctx = SessionContext::new();
        let df = ctx.sql(sql).await.expect("plan");
        portable(df)
            .expect("portable")
            .collect()
            .await
            .expect("run")
    }

    fn cells(batches: &[RecordBatch]) -> Vec<Vec<String>> {
        let mut rows = Vec::new();
        for b in batches {
            let text: Vec<_> = b
                .columns()
                .iter()
                .map(|c| {
                    datafusion::arrow::compute::cast(c, &DataType::Utf8).expect("cast to text")
                })
                .collect();
            for i in 0..b.num_rows() {
                rows.push(
                    text.iter()
                        .map(|c| {
                            let s = c.as_string::<i32>();
                            if s.is_null(i) {
                                "NULL".to_string()
                            } else {
                                s.value(i).to_string()
                            }
                        })
                        .collect(),
                );
            }
        }
        rows
    }

    #[tokio::test]
    async fn amounts_narrow_to_38_digits_and_keep_the_rest_as_exact_text() {
        // 10^20 - 10^-18 is the largest DECIMAL(38, 18); 10^20 and 1.5 * 10^20 are not
        // (1.5 * 10^38 still fits an i128, so only a precision check catches it).
        let batches = published(
            "SELECT CAST(v AS VARCHAR) AS label, CAST(v AS DECIMAL(76, 18)) AS amount FROM (VALUES \
             ('1.5'), ('99999999999999999999.999999999999999999'), ('100000000000000000000'), \
             ('150000000000000000000'), ('-150000000000000000000'), (NULL)) AS t(v)",
        )
        .await;
        let schema = batches[0].schema();
        assert_eq!(schema.field(0).data_type(), &DataType::Utf8);
        assert_eq!(
            schema.field(1).data_type(),
            &DataType::Decimal128(MAX_PRECISION, 18)
        );
        assert_eq!(schema.field(2).name(), "amount_overflow");
        assert_eq!(schema.field(2).data_type(), &DataType::Utf8);
        let rows: Vec<Vec<String>> = cells(&batches)
            .into_iter()
            .map(|r| r[1..].to_vec())
            .collect();
        assert_eq!(
            rows,
            vec![
                vec!["1.500000000000000000".to_string(), "NULL".into()],
                vec![
                    "99999999999999999999.999999999999999999".into(),
                    "NULL".into()
                ],
                vec![
                    "NULL".into(),
                    "100000000000000000000.000000000000000000".into()
                ],
                vec![
                    "NULL".into(),
                    "150000000000000000000.000000000000000000".into()
                ],
                vec![
                    "NULL".into(),
                    "-150000000000000000000.000000000000000000".into()
                ],
                vec!["NULL".into(), "NULL".into()],
            ]
        );
    }

    #[tokio::test]
    async fn portable_columns_pass_through_unchanged() {
        let batches = published(
            "SELECT CAST(1 AS BIGINT) AS n, CAST(2.5 AS DECIMAL(38, 6)) AS usd, DATE '2025-03-01' AS month",
        )
        .await;
        let schema = batches[0].schema();
        let types: Vec<_> = schema
            .fields()
            .iter()
            .map(|f| f.data_type().clone())
            .collect();
        assert_eq!(
            types,
            vec![
                DataType::Int64,
                DataType::Decimal128(38, 6),
                DataType::Date32
            ]
        );
        assert_eq!(cells(&batches), vec![vec!["1", "2.500000", "2025-03-01"]]);
    }
}
