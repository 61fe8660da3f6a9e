//! The gate in front of every room lookup a client can trigger (WebSocket
//! joins, `GET /api/rooms/{id}`): a lookup of a missing room costs a bus
//! subscription, a Redis read and a store read, so each client may miss
//! only `limits.unknown_rooms_per_minute` times a minute, and a miss is
//! remembered for `limits.unknown_room_cache_secs` so repeats cost nothing.
//!
//! A lookup takes one unit of the client's budget up front (so concurrent
//! lookups cannot overshoot it) and gives it back unless the room turns out
//! missing: lookups of rooms that exist are not limited here.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;

use super::RateLimiter;
use super::client_addr::ClientKey;
use super::negative_cache::NegativeCache;
use crate::domain::RoomId;
use crate::error::ApiError;
use crate::settings::Limits;

type Labels = Vec<(&'static str, &'static str)>;

pub struct UnknownRooms {
    missing: Mutex<NegativeCache>,
    misses: RateLimiter,
    /// `pairprog_unknown_room_lookups_total{answer}`.
    answers: Family<Labels, Counter>,
}

/// One lookup in progress. `missing` when the room does not exist;
/// dropping it otherwise gives the budget back.
pub struct Lookup {
    gate: Arc<UnknownRooms>,
    id: RoomId,
    client: ClientKey,
    missed: bool,
}

impl UnknownRooms {
    pub fn new(limits: &Limits, answers: Family<Labels, Counter>) -> Self {
        Self {
            missing: Mutex::new(NegativeCache::new(
                Duration::from_secs(limits.unknown_room_cache_secs),
                limits.unknown_room_cache_entries,
                limits.unknown_room_cache_bytes,
            )),
            misses: RateLimiter::per_minute(limits.unknown_rooms_per_minute),
            answers,
        }
    }

    /// Before looking `id` up for `client`: 429 when the client is out of
    /// misses, 404 when `id` is known to be missing.
    pub fn begin(self: &Arc<Self>, id: &RoomId, client: ClientKey) -> Result<Lookup, ApiError> {
        if let Err(wait) = self.misses.check(client) {
            self.count("limited");
            return Err(ApiError::TooManyRequests(wait));
        }
        if self.cache().contains(id, Instant::now()) {
            // A miss all the same: the budget stays spent.
            self.count("cached");
            return Err(not_found(id));
        }
        Ok(Lookup {
            gate: self.clone(),
            id: id.clone(),
            client,
            missed: false,
        })
    }

    /// `id` exists now.
    pub fn forget(&self, id: &RoomId) {
        self.cache().remove(id);
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, NegativeCache> {
        self.missing.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn count(&self, answer: &'static str) {
        self.answers.get_or_create(&vec![("answer", answer)]).inc();
    }
}

impl Lookup {
    /// The room does not exist: remember it, and the budget stays spent.
    pub fn missing(mut self) -> ApiError {
        self.missed = true;
        self.gate.cache().insert(&self.id, Instant::now());
        self.gate.count("missing");
        not_found(&self.id)
    }
}

impl Drop for Lookup {
    fn drop(&mut self) {
        if !self.missed {
            self.gate.misses.refund(self.client);
        }
    }
}

fn not_found(id: &RoomId) -> ApiError {
    ApiError::NotFound(format!("room {id} not found"))
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::*;
    use crate::settings::Settings;

    fn gate(per_minute: u32) -> Arc<UnknownRooms> {
        let mut limits = Settings::defaults().limits;
        limits.unknown_rooms_per_minute = per_minute;
        Arc::new(UnknownRooms::new(&limits, Family::default()))
    }

    fn client(s: &str) -> ClientKey {
        ClientKey::from(s.parse::<IpAddr>().unwrap())
    }

    fn room(s: &str) -> RoomId {
        RoomId::parse(s).unwrap()
    }

    fn status(result: Result<Lookup, ApiError>) -> &'static str {
        match result {
            Ok(_) => "lookup",
            Err(ApiError::NotFound(_)) => "404",
            Err(ApiError::TooManyRequests(_)) => "429",
            Err(_) => "other",
        }
    }

    #[test]
    fn a_miss_is_remembered_and_a_creation_forgets_it() {
        let gate = gate(100);
        let a = client("203.0.113.1");
        let _ = gate.begin(&room("missing1"), a).unwrap().missing();
        assert_eq!(status(gate.begin(&room("missing1"), a)), "404");
        assert_eq!(
            status(gate.begin(&room("missing1"), client("203.0.113.2"))),
            "404"
        );
        assert_eq!(status(gate.begin(&room("missing2"), a)), "lookup");
        gate.forget(&room("missing1"));
        assert_eq!(status(gate.begin(&room("missing1"), a)), "lookup");
    }

    #[test]
    fn only_misses_spend_the_budget_and_it_is_per_client() {
        let gate = gate(3);
        let a = client("2001:db8:0:1::1");
        // Lookups of rooms that exist are free.
        for _ in 0..10 {
            drop(gate.begin(&room("exists01"), a).unwrap());
        }
        for n in 0..3 {
            let _ = gate
                .begin(&room(&format!("gone{n:04}")), a)
                .unwrap()
                .missing();
        }
        assert_eq!(status(gate.begin(&room("exists01"), a)), "429");
        // The same /64 is the same client; another /64 is not.
        assert_eq!(
            status(gate.begin(&room("exists01"), client("2001:db8:0:1::2"))),
            "429"
        );
        assert_eq!(
            status(gate.begin(&room("exists01"), client("2001:db8:0:2::1"))),
            "lookup"
        );
    }

    #[test]
    fn concurrent_lookups_cannot_overshoot_the_budget() {
        let gate = gate(2);
        let a = client("203.0.113.1");
        let first = gate.begin(&room("pending1"), a).unwrap();
        let second = gate.begin(&room("pending2"), a).unwrap();
        assert_eq!(status(gate.begin(&room("pending3"), a)), "429");
        drop(first);
        assert_eq!(status(gate.begin(&room("pending3"), a)), "lookup");
        drop(second);
    }
}
