//! The gate in front of every room lookup a client can trigger (WebSocket
//! joins, `GET /api/rooms/{id}`): a lookup of a missing room costs a bus
//! subscription, a Redis read and a store read, so each client may miss
//! only `limits.unknown_rooms_per_minute` times a minute, and a miss is
//! remembered for `limits.unknown_room_cache_secs` so repeats cost nothing.
//!
//! A lookup takes one unit of the client's budget up front (so concurrent
//! lookups cannot overshoot it) and gives it back unless the room turns out
//! missing: lookups of rooms that exist are not limited here. A client whose
//! budget is taken only by its own lookups still in flight (a page opening
//! many rooms at once) waits, up to `limits.unknown_room_wait_ms`, for one
//! of them to settle instead of being refused: only spent misses answer 429.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

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
    /// Lookups in flight per client (entries removed at zero).
    in_flight: Mutex<HashMap<ClientKey, u32>>,
    /// Woken whenever a lookup settles.
    settled: Notify,
    /// Longest a lookup waits for the client's others to settle.
    wait: Duration,
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
            in_flight: Mutex::new(HashMap::new()),
            settled: Notify::new(),
            wait: Duration::from_millis(limits.unknown_room_wait_ms),
            answers,
        }
    }

    /// Before looking `id` up for `client`: 429 when the client is out of
    /// misses, 404 when `id` is known to be missing.
    pub async fn begin(
        self: &Arc<Self>,
        id: &RoomId,
        client: ClientKey,
    ) -> Result<Lookup, ApiError> {
        let deadline = tokio::time::Instant::now() + self.wait;
        loop {
            // Registered before the check, so a lookup settling in between
            // still wakes this one.
            let settled = self.settled.notified();
            tokio::pin!(settled);
            settled.as_mut().enable();
            let wait = match self.misses.check(client) {
                Ok(()) => break,
                Err(wait) => wait,
            };
            let pending = self.pending(client) > 0;
            if !pending || tokio::time::timeout_at(deadline, settled).await.is_err() {
                self.count("limited");
                return Err(ApiError::TooManyRequests(wait));
            }
        }
        *self.table().entry(client).or_insert(0) += 1;
        let lookup = Lookup {
            gate: self.clone(),
            id: id.clone(),
            client,
            missed: false,
        };
        if self.cache().contains(id, Instant::now()) {
            // A miss all the same: the budget stays spent.
            self.count("cached");
            return Err(lookup.settle_missing());
        }
        Ok(lookup)
    }

    fn pending(&self, client: ClientKey) -> u32 {
        self.table().get(&client).copied().unwrap_or(0)
    }

    fn table(&self) -> std::sync::MutexGuard<'_, HashMap<ClientKey, u32>> {
        self.in_flight.lock().unwrap_or_else(|e| e.into_inner())
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
    pub fn missing(self) -> ApiError {
        self.gate.cache().insert(&self.id, Instant::now());
        self.gate.count("missing");
        self.settle_missing()
    }

    fn settle_missing(mut self) -> ApiError {
        self.missed = true;
        not_found(&self.id)
    }
}

impl Drop for Lookup {
    fn drop(&mut self) {
        if !self.missed {
            self.gate.misses.refund(self.client);
        }
        {
            let mut table = self.gate.table();
            if let Some(n) = table.get_mut(&self.client) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    table.remove(&self.client);
                }
            }
        }
        self.gate.settled.notify_waiters();
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
        outcome(&result)
    }

    fn outcome(result: &Result<Lookup, ApiError>) -> &'static str {
        match result {
            Ok(_) => "lookup",
            Err(ApiError::NotFound(_)) => "404",
            Err(ApiError::TooManyRequests(_)) => "429",
            Err(_) => "other",
        }
    }

    #[tokio::test]
    async fn a_miss_is_remembered_and_a_creation_forgets_it() {
        let gate = gate(100);
        let a = client("203.0.113.1");
        let _ = gate.begin(&room("missing1"), a).await.unwrap().missing();
        assert_eq!(status(gate.begin(&room("missing1"), a).await), "404");
        assert_eq!(
            status(gate.begin(&room("missing1"), client("203.0.113.2")).await),
            "404"
        );
        assert_eq!(status(gate.begin(&room("missing2"), a).await), "lookup");
        gate.forget(&room("missing1"));
        assert_eq!(status(gate.begin(&room("missing1"), a).await), "lookup");
    }

    #[tokio::test]
    async fn only_misses_spend_the_budget_and_it_is_per_client() {
        let gate = gate(3);
        let a = client("2001:db8:0:1::1");
        // Lookups of rooms that exist are free.
        for _ in 0..10 {
            drop(gate.begin(&room("exists01"), a).await.unwrap());
        }
        for n in 0..3 {
            let _ = gate
                .begin(&room(&format!("gone{n:04}")), a)
                .await
                .unwrap()
                .missing();
        }
        assert_eq!(status(gate.begin(&room("exists01"), a).await), "429");
        // The same /64 is the same client; another /64 is not.
        assert_eq!(
            status(
                gate.begin(&room("exists01"), client("2001:db8:0:1::2"))
                    .await
            ),
            "429"
        );
        assert_eq!(
            status(
                gate.begin(&room("exists01"), client("2001:db8:0:2::1"))
                    .await
            ),
            "lookup"
        );
    }

    #[tokio::test]
    async fn concurrent_lookups_wait_for_each_other_and_cannot_overshoot_the_budget() {
        let gate = gate(2);
        let a = client("203.0.113.1");
        let first = gate.begin(&room("pending1"), a).await.unwrap();
        let second = gate.begin(&room("pending2"), a).await.unwrap();
        // The budget is taken by lookups in flight: the third waits ...
        let third = tokio::spawn({
            let gate = gate.clone();
            async move { outcome(&gate.begin(&room("pending3"), a).await) }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(
            !third.is_finished(),
            "a lookup was refused while others were in flight"
        );
        // ... through a miss, which keeps the budget spent ...
        let _ = first.missing();
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!third.is_finished());
        // ... and goes ahead once a room turns out to exist.
        drop(second);
        assert_eq!(third.await.unwrap(), "lookup");
        // Another client is not held up meanwhile.
        assert_eq!(
            status(gate.begin(&room("pending4"), client("203.0.113.9")).await),
            "lookup"
        );
    }

    #[tokio::test]
    async fn spent_misses_answer_429_at_once_and_waiting_is_bounded() {
        let mut limits = Settings::defaults().limits;
        limits.unknown_rooms_per_minute = 1;
        limits.unknown_room_wait_ms = 100;
        let gate = Arc::new(UnknownRooms::new(&limits, Family::default()));
        let a = client("203.0.113.1");
        let _ = gate.begin(&room("gone0001"), a).await.unwrap().missing();
        let started = Instant::now();
        assert_eq!(status(gate.begin(&room("gone0002"), a).await), "429");
        assert!(
            started.elapsed() < Duration::from_millis(100),
            "nothing was in flight to wait for"
        );

        let b = client("203.0.113.2");
        let held = gate.begin(&room("pending1"), b).await.unwrap();
        let started = Instant::now();
        assert_eq!(status(gate.begin(&room("pending2"), b).await), "429");
        assert!(started.elapsed() >= Duration::from_millis(100));
        drop(held);
    }
}
