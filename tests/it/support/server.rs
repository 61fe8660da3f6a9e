//! Real `pairprog` processes on loopback ports: embedded (SQLite) or
//! scaled out (a fresh Postgres database and Redis prefix per cluster).

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::random_suffix;

/// The server under test: this build's binary, or `PAIRPROG_TEST_BIN`
/// (e.g. the release build, to measure what users run).
fn bin() -> String {
    std::env::var("PAIRPROG_TEST_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_pairprog").into())
}

/// What every instance of one test shares.
#[derive(Clone)]
pub struct Backing {
    env: Vec<(String, String)>,
    pub database_url: Option<String>,
    pub redis_url: Option<String>,
    pub prefix: Option<String>,
}

impl Backing {
    /// A fresh SQLite directory.
    pub fn embedded() -> Self {
        let dir = std::env::temp_dir().join(format!("pairprog-test-{}", random_suffix()));
        Self {
            env: vec![(
                "PAIRPROG__STORE__DATA_DIR".into(),
                dir.display().to_string(),
            )],
            database_url: None,
            redis_url: None,
            prefix: None,
        }
    }

    /// A fresh Postgres database and Redis prefix on the test services.
    pub async fn distributed() -> Self {
        let redis = std::env::var("PAIRPROG_TEST_REDIS_URL")
            .expect("PAIRPROG_TEST_REDIS_URL must be set (make test sets it)");
        Self::distributed_on(redis).await
    }

    /// A fresh Postgres database, and the Redis at `redis` (a test's own).
    pub async fn distributed_on(redis: String) -> Self {
        let admin = std::env::var("PAIRPROG_TEST_PG_URL")
            .expect("PAIRPROG_TEST_PG_URL must be set (make test sets it)");
        let name = format!("pairprog_it_{}", random_suffix());
        let (client, connection) = tokio_postgres::connect(&admin, tokio_postgres::NoTls)
            .await
            .expect("connect to the test Postgres");
        tokio::spawn(connection);
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create the test database");
        let database_url = swap_dbname(&admin, &name);
        let prefix = format!("pp-it-{}", random_suffix());
        Self {
            env: vec![
                ("DATABASE_URL".into(), database_url.clone()),
                ("REDIS_URL".into(), redis.clone()),
                ("PAIRPROG__REDIS__PREFIX".into(), prefix.clone()),
            ],
            database_url: Some(database_url),
            redis_url: Some(redis),
            prefix: Some(prefix),
        }
    }

    pub fn with(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// A plain Postgres client on this backing's database.
    pub async fn postgres(&self) -> tokio_postgres::Client {
        let url = self.database_url.as_deref().expect("a distributed backing");
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .expect("connect to the test database");
        tokio::spawn(connection);
        client
    }

    pub async fn redis(&self) -> redis::aio::MultiplexedConnection {
        let url = self.redis_url.as_deref().expect("a distributed backing");
        redis::Client::open(url)
            .expect("redis url")
            .get_multiplexed_async_connection()
            .await
            .expect("connect to the test Redis")
    }
}

/// Replaces the database name in a `postgres://` URL.
fn swap_dbname(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    format!("{base}/{name}{query}")
}

/// One server process.
pub struct Server {
    child: Option<Child>,
    pub port: u16,
    backing: Backing,
    extra: Vec<(String, String)>,
}

impl Server {
    pub async fn start(backing: &Backing) -> Self {
        Self::start_on(backing, 0, Vec::new()).await
    }

    pub async fn start_with(backing: &Backing, extra: &[(&str, &str)]) -> Self {
        let extra = extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Self::start_on(backing, 0, extra).await
    }

    async fn start_on(backing: &Backing, port: u16, extra: Vec<(String, String)>) -> Self {
        let mut command = Command::new(bin());
        command
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string())
            .env("PAIRPROG__SERVER__DRAIN_SECS", "0")
            .env("PAIRPROG__SERVER__STATIC_DIR", "/nonexistent")
            .env("PAIRPROG__LIMITS__ROOMS_PER_MINUTE", "1000")
            .env(
                "RUST_LOG",
                std::env::var("PAIRPROG_TEST_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .envs(backing.env.iter().map(|(k, v)| (k, v)))
            .envs(extra.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        let mut child = command.spawn().expect("spawn pairprog");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("server printed its address in time")
            .expect("read server stdout")
            .expect("server exited before listening");
        let port = line
            .rsplit(':')
            .next()
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line: {line}"));
        // Keep draining stdout so the child never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Self {
            child: Some(child),
            port,
            backing: backing.clone(),
            extra,
        }
    }

    pub fn http(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn ws(&self, path: &str) -> String {
        format!("ws://127.0.0.1:{}{path}", self.port)
    }

    pub async fn create_room(&self) -> String {
        let response = reqwest::Client::new()
            .post(self.http("/api/rooms"))
            .json(&serde_json::json!({"language": "python"}))
            .send()
            .await
            .expect("POST /api/rooms");
        assert_eq!(response.status(), 201);
        let body: Value = response.json().await.expect("room JSON");
        body["roomId"].as_str().expect("roomId").to_owned()
    }

    pub async fn get_room(&self, id: &str) -> Value {
        let response = reqwest::get(self.http(&format!("/api/rooms/{id}")))
            .await
            .expect("GET /api/rooms/{id}");
        assert_eq!(response.status(), 200);
        response.json().await.expect("room JSON")
    }

    pub async fn stored_code(&self, id: &str) -> String {
        self.get_room(id).await["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub fn pid(&self) -> u32 {
        self.child
            .as_ref()
            .and_then(Child::id)
            .expect("a running server")
    }

    /// Sends SIGTERM and waits for the process to exit.
    pub async fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.pid();
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status();
        let mut child = self.child.take().expect("a running server");
        tokio::time::timeout(Duration::from_secs(30), child.wait())
            .await
            .expect("server exited after SIGTERM")
            .expect("wait for server")
    }

    /// Sends SIGTERM and returns at once; `wait_exit` collects the exit.
    pub fn signal_term(&self) {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status();
    }

    pub async fn wait_exit(&mut self, timeout: Duration) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("a running server");
        tokio::time::timeout(timeout, child.wait())
            .await
            .expect("server exited in time")
            .expect("wait for server")
    }

    /// SIGKILL: no goodbye, no flush.
    pub async fn kill(&mut self) {
        let mut child = self.child.take().expect("a running server");
        let _ = child.kill().await;
    }

    /// Starts the same instance again on the same port.
    pub async fn restart(&mut self) {
        let fresh = Self::start_on(&self.backing, self.port, self.extra.clone()).await;
        *self = fresh;
    }
}

/// Several instances sharing one backing.
pub struct Cluster {
    pub backing: Backing,
    pub servers: Vec<Server>,
}

impl Cluster {
    pub async fn start(n: usize) -> Self {
        Self::start_on(Backing::distributed().await, n).await
    }

    pub async fn start_on(backing: Backing, n: usize) -> Self {
        let mut servers = Vec::new();
        for _ in 0..n {
            servers.push(Server::start(&backing).await);
        }
        Self { backing, servers }
    }
}
