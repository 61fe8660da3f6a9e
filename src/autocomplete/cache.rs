//! Symbol tables per document version: a burst of requests on the same
//! text (every keystroke's list, then the inline suggestion) scans it once.
//! Keyed by language and a keyed hash of the text, least recently used
//! first out, bounded by the bytes the tables hold.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, Hash};
use std::sync::{Arc, Mutex};

use foldhash::quality::RandomState;

use super::symbols::Symbols;

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    language: &'static str,
    len: usize,
    hash: u64,
}

struct Entry {
    symbols: Arc<Symbols>,
    weight: usize,
    used: u64,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<Key, Entry>,
    /// Last use → key, oldest first.
    order: BTreeMap<u64, Key>,
    clock: u64,
    bytes: usize,
}

pub(crate) struct Cache {
    inner: Mutex<Inner>,
    /// Seeded at random per process, so texts cannot be made to collide on
    /// purpose (and a collision would only mix up two texts' suggestions);
    /// several times faster than SipHash on a 2 MB document.
    hasher: RandomState,
    budget: usize,
}

impl Cache {
    pub fn new(budget: usize) -> Self {
        Self {
            inner: Mutex::default(),
            hasher: RandomState::default(),
            budget,
        }
    }

    /// The table for `text`, scanning it with `scan` on a miss.
    pub fn get_or_scan(
        &self,
        language: &'static str,
        text: &str,
        scan: impl FnOnce() -> Symbols,
    ) -> Arc<Symbols> {
        let key = Key {
            language,
            len: text.len(),
            hash: self.hasher.hash_one(text),
        };
        if let Some(hit) = self.lock().touch(key) {
            return hit;
        }
        // Scanned outside the lock: other documents are not held up.
        let symbols = Arc::new(scan());
        let weight = symbols.weight();
        if weight <= self.budget {
            self.lock()
                .insert(key, symbols.clone(), weight, self.budget);
        }
        symbols
    }

    /// Entries and bytes held, for tests.
    #[cfg(test)]
    pub fn usage(&self) -> (usize, usize) {
        let inner = self.lock();
        (inner.entries.len(), inner.bytes)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic elsewhere cannot leave the map half-updated in a way that
        // matters: at worst an entry is missing.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Inner {
    fn touch(&mut self, key: Key) -> Option<Arc<Symbols>> {
        self.clock += 1;
        let entry = self.entries.get_mut(&key)?;
        self.order.remove(&entry.used);
        entry.used = self.clock;
        self.order.insert(self.clock, key);
        Some(entry.symbols.clone())
    }

    /// Inserts, evicting the least recently used until it fits; returns
    /// what it evicted.
    fn insert(
        &mut self,
        key: Key,
        symbols: Arc<Symbols>,
        weight: usize,
        budget: usize,
    ) -> Vec<Entry> {
        self.clock += 1;
        let mut evicted = Vec::new();
        if let Some(old) = self.entries.remove(&key) {
            self.order.remove(&old.used);
            self.bytes -= old.weight;
            evicted.push(old);
        }
        while self.bytes + weight > budget {
            let Some((_, oldest)) = self.order.pop_first() else {
                break;
            };
            if let Some(old) = self.entries.remove(&oldest) {
                self.bytes -= old.weight;
                evicted.push(old);
            }
        }
        self.entries.insert(
            key,
            Entry {
                symbols,
                weight,
                used: self.clock,
            },
        );
        self.order.insert(self.clock, key);
        self.bytes += weight;
        evicted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hits_are_not_rescanned_and_bytes_stay_bounded() {
        let budget = Symbols::default().weight() * 3;
        let cache = Cache::new(budget);
        let mut scans = 0;
        for _ in 0..5 {
            cache.get_or_scan("python", "x = 1", || {
                scans += 1;
                Symbols::default()
            });
        }
        assert_eq!(scans, 1, "the same text is scanned once");
        for n in 0..10 {
            cache.get_or_scan("python", &format!("x = {n}"), Symbols::default);
        }
        let (entries, bytes) = cache.usage();
        assert_eq!(entries, 3);
        assert!(bytes <= budget);
        // The oldest went first: "x = 1" was evicted, the latest stay.
        let mut rescanned = false;
        cache.get_or_scan("python", "x = 9", || {
            rescanned = true;
            Symbols::default()
        });
        assert!(!rescanned);
        cache.get_or_scan("javascript", "x = 9", || {
            rescanned = true;
            Symbols::default()
        });
        assert!(rescanned, "the language is part of the key");
    }
}
