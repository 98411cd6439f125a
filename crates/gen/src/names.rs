//! Fixed, clearly fictional names, so generated data can never be mistaken for claims
//! about real companies.

/// Exchange slugs; the generator shuffles them and takes as many as it needs.
pub const EXCHANGE_NAMES: [&str; 40] = [
    "arbor-exchange",
    "kestrel-x",
    "lumen-trade",
    "cobalt-markets",
    "meridian-coin",
    "tidal-exchange",
    "quarry-x",
    "saffron-trade",
    "harbor-bit",
    "juniper-exchange",
    "nimbus-markets",
    "orchid-x",
    "pinnacle-trade",
    "quill-exchange",
    "russet-coin",
    "sable-markets",
    "talon-x",
    "umber-trade",
    "vesper-exchange",
    "willow-bit",
    "yarrow-markets",
    "zephyr-x",
    "alder-trade",
    "basalt-exchange",
    "cinder-coin",
    "dune-markets",
    "ember-x",
    "fjord-trade",
    "garnet-exchange",
    "heron-bit",
    "iris-markets",
    "jasper-x",
    "kelp-trade",
    "larch-exchange",
    "maple-coin",
    "nectar-markets",
    "onyx-x",
    "pebble-trade",
    "quartz-exchange",
    "rowan-bit",
];

/// The payment processor.
pub const PAYHUB: &str = "payhub";
/// The miner.
pub const MINER: &str = "miner";
/// Spammers and address poisoners.
pub const SPAM: &str = "spam";
/// The zero address's owner.
pub const MINT: &str = "mint";
/// The Wasabi coordinator (ZeroLink and WabiSabi rounds' fees).
pub const WASABI: &str = "wasabi_coordinator";
/// The Whirlpool coordinator (pool fees paid in the entry transaction, Tx0).
pub const WHIRLPOOL: &str = "whirlpool_coordinator";

/// Jurisdictions: ISO 3166 user-assigned codes, which no real country has.
/// Exchangers nested in a host exchange (OTC desks, P2P exchangers); never labelled.
pub const NESTED: [&str; 2] = ["caravan-otc", "oasis-p2p"];

pub const JURISDICTIONS: [&str; 3] = ["XA", "XB", "XC"];

/// Human name for a slug: `kestrel-x` → `Kestrel X`.
pub fn display_name(slug: &str) -> String {
    slug.split('-')
        .map(|w| {
            let mut chars = w.chars();
            match chars.next() {
                Some(first) => {
                    let mut s = first.to_ascii_uppercase().to_string();
                    s.push_str(chars.as_str());
                    s
                }
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
