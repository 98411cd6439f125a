//! Guards on user SQL (`chainstat sql`), checked before a statement runs.
//!
//! - **Read-only unless asked:** `COPY … TO`, `INSERT`/`UPDATE`/`DELETE` and
//!   `CREATE EXTERNAL TABLE` write or register files — on a cluster, on the executors'
//!   hosts — and `SET datafusion.runtime.*` would replace the memory pool that
//!   `--memory-limit` set. They are refused unless writes are allowed. In-memory `CREATE
//!   VIEW` / `CREATE TABLE AS` stay allowed: they write nothing.
//! - **Expression depth:** a long chain such as `1+1+…` is planned by recursive code
//!   DataFusion does not protect and in time quadratic in its length; past a depth it is
//!   refused with an error instead of overflowing the stack.
//! - **Joins without an equality condition:** the memory pool bounds only their build
//!   side, and their output grows with the product of the inputs. One whose output
//!   cannot be shown to stay small (one side known to be small, or both sides known and
//!   their product under the bound) is refused unless a `LIMIT` sits right above it.

use std::ops::ControlFlow;
use std::sync::Arc;

use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::logical_expr::{DdlStatement, LogicalPlan, Statement};
use datafusion::physical_plan::joins::{CrossJoinExec, NestedLoopJoinExec};
use datafusion::physical_plan::limit::{GlobalLimitExec, LocalLimitExec};
use datafusion::physical_plan::{ExecutionPlan, StatisticsArgs, StatisticsContext};
use datafusion::prelude::{DataFrame, SessionContext};
use datafusion::sql::sqlparser::ast::{Expr, Visit, Visitor};

use crate::error::{EngineError, Result};

/// What a user statement may do.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Allow statements that write or register files, or change the runtime.
    pub allow_writes: bool,
    /// Deepest expression nesting accepted.
    pub max_depth: usize,
    /// Largest output (rows) a join without an equality condition may be shown to have.
    pub max_cartesian_rows: u64,
    /// A side of at most this many rows (by statistics) makes such a join linear in the
    /// other side, which streams: allowed whatever the other side's size.
    pub small_side_rows: u64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            allow_writes: false,
            max_depth: 1000,
            max_cartesian_rows: 100_000_000,
            small_side_rows: 10_000,
        }
    }
}

/// Plans `sql` under `policy`: parse, check depth, plan, check writes, then check the
/// physical plan's joins. DDL takes effect here (as with `SessionContext::sql`), so every
/// check happens before it.
pub async fn plan(ctx: &SessionContext, sql: &str, policy: &Policy) -> Result<DataFrame> {
    let state = ctx.state();
    let dialect = state.config().options().sql_parser.dialect;
    let statement = state.sql_to_statement(sql, &dialect)?;
    check_depth(&statement, policy.max_depth)?;
    let plan = state.statement_to_plan(statement).await?;
    if !policy.allow_writes {
        check_read_only(&plan)?;
    }
    let df = ctx.execute_logical_plan(plan).await?;
    if matches!(
        df.logical_plan(),
        LogicalPlan::Ddl(_) | LogicalPlan::Statement(_)
    ) {
        return Ok(df);
    }
    let physical = df.clone().create_physical_plan().await?;
    check_joins(&physical, policy, false)?;
    Ok(df)
}

struct Depth {
    now: usize,
    max: usize,
}

impl Visitor for Depth {
    type Break = usize;

    fn pre_visit_expr(&mut self, _: &Expr) -> ControlFlow<usize> {
        self.now += 1;
        if self.now > self.max {
            return ControlFlow::Break(self.now);
        }
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, _: &Expr) -> ControlFlow<usize> {
        self.now -= 1;
        ControlFlow::Continue(())
    }
}

fn check_depth(statement: &datafusion::sql::parser::Statement, max: usize) -> Result<()> {
    use datafusion::sql::parser::{CopyToSource, Statement as S};
    let mut v = Depth { now: 0, max };
    let flow = match statement {
        S::Statement(s) => s.visit(&mut v),
        S::CopyTo(c) => match &c.source {
            CopyToSource::Query(q) => q.visit(&mut v),
            CopyToSource::Relation(_) => ControlFlow::Continue(()),
        },
        S::Explain(e) => return check_depth(&e.statement, max),
        S::CreateExternalTable(_) | S::Reset(_) => ControlFlow::Continue(()),
    };
    match flow {
        ControlFlow::Break(_) => Err(EngineError::Refused(format!(
            "an expression is nested more than {max} deep (e.g. a chain of {max}+ \
             operators): split it, or use IN (…) or a join with VALUES instead"
        ))),
        ControlFlow::Continue(()) => Ok(()),
    }
}

fn check_read_only(plan: &LogicalPlan) -> Result<()> {
    let mut refused = None;
    plan.apply_with_subqueries(|node| {
        refused = match node {
            LogicalPlan::Copy(_) => Some("COPY writes files".to_string()),
            LogicalPlan::Dml(d) => Some(format!("{} writes to table {}", d.op, d.table_name)),
            LogicalPlan::Ddl(DdlStatement::CreateExternalTable(t)) => Some(format!(
                "CREATE EXTERNAL TABLE {} registers files at {}",
                t.name,
                t.locations.join(", ")
            )),
            LogicalPlan::Statement(Statement::SetVariable(s))
                if s.variable.starts_with("datafusion.runtime.") =>
            {
                Some(format!(
                    "SET {} changes the session's memory or disk limits",
                    s.variable
                ))
            }
            LogicalPlan::Statement(Statement::ResetVariable(s))
                if s.variable.starts_with("datafusion.runtime.") =>
            {
                Some(format!(
                    "RESET {} changes the session's memory or disk limits",
                    s.variable
                ))
            }
            _ => None,
        };
        Ok(match refused {
            Some(_) => TreeNodeRecursion::Stop,
            None => TreeNodeRecursion::Continue,
        })
    })?;
    match refused {
        Some(what) => Err(EngineError::Refused(format!(
            "{what}: chainstat sql is read-only unless --allow-writes is given (write a \
             result with -o)"
        ))),
        None => Ok(()),
    }
}

fn rows(plan: &Arc<dyn ExecutionPlan>, stats: &StatisticsContext) -> Option<u64> {
    let s = stats.compute(plan.as_ref(), &StatisticsArgs::new()).ok()?;
    s.num_rows.get_value().map(|n| *n as u64)
}

/// Refuses a join without an equality condition whose output may be large; `limited`
/// says a LIMIT above bounds what is read from it.
fn check_joins(plan: &Arc<dyn ExecutionPlan>, policy: &Policy, limited: bool) -> Result<()> {
    let limited = plan.is::<GlobalLimitExec>()
        || plan.is::<LocalLimitExec>()
        // Row-preserving operators pass a LIMIT's bound down; anything that reads its
        // whole input (filters, sorts, aggregates) does not.
        || (limited
            && matches!(
                plan.name(),
                "ProjectionExec" | "CoalescePartitionsExec" | "RepartitionExec" | "CoalesceBatchesExec"
            ));
    let sides = plan
        .downcast_ref::<CrossJoinExec>()
        .map(|j| (j.left(), j.right()))
        .or_else(|| {
            plan.downcast_ref::<NestedLoopJoinExec>()
                .map(|j| (j.left(), j.right()))
        });
    if let (Some((l, r)), false) = (sides, limited) {
        let stats = StatisticsContext::new();
        let (a, b) = (rows(l, &stats), rows(r, &stats));
        let small = |n: Option<u64>| n.is_some_and(|n| n <= policy.small_side_rows);
        let bounded = match (a, b) {
            _ if small(a) || small(b) => true,
            (Some(a), Some(b)) => a.saturating_mul(b) <= policy.max_cartesian_rows,
            _ => false,
        };
        if !bounded {
            let show = |n: Option<u64>| n.map_or("unknown".to_string(), |n| n.to_string());
            return Err(EngineError::Refused(format!(
                "{} pairs every row of one side (rows: {}) with every row of the other \
                 (rows: {}): without an equality condition its output is not bounded by the \
                 memory limit. Add a join key or a LIMIT, or filter one side to at most {} \
                 rows (such joins shown to stay under {} rows are allowed)",
                plan.name(),
                show(a),
                show(b),
                policy.small_side_rows,
                policy.max_cartesian_rows
            )));
        }
    }
    for c in plan.children() {
        check_joins(c, policy, limited)?;
    }
    Ok(())
}
