//! Events per minute per client (room creations, unknown-room lookups): a
//! fixed one-minute window per client key, with the table pruned so it
//! cannot grow without bound.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::client_addr::ClientKey;

const WINDOW: Duration = Duration::from_secs(60);
const PRUNE_AT: usize = 10_000;

pub struct RateLimiter {
    per_window: u32,
    windows: Mutex<HashMap<ClientKey, (Instant, u32)>>,
}

impl RateLimiter {
    pub fn per_minute(per_window: u32) -> Self {
        Self {
            per_window,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one event for `addr`; `Err(seconds to wait)` when over.
    pub fn check(&self, addr: ClientKey) -> Result<(), u64> {
        let now = Instant::now();
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if windows.len() >= PRUNE_AT {
            windows.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let (start, count) = windows.entry(addr).or_insert((now, 0));
        if now.duration_since(*start) >= WINDOW {
            *start = now;
            *count = 0;
        }
        if *count >= self.per_window {
            let wait = WINDOW.saturating_sub(now.duration_since(*start));
            return Err(wait.as_secs().max(1));
        }
        *count += 1;
        Ok(())
    }

    /// Takes back one event `check` counted (it turned out not to count).
    pub fn refund(&self, addr: ClientKey) {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, count)) = windows.get_mut(&addr) {
            *count = count.saturating_sub(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::*;

    fn key(s: &str) -> ClientKey {
        ClientKey::from(s.parse::<IpAddr>().unwrap())
    }

    #[test]
    fn limits_each_address_separately() {
        let limiter = RateLimiter::per_minute(2);
        let (a, b) = (key("10.0.0.1"), key("10.0.0.2"));
        assert!(limiter.check(a).is_ok());
        assert!(limiter.check(a).is_ok());
        assert!(limiter.check(a).is_err());
        assert!(limiter.check(b).is_ok());
    }

    #[test]
    fn one_ipv6_64_is_one_client() {
        let limiter = RateLimiter::per_minute(2);
        assert!(limiter.check(key("2001:db8:0:1::1")).is_ok());
        assert!(limiter.check(key("2001:db8:0:1::2")).is_ok());
        assert!(limiter.check(key("2001:db8:0:1:ffff::9")).is_err());
        assert!(limiter.check(key("2001:db8:0:2::1")).is_ok());
    }

    #[test]
    fn a_refunded_event_does_not_count() {
        let limiter = RateLimiter::per_minute(1);
        let a = key("10.0.0.1");
        assert!(limiter.check(a).is_ok());
        limiter.refund(a);
        assert!(limiter.check(a).is_ok());
        assert!(limiter.check(a).is_err());
    }
}
