//! The REST side: deriving the HTTP base from a WebSocket URL, creating
//! rooms, reading a room's stored code.

use std::time::Duration;

use anyhow::{Context, bail};
use serde::Deserialize;

/// `ws://h:p/x` -> `http://h:p`, `wss://…` -> `https://…`.
pub fn http_base(ws_url: &str) -> anyhow::Result<String> {
    let (scheme, rest) = ws_url
        .split_once("://")
        .with_context(|| format!("not a URL: {ws_url}"))?;
    let scheme = match scheme {
        "ws" | "http" => "http",
        "wss" | "https" => "https",
        other => bail!("unsupported scheme {other:?} in {ws_url}"),
    };
    let authority = rest.split('/').next().unwrap_or(rest);
    Ok(format!("{scheme}://{authority}"))
}

/// `ws://h:p/anything` -> `ws://h:p` (paths are appended per protocol).
pub fn ws_base(ws_url: &str) -> anyhow::Result<String> {
    let http = http_base(ws_url)?;
    Ok(http.replacen("http", "ws", 1))
}

#[derive(Debug, Deserialize)]
struct Created {
    #[serde(rename = "roomId")]
    room_id: String,
}

#[derive(Debug, Deserialize)]
pub struct RoomState {
    pub code: String,
}

/// Creates a room, retrying briefly on 429 and 5xx.
pub async fn create_room(
    http: &reqwest::Client,
    base: &str,
    language: &str,
) -> anyhow::Result<String> {
    let url = format!("{base}/api/rooms");
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        let res = http
            .post(&url)
            .json(&serde_json::json!({ "language": language }))
            .send()
            .await;
        match res {
            Ok(r) if r.status().is_success() => {
                let c: Created = r.json().await.context("room creation answer")?;
                return Ok(c.room_id);
            }
            Ok(r)
                if attempt < 8 && (r.status().as_u16() == 429 || r.status().is_server_error()) => {}
            Ok(r) => {
                let status = r.status();
                let body = r.text().await.unwrap_or_default();
                bail!("POST {url}: {status} {body}");
            }
            Err(e) if attempt < 8 => tracing_free_warn(&format!("POST {url}: {e}; retrying")),
            Err(e) => return Err(e).context(format!("POST {url}")),
        }
        tokio::time::sleep(Duration::from_millis(250 * u64::from(attempt))).await;
    }
}

/// The room's stored code (`GET /api/rooms/{id}`).
pub async fn room_code(http: &reqwest::Client, base: &str, room: &str) -> anyhow::Result<String> {
    let url = format!("{base}/api/rooms/{room}");
    let r = http
        .get(&url)
        .send()
        .await
        .with_context(|| format!("GET {url}"))?;
    if !r.status().is_success() {
        bail!("GET {url}: {}", r.status());
    }
    Ok(r.json::<RoomState>().await.context("room answer")?.code)
}

fn tracing_free_warn(msg: &str) {
    eprintln!("warning: {msg}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bases_from_ws_urls() {
        assert_eq!(
            http_base("ws://127.0.0.1:8001").unwrap(),
            "http://127.0.0.1:8001"
        );
        assert_eq!(
            http_base("ws://127.0.0.1:8001/yjs/x").unwrap(),
            "http://127.0.0.1:8001"
        );
        assert_eq!(
            http_base("wss://example.test").unwrap(),
            "https://example.test"
        );
        assert_eq!(ws_base("http://h:1/").unwrap(), "ws://h:1");
        assert!(http_base("ftp://h").is_err());
        assert!(http_base("nope").is_err());
    }
}
