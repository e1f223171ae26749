//! The duplicate tables of the streaming checkers: for each key seen so far, the row it was first seen on.
//!
//! A 100,000-row sheet puts 100,000 keys in each table, and every row asks each table once, so the table is
//! built for that:
//! - the keys are kept sorted in one flat array with their rows beside them: 12 bytes a key, no empty
//!   buckets, and an array that only grows at its end, so its pages are touched once (a fresh page costs a
//!   fault, dearly in a VM) and a growing table never holds its old and new copies at once (a `HashMap<u64,
//!   u32>` keeps 17 bytes a bucket at up to 7/8 load, and 1.5× that while it grows);
//! - new keys wait in a small buffer (with its own little index) and are merged into the array
//!   [`RECENT`] at a time, from the back: a sheet in account order appends, and nothing moves;
//! - a Bloom filter of about a byte a key (small enough to stay in the core's cache) answers "certainly
//!   new" for almost every row, so the array is searched only for a duplicate or 1 key in ~30.
//!
//! The answer is exact (a key is compared whole before a row is reported). The filter and the buffer's index
//! hash with a per-table random seed, and the array is searched by bisection: what units send to the gateway
//! cannot make any of it probe long.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

/// Key → first row, for `u64` keys.
pub(crate) struct FirstRows {
    /// Merged keys, ascending.
    keys: Vec<u64>,
    /// `rows[i]` is the first row of `keys[i]`.
    rows: Vec<u32>,
    /// Keys not yet merged (none of them in `keys`), with their rows; at most [`RECENT`].
    recent: Vec<(u64, u32)>,
    /// Open addressing over `recent`: position + 1, 0 when empty.
    recent_index: Vec<u16>,
    /// A key sets 3 bits of one 64-bit word; covers `keys` and `recent`.
    bloom: Vec<u64>,
    /// The largest key seen: a key above it is new without asking the filter (accounts usually come in
    /// order, and the filter's word is a cache miss).
    max: Option<u64>,
    seed: [u64; 2],
}

/// Keys merged at a time.
const RECENT: usize = 4096;
/// `recent_index` slots: twice [`RECENT`], so probes stay short.
const RECENT_SLOTS: usize = 2 * RECENT;
/// Keys per Bloom word: 8 bits a key keeps false positives near 3 % at capacity.
const KEYS_PER_WORD: usize = 8;
/// The first filter covers a full `recent` buffer.
const MIN_BLOOM_WORDS: usize = RECENT / KEYS_PER_WORD;

impl FirstRows {
    pub(crate) fn new() -> FirstRows {
        let random = RandomState::new();
        let draw = |n: u64| {
            let mut h = random.build_hasher();
            h.write_u64(n);
            h.finish()
        };
        FirstRows {
            keys: Vec::new(),
            rows: Vec::new(),
            recent: Vec::new(),
            recent_index: Vec::new(),
            bloom: Vec::new(),
            max: None,
            // The multiplier must be odd for the product to depend on every key bit.
            seed: [draw(0), draw(1) | 1],
        }
    }

    /// The row `key` was first seen on; when it is new, records `row` for it and returns `None`.
    pub(crate) fn first_or_insert(&mut self, key: u64, row: u32) -> Option<u32> {
        if self.bloom.is_empty() {
            self.bloom = vec![0; MIN_BLOOM_WORDS];
            self.recent_index = vec![0; RECENT_SLOTS];
        }
        let h = self.hash(key);
        let (word, bits) = bloom_bits(h, self.bloom.len());
        if self.max.is_some_and(|max| key <= max) && self.bloom[word] & bits == bits {
            if let Ok(at) = self.keys.binary_search(&key) {
                return Some(self.rows[at]);
            }
            if let Some(first) = self.find_recent(h, key) {
                return Some(first);
            }
        }
        self.max = self.max.max(Some(key));
        self.bloom[word] |= bits;
        self.add_recent(h, key, row);
        if self.recent.len() == RECENT {
            self.merge();
        }
        None
    }

    /// Heap bytes held (allocated; the arrays' pages beyond their length are not touched).
    pub(crate) fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        self.keys.capacity() * size_of::<u64>()
            + self.rows.capacity() * size_of::<u32>()
            + self.recent.capacity() * size_of::<(u64, u32)>()
            + self.recent_index.capacity() * size_of::<u16>()
            + self.bloom.capacity() * size_of::<u64>()
    }

    /// Folded multiply (high ^ low half of the 128-bit product): every key bit reaches every part of the
    /// hash. The top bits pick the Bloom word, bits 0–17 its bits, 18–30 the `recent` slot.
    fn hash(&self, key: u64) -> u64 {
        let p = u128::from(key ^ self.seed[0]) * u128::from(self.seed[1]);
        (p >> 64) as u64 ^ p as u64
    }

    fn recent_slot(h: u64) -> usize {
        (h >> 18) as usize & (RECENT_SLOTS - 1)
    }

    fn find_recent(&self, h: u64, key: u64) -> Option<u32> {
        let mut i = Self::recent_slot(h);
        loop {
            let at = usize::from(self.recent_index[i]).checked_sub(1)?;
            let (k, row) = self.recent[at];
            if k == key {
                return Some(row);
            }
            i = (i + 1) & (RECENT_SLOTS - 1);
        }
    }

    fn add_recent(&mut self, h: u64, key: u64, row: u32) {
        let mut i = Self::recent_slot(h);
        while self.recent_index[i] != 0 {
            i = (i + 1) & (RECENT_SLOTS - 1);
        }
        self.recent.push((key, row));
        // At most RECENT (4096) entries: the position fits in a u16.
        self.recent_index[i] = self.recent.len() as u16;
    }

    /// Merges the `recent` keys into the sorted array, from the back (so the array only grows at its end),
    /// and widens the filter when it would fill up.
    fn merge(&mut self) {
        if !self.recent.is_sorted_by_key(|e| e.0) {
            self.recent.sort_unstable_by_key(|e| e.0);
        }
        let (mut i, mut j) = (self.keys.len(), self.recent.len());
        self.keys.resize(i + j, 0);
        self.rows.resize(i + j, 0);
        // No recent key is in `keys`: every step places the larger of the two last ones.
        while j > 0 {
            let (key, row) = self.recent[j - 1];
            let out = i + j - 1;
            if i > 0 && self.keys[i - 1] > key {
                i -= 1;
                self.keys[out] = self.keys[i];
                self.rows[out] = self.rows[i];
            } else {
                j -= 1;
                self.keys[out] = key;
                self.rows[out] = row;
            }
        }
        self.recent.clear();
        self.recent_index.fill(0);
        if self.keys.len() + RECENT > self.bloom.len() * KEYS_PER_WORD {
            let mut words = self.bloom.len() * 2;
            while self.keys.len() + RECENT > words * KEYS_PER_WORD {
                words *= 2;
            }
            self.bloom = vec![0; words];
            for &key in &self.keys {
                let (word, bits) = bloom_bits(self.hash(key), words);
                self.bloom[word] |= bits;
            }
        }
    }
}

/// The Bloom word of hash `h` among `words` (a power of two), and the key's 3 bits in it.
fn bloom_bits(h: u64, words: usize) -> (usize, u64) {
    let bits = 1u64 << (h & 63) | 1u64 << ((h >> 6) & 63) | 1u64 << ((h >> 12) & 63);
    ((h >> (64 - words.trailing_zeros())) as usize, bits)
}

impl std::fmt::Debug for FirstRows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FirstRows")
            .field("len", &(self.keys.len() + self.recent.len()))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::hash_map::Entry;
    use std::collections::HashMap;

    fn agree(keys: impl Iterator<Item = u64>) -> FirstRows {
        let mut t = FirstRows::new();
        let mut m: HashMap<u64, u32> = HashMap::new();
        for (row, key) in (1u32..).zip(keys) {
            let want = match m.entry(key) {
                Entry::Occupied(o) => Some(*o.get()),
                Entry::Vacant(v) => {
                    v.insert(row);
                    None
                }
            };
            assert_eq!(t.first_or_insert(key, row), want, "key {key} row {row}");
        }
        assert_eq!(t.keys.len() + t.recent.len(), m.len());
        assert!(t.keys.windows(2).all(|w| w[0] < w[1]));
        assert!(t.bloom.len().is_power_of_two());
        t
    }

    #[test]
    fn agrees_with_a_hash_map() {
        // Ascending and descending keys, keys differing only in high bits, 0 and u64::MAX, and repeats of
        // keys still in the recent buffer, already merged, and across a widening of the filter.
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
        agree(std::iter::repeat_n(42, 5000));
    }

    #[test]
    fn hundred_thousand_keys_in_about_twelve_bytes_each() {
        let mut t = FirstRows::new();
        for n in 0..100_000u64 {
            // Out of order, as 证件号码 come.
            let key = 43_040_219_900_101_000 + (n * 7919) % 100_000 * 13;
            assert_eq!(t.first_or_insert(key, 2), None);
        }
        assert!(t.heap_bytes() < 2 << 20, "{}", t.heap_bytes());
        assert_eq!(
            t.first_or_insert(43_040_219_900_101_000 + 50_000 * 13, 9),
            Some(2)
        );
        assert_eq!(t.first_or_insert(43_040_219_900_101_000, 9), Some(2));
    }
}
