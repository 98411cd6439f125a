//! chainstat's SQL functions: address normalisation and validation per chain, exact
//! uint256 amounts, token unit conversion and row keys: SQL adapters over the codecs in
//! `chainstat-chain`. One file per function, named after it.
//!
//! Register them all with [`register_all`]; the same list is what Ballista schedulers
//! and executors load (see `chainstat-engine`), so a query plans and runs identically
//! embedded or distributed.

#![cfg_attr(test, allow(unused_crate_dependencies))]

mod amount;
mod kernel;

pub mod addr_norm;
pub mod address_error;
pub mod btc_address_type;
pub mod docs;
pub mod event_topic;
pub mod evm_address;
pub mod evm_checksum;
pub mod hash_norm;
pub mod hex_norm;
pub mod is_valid_address;
pub mod key_hash;
pub mod log_word;
pub mod token_amount;
pub mod tron_from_hex;
pub mod tron_to_hex;
pub mod uint256;
pub mod uint256_error;
pub mod uint256_to_hex;
pub mod word_address;

use std::sync::Arc;

use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::ScalarUDF;

/// Every chainstat scalar function.
pub fn scalar_functions() -> Vec<Arc<ScalarUDF>> {
    [
        addr_norm::udf(),
        address_error::udf(),
        btc_address_type::udf(),
        event_topic::udf(),
        evm_address::udf(),
        evm_checksum::udf(),
        hash_norm::udf(),
        hex_norm::udf(),
        is_valid_address::udf(),
        key_hash::udf(),
        log_word::udf(),
        token_amount::udf(),
        tron_from_hex::udf(),
        tron_to_hex::udf(),
        uint256::udf(),
        uint256_error::udf(),
        uint256_to_hex::udf(),
        word_address::udf(),
    ]
    .into_iter()
    .map(Arc::new)
    .collect()
}

/// Registers every chainstat function in `registry` (a `SessionContext`, a
/// `SessionState`, or Ballista's function registry), keeping what is already there.
pub fn register_all(registry: &mut dyn FunctionRegistry) -> datafusion::common::Result<()> {
    for f in scalar_functions() {
        registry.register_udf(f)?;
    }
    Ok(())
}
