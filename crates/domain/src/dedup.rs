//! The duplicate tables of the streaming checkers: for each key seen so far, the row it was first seen on.
//!
//! A 100,000-row sheet puts up to 100,000 keys in each table and asks each table once a row. The keys are
//! compact integers (a `u64` for an 18-digit 身份证号码's first 17 digits, a mobile, or nearly any 个人账号; a
//! `u128` for the rare longer account), kept in a std [`HashMap`] of `key → row`. The key is stored as 32-bit
//! words, so an entry is 12 bytes (20 for a `u128`) where a `(u64, u32)` pads to 16: with a control byte, 13
//! bytes a bucket, about 1.7 MB for 100,000 keys (2^17 buckets), and 1.5× that while the table grows.
//!
//! The hasher is foldhash's `fast` one with a per-table random seed (from address-space layout and the
//! clock): the keys come from a sheet a unit sends, and a hasher without a seed (rustc-hash, FxHash) would let
//! a crafted sheet put every key in one probe chain. The answer is exact either way: a key is compared whole.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

/// Key → the first row it was seen on.
pub(crate) struct FirstRows<K: Key> {
    map: HashMap<K::Packed, u32, foldhash::fast::RandomState>,
}

/// A key of [`FirstRows`]: an integer, stored as 32-bit words (4-byte aligned, so the row beside it adds no
/// padding).
pub(crate) trait Key: Copy {
    type Packed: Hash + Eq + Copy;
    fn pack(self) -> Self::Packed;
}

/// A `u64` as two words, hashed as the `u64` it is.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Words2([u32; 2]);

/// A `u128` as four words, hashed as the `u128` it is.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Words4([u32; 4]);

impl Key for u64 {
    type Packed = Words2;
    fn pack(self) -> Words2 {
        Words2([(self >> 32) as u32, self as u32])
    }
}

impl Key for u128 {
    type Packed = Words4;
    fn pack(self) -> Words4 {
        Words4([
            (self >> 96) as u32,
            (self >> 64) as u32,
            (self >> 32) as u32,
            self as u32,
        ])
    }
}

impl Hash for Words2 {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(u64::from(self.0[0]) << 32 | u64::from(self.0[1]));
    }
}

impl Hash for Words4 {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let [a, b, c, d] = self.0.map(u128::from);
        state.write_u128(a << 96 | b << 64 | c << 32 | d);
    }
}

impl<K: Key> FirstRows<K> {
    pub(crate) fn new() -> FirstRows<K> {
        FirstRows {
            map: HashMap::default(),
        }
    }

    /// The row `key` was first seen on; when it is new, records `row` for it and returns `None`.
    pub(crate) fn first_or_insert(&mut self, key: K, row: u32) -> Option<u32> {
        match self.map.entry(key.pack()) {
            Entry::Occupied(first) => Some(*first.get()),
            Entry::Vacant(slot) => {
                slot.insert(row);
                None
            }
        }
    }

    /// Heap bytes held (allocated, from the table's capacity; see [`hash_map_heap_bytes`]).
    pub(crate) fn heap_bytes(&self) -> usize {
        hash_map_heap_bytes::<K::Packed, u32>(self.map.capacity())
    }
}

/// Approximate heap bytes of a std `HashMap<K, V>` of `capacity` (what [`HashMap::capacity`] reports): hashbrown
/// keeps a power-of-two bucket array at most 7/8 full, with a control byte per bucket (and a group's worth more,
/// ignored here).
pub(crate) fn hash_map_heap_bytes<K, V>(capacity: usize) -> usize {
    let buckets = match capacity {
        0 => 0,
        cap => (cap * 8 / 7).next_power_of_two(),
    };
    buckets * (std::mem::size_of::<(K, V)>() + 1)
}

impl<K: Key> std::fmt::Debug for FirstRows<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FirstRows").field("len", &self.map.len()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agree<K: Key + Hash + Eq + std::fmt::Debug>(keys: impl Iterator<Item = K>) -> FirstRows<K> {
        let mut t = FirstRows::new();
        let mut m: HashMap<K, u32> = HashMap::new();
        for (row, key) in (1u32..).zip(keys) {
            let want = match m.entry(key) {
                Entry::Occupied(o) => Some(*o.get()),
                Entry::Vacant(v) => {
                    v.insert(row);
                    None
                }
            };
            assert_eq!(t.first_or_insert(key, row), want, "key {key:?} row {row}");
        }
        assert_eq!(t.map.len(), m.len());
        t
    }

    #[test]
    fn agrees_with_a_hash_map() {
        // Ascending and descending keys, keys differing only in high bits, 0 and u64::MAX, and repeats of
        // keys seen just before, long before, and across the table's growths.
        agree(
            (0..5000u64)
                .chain((0..5000u64).rev().map(|k| k << 40))
                .chain([0, u64::MAX, u64::MAX - 1, 0])
                .chain((0..3000u64).map(|k| k * 7919))
                .chain((0..20_000u64).map(|k| k % 1500 + (k / 1500) * 100_000)),
        );
        // Every key twice in a row, and every key again much later.
        agree((1..30_000u64).flat_map(|k| [k, k]).chain(1..30_000u64));
        // Nothing but one key.
        agree(std::iter::repeat_n(42u64, 5000));
        // Wide keys that differ only above bit 64, or only below it.
        agree(
            (0..3000u128)
                .map(|k| k << 64)
                .chain((0..3000u128).map(|k| k | 1 << 100))
                .chain((0..3000u128).map(|k| k << 32))
                .chain((0..3000u128).map(|k| k << 96))
                .chain([0, u128::MAX, 1 << 64, 1 << 100]),
        );
    }

    #[test]
    fn hundred_thousand_keys_in_thirteen_bytes_a_bucket() {
        let mut t = FirstRows::new();
        for n in 0..100_000u64 {
            // Out of order, as 证件号码 come.
            let key = 43_040_219_900_101_000 + (n * 7919) % 100_000 * 13;
            assert_eq!(t.first_or_insert(key, 2), None);
        }
        // 2^17 buckets of a 12-byte entry and a control byte.
        assert_eq!(std::mem::size_of::<(Words2, u32)>(), 12);
        assert_eq!(std::mem::size_of::<(Words4, u32)>(), 20);
        assert_eq!(t.heap_bytes(), (1 << 17) * 13);
        assert_eq!(
            t.first_or_insert(43_040_219_900_101_000 + 50_000 * 13, 9),
            Some(2)
        );
        assert_eq!(t.first_or_insert(43_040_219_900_101_000, 9), Some(2));
    }

    #[test]
    fn heap_estimate_follows_hashbrown_capacities() {
        // hashbrown's capacities: bucket_mask for fewer than 8 buckets, 7/8 of them from 8 on.
        for (capacity, buckets) in [(0, 0), (3, 4), (7, 8), (14, 16), (28, 32), (114_688, 131_072)] {
            assert_eq!(
                hash_map_heap_bytes::<u64, u32>(capacity),
                buckets * 17,
                "{capacity}"
            );
        }
    }
}
