//! The vocabulary of the synthetic economy: who owns an address, what the address is
//! for, what kind of entity an owner is, and which chain it lives on.

/// Index into `World::entities`.
pub type EntityId = u16;
/// A user's number (`user_id` in the ground truth).
pub type UserId = u32;

/// Who controls an address. Users are individuals; everything else — exchanges, the
/// payment processor, the miner, spammers, the mint, CoinJoin coordinators — is an
/// entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Owner {
    /// An entity, by index.
    Entity(EntityId),
    /// A user, by id.
    User(UserId),
}

/// The chains the generator writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Chain {
    /// Account model: ERC-20 token transfers.
    Ethereum,
    /// UTXO model: inputs and outputs.
    Bitcoin,
    /// Account model: TRC-20 token transfers (tronetl layout).
    Tron,
}

impl Chain {
    /// The chain name chainstat uses.
    pub fn name(self) -> &'static str {
        match self {
            Chain::Ethereum => "ethereum",
            Chain::Bitcoin => "bitcoin",
            Chain::Tron => "tron",
        }
    }
}

/// What an address is for (`role` in `ground_truth/addresses.csv`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Exchange hot wallet: pays withdrawals, receives sweeps.
    Hot,
    /// Exchange cold wallet: reserves.
    Cold,
    /// Per-customer deposit address, owned by the exchange.
    Deposit,
    /// A user's own address.
    User,
    /// The payment processor's collecting wallet.
    ProcessorHub,
    /// A single-use invoice address of the payment processor.
    Invoice,
    /// The miner's payout address.
    Miner,
    /// Spam senders, spam token, address-poisoning look-alikes.
    Spam,
    /// The zero address that mints come from.
    Mint,
    /// A CoinJoin coordinator's fee address (Wasabi) or pool-fee address (Whirlpool).
    Coordinator,
    /// An exchange's second, never-labelled reserve wallet that only trades with its own
    /// hot wallets.
    Treasury,
    /// An intermediate or final address of a peel chain (the sender's own change).
    Peel,
    /// The sender of dust: tiny amounts of priced tokens to many addresses.
    Dust,
}

impl Role {
    /// Name in the ground truth.
    pub fn name(self) -> &'static str {
        match self {
            Role::Hot => "hot",
            Role::Cold => "cold",
            Role::Deposit => "deposit",
            Role::User => "user",
            Role::ProcessorHub => "processor_hub",
            Role::Invoice => "invoice",
            Role::Miner => "miner",
            Role::Spam => "spam",
            Role::Mint => "mint",
            Role::Coordinator => "coordinator",
            Role::Treasury => "treasury",
            Role::Peel => "peel",
            Role::Dust => "dust",
        }
    }
}

/// What kind of entity an owner is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    /// A custodial exchange.
    Exchange,
    /// A payment processor (`payhub`).
    PaymentProcessor,
    /// A miner.
    Miner,
    /// Spammers and address poisoners.
    Spam,
    /// The token issuers' mint (zero address).
    Mint,
    /// A CoinJoin coordinator: takes fees, holds no customer funds.
    Coordinator,
    /// An exchanger nested in a host exchange (an OTC desk, a P2P exchanger): customers
    /// pay its collecting wallet, it pays others out, and it cashes out in batches through
    /// its own deposit address at the host. An exchange to a supervisor ("exchange" in
    /// the truth); never labelled.
    NestedExchange,
}

impl Category {
    /// Name in labels and ground truth.
    pub fn name(self) -> &'static str {
        match self {
            Category::Exchange => "exchange",
            Category::PaymentProcessor => "payment_processor",
            Category::Miner => "miner",
            Category::Spam => "spam",
            Category::Mint => "mint",
            Category::Coordinator => "coinjoin_coordinator",
            Category::NestedExchange => "exchange",
        }
    }

    /// Whether the ground truth reports this entity's turnover: the businesses a
    /// supervisor measures, not the background actors.
    pub fn has_turnover(self) -> bool {
        matches!(
            self,
            Category::Exchange | Category::PaymentProcessor | Category::NestedExchange
        )
    }
}
