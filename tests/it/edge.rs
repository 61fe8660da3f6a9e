//! The HTTP edge against abuse: rate limits per real client behind nginx,
//! unknown-room lookups budgeted and remembered, WebSocket `Origin` checks
//! and JSON-only request bodies. Clients are told apart by connecting from
//! different loopback addresses (127.0.0.2, 127.0.0.3, ...).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::Value;
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{WebSocketStream, client_async};

use crate::support::nginx::Nginx;
use crate::support::server::Backing;
use crate::support::{PUBSUB_CUTS, Server};

const WAIT: Duration = Duration::from_secs(10);

fn from(local: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(local.parse::<IpAddr>().unwrap())
        .build()
        .unwrap()
}

/// How a WebSocket handshake ended.
enum Upgrade {
    Open(Box<WebSocketStream<TcpStream>>),
    Refused {
        status: u16,
        content_type: Option<String>,
    },
}

impl Upgrade {
    fn status(&self) -> u16 {
        match self {
            Self::Open(_) => 101,
            Self::Refused { status, .. } => *status,
        }
    }

    /// The first data frame or close code after the upgrade.
    async fn first(self) -> Result<Message, u16> {
        let Self::Open(mut ws) = self else {
            return Err(self.status());
        };
        loop {
            match tokio::time::timeout(WAIT, ws.next()).await {
                Ok(Some(Ok(Message::Close(frame)))) => {
                    return Err(frame.map(|f| f.code.into()).unwrap_or(1005));
                }
                Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
                Ok(Some(Ok(message))) => return Ok(message),
                other => panic!("no first frame: {other:?}"),
            }
        }
    }

    /// True when the socket opened and the room greeted it (`init` on
    /// `/ws`, a sync message on `/yjs`).
    async fn joined(self) -> bool {
        match self.first().await {
            Ok(Message::Text(t)) => serde_json::from_str::<Value>(&t).unwrap()["type"] == "init",
            Ok(Message::Binary(b)) => b.first() == Some(&0),
            _ => false,
        }
    }
}

/// A handshake to `127.0.0.1:port` from `local`, with extra headers.
async fn upgrade(port: u16, path: &str, local: &str, headers: &[(&str, &str)]) -> Upgrade {
    let mut request = format!("ws://127.0.0.1:{port}{path}")
        .into_client_request()
        .unwrap();
    for (name, value) in headers {
        request.headers_mut().insert(
            tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
    }
    let socket = TcpSocket::new_v4().unwrap();
    socket
        .bind(SocketAddr::new(local.parse().unwrap(), 0))
        .unwrap();
    let stream = socket
        .connect(SocketAddr::from(([127, 0, 0, 1], port)))
        .await
        .unwrap();
    match client_async(request, stream).await {
        Ok((ws, _)) => Upgrade::Open(Box::new(ws)),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => Upgrade::Refused {
            status: response.status().as_u16(),
            content_type: response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        },
        Err(e) => panic!("handshake {path}: {e}"),
    }
}

async fn metric(server: &Server, series: &str) -> f64 {
    let text = reqwest::get(server.http("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0.0)
}

fn random_id() -> String {
    format!("nope{}", crate::support::random_suffix())
}

#[tokio::test]
async fn behind_nginx_each_client_has_its_own_room_creation_budget() {
    // Only nginx (127.0.0.1) is a proxy here, so 127.0.0.2 and 127.0.0.3
    // are clients, as public addresses would be.
    let server = Server::start_with(
        &Backing::embedded(),
        &[
            ("PAIRPROG__LIMITS__ROOMS_PER_MINUTE", "30"),
            ("PAIRPROG__SERVER__TRUSTED_PROXIES", "127.0.0.1/32"),
        ],
    )
    .await;
    let nginx = Nginx::start(&[server.port]).await;
    let (a, b) = (from("127.0.0.2"), from("127.0.0.3"));
    let create = |client: &reqwest::Client, spoof: Option<&str>| {
        let mut request = client.post(nginx.http("/api/rooms"));
        if let Some(spoof) = spoof {
            request = request.header("x-forwarded-for", spoof);
        }
        request.send()
    };
    for n in 0..30 {
        let created = create(&a, None).await.unwrap();
        assert_eq!(created.status(), StatusCode::CREATED, "room {n} of A");
    }
    let throttled = create(&a, None).await.unwrap();
    assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(throttled.headers().contains_key("retry-after"));
    // What A writes in the header itself does not make it someone else.
    for spoof in ["198.51.100.1", "198.51.100.2, 127.0.0.5"] {
        let spoofed = create(&a, Some(spoof)).await.unwrap();
        assert_eq!(spoofed.status(), StatusCode::TOO_MANY_REQUESTS, "{spoof}");
    }
    let direct = a
        .post(server.http("/api/rooms"))
        .header("x-forwarded-for", "198.51.100.3")
        .send()
        .await
        .unwrap();
    assert_eq!(
        direct.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "untrusted peer's header"
    );
    for n in 0..5 {
        let created = create(&b, None).await.unwrap();
        assert_eq!(created.status(), StatusCode::CREATED, "room {n} of B");
    }
}

#[tokio::test]
async fn a_flood_of_unknown_rooms_is_refused_for_its_sender_only() {
    let server = Server::start(&Backing::embedded()).await;
    let room = server.create_room().await;
    let (mut missing, mut limited) = (0, 0);
    for n in 0..200 {
        let path = if n % 2 == 0 { "/ws/" } else { "/yjs/" };
        let attempt = upgrade(
            server.port,
            &format!("{path}{}", random_id()),
            "127.0.0.2",
            &[],
        )
        .await;
        match attempt.first().await {
            Err(4404) => missing += 1,
            Err(429) => limited += 1,
            other => panic!("unexpected answer {other:?}"),
        }
    }
    // limits.unknown_rooms_per_minute defaults to 60.
    assert_eq!((missing, limited), (60, 140));
    let unknown = |client: reqwest::Client| {
        let url = server.http(&format!("/api/rooms/{}", random_id()));
        async move { client.get(url).send().await.unwrap().status() }
    };
    assert_eq!(
        unknown(from("127.0.0.2")).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Another client is untouched: it joins a real room and misses freely.
    assert_eq!(unknown(from("127.0.0.3")).await, StatusCode::NOT_FOUND);
    let b = upgrade(server.port, &format!("/ws/{room}"), "127.0.0.3", &[]).await;
    assert!(b.joined().await);
    assert_eq!(
        metric(
            &server,
            "pairprog_unknown_room_lookups_total{answer=\"limited\"}"
        )
        .await,
        141.0
    );
}

#[tokio::test]
async fn a_client_opening_many_real_rooms_at_once_is_not_refused() {
    // Joins of rooms that exist cost no unknown-room budget, even while
    // they are in flight together: 150 at once from one address, with a
    // budget of 5 misses a minute, all get in.
    let server = Server::start_with(
        &Backing::embedded(),
        &[("PAIRPROG__LIMITS__UNKNOWN_ROOMS_PER_MINUTE", "5")],
    )
    .await;
    let mut rooms = Vec::new();
    for _ in 0..25 {
        rooms.push(server.create_room().await);
    }
    let joins = (0..150).map(|n| {
        let path = if n % 2 == 0 { "/ws/" } else { "/yjs/" };
        let path = format!("{path}{}", rooms[n % rooms.len()]);
        let port = server.port;
        async move { upgrade(port, &path, "127.0.0.4", &[]).await.joined().await }
    });
    let joined = futures_util::future::join_all(joins).await;
    let refused = joined.iter().filter(|ok| !**ok).count();
    assert_eq!(
        refused, 0,
        "{refused} of 150 joins of real rooms were refused"
    );
    assert_eq!(
        metric(
            &server,
            "pairprog_unknown_room_lookups_total{answer=\"limited\"}"
        )
        .await,
        0.0
    );
}

/// The test database refuses connections from now on.
async fn cut_postgres(backing: &Backing) {
    let admin_url = std::env::var("PAIRPROG_TEST_PG_URL").unwrap();
    let (admin, connection) = tokio_postgres::connect(&admin_url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let url = backing.database_url.as_deref().unwrap();
    let name = url.rsplit('/').next().unwrap().split('?').next().unwrap();
    admin
        .batch_execute(&format!(
            "ALTER DATABASE {name} ALLOW_CONNECTIONS false; \
             SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}';"
        ))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_room_found_missing_is_answered_from_memory_without_the_store() {
    let _shared = PUBSUB_CUTS.read().await;
    let backing = Backing::distributed().await;
    let server = Server::start(&backing).await;
    let http = reqwest::Client::new();
    let get = |id: String| {
        let http = http.clone();
        let url = server.http(&format!("/api/rooms/{id}"));
        async move { http.get(url).send().await.unwrap().status() }
    };
    let (by_get, by_join) = (random_id(), random_id());
    assert_eq!(get(by_get.clone()).await, StatusCode::NOT_FOUND);
    let joined = upgrade(server.port, &format!("/ws/{by_join}"), "127.0.0.1", &[]).await;
    assert_eq!(joined.first().await.err(), Some(4404));

    cut_postgres(&backing).await;
    // A lookup that reaches the store fails now...
    let fresh = get(random_id()).await;
    assert_eq!(fresh, StatusCode::SERVICE_UNAVAILABLE);
    // ...while the known-missing ids are still answered, by either route.
    assert_eq!(get(by_get.clone()).await, StatusCode::NOT_FOUND);
    assert_eq!(get(by_join.clone()).await, StatusCode::NOT_FOUND);
    for path in [format!("/ws/{by_get}"), format!("/yjs/{by_join}")] {
        let refused = upgrade(server.port, &path, "127.0.0.1", &[]).await;
        let Upgrade::Refused {
            status,
            content_type,
        } = refused
        else {
            panic!("{path}: upgraded");
        };
        assert_eq!(status, 404, "{path}");
        assert_eq!(content_type.as_deref(), Some("application/problem+json"));
    }
    let cached = metric(
        &server,
        "pairprog_unknown_room_lookups_total{answer=\"cached\"}",
    )
    .await;
    assert_eq!(cached, 4.0);
}

#[tokio::test]
async fn websocket_upgrades_from_foreign_origins_are_refused() {
    let server = Server::start_with(
        &Backing::embedded(),
        &[("PAIRPROG__SERVER__ALLOWED_ORIGINS", "https://app.example")],
    )
    .await;
    let room = server.create_room().await;
    for path in [format!("/ws/{room}"), format!("/yjs/{room}")] {
        let foreign = upgrade(
            server.port,
            &path,
            "127.0.0.1",
            &[("origin", "https://evil.example")],
        )
        .await;
        let Upgrade::Refused {
            status,
            content_type,
        } = foreign
        else {
            panic!("{path}: a foreign origin was upgraded");
        };
        assert_eq!(status, 403, "{path}");
        assert_eq!(content_type.as_deref(), Some("application/problem+json"));

        let own = format!("http://127.0.0.1:{}", server.port);
        for headers in [
            vec![("origin", own.as_str())],
            vec![],
            vec![("origin", "https://app.example")],
        ] {
            let attempt = upgrade(server.port, &path, "127.0.0.1", &headers).await;
            assert!(attempt.joined().await, "{path} with {headers:?}");
        }
        // Another port of the same host is another origin.
        let other_port = format!("http://127.0.0.1:{}", server.port + 1);
        let attempt = upgrade(server.port, &path, "127.0.0.1", &[("origin", &other_port)]).await;
        assert_eq!(attempt.status(), 403);
    }
}

#[tokio::test]
async fn behind_nginx_the_page_the_browser_loaded_is_the_own_origin() {
    let server = Server::start(&Backing::embedded()).await;
    let nginx = Nginx::start(&[server.port]).await;
    let room = server.create_room().await;
    let path = format!("/yjs/{room}");
    let own = format!("http://127.0.0.1:{}", nginx.port);
    let through = upgrade(nginx.port, &path, "127.0.0.1", &[("origin", &own)]).await;
    assert!(
        through.joined().await,
        "the proxied host:port is the server's own"
    );
    let upstream = format!("http://127.0.0.1:{}", server.port);
    let other = upgrade(nginx.port, &path, "127.0.0.1", &[("origin", &upstream)]).await;
    assert_eq!(other.status(), 403);
}

#[tokio::test]
async fn request_bodies_must_be_json() {
    let server = Server::start(&Backing::embedded()).await;
    let http = reqwest::Client::new();
    let post = |path: &str, content_type: Option<&str>, body: &'static str| {
        let mut request = http.post(server.http(path)).body(body);
        if let Some(ct) = content_type {
            request = request.header("content-type", ct);
        }
        request.send()
    };
    let rooms = "/api/rooms";
    let auto = "/api/autocomplete";
    let suggest = r#"{"code":"def ","cursorPosition":4,"language":"python"}"#;
    for (path, content_type, body) in [
        (rooms, Some("text/plain"), r#"{"language":"python"}"#),
        (
            rooms,
            Some("application/x-www-form-urlencoded"),
            "language=python",
        ),
        (rooms, None, r#"{"language":"python"}"#),
        (rooms, Some("text/plain"), ""),
        (auto, Some("text/plain;charset=UTF-8"), suggest),
        (auto, None, suggest),
    ] {
        let response = post(path, content_type, body).await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{path} {content_type:?} {body:?}"
        );
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["status"], 415);
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("application/json")
        );
    }
    for (path, content_type, body, status) in [
        (rooms, None, "", StatusCode::CREATED),
        (
            rooms,
            Some("application/json; charset=utf-8"),
            r#"{"language":"go"}"#,
            StatusCode::CREATED,
        ),
        (
            auto,
            Some("application/merge-patch+json"),
            suggest,
            StatusCode::OK,
        ),
    ] {
        let response = post(path, content_type, body).await.unwrap();
        assert_eq!(
            response.status(),
            status,
            "{path} {content_type:?} {body:?}"
        );
    }
}
