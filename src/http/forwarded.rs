//! The syntax of the headers proxies add: `X-Forwarded-For`, RFC 7239
//! `Forwarded` (`for=`) and `X-Forwarded-Host`. Only parsing lives here;
//! whether to believe them is `client_addr`'s decision.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;
use axum::http::header::{FORWARDED, HeaderName};

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");

/// One hop of a forwarding chain: its address, or `None` when it is
/// `unknown`, obfuscated (`_hidden`) or unreadable.
pub type Hop = Option<IpAddr>;

/// The hops of every `X-Forwarded-For` line, leftmost (the original
/// client) first; `None` when the request has no such header.
pub fn x_forwarded_for(headers: &HeaderMap) -> Option<Vec<Hop>> {
    let lines = headers.get_all(X_FORWARDED_FOR);
    let mut hops = Vec::new();
    let mut any = false;
    for line in lines {
        any = true;
        match line.to_str() {
            Ok(text) => hops.extend(text.split(',').map(|h| node(h.trim()))),
            Err(_) => hops.push(None),
        }
    }
    any.then_some(hops)
}

/// The `for=` of every `Forwarded` element, leftmost first; `None` when
/// the request has no such header. An element without `for=` is a hop of
/// unknown address.
pub fn forwarded_for(headers: &HeaderMap) -> Option<Vec<Hop>> {
    let lines = headers.get_all(FORWARDED);
    let mut hops = Vec::new();
    let mut any = false;
    for line in lines {
        any = true;
        let Ok(text) = line.to_str() else {
            hops.push(None);
            continue;
        };
        for element in split_unquoted(text, ',') {
            let value = split_unquoted(element, ';').into_iter().find_map(|pair| {
                let (name, value) = pair.split_once('=')?;
                name.trim()
                    .eq_ignore_ascii_case("for")
                    .then(|| unquote(value.trim()))
            });
            hops.push(value.and_then(|v| node(&v)));
        }
    }
    any.then_some(hops)
}

/// The host the nearest proxy saw (`X-Forwarded-Host`, its last value).
pub fn x_forwarded_host(headers: &HeaderMap) -> Option<&str> {
    let last = headers.get_all(X_FORWARDED_HOST).into_iter().next_back()?;
    let host = last.to_str().ok()?.rsplit(',').next()?.trim();
    (!host.is_empty()).then_some(host)
}

/// An address as proxies write it: `192.0.2.1`, `192.0.2.1:4711`,
/// `2001:db8::1`, `[2001:db8::1]` or `[2001:db8::1]:4711`.
fn node(raw: &str) -> Hop {
    if let Ok(ip) = raw.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(sock) = raw.parse::<SocketAddr>() {
        return Some(sock.ip());
    }
    let inner = raw.strip_prefix('[')?.split_once(']')?.0;
    inner.parse().ok()
}

/// Splits on `sep` outside double-quoted strings (which may hold `\"`).
fn split_unquoted(text: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            c if c == sep && !quoted => {
                parts.push(&text[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// A token as is, or a quoted-string without its quotes and escapes.
fn unquote(value: &str) -> String {
    let Some(inner) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) else {
        return value.to_owned();
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        out.push(if c == '\\' {
            chars.next().unwrap_or(c)
        } else {
            c
        });
    }
    out
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

    fn ip(s: &str) -> Hop {
        Some(s.parse().unwrap())
    }

    #[test]
    fn x_forwarded_for_lists_every_hop_of_every_line() {
        let h = headers(&[
            ("x-forwarded-for", "203.0.113.7, 10.0.0.2:8080"),
            ("x-forwarded-for", "[2001:db8::1]:443,unknown"),
        ]);
        assert_eq!(
            x_forwarded_for(&h).unwrap(),
            [ip("203.0.113.7"), ip("10.0.0.2"), ip("2001:db8::1"), None]
        );
        assert_eq!(x_forwarded_for(&HeaderMap::new()), None);
    }

    #[test]
    fn forwarded_reads_for_in_any_case_quoted_or_not() {
        let h = headers(&[(
            "forwarded",
            r#"for="[2001:db8::1]:4711";proto=https, FOR=192.0.2.60;by=203.0.113.43, for=_hidden, proto=http"#,
        )]);
        assert_eq!(
            forwarded_for(&h).unwrap(),
            [ip("2001:db8::1"), ip("192.0.2.60"), None, None]
        );
    }

    #[test]
    fn forwarded_commas_and_semicolons_inside_quotes_do_not_split() {
        let h = headers(&[(
            "forwarded",
            r#"by="a,b;c";for="198.51.100.17", for="\"[::1]\"""#,
        )]);
        assert_eq!(forwarded_for(&h).unwrap(), [ip("198.51.100.17"), None]);
    }

    #[test]
    fn forwarded_host_is_the_nearest_proxys() {
        let h = headers(&[
            ("x-forwarded-host", "evil.example"),
            ("x-forwarded-host", "a.example, app.example:8443"),
        ]);
        assert_eq!(x_forwarded_host(&h), Some("app.example:8443"));
        assert_eq!(x_forwarded_host(&HeaderMap::new()), None);
    }
}
