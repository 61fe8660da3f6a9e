//! Which web pages may open WebSockets here. Browsers send `Origin` on
//! every WebSocket handshake and the handshake is not subject to CORS, so
//! without this check any page could drive its visitors' browsers into
//! rooms. Allowed: the server's own host (scheme-less `host:port`, as the
//! browser addressed it: `Host`, or `X-Forwarded-Host` from a trusted
//! proxy), each of `server.allowed_origins`, or anything with `*`.
//! Requests without `Origin` are not from a browser page and pass.

use axum::http::{HeaderMap, Uri, header};

use super::client_addr::ClientAddr;
use super::forwarded;
use crate::error::ApiError;

/// `scheme://host[:port]`, lowercased; `port` is the explicit one or the
/// scheme's default (none for schemes without one).
#[derive(Debug, PartialEq, Eq)]
struct Origin {
    scheme: String,
    host: String,
    port: Option<u16>,
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" | "ws" => Some(80),
        "https" | "wss" => Some(443),
        _ => None,
    }
}

/// `host[:port]`, the host kept with its brackets if IPv6.
fn authority(raw: &str) -> Option<(String, Option<u16>)> {
    let raw = raw.trim();
    let (host, port) = if raw.starts_with('[') {
        let end = raw.find(']')? + 1;
        let port = match &raw[end..] {
            "" => None,
            rest => Some(rest.strip_prefix(':')?),
        };
        let literal = &raw[1..end - 1];
        if literal.parse::<std::net::Ipv6Addr>().is_err() {
            return None;
        }
        (&raw[..end], port)
    } else {
        let (host, port) = match raw.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (raw, None),
        };
        let host_ok = !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-_".contains(&b));
        if !host_ok {
            return None;
        }
        (host, port)
    };
    let port = match port {
        Some(p) => Some(p.parse().ok()?),
        None => None,
    };
    Some((host.to_ascii_lowercase(), port))
}

fn parse(raw: &str) -> Option<Origin> {
    let (scheme, rest) = raw.trim().split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+.-".contains(&b));
    if !scheme_ok {
        return None;
    }
    let (host, port) = authority(rest.strip_suffix('/').unwrap_or(rest))?;
    let port = port.or_else(|| default_port(&scheme));
    Some(Origin { scheme, host, port })
}

/// True for an acceptable `server.allowed_origins` item.
pub fn is_valid_setting(raw: &str) -> bool {
    raw == "*" || parse(raw).is_some()
}

/// 403 unless the request's `Origin` (if any) is allowed.
pub fn check(
    headers: &HeaderMap,
    uri: &Uri,
    client: &ClientAddr,
    allowed: &[String],
) -> Result<(), ApiError> {
    let Some(raw) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    if allowed.iter().any(|a| a == "*") {
        return Ok(());
    }
    let refused = || {
        let shown = String::from_utf8_lossy(raw.as_bytes())
            .chars()
            .take(100)
            .collect::<String>();
        ApiError::Forbidden(format!("origin {shown:?} may not open WebSockets here"))
    };
    let origin = raw.to_str().ok().and_then(parse).ok_or_else(refused)?;
    if allowed.iter().filter_map(|a| parse(a)).any(|a| a == origin) {
        return Ok(());
    }
    let own = client
        .peer_trusted
        .then(|| forwarded::x_forwarded_host(headers))
        .flatten()
        .or_else(|| headers.get(header::HOST).and_then(|h| h.to_str().ok()))
        .or_else(|| uri.authority().map(|a| a.as_str()))
        .and_then(authority);
    match own {
        // A host without a port is on the default port of the page's scheme.
        Some((host, port))
            if host == origin.host && port.or(default_port(&origin.scheme)) == origin.port =>
        {
            Ok(())
        }
        _ => Err(refused()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, value.parse().unwrap());
        }
        map
    }

    fn allowed(pairs: &[(&'static str, &'static str)], trusted: bool, config: &[&str]) -> bool {
        let client = ClientAddr {
            ip: "127.0.0.1".parse().unwrap(),
            peer_trusted: trusted,
        };
        let config: Vec<String> = config.iter().map(|s| (*s).to_owned()).collect();
        check(
            &headers(pairs),
            &Uri::from_static("/ws/abcdef"),
            &client,
            &config,
        )
        .is_ok()
    }

    #[test]
    fn the_own_host_is_allowed_by_host_and_port() {
        let h = |origin, host| [("origin", origin), ("host", host)];
        assert!(allowed(
            &h("http://localhost:8000", "localhost:8000"),
            false,
            &[]
        ));
        assert!(allowed(
            &h("https://App.Example", "app.example"),
            false,
            &[]
        ));
        assert!(allowed(
            &h("https://app.example", "app.example:443"),
            false,
            &[]
        ));
        assert!(allowed(&h("http://[::1]:8000", "[::1]:8000"), false, &[]));
        assert!(!allowed(
            &h("http://localhost:8000", "localhost"),
            false,
            &[]
        ));
        assert!(!allowed(
            &h("http://localhost:8001", "localhost:8000"),
            false,
            &[]
        ));
        assert!(!allowed(
            &h("https://evil.example", "app.example"),
            false,
            &[]
        ));
        assert!(!allowed(&h("null", "app.example"), false, &[]));
    }

    #[test]
    fn no_origin_is_no_browser_page_and_passes() {
        assert!(allowed(&[("host", "app.example")], false, &[]));
    }

    #[test]
    fn x_forwarded_host_counts_only_from_a_trusted_proxy() {
        let behind = [
            ("origin", "https://app.example"),
            ("host", "10.0.0.5:8000"),
            ("x-forwarded-host", "app.example"),
        ];
        assert!(allowed(&behind, true, &[]));
        assert!(!allowed(&behind, false, &[]));
    }

    #[test]
    fn configured_origins_match_scheme_host_and_port() {
        let from = |origin| [("origin", origin), ("host", "api.example")];
        let config = ["https://app.example", "http://dev.example:5173/"];
        assert!(allowed(&from("https://app.example"), false, &config));
        assert!(allowed(&from("https://app.example:443"), false, &config));
        assert!(allowed(&from("http://dev.example:5173"), false, &config));
        assert!(!allowed(&from("http://app.example"), false, &config));
        assert!(!allowed(&from("https://dev.example"), false, &config));
        assert!(allowed(&from("https://anything.example"), false, &["*"]));
    }

    #[test]
    fn settings_are_checked() {
        for ok in [
            "*",
            "https://a.example",
            "http://127.0.0.1:8080",
            "http://[::1]:3000",
        ] {
            assert!(is_valid_setting(ok), "{ok}");
        }
        for bad in [
            "a.example",
            "https://",
            "https://a.example/path",
            "https://u@a.example",
            "http://a:port",
        ] {
            assert!(!is_valid_setting(bad), "{bad}");
        }
    }
}
