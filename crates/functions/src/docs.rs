//! What each chainstat function takes, returns and does: printed by `chainstat functions`
//! and the prompt's `\df`, and rendered into docs/functions.md (`chainstat functions
//! --markdown`), so the three never disagree.

/// One function's documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FunctionDoc {
    /// SQL name.
    pub name: &'static str,
    /// How it is called.
    pub signature: &'static str,
    /// The SQL type it returns.
    pub returns: &'static str,
    /// One line: what it gives.
    pub summary: &'static str,
    /// More for the docs page (may be empty).
    pub details: &'static str,
}

/// Every chainstat function, by name.
pub const FUNCTIONS: &[FunctionDoc] = &[
    FunctionDoc {
        name: "addr_norm",
        signature: "addr_norm(chain, address)",
        returns: "VARCHAR",
        summary: "canonical text form of an address of `chain`; NULL if invalid",
        details: "EVM lowercase hex; TRON base58check from base58 or hex; Bitcoin base58 as is, bech32 lowercase",
    },
    FunctionDoc {
        name: "address_error",
        signature: "address_error(chain, address)",
        returns: "VARCHAR",
        summary: "why an address is invalid: `empty`, `bad length`, `bad characters`, `bad checksum`, `bad prefix`; NULL if valid",
        details: "",
    },
    FunctionDoc {
        name: "btc_address_type",
        signature: "btc_address_type(address)",
        returns: "VARCHAR",
        summary: "`p2pkh`, `p2sh`, `p2wpkh`, `p2wsh`, `p2tr` or `witness_unknown`; NULL if invalid",
        details: "",
    },
    FunctionDoc {
        name: "event_topic",
        signature: "event_topic(signature)",
        returns: "VARCHAR",
        summary: "an event's topic0: keccak-256 of its canonical signature, `0x` + 64 hex; NULL if not a signature",
        details: "spaces ignored, `uint`/`int` spelled out; a parameter name (`address _user`) is refused rather than hashed into another event's topic",
    },
    FunctionDoc {
        name: "evm_address",
        signature: "evm_address(x)",
        returns: "VARCHAR",
        summary: "lowercase `0x…` address from text or 20/32 raw bytes",
        details: "",
    },
    FunctionDoc {
        name: "evm_checksum",
        signature: "evm_checksum(x)",
        returns: "VARCHAR",
        summary: "EIP-55 mixed-case form of an EVM address",
        details: "",
    },
    FunctionDoc {
        name: "hash_norm",
        signature: "hash_norm(chain, hash)",
        returns: "VARCHAR",
        summary: "canonical transaction or block hash text from hex or 32 bytes",
        details: "",
    },
    FunctionDoc {
        name: "hex_norm",
        signature: "hex_norm(x)",
        returns: "VARCHAR",
        summary: "`0x` + lowercase hex of bytes of any length, from hex text or binary; NULL if not hex",
        details: "how the `logs` view writes topics and data",
    },
    FunctionDoc {
        name: "is_valid_address",
        signature: "is_valid_address(chain, address)",
        returns: "BOOLEAN",
        summary: "whether the address is valid for `chain`, checksums verified",
        details: "EIP-55 when mixed case, base58check, bech32/bech32m",
    },
    FunctionDoc {
        name: "key_hash",
        signature: "key_hash(a, b, …)",
        returns: "BIGINT",
        summary: "the row key, scheme `xxh64-v1`: the same in every process, build and CPU",
        details: "XXH64 (seed 0) over a defined encoding of each value (NULL `0x00`; string `0x01` + u64 LE length + bytes; binary `0x02` + length + bytes; integer of any width `0x03` + i128 LE; boolean `0x04` + 0/1); golden values in `tests/slt/functions/key_hash.slt`, spec in `crates/chain/src/key.rs`. Used to find repeated keys cheaply and to split rows into passes: equal keys suggest, not prove, equal values. A type without an encoding (e.g. DOUBLE) is a planning error",
    },
    FunctionDoc {
        name: "log_word",
        signature: "log_word(data, n)",
        returns: "VARCHAR",
        summary: "the n-th (0-based) 32-byte word of a log's data, `0x` + 64 hex; NULL if `data` has fewer whole words",
        details: "feed it to `word_address` or `uint256`",
    },
    FunctionDoc {
        name: "token_amount",
        signature: "token_amount(raw, decimals [, scale])",
        returns: "DECIMAL(76, scale)",
        summary: "exact token units (default scale 18); NULL when not representable exactly",
        details: "",
    },
    FunctionDoc {
        name: "tron_from_hex",
        signature: "tron_from_hex(x)",
        returns: "VARCHAR",
        summary: "base58check `T…` TRON address from `41…` hex, 20-byte `0x…` (as in TRON event logs) or bytes",
        details: "",
    },
    FunctionDoc {
        name: "tron_to_hex",
        signature: "tron_to_hex(x)",
        returns: "VARCHAR",
        summary: "`41…` hex TRON address from base58check `T…` (checksum verified), hex or bytes",
        details: "",
    },
    FunctionDoc {
        name: "uint256",
        signature: "uint256(x)",
        returns: "DECIMAL(76, 0)",
        summary: "exact uint256 amount from decimal or `0x` hex text, 32-byte big-endian binary, integers or integral decimals; NULL if invalid",
        details: "",
    },
    FunctionDoc {
        name: "uint256_error",
        signature: "uint256_error(x)",
        returns: "VARCHAR",
        summary: "why `x` is not a usable uint256; NULL if it is",
        details: "",
    },
    FunctionDoc {
        name: "uint256_to_hex",
        signature: "uint256_to_hex(x)",
        returns: "VARCHAR",
        summary: "minimal `0x` hex of an amount",
        details: "",
    },
    FunctionDoc {
        name: "word_address",
        signature: "word_address(chain, word)",
        returns: "VARCHAR",
        summary: "the address in a 32-byte log word (an indexed topic or a data word) in `chain`'s canonical form; NULL if the word is not a padded address",
        details: "EVM `0x…` lowercase, TRON base58check `T…`; the word's first 12 bytes must be zero",
    },
];

/// The documentation of `name`, if it is a chainstat function.
pub fn of(name: &str) -> Option<&'static FunctionDoc> {
    FUNCTIONS.iter().find(|f| f.name == name)
}

/// The Markdown table docs/functions.md holds.
pub fn markdown_table() -> String {
    let mut out = String::from("| function | returns | what it gives |\n|---|---|---|\n");
    for f in FUNCTIONS {
        let what = if f.details.is_empty() {
            f.summary.to_string()
        } else {
            format!("{} ({})", f.summary, f.details)
        };
        out.push_str(&format!(
            "| `{}` | {} | {} |\n",
            f.signature, f.returns, what
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_registered_function_is_documented_once_in_name_order() {
        let registered: Vec<String> = crate::scalar_functions()
            .iter()
            .map(|f| f.name().to_string())
            .collect();
        let documented: Vec<String> = FUNCTIONS.iter().map(|f| f.name.to_string()).collect();
        assert_eq!(registered, documented);
        for f in FUNCTIONS {
            assert!(f.signature.starts_with(&format!("{}(", f.name)), "{f:?}");
        }
    }
}
