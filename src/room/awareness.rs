//! Who is where: the room's awareness states (names, colours, cursors),
//! with an owner for every client id.
//!
//! yrs's `Awareness` lets any connection overwrite or delete any entry and
//! never forgets an id. Here an id belongs to whoever introduced it first
//! (a local connection, or another instance through the bus); a connection
//! may change only its own ids, introduce a bounded number of them, each
//! state bounded in bytes; its ids leave with it; states not renewed are
//! swept, and so are removed entries once their clock no longer matters.

use std::collections::HashMap;
use std::collections::hash_map::Entry as Slot;
use std::sync::Arc;

use yrs::ClientID;
use yrs::sync::AwarenessUpdate;
use yrs::sync::awareness::AwarenessUpdateEntry;

use super::PeerId;

const NULL: &str = "null";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    Local(PeerId),
    /// Introduced by another instance.
    Remote,
}

#[derive(Debug)]
struct Entry {
    clock: u32,
    /// `None` once removed; kept until swept so a stale update with an
    /// older clock cannot bring it back.
    json: Option<Arc<str>>,
    owner: Owner,
    updated_ms: u64,
}

#[derive(Debug, Clone, Copy)]
pub struct AwarenessLimits {
    /// Client ids one connection may introduce.
    pub ids_per_conn: usize,
    /// Bytes of one state's JSON.
    pub state_bytes: usize,
    /// Ids other instances may introduce in this room.
    pub remote_ids: usize,
    /// A state not renewed for this long is removed; a removed entry is
    /// forgotten after this long.
    pub ttl_ms: u64,
}

/// A connection broke an awareness limit; it is disconnected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Violation {
    TooManyIds,
    StateTooLarge,
}

/// What an update changed, to relay and publish (`None`: nothing).
pub type Accepted = Option<AwarenessUpdate>;

pub struct AwarenessTable {
    entries: HashMap<ClientID, Entry>,
    limits: AwarenessLimits,
    /// Entries dropped because they named another owner's id (a metric).
    pub foreign_dropped: u64,
}

impl AwarenessTable {
    pub fn new(limits: AwarenessLimits) -> Self {
        Self {
            entries: HashMap::new(),
            limits,
            foreign_dropped: 0,
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.len()
    }

    fn owned_by(&self, owner: Owner) -> usize {
        self.entries.values().filter(|e| e.owner == owner).count()
    }

    /// An update a local connection sent. Entries for ids someone else
    /// owns are dropped; a state too large, or one id too many, is a
    /// violation (and nothing of the update is applied).
    pub fn apply_local(
        &mut self,
        peer: PeerId,
        update: AwarenessUpdate,
        now_ms: u64,
    ) -> Result<Accepted, Violation> {
        let owner = Owner::Local(peer);
        let mut owned = self.owned_by(owner);
        for (client, entry) in &update.clients {
            if entry.json.len() > self.limits.state_bytes {
                return Err(Violation::StateTooLarge);
            }
            if !self.entries.contains_key(client) && &*entry.json != NULL {
                owned += 1;
                if owned > self.limits.ids_per_conn {
                    return Err(Violation::TooManyIds);
                }
            }
        }
        Ok(self.apply(owner, update, now_ms))
    }

    /// An update from another instance (already bounded there). Ids owned
    /// here are not theirs to change; past the remote budget, new ids are
    /// ignored.
    pub fn apply_remote(&mut self, update: AwarenessUpdate, now_ms: u64) -> Accepted {
        let room = self
            .limits
            .remote_ids
            .saturating_sub(self.owned_by(Owner::Remote));
        let mut fresh = 0;
        let mut update = update;
        update.clients.retain(|client, entry| {
            if entry.json.len() > self.limits.state_bytes {
                return false;
            }
            if self.entries.contains_key(client) {
                return true;
            }
            fresh += 1;
            fresh <= room
        });
        self.apply(Owner::Remote, update, now_ms)
    }

    fn apply(&mut self, owner: Owner, update: AwarenessUpdate, now_ms: u64) -> Accepted {
        let mut accepted = HashMap::new();
        for (client, entry) in update.clients {
            let removal = &*entry.json == NULL;
            match self.entries.entry(client) {
                Slot::Occupied(mut slot) => {
                    let current = slot.get_mut();
                    if current.owner != owner {
                        self.foreign_dropped += 1;
                        continue;
                    }
                    // Newer clock wins; at the same clock a removal wins
                    // (as y-protocols does).
                    let newer = entry.clock > current.clock
                        || (entry.clock == current.clock && removal && current.json.is_some());
                    if !newer {
                        continue;
                    }
                    current.clock = entry.clock;
                    current.json = (!removal).then(|| entry.json.clone());
                    current.updated_ms = now_ms;
                }
                Slot::Vacant(slot) => {
                    // Removing an id nobody has is a no-op, not an entry.
                    if removal {
                        continue;
                    }
                    slot.insert(Entry {
                        clock: entry.clock,
                        json: Some(entry.json.clone()),
                        owner,
                        updated_ms: now_ms,
                    });
                }
            }
            accepted.insert(client, entry);
        }
        (!accepted.is_empty()).then_some(AwarenessUpdate { clients: accepted })
    }

    /// Removes every id a connection owned (it closed); the removal to
    /// relay and publish.
    pub fn remove_peer(&mut self, peer: PeerId) -> Accepted {
        let owner = Owner::Local(peer);
        let mut removed = HashMap::new();
        self.entries.retain(|client, entry| {
            if entry.owner != owner {
                return true;
            }
            if entry.json.is_some() {
                removed.insert(*client, removal(next_clock(entry.clock)));
            }
            false
        });
        (!removed.is_empty()).then_some(AwarenessUpdate { clients: removed })
    }

    /// Removes states not renewed within the TTL (to relay) and forgets
    /// removed entries older than it.
    pub fn sweep(&mut self, now_ms: u64) -> Accepted {
        let ttl = self.limits.ttl_ms;
        let mut removed = HashMap::new();
        self.entries.retain(|client, entry| {
            let stale = now_ms.saturating_sub(entry.updated_ms) > ttl;
            if !stale {
                return true;
            }
            if entry.json.take().is_some() {
                entry.clock = next_clock(entry.clock);
                entry.updated_ms = now_ms;
                removed.insert(*client, removal(entry.clock));
                return true;
            }
            false
        });
        (!removed.is_empty()).then_some(AwarenessUpdate { clients: removed })
    }

    /// When the next sweep has something to do, if ever.
    pub fn next_sweep_ms(&self) -> Option<u64> {
        self.entries
            .values()
            .map(|e| e.updated_ms + self.limits.ttl_ms + 1)
            .min()
    }

    /// Every present state, for a joining client or an awareness query.
    pub fn dump(&self) -> Accepted {
        let clients: HashMap<_, _> = self
            .entries
            .iter()
            .filter_map(|(client, entry)| {
                let json = entry.json.clone()?;
                Some((
                    *client,
                    AwarenessUpdateEntry {
                        clock: entry.clock,
                        json,
                    },
                ))
            })
            .collect();
        (!clients.is_empty()).then_some(AwarenessUpdate { clients })
    }
}

impl AwarenessTable {
    /// The `user.name` of every present state, as the browsers set it,
    /// but a viewer's (the server stamps those `"role":"view"`).
    pub fn names(&self) -> impl Iterator<Item = String> + '_ {
        #[derive(serde::Deserialize)]
        struct State {
            user: Option<User>,
            role: Option<String>,
        }
        #[derive(serde::Deserialize)]
        struct User {
            name: Option<String>,
        }
        self.entries
            .values()
            .filter_map(|e| e.json.as_deref())
            .filter_map(|json| serde_json::from_str::<State>(json).ok())
            .filter(|state| state.role.as_deref() != Some(crate::domain::Role::View.as_str()))
            .filter_map(|state| state.user?.name)
    }
}

/// The clock a removal is announced with. At the walk's top clock it stays
/// there (a removal wins at the same clock), so what the room sends always
/// passes the walk the other instances run (found by the awareness fuzz
/// target).
fn next_clock(clock: u32) -> u32 {
    clock.saturating_add(1).min(crate::wire::MAX_CLOCK)
}

fn removal(clock: u32) -> AwarenessUpdateEntry {
    AwarenessUpdateEntry {
        clock,
        json: Arc::from(NULL),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: AwarenessLimits = AwarenessLimits {
        ids_per_conn: 2,
        state_bytes: 100,
        remote_ids: 3,
        ttl_ms: 30_000,
    };

    fn update(entries: &[(u64, u32, &str)]) -> AwarenessUpdate {
        AwarenessUpdate {
            clients: entries
                .iter()
                .map(|&(id, clock, json)| {
                    (
                        ClientID::new(id),
                        AwarenessUpdateEntry {
                            clock,
                            json: Arc::from(json),
                        },
                    )
                })
                .collect(),
        }
    }

    fn state(table: &AwarenessTable, id: u64) -> Option<String> {
        table
            .entries
            .get(&ClientID::new(id))
            .and_then(|e| e.json.as_deref().map(str::to_owned))
    }

    #[test]
    fn first_claim_wins_and_others_cannot_overwrite_or_delete() {
        let mut t = AwarenessTable::new(LIMITS);
        assert!(
            t.apply_local(1, update(&[(7, 1, "{\"a\":1}")]), 0)
                .unwrap()
                .is_some()
        );
        // B overwrites and deletes A's id: both dropped.
        assert!(
            t.apply_local(2, update(&[(7, 5, "{\"b\":1}")]), 0)
                .unwrap()
                .is_none()
        );
        assert!(
            t.apply_local(2, update(&[(7, 9, "null")]), 0)
                .unwrap()
                .is_none()
        );
        assert_eq!(state(&t, 7).as_deref(), Some("{\"a\":1}"));
        assert_eq!(t.foreign_dropped, 2);
        // When B leaves, A's entry stays.
        assert!(t.remove_peer(2).is_none());
        assert!(state(&t, 7).is_some());
        // When A leaves, its entry goes, announced with a newer clock.
        let gone = t.remove_peer(1).unwrap();
        assert_eq!(gone.clients[&ClientID::new(7)].clock, 2);
        assert_eq!(t.len(), 0);
    }

    #[test]
    fn ids_per_connection_and_state_size_are_bounded() {
        let mut t = AwarenessTable::new(LIMITS);
        assert!(
            t.apply_local(1, update(&[(1, 1, "{}"), (2, 1, "{}")]), 0)
                .is_ok()
        );
        assert_eq!(
            t.apply_local(1, update(&[(3, 1, "{}")]), 0),
            Err(Violation::TooManyIds)
        );
        let big = format!("\"{}\"", "x".repeat(200));
        assert_eq!(
            t.apply_local(2, update(&[(9, 1, &big)]), 0),
            Err(Violation::StateTooLarge)
        );
        // Renewing its own ids is fine.
        assert!(
            t.apply_local(1, update(&[(1, 2, "{}")]), 0)
                .unwrap()
                .is_some()
        );
    }

    #[test]
    fn nulls_for_unknown_ids_leave_nothing_behind() {
        let mut t = AwarenessTable::new(LIMITS);
        let flood: Vec<(u64, u32, &str)> = (100..200).map(|id| (id, 1, "null")).collect();
        assert!(t.apply_local(1, update(&flood), 0).unwrap().is_none());
        assert_eq!(t.len(), 0);
    }

    #[test]
    fn stale_states_are_swept_then_forgotten() {
        let mut t = AwarenessTable::new(LIMITS);
        t.apply_local(1, update(&[(1, 1, "{}")]), 0).unwrap();
        assert!(t.sweep(10_000).is_none());
        let removed = t.sweep(40_000).unwrap();
        assert_eq!(&*removed.clients[&ClientID::new(1)].json, "null");
        assert_eq!(t.len(), 1, "the removal is remembered for a while");
        assert!(t.sweep(80_000).is_none());
        assert_eq!(t.len(), 0);
        assert_eq!(t.next_sweep_ms(), None);
    }

    #[test]
    fn remote_ids_are_bounded_and_cannot_take_local_ones() {
        let mut t = AwarenessTable::new(LIMITS);
        t.apply_local(1, update(&[(1, 1, "{}")]), 0).unwrap();
        let accepted = t
            .apply_remote(
                update(&[(1, 9, "{\"x\":1}"), (2, 1, "{}"), (3, 1, "{}")]),
                0,
            )
            .unwrap();
        assert!(!accepted.clients.contains_key(&ClientID::new(1)));
        assert_eq!(state(&t, 1).as_deref(), Some("{}"));
        t.apply_remote(update(&[(4, 1, "{}"), (5, 1, "{}"), (6, 1, "{}")]), 0);
        assert_eq!(t.owned_by(Owner::Remote), 3);
    }

    #[test]
    fn older_clocks_do_not_win() {
        let mut t = AwarenessTable::new(LIMITS);
        t.apply_local(1, update(&[(1, 5, "{\"v\":5}")]), 0).unwrap();
        assert!(
            t.apply_local(1, update(&[(1, 4, "{\"v\":4}")]), 0)
                .unwrap()
                .is_none()
        );
        assert_eq!(state(&t, 1).as_deref(), Some("{\"v\":5}"));
        // Same clock: a removal wins.
        assert!(
            t.apply_local(1, update(&[(1, 5, "null")]), 0)
                .unwrap()
                .is_some()
        );
        assert_eq!(state(&t, 1), None);
    }
}
