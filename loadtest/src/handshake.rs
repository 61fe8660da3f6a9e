//! A client's way in: the WebSocket connection and the protocol's opening
//! (Yjs sync, in either framing, or the JSON `init`).

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::time::{Instant, timeout};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::client::{ClientSpec, Doc, JsonIn, Kind, Shared, Ws};
use crate::framing::{Framing, Inbound};
use crate::json_text::JsonText;
use crate::marker::{self, Marker};
use crate::yjs::YjsPeer;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);

async fn connect(spec: &ClientSpec, shared: &Shared) -> anyhow::Result<Ws> {
    let url = match spec.kind {
        Kind::Yjs => format!("{}/yjs/{}", spec.ws_base, spec.room_id),
        Kind::Json => format!("{}/ws/{}", spec.ws_base, spec.room_id),
        // One socket could carry many documents; the name is in each message.
        Kind::Hocuspocus => format!("{}/", spec.ws_base),
    };
    let _permit = shared.connect_limit.acquire().await?;
    let (ws, _) = timeout(
        CONNECT_TIMEOUT,
        // tungstenite zeroes its whole read buffer (128 KiB by default) on
        // every read; frames here are small.
        tokio_tungstenite::connect_async_with_config(
            url.as_str(),
            Some(WebSocketConfig::default().read_buffer_size(8 * 1024)),
            true,
        ),
    )
    .await
    .map_err(|_| anyhow::anyhow!("connect {url}: timed out"))?
    .map_err(|e| anyhow::anyhow!("connect {url}: {e}"))?;
    Ok(ws)
}

/// Connects and completes the protocol's opening: Yjs sync, or JSON init.
/// Also returns the markers the opening state held and when it arrived: a
/// client joining a room where others already type receives their first
/// edits this way.
pub(crate) async fn open(
    spec: &ClientSpec,
    shared: &Shared,
) -> anyhow::Result<(Ws, Doc, Vec<Marker>, u64)> {
    let mut ws = connect(spec, shared).await?;
    let deadline = Instant::now() + CONNECT_TIMEOUT;
    match spec.kind {
        Kind::Yjs | Kind::Hocuspocus => {
            let framing = match spec.kind {
                Kind::Hocuspocus => Framing::Hocuspocus {
                    doc: spec.room_id.clone(),
                },
                _ => Framing::Bare,
            };
            let mut peer = YjsPeer::new();
            // As @hocuspocus/provider does: the token, then step 1 at once
            // (the server queues it until the token is accepted).
            if let Some(auth) = framing.opening("loadtest") {
                ws.send(Message::binary(auth)).await?;
            }
            ws.send(Message::binary(framing.wrap(peer.hello()))).await?;
            let mut replies = Vec::new();
            while !peer.synced() {
                let msg = timeout_at(deadline, ws.next()).await?;
                if let Message::Binary(b) = msg {
                    match framing.unwrap(&b)? {
                        Inbound::Yjs(m) => peer.handle(&m, &mut replies)?,
                        Inbound::Denied(why) => anyhow::bail!("permission denied: {why}"),
                        Inbound::Closed(why) => anyhow::bail!("closed by the server: {why}"),
                        Inbound::Authenticated(_) | Inbound::Ignored => {}
                    }
                    for r in replies.drain(..) {
                        ws.send(Message::binary(framing.wrap(r))).await?;
                    }
                }
            }
            let at_ns = shared.log.now_ns();
            let mut found = Vec::new();
            peer.take_inserted(|s| marker::scan(s, |m| found.push(m)));
            Ok((ws, Doc::Yjs(peer, framing), found, at_ns))
        }
        Kind::Json => loop {
            let msg = timeout_at(deadline, ws.next()).await?;
            if let Message::Text(t) = msg {
                let m: JsonIn = serde_json::from_str(&t)?;
                if m.kind == "init" {
                    let at_ns = shared.log.now_ns();
                    let code = m.code.unwrap_or_default();
                    let mut found = Vec::new();
                    marker::scan(&code, |m| found.push(m));
                    return Ok((ws, Doc::Json(JsonText::new(code)), found, at_ns));
                }
            }
        },
    }
}

async fn timeout_at(
    deadline: Instant,
    next: impl Future<Output = Option<Result<Message, tokio_tungstenite::tungstenite::Error>>>,
) -> anyhow::Result<Message> {
    match tokio::time::timeout_at(deadline, next).await {
        Err(_) => anyhow::bail!("no handshake from the server in time"),
        Ok(None) => anyhow::bail!("closed during handshake"),
        Ok(Some(Err(e))) => anyhow::bail!("during handshake: {e}"),
        Ok(Some(Ok(m))) => Ok(m),
    }
}
