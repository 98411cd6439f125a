//! Pairwise clustering scores: every unordered pair of items is a decision "same owner or
//! not"; precision and recall count those decisions, so large clusters weigh by their pairs.
//!
//! With `n_c` items in predicted cluster c, `n_t` items of true owner t and `n_ct` items in
//! both: predicted pairs = Σ_c C(n_c,2), true pairs = Σ_t C(n_t,2), true positives (TP) =
//! Σ_{c,t} C(n_ct,2); precision = TP / predicted pairs, recall = TP / true pairs.

use std::collections::HashMap;
use std::hash::Hash;

use serde::Serialize;

/// Exact pair counts (u128: C(n,2) for billions of addresses does not fit a u64 sum
/// comfortably, and floating point would make the tests approximate).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PairCounts {
    /// Items scored.
    pub items: u64,
    /// Σ_c C(n_c,2) over the predicted clusters.
    pub predicted_pairs: u128,
    /// Σ_t C(n_t,2) over the true owners.
    pub true_pairs: u128,
    /// Σ_{c,t} C(n_ct,2): pairs that are together in both.
    pub true_positive_pairs: u128,
}

impl PairCounts {
    /// TP / predicted pairs; 1.0 when nothing is clustered together (no predicted pair can
    /// be wrong), so an all-singleton clustering has precision 1 and recall 0.
    pub fn precision(&self) -> f64 {
        ratio(self.true_positive_pairs, self.predicted_pairs)
    }

    /// TP / true pairs; 1.0 when no two items share an owner (no pair can be missed).
    pub fn recall(&self) -> f64 {
        ratio(self.true_positive_pairs, self.true_pairs)
    }
}

fn ratio(num: u128, den: u128) -> f64 {
    if den == 0 {
        1.0
    } else {
        num as f64 / den as f64
    }
}

/// C(n,2) = n(n-1)/2, exact.
pub fn pairs(n: u64) -> u128 {
    let n = u128::from(n);
    n * n.saturating_sub(1) / 2
}

/// Scores one assignment per item: `(predicted cluster, true owner)`. `None` as the
/// cluster is an item the clustering does not contain: a singleton, together with no one.
pub fn score<C, T, I>(assignments: I) -> PairCounts
where
    C: Hash + Eq + Clone,
    T: Hash + Eq + Clone,
    I: IntoIterator<Item = (Option<C>, T)>,
{
    let mut by_cluster: HashMap<C, u64> = HashMap::new();
    let mut by_owner: HashMap<T, u64> = HashMap::new();
    let mut both: HashMap<(C, T), u64> = HashMap::new();
    let mut items = 0u64;
    for (cluster, owner) in assignments {
        items += 1;
        if let Some(c) = cluster {
            *both.entry((c.clone(), owner.clone())).or_default() += 1;
            *by_cluster.entry(c).or_default() += 1;
        }
        *by_owner.entry(owner).or_default() += 1;
    }
    PairCounts {
        items,
        predicted_pairs: by_cluster.values().map(|&n| pairs(n)).sum(),
        true_pairs: by_owner.values().map(|&n| pairs(n)).sum(),
        true_positive_pairs: both.values().map(|&n| pairs(n)).sum(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    /// Items a..e: clusters given as labels per item, truth as owners per item.
    fn run(clusters: &[Option<u32>], owners: &[&str]) -> PairCounts {
        assert_eq!(clusters.len(), owners.len());
        score(clusters.iter().copied().zip(owners.iter().copied()))
    }

    const TRUTH: [&str; 5] = ["p", "p", "p", "q", "q"]; // true pairs 3 + 1 = 4

    #[test]
    fn pairs_are_n_choose_2() {
        assert_eq!(pairs(0), 0);
        assert_eq!(pairs(1), 0);
        assert_eq!(pairs(2), 1);
        assert_eq!(pairs(5), 10);
        // No overflow where u64 arithmetic would: C(2^40, 2) = 2^79 - 2^39.
        assert_eq!(pairs(1 << 40), (1u128 << 79) - (1u128 << 39));
    }

    #[test]
    fn perfect_clustering() {
        let c = run(&[Some(1), Some(1), Some(1), Some(2), Some(2)], &TRUTH);
        assert_eq!(
            c,
            PairCounts {
                items: 5,
                predicted_pairs: 4,
                true_pairs: 4,
                true_positive_pairs: 4
            }
        );
        assert_eq!((c.precision(), c.recall()), (1.0, 1.0));
    }

    #[test]
    fn all_merged() {
        // One cluster of 5: C(5,2) = 10 predicted pairs, all 4 true pairs among them.
        let c = run(&[Some(9); 5], &TRUTH);
        assert_eq!(
            (c.predicted_pairs, c.true_pairs, c.true_positive_pairs),
            (10, 4, 4)
        );
        assert_eq!((c.precision(), c.recall()), (0.4, 1.0));
    }

    #[test]
    fn all_split_and_absent_items_are_singletons() {
        let split = run(&[Some(1), Some(2), Some(3), Some(4), Some(5)], &TRUTH);
        let absent = run(&[None; 5], &TRUTH);
        for c in [split, absent] {
            assert_eq!(
                (c.predicted_pairs, c.true_pairs, c.true_positive_pairs),
                (0, 4, 0)
            );
            // No predicted pairs: precision is 1 by definition.
            assert_eq!((c.precision(), c.recall()), (1.0, 0.0));
        }
        // Two absent items are not together with each other.
        let c = run(
            &[None, None, Some(1), Some(1), Some(1)],
            &["p", "p", "p", "q", "q"],
        );
        assert_eq!((c.predicted_pairs, c.true_positive_pairs), (3, 1));
    }

    #[test]
    fn known_mixed_case() {
        // Clusters X = {a,b,c,d}, Y = {e,f}; owners p = {a,b,e}, q = {c,d,f}.
        // Predicted 6 + 1 = 7, true 3 + 3 = 6, TP: {a,b} + {c,d} = 2.
        let c = run(
            &[Some(1), Some(1), Some(1), Some(1), Some(2), Some(2)],
            &["p", "p", "q", "q", "p", "q"],
        );
        assert_eq!(
            (c.predicted_pairs, c.true_pairs, c.true_positive_pairs),
            (7, 6, 2)
        );
        assert_eq!(c.precision(), 2.0 / 7.0);
        assert_eq!(c.recall(), 2.0 / 6.0);
    }

    #[test]
    fn relabelling_and_order_do_not_matter() {
        let clusters = [Some(1), Some(1), Some(2), Some(2), Some(2), None, Some(3)];
        let owners = ["p", "q", "q", "q", "r", "r", "p"];
        let base = run(&clusters, &owners);
        // Cluster labels mapped 1→30, 2→10, 3→20; owners renamed; items reversed.
        let relabelled: Vec<(Option<u32>, String)> = clusters
            .iter()
            .zip(owners.iter())
            .rev()
            .map(|(c, o)| {
                let c = c.map(|c| match c {
                    1 => 30,
                    2 => 10,
                    _ => 20,
                });
                (c, format!("owner-{o}"))
            })
            .collect();
        assert_eq!(score(relabelled), base);
        assert_eq!(
            (
                base.predicted_pairs,
                base.true_pairs,
                base.true_positive_pairs
            ),
            (4, 5, 1)
        );
    }

    #[test]
    fn moving_or_swapping_one_address_changes_the_figures_as_by_hand() {
        // From the perfect clustering {a,b,c} {d,e}:
        // c moves to the second cluster → {a,b} {c,d,e}: predicted 1 + 3 = 4,
        // TP = {a,b} + {d,e} = 2 → precision 2/4, recall 2/4.
        let moved = run(&[Some(1), Some(1), Some(2), Some(2), Some(2)], &TRUTH);
        assert_eq!((moved.predicted_pairs, moved.true_positive_pairs), (4, 2));
        assert_eq!((moved.precision(), moved.recall()), (0.5, 0.5));
        // c and d swap clusters → {a,b,d} {c,e}: predicted 3 + 1 = 4, TP = {a,b} = 1.
        let swapped = run(&[Some(1), Some(1), Some(2), Some(1), Some(2)], &TRUTH);
        assert_eq!(
            (swapped.predicted_pairs, swapped.true_positive_pairs),
            (4, 1)
        );
        assert_eq!((swapped.precision(), swapped.recall()), (0.25, 0.25));
    }
}
