//! A JSON-protocol client (`/ws/{roomId}`), as a script would be.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

#[derive(Debug)]
pub struct JsonClient {
    ws: Ws,
    pub init: Value,
    /// The text as this client knows it: the last `code` it received or
    /// sent.
    pub text: String,
    /// The close code the server sent, once it closed.
    pub closed: Option<u16>,
    /// The `version` of the last `init`/`code_update` applied.
    pub version: u64,
    /// Quote `baseVersion` in `code_update` (the prototype's clients did not).
    pub quote_version: bool,
}

/// How a connection attempt ended before `init`.
#[derive(Debug)]
pub enum Refused {
    Closed(Option<u16>),
    Http(u16),
}

impl JsonClient {
    pub async fn connect(url: &str) -> Self {
        Self::try_connect(url)
            .await
            .unwrap_or_else(|e| panic!("JSON client could not join {url}: {e:?}"))
    }

    pub async fn try_connect(url: &str) -> Result<Self, Refused> {
        Self::try_connect_as(url, None).await
    }

    /// Connects with `Authorization: Bearer {token}` when given one.
    pub async fn try_connect_as(url: &str, bearer: Option<&str>) -> Result<Self, Refused> {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut request = url.into_client_request().expect("a WebSocket url");
        if let Some(token) = bearer {
            let value = format!("Bearer {token}").parse().expect("a header value");
            request.headers_mut().insert("authorization", value);
        }
        let (mut ws, _) = match connect_async(request).await {
            Ok(ok) => ok,
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                return Err(Refused::Http(response.status().as_u16()));
            }
            Err(e) => panic!("connect {url}: {e}"),
        };
        loop {
            match tokio::time::timeout(Duration::from_secs(10), ws.next()).await {
                Ok(Some(Ok(Message::Text(t)))) => {
                    let init: Value = serde_json::from_str(&t).expect("JSON frame");
                    assert_eq!(init["type"], "init", "first message is init");
                    let text = init["code"].as_str().unwrap_or_default().to_owned();
                    let version = init["version"].as_u64().unwrap_or(0);
                    return Ok(Self {
                        ws,
                        init,
                        text,
                        closed: None,
                        version,
                        quote_version: true,
                    });
                }
                Ok(Some(Ok(Message::Close(frame)))) => {
                    return Err(Refused::Closed(frame.map(|f| f.code.into())));
                }
                Ok(Some(Ok(_))) => continue,
                Ok(Some(Err(_))) | Ok(None) => return Err(Refused::Closed(None)),
                Err(_) => panic!("no init within 10 s"),
            }
        }
    }

    pub async fn send(&mut self, value: Value) {
        self.ws
            .send(Message::Text(value.to_string().into()))
            .await
            .expect("send JSON");
    }

    pub async fn send_raw(&mut self, message: Message) {
        let _ = self.ws.send(message).await;
    }

    /// Sends the full text, as the prototype's clients do.
    pub async fn send_code(&mut self, code: &str) {
        self.text = code.to_owned();
        let mut message = json!({"type": "code_update", "code": code, "cursorPosition": 0});
        if self.quote_version {
            message["baseVersion"] = json!(self.version);
        }
        self.send(message).await;
    }

    /// The next JSON message, or `None` on close or after `timeout`.
    pub async fn next(&mut self, timeout: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let frame = tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .ok()??;
            match frame {
                Ok(Message::Text(t)) => {
                    let value: Value = serde_json::from_str(&t).expect("JSON frame");
                    if value["type"] == "code_update" {
                        self.text = value["code"].as_str().unwrap_or_default().to_owned();
                        self.version = value["version"].as_u64().unwrap_or(self.version);
                    }
                    return Some(value);
                }
                Ok(Message::Close(frame)) => {
                    self.closed = Some(frame.map(|f| f.code.into()).unwrap_or(1005));
                    return None;
                }
                Ok(_) => continue,
                Err(_) => {
                    self.closed.get_or_insert(1006);
                    return None;
                }
            }
        }
    }

    /// Reads until a message of `kind` arrives.
    pub async fn next_of(&mut self, kind: &str, timeout: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let message = self.next(left).await?;
            if message["type"] == kind {
                return Some(message);
            }
        }
    }

    /// Reads updates until the text satisfies `done`; true if it did.
    pub async fn wait_text(&mut self, timeout: Duration, done: impl Fn(&str) -> bool) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        while !done(&self.text) {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() || self.next(left).await.is_none() {
                return done(&self.text);
            }
        }
        true
    }

    /// Reads until the server closes; returns the close code.
    pub async fn wait_closed(&mut self, timeout: Duration) -> Option<u16> {
        let deadline = tokio::time::Instant::now() + timeout;
        while self.closed.is_none() {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                break;
            }
            let _ = self.next(left).await;
        }
        self.closed
    }
}
