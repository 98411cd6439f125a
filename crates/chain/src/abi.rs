//! Event-log decoding on account chains: the 32-byte words of a log's topics and data
//! (Solidity's ABI encoding), and an event's `topic0`, the keccak-256 of its canonical
//! signature. EVM chains and TRON encode logs the same way; only the address text differs.

use tiny_keccak::{Hasher, Keccak};

use super::{hex, normalize_bytes, AddressError, ChainFamily};

/// Bytes from hex text: `0x` optional, either case, an even number of digits (`0x` alone
/// is empty). `None` otherwise.
pub fn parse_hex(s: &str) -> Option<Vec<u8>> {
    let h = hex::strip_0x(s.trim()).as_bytes();
    if !h.len().is_multiple_of(2) {
        return None;
    }
    let mut out = vec![0u8; h.len() / 2];
    hex::decode_into(h, &mut out).then_some(out)
}

/// `0x` + lowercase hex: how chainstat writes topics and data on every chain.
pub fn to_hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(2 + bytes.len() * 2);
    s.push_str("0x");
    s.push_str(&hex::encode(bytes));
    s
}

/// The `n`-th (0-based) 32-byte word of ABI-encoded `data`; `None` when `data` holds
/// fewer than `n + 1` whole words.
pub fn word(data: &[u8], n: usize) -> Option<&[u8]> {
    let start = n.checked_mul(32)?;
    data.get(start..start.checked_add(32)?)
}

/// The address in a 32-byte word (a topic or a data word): the last 20 bytes, when the
/// first 12 are zero as the ABI pads an `address`; 20 bytes (and TRON's 21 with its
/// `0x41` prefix) are taken as they are. In the chain's canonical text form.
pub fn word_address(family: ChainFamily, word: &[u8]) -> Result<String, AddressError> {
    let bytes = match word.len() {
        32 if word[..12].iter().all(|b| *b == 0) => &word[12..],
        32 => return Err(AddressError::BadPrefix),
        _ => word,
    };
    normalize_bytes(family, bytes)
}

/// Elementary type names Solidity lets a signature abbreviate, and their canonical form
/// (the one the keccak is taken of).
const ALIASES: &[(&str, &str)] = &[
    ("uint", "uint256"),
    ("int", "int256"),
    ("byte", "bytes1"),
    ("fixed", "fixed128x18"),
    ("ufixed", "ufixed128x18"),
];

/// The canonical form of an event signature: `Name(type,type,…)` without spaces and
/// with abbreviated types spelled out (`uint` → `uint256`). `None` when it is not a
/// signature: no name, unbalanced parentheses, an empty type, or a parameter name
/// (`address _user`), which would silently hash to another event.
pub fn canonical_signature(sig: &str) -> Option<String> {
    let s = sig.trim();
    let open = s.find('(')?;
    let name = s[..open].trim();
    let mut chars = name.chars();
    let first = chars.next()?;
    if !(first.is_ascii_alphabetic() || first == '_' || first == '$')
        || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
    {
        return None;
    }
    let params = s[open..].strip_prefix('(')?.strip_suffix(')')?;
    Some(format!("{name}({})", canonical_list(params)?))
}

/// A comma-separated list of types (empty for `()`), split at the top level only.
fn canonical_list(s: &str) -> Option<String> {
    if s.trim().is_empty() {
        return Some(String::new());
    }
    let (mut depth, mut start, mut out) = (0i32, 0usize, Vec::new());
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(canonical_type(&s[start..i])?);
                start = i + 1;
            }
            _ => {}
        }
        if depth < 0 {
            return None;
        }
    }
    if depth != 0 {
        return None;
    }
    out.push(canonical_type(&s[start..])?);
    Some(out.join(","))
}

/// One type: an elementary name or a tuple `(…)`, with optional array dimensions.
fn canonical_type(t: &str) -> Option<String> {
    let t = t.trim();
    let (base, dims) = if t.starts_with('(') {
        let mut depth = 0i32;
        let close = t.char_indices().find_map(|(i, c)| {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            (depth == 0).then_some(i)
        })?;
        (
            format!("({})", canonical_list(&t[1..close])?),
            &t[close + 1..],
        )
    } else {
        let end = t.find('[').unwrap_or(t.len());
        let base = &t[..end];
        if base.is_empty() || !base.chars().all(|c| c.is_ascii_alphanumeric()) {
            return None;
        }
        let base = ALIASES
            .iter()
            .find(|(a, _)| *a == base)
            .map_or(base, |(_, c)| c);
        (base.to_string(), &t[end..])
    };
    // `[]`, `[2]`, `[][3]` …: brackets around optional digits, nothing else.
    let mut rest = dims;
    while let Some(r) = rest.strip_prefix('[') {
        let close = r.find(']')?;
        if !r[..close].chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        rest = &r[close + 1..];
    }
    rest.is_empty().then(|| format!("{base}{dims}"))
}

/// `topic0` of an event: keccak-256 of its canonical signature.
pub fn event_topic(sig: &str) -> Option<[u8; 32]> {
    let canonical = canonical_signature(sig)?;
    let mut k = Keccak::v256();
    k.update(canonical.as_bytes());
    let mut out = [0u8; 32];
    k.finalize(&mut out);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topic(sig: &str) -> String {
        event_topic(sig).map(|t| to_hex(&t)).unwrap_or_default()
    }

    #[test]
    fn transfer_and_approval_topics_are_the_published_constants() {
        // The ERC-20 topics every explorer shows.
        assert_eq!(
            topic("Transfer(address,address,uint256)"),
            "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
        );
        assert_eq!(
            topic("Approval(address,address,uint256)"),
            "0x8c5be1e5ebec7d5bd14f71427d1e84f3dd0314c0f7b2291e5b200ac8c7c3b925"
        );
        // Abbreviations and spaces give the same topic.
        assert_eq!(
            topic(" Transfer( address, address , uint )"),
            topic("Transfer(address,address,uint256)")
        );
    }

    #[test]
    fn signatures_that_would_hash_to_another_event_are_refused() {
        for bad in [
            "AddedBlackList(address _user)",
            "AddedBlackList",
            "(address)",
            "A(address,)",
            "A(,address)",
            "A(address",
            "A(address))",
            "1A(address)",
            "A(addr-ess)",
        ] {
            assert_eq!(canonical_signature(bad), None, "{bad}");
        }
        assert_eq!(canonical_signature("Paused()").as_deref(), Some("Paused()"));
        assert_eq!(
            canonical_signature("F((uint,address)[],bytes32)").as_deref(),
            Some("F((uint256,address)[],bytes32)")
        );
        assert_eq!(
            canonical_signature("F(uint[2][],int8)").as_deref(),
            Some("F(uint256[2][],int8)")
        );
    }

    #[test]
    fn words_and_addresses_come_out_of_abi_data() {
        let data = parse_hex(
            "0x000000000000000000000000a7efae728d2936e78bda97dc267687568dd593f3\
             00000000000000000000000000000000000000000000000000000000000f4240",
        )
        .unwrap_or_default();
        assert_eq!(data.len(), 64);
        let w0 = word(&data, 0).unwrap_or_default();
        assert_eq!(
            word_address(ChainFamily::Evm, w0).as_deref(),
            Ok("0xa7efae728d2936e78bda97dc267687568dd593f3")
        );
        // The same 20 bytes on TRON are the base58check address with the 0x41 prefix.
        let tron = word_address(ChainFamily::Tron, w0).unwrap_or_default();
        assert!(tron.starts_with('T') && tron.len() == 34, "{tron}");
        assert_eq!(word(&data, 1).map(|w| w[31]), Some(0x40));
        assert_eq!(word(&data, 2), None);
        assert_eq!(word(&data, usize::MAX), None);
        // A word with high bytes set is not an address.
        let w1 = [0xffu8; 32];
        assert!(word_address(ChainFamily::Evm, &w1).is_err());
        assert!(word_address(ChainFamily::Tron, &w1).is_err());
        assert_eq!(parse_hex("0x"), Some(Vec::new()));
        assert_eq!(parse_hex("0xabc"), None);
        assert_eq!(parse_hex("0xzz"), None);
    }
}
