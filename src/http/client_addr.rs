//! Who is asking: the client's address, as rate limits need it. Behind a
//! proxy every TCP peer is the proxy, so when the peer is one of
//! `server.trusted_proxies` the forwarding headers are believed, walked
//! from the right (the hop the nearest proxy saw) past every trusted hop;
//! from anyone else they are ignored, so they cannot be spoofed.
//!
//! `X-Forwarded-For` wins over `Forwarded` when both are present: nginx and
//! ingress-nginx append to the former but pass a client's `Forwarded` on
//! untouched, so only the former is the proxies' own word there.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use ipnet::IpNet;

use super::AppState;
use super::forwarded;
use crate::error::ApiError;

/// The client behind a request, as far as trusted proxies tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr {
    pub ip: IpAddr,
    /// The TCP peer is a trusted proxy: its `X-Forwarded-*` are believed.
    pub peer_trusted: bool,
}

/// What a per-client limit counts under: an IPv4 address, or an IPv6
/// address's /64 (one subscriber's usual allocation; counting single IPv6
/// addresses would give every attacker 2^64 buckets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientKey(IpAddr);

impl From<IpAddr> for ClientKey {
    fn from(ip: IpAddr) -> Self {
        match ip.to_canonical() {
            IpAddr::V6(v6) => {
                let prefix = u128::from(v6) & !(u128::from(u64::MAX));
                Self(IpAddr::V6(Ipv6Addr::from(prefix)))
            }
            v4 => Self(v4),
        }
    }
}

impl ClientAddr {
    /// Derives the client from the TCP peer and the request's headers.
    pub fn derive(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> Self {
        let peer = peer.to_canonical();
        let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
        if !is_trusted(&peer) {
            return Self {
                ip: peer,
                peer_trusted: false,
            };
        }
        let hops = forwarded::x_forwarded_for(headers)
            .or_else(|| forwarded::forwarded_for(headers))
            .unwrap_or_default();
        // The nearest untrusted hop is the client; past an unreadable hop
        // nothing is known, so the last trusted one stands for it; when
        // every hop is trusted, the leftmost.
        let mut client = peer;
        for hop in hops.iter().rev() {
            let Some(ip) = hop else { break };
            client = ip.to_canonical();
            if !is_trusted(&client) {
                break;
            }
        }
        Self {
            ip: client,
            peer_trusted: true,
        }
    }

    pub fn key(&self) -> ClientKey {
        ClientKey::from(self.ip)
    }
}

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let ConnectInfo(peer) = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .ok_or_else(|| ApiError::Internal("no peer address: serve with connect info".into()))?;
        Ok(Self::derive(
            peer.ip(),
            &parts.headers,
            &state.settings.server.trusted_proxies,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    fn defaults() -> Vec<IpNet> {
        crate::settings::Settings::defaults().server.trusted_proxies
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, value.parse().unwrap());
        }
        map
    }

    fn client(peer: &str, pairs: &[(&'static str, &'static str)], trusted: &[IpNet]) -> String {
        ClientAddr::derive(peer.parse().unwrap(), &headers(pairs), trusted)
            .ip
            .to_string()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let spoofed = [
            ("x-forwarded-for", "198.51.100.1"),
            ("forwarded", "for=198.51.100.2"),
        ];
        assert_eq!(client("203.0.113.9", &spoofed, &defaults()), "203.0.113.9");
        assert!(
            !ClientAddr::derive(
                "203.0.113.9".parse().unwrap(),
                &headers(&spoofed),
                &defaults()
            )
            .peer_trusted
        );
        // Nothing trusted: not even loopback is believed.
        assert_eq!(client("127.0.0.1", &spoofed, &[]), "127.0.0.1");
    }

    #[test]
    fn behind_trusted_proxies_the_nearest_untrusted_hop_is_the_client() {
        let t = defaults();
        // nginx appended the address it saw; what the client wrote to the
        // left of it is ignored.
        let chain = [("x-forwarded-for", "6.6.6.6, 203.0.113.5, 10.0.0.3")];
        assert_eq!(client("10.0.0.2", &chain, &t), "203.0.113.5");
        assert_eq!(client("10.0.0.2", &[], &t), "10.0.0.2");
        // Every hop trusted: the leftmost.
        let inside = [("x-forwarded-for", "192.168.1.4, 10.0.0.3")];
        assert_eq!(client("127.0.0.1", &inside, &t), "192.168.1.4");
        // An unreadable hop ends the walk at the last trusted address.
        let hidden = [("x-forwarded-for", "203.0.113.5, unknown, 10.0.0.3")];
        assert_eq!(client("127.0.0.1", &hidden, &t), "10.0.0.3");
        // Only the configured ranges are proxies.
        let narrow = nets(&["10.0.0.2/32"]);
        assert_eq!(client("10.0.0.2", &chain, &narrow), "10.0.0.3");
    }

    #[test]
    fn forwarded_is_read_when_there_is_no_x_forwarded_for() {
        let t = defaults();
        let v6 = [("forwarded", r#"for="[2001:db8::1]:4711";proto=https"#)];
        assert_eq!(client("10.0.0.2", &v6, &t), "2001:db8::1");
        let both = [
            ("forwarded", "for=198.51.100.2"),
            ("x-forwarded-for", "203.0.113.5"),
        ];
        assert_eq!(client("10.0.0.2", &both, &t), "203.0.113.5");
    }

    #[test]
    fn ipv4_mapped_addresses_are_ipv4() {
        let t = defaults();
        assert_eq!(client("::ffff:10.0.0.2", &[], &t), "10.0.0.2");
        let mapped = [("x-forwarded-for", "::ffff:203.0.113.5")];
        assert_eq!(client("::ffff:10.0.0.2", &mapped, &t), "203.0.113.5");
        let a = ClientKey::from("::ffff:203.0.113.5".parse::<IpAddr>().unwrap());
        let b = ClientKey::from("203.0.113.5".parse::<IpAddr>().unwrap());
        assert_eq!(a, b);
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_64() {
        let key = |s: &str| ClientKey::from(s.parse::<IpAddr>().unwrap());
        assert_eq!(
            key("2001:db8:1:2::1"),
            key("2001:db8:1:2:ffff:ffff:ffff:ffff")
        );
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_ne!(key("203.0.113.5"), key("203.0.113.6"));
    }
}
