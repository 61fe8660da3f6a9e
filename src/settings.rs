//! Typed settings, layered: built-in defaults < optional `pairprog.toml` <
//! `PAIRPROG__SECTION__KEY` environment variables < the conventional `HOST`,
//! `PORT`, `DATABASE_URL` and `REDIS_URL`.
//!
//! Everything that bounds a size or a rate lives here, so an operator can
//! tune it without a rebuild, and `validate` refuses nonsense at start-up
//! with one line that names the offending key.

use std::fmt::Display;
use std::path::PathBuf;
use std::str::FromStr;

use config::{Config, Environment, File};
use ipnet::IpNet;
use serde::{Deserialize, Deserializer};

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub server: ServerSettings,
    pub store: StoreSettings,
    pub database: DatabaseSettings,
    pub redis: RedisSettings,
    pub persist: PersistSettings,
    pub presence: PresenceSettings,
    pub limits: Limits,
    pub history: HistorySettings,
    pub ws: WsSettings,
    pub log: LogSettings,
    pub auth: AuthSettings,
    pub autocomplete: AutocompleteSettings,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    /// The built browser app; served at `/` when the directory exists.
    pub static_dir: PathBuf,
    /// After SIGTERM: seconds `/readyz` answers 503 while sockets keep working.
    pub drain_secs: u64,
    /// Upper bound on the whole shutdown after the drain.
    pub shutdown_timeout_secs: u64,
    /// Runtime worker threads: 0 = one per core, 1 = a single-threaded
    /// runtime.
    pub worker_threads: usize,
    /// Peers whose `X-Forwarded-For` / `Forwarded` is believed (CIDRs; a
    /// list, or one comma-separated string from the environment).
    #[serde(deserialize_with = "parsed_list")]
    pub trusted_proxies: Vec<IpNet>,
    /// Browser origins (`scheme://host[:port]`, or `*`) allowed to open
    /// WebSockets besides the server's own host.
    #[serde(deserialize_with = "parsed_list")]
    pub allowed_origins: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StoreSettings {
    /// Directory of the embedded SQLite store (used without `DATABASE_URL`).
    pub data_dir: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    pub url: Option<String>,
    pub pool_size: usize,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RedisSettings {
    pub url: Option<String>,
    pub pool_size: usize,
    /// Prefix of every key and channel, so several deployments (or tests)
    /// can share one Redis.
    pub prefix: String,
    /// Bytes kept in each room's update stream (updates, authors and 64
    /// per entry; oldest trimmed first): the gap-repair window, and the
    /// tail a cold room merges on top of what Postgres holds. A gap older
    /// than that is repaired from Postgres instead (a resync).
    pub stream_max_bytes: usize,
    /// Entries read per `XRANGE` page when reading a stream back.
    pub stream_page_entries: usize,
    /// Events, and bytes, one room's subscription may hold before the room
    /// is resynced instead (the events are dropped, the shared pub/sub
    /// loop never waits for one room).
    pub subscription_queue: usize,
    pub subscription_queue_bytes: usize,
    /// Bytes waiting to be published, all rooms together. Past half of it
    /// awareness and cursors are dropped; past all of it updates too, and
    /// their rooms' peers resync once Redis takes writes again.
    pub publish_queue_bytes: usize,
    /// Longest pause between attempts to reach a Redis that does not
    /// answer (reconnect, publish).
    pub reconnect_max_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PersistSettings {
    /// Batched persistence: at most this far behind.
    pub flush_interval_ms: u64,
    /// Merge the update log into the snapshot once it holds this many rows.
    pub compact_every: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PresenceSettings {
    /// An instance's per-room connection count expires after this long
    /// unless its heartbeat renews it; also the awareness sweep age.
    pub ttl_secs: u64,
    pub heartbeat_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Limits {
    pub max_frame_bytes: usize,
    pub max_doc_bytes: usize,
    pub max_conns_per_room: usize,
    pub msgs_per_sec: u32,
    pub msg_burst: u32,
    /// y-protocols messages one `/yjs` frame may carry.
    pub max_msgs_per_frame: usize,
    pub rooms_per_minute: u32,
    /// Bytes queued toward one socket before it counts as too slow (it is
    /// disconnected with 1013). At least a whole document plus room.
    pub send_queue_bytes: usize,
    /// A socket write that takes longer disconnects the client (1013).
    pub write_timeout_secs: u64,
    /// Bytes a room's connections may have queued for it before a sender
    /// is disconnected (1013).
    pub room_queue_bytes: usize,
    /// Bytes per second one connection may send, after `byte_burst`.
    pub bytes_per_sec: u32,
    pub byte_burst: u32,
    /// Sync step 1 answers and awareness dumps one connection may ask
    /// for per minute (each costs an encoding of the document).
    pub sync_requests_per_min: u32,
    /// Awareness client ids one connection may introduce.
    pub awareness_ids_per_conn: usize,
    /// Bytes of one awareness state.
    pub awareness_state_bytes: usize,
    /// Bytes of updates waiting for missing dependencies before they are
    /// dropped and the sender asked to resend.
    pub max_pending_bytes: usize,
    /// Cost budget of one JSON merge diff, in (N+M)² steps; past it the
    /// diff works by lines, then replaces the changed region.
    pub merge_budget: u64,
    /// Bytes of sent texts a JSON connection's shadow keeps.
    pub json_shadow_bytes: usize,
    /// Lookups of rooms that do not exist (joins, `GET`s) per minute per
    /// client address.
    pub unknown_rooms_per_minute: u32,
    /// How long an id found missing is answered 404 from memory.
    pub unknown_room_cache_secs: u64,
    /// Bounds of that negative cache: entries, and approximate bytes.
    pub unknown_room_cache_entries: usize,
    pub unknown_room_cache_bytes: usize,
    /// Longest a lookup waits for the same client's lookups in flight to
    /// settle before answering 429, in milliseconds.
    pub unknown_room_wait_ms: u64,
    /// Room ids (edit and view) whose room is remembered, so a connection
    /// finds its room without a database read.
    pub id_cache_entries: usize,
}

/// Room history: when checkpoints are recorded and what a room keeps.
#[derive(Debug, Clone, Deserialize)]
pub struct HistorySettings {
    /// A burst of editing is recorded once it has been quiet this long...
    pub quiet_secs: u64,
    /// ...or, while it goes on, once it has lasted this long.
    pub max_burst_secs: u64,
    /// Versions a room keeps; the oldest unnamed go first, and named ones
    /// may fill all places but one.
    pub max_versions: usize,
    /// Author names recorded with one version.
    pub max_authors: usize,
    /// Characters of a version's name (and of each author name).
    pub max_name_chars: usize,
    /// Versions one page of `GET /api/rooms/{id}/versions` may hold.
    pub max_page: usize,
}

#[derive(Debug, Clone, Deserialize)]
pub struct WsSettings {
    pub ping_interval_secs: u64,
}

/// Signed tokens (see `http::auth`). With neither key set, rooms are open
/// to anyone with a link, as always.
#[derive(Debug, Clone, Deserialize)]
pub struct AuthSettings {
    /// HS256 secret: every WebSocket and REST call then needs a token.
    pub token_secret: Option<Secret>,
    /// Ed25519 public key (PEM, or base64 of its 32 bytes) for EdDSA
    /// tokens; may be set with or without `token_secret`.
    pub token_public_key: Option<String>,
    /// Seconds of clock skew tolerated on `exp` and `nbf`.
    pub leeway_secs: u64,
    /// Longest token accepted, in bytes.
    pub max_token_bytes: usize,
}

impl AuthSettings {
    pub fn enabled(&self) -> bool {
        self.token_secret.is_some() || self.token_public_key.is_some()
    }
}

/// A secret setting: never printed, not even by `{:?}`.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct AutocompleteSettings {
    /// Suggestions per answer, at most.
    pub max_suggestions: usize,
    /// Bytes of symbol tables kept between requests (one per document
    /// version).
    pub cache_bytes: usize,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LogSettings {
    pub json: bool,
    pub level: String,
}

/// Start-up refused: the message names the setting.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct SettingsError(String);

const DEFAULTS: &[(&str, &str)] = &[
    ("server.host", "127.0.0.1"),
    ("server.port", "8000"),
    ("server.static_dir", "frontend/dist"),
    ("server.drain_secs", "10"),
    ("server.shutdown_timeout_secs", "20"),
    ("server.worker_threads", "0"),
    (
        "server.trusted_proxies",
        "127.0.0.0/8,::1/128,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7",
    ),
    ("server.allowed_origins", ""),
    ("store.data_dir", "./data"),
    ("database.pool_size", "16"),
    ("redis.pool_size", "16"),
    ("redis.prefix", "pairprog"),
    ("redis.stream_max_bytes", "8388608"),
    ("redis.stream_page_entries", "256"),
    ("redis.subscription_queue", "4096"),
    ("redis.subscription_queue_bytes", "8388608"),
    ("redis.publish_queue_bytes", "67108864"),
    ("redis.reconnect_max_ms", "100"),
    ("persist.flush_interval_ms", "500"),
    ("persist.compact_every", "200"),
    ("presence.ttl_secs", "30"),
    ("presence.heartbeat_secs", "10"),
    ("limits.max_frame_bytes", "1048576"),
    ("limits.max_doc_bytes", "2097152"),
    ("limits.max_conns_per_room", "200"),
    ("limits.msgs_per_sec", "60"),
    ("limits.msg_burst", "200"),
    ("limits.rooms_per_minute", "30"),
    ("limits.send_queue_bytes", "8388608"),
    ("limits.write_timeout_secs", "10"),
    ("limits.room_queue_bytes", "16777216"),
    ("limits.bytes_per_sec", "1048576"),
    ("limits.byte_burst", "4194304"),
    ("limits.max_msgs_per_frame", "64"),
    ("limits.sync_requests_per_min", "10"),
    ("limits.awareness_ids_per_conn", "4"),
    ("limits.awareness_state_bytes", "8192"),
    ("limits.max_pending_bytes", "1048576"),
    ("limits.merge_budget", "4000000"),
    ("limits.json_shadow_bytes", "8388608"),
    ("limits.unknown_rooms_per_minute", "60"),
    ("limits.unknown_room_cache_secs", "10"),
    ("limits.unknown_room_cache_entries", "10000"),
    ("limits.unknown_room_cache_bytes", "2097152"),
    ("limits.unknown_room_wait_ms", "5000"),
    ("limits.id_cache_entries", "100000"),
    ("auth.leeway_secs", "0"),
    ("auth.max_token_bytes", "4096"),
    ("history.quiet_secs", "30"),
    ("history.max_burst_secs", "300"),
    ("history.max_versions", "200"),
    ("history.max_authors", "16"),
    ("history.max_name_chars", "100"),
    ("history.max_page", "100"),
    ("ws.ping_interval_secs", "20"),
    ("log.json", "false"),
    ("log.level", "info"),
    ("autocomplete.max_suggestions", "8"),
    ("autocomplete.cache_bytes", "16777216"),
];

impl Settings {
    /// Reads the layered settings from the process environment.
    pub fn load() -> Result<Self, SettingsError> {
        Self::load_from(|name| std::env::var(name).ok())
    }

    /// Like `load`, with the conventional variables taken from `env`
    /// (tests pass their own).
    pub fn load_from(env: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let mut builder = Config::builder();
        for (key, value) in DEFAULTS {
            builder = builder
                .set_default(*key, *value)
                .map_err(|e| SettingsError(e.to_string()))?;
        }
        let conventional = [
            ("HOST", "server.host"),
            ("PORT", "server.port"),
            ("DATABASE_URL", "database.url"),
            ("REDIS_URL", "redis.url"),
        ];
        builder = builder
            .add_source(File::with_name("pairprog").required(false))
            .add_source(
                Environment::with_prefix("PAIRPROG")
                    .prefix_separator("__")
                    .separator("__")
                    .try_parsing(true),
            );
        for (var, key) in conventional {
            if let Some(value) = env(var).filter(|v| !v.is_empty()) {
                builder = builder
                    .set_override(key, value)
                    .map_err(|e| SettingsError(e.to_string()))?;
            }
        }
        let mut settings: Settings = builder
            .build()
            .and_then(Config::try_deserialize)
            .map_err(|e| SettingsError(e.to_string()))?;
        // An empty variable (a template's placeholder) means unset.
        let auth = &mut settings.auth;
        auth.token_secret = auth.token_secret.take().filter(|s| !s.0.is_empty());
        auth.token_public_key = auth
            .token_public_key
            .take()
            .filter(|k| !k.trim().is_empty());
        settings.validate()?;
        Ok(settings)
    }

    /// The defaults alone, for tests and tools.
    pub fn defaults() -> Self {
        Self::load_from(|_| None).expect("built-in defaults are valid")
    }

    fn validate(&self) -> Result<(), SettingsError> {
        let positive = [
            ("limits.max_frame_bytes", self.limits.max_frame_bytes as u64),
            ("limits.max_doc_bytes", self.limits.max_doc_bytes as u64),
            (
                "limits.max_conns_per_room",
                self.limits.max_conns_per_room as u64,
            ),
            ("limits.msgs_per_sec", u64::from(self.limits.msgs_per_sec)),
            ("limits.msg_burst", u64::from(self.limits.msg_burst)),
            (
                "limits.max_msgs_per_frame",
                self.limits.max_msgs_per_frame as u64,
            ),
            (
                "limits.rooms_per_minute",
                u64::from(self.limits.rooms_per_minute),
            ),
            (
                "limits.send_queue_bytes",
                self.limits.send_queue_bytes as u64,
            ),
            ("limits.write_timeout_secs", self.limits.write_timeout_secs),
            (
                "limits.room_queue_bytes",
                self.limits.room_queue_bytes as u64,
            ),
            ("limits.bytes_per_sec", u64::from(self.limits.bytes_per_sec)),
            ("limits.byte_burst", u64::from(self.limits.byte_burst)),
            (
                "limits.sync_requests_per_min",
                u64::from(self.limits.sync_requests_per_min),
            ),
            (
                "limits.awareness_ids_per_conn",
                self.limits.awareness_ids_per_conn as u64,
            ),
            (
                "limits.awareness_state_bytes",
                self.limits.awareness_state_bytes as u64,
            ),
            ("limits.merge_budget", self.limits.merge_budget),
            (
                "limits.json_shadow_bytes",
                self.limits.json_shadow_bytes as u64,
            ),
            (
                "limits.unknown_rooms_per_minute",
                u64::from(self.limits.unknown_rooms_per_minute),
            ),
            (
                "limits.unknown_room_cache_secs",
                self.limits.unknown_room_cache_secs,
            ),
            (
                "limits.unknown_room_cache_entries",
                self.limits.unknown_room_cache_entries as u64,
            ),
            (
                "limits.unknown_room_cache_bytes",
                self.limits.unknown_room_cache_bytes as u64,
            ),
            ("persist.flush_interval_ms", self.persist.flush_interval_ms),
            ("persist.compact_every", self.persist.compact_every),
            ("presence.ttl_secs", self.presence.ttl_secs),
            ("presence.heartbeat_secs", self.presence.heartbeat_secs),
            ("ws.ping_interval_secs", self.ws.ping_interval_secs),
            ("history.quiet_secs", self.history.quiet_secs),
            ("history.max_burst_secs", self.history.max_burst_secs),
            ("history.max_authors", self.history.max_authors as u64),
            ("history.max_name_chars", self.history.max_name_chars as u64),
            ("history.max_page", self.history.max_page as u64),
            ("database.pool_size", self.database.pool_size as u64),
            (
                "limits.id_cache_entries",
                self.limits.id_cache_entries as u64,
            ),
            ("auth.max_token_bytes", self.auth.max_token_bytes as u64),
            ("redis.pool_size", self.redis.pool_size as u64),
            ("redis.stream_max_bytes", self.redis.stream_max_bytes as u64),
            (
                "redis.stream_page_entries",
                self.redis.stream_page_entries as u64,
            ),
            (
                "redis.subscription_queue",
                self.redis.subscription_queue as u64,
            ),
            (
                "redis.subscription_queue_bytes",
                self.redis.subscription_queue_bytes as u64,
            ),
            (
                "redis.publish_queue_bytes",
                self.redis.publish_queue_bytes as u64,
            ),
            ("redis.reconnect_max_ms", self.redis.reconnect_max_ms),
            (
                "autocomplete.max_suggestions",
                self.autocomplete.max_suggestions as u64,
            ),
            (
                "autocomplete.cache_bytes",
                self.autocomplete.cache_bytes as u64,
            ),
        ];
        if let Some((key, _)) = positive.iter().find(|(_, v)| *v == 0) {
            return Err(SettingsError(format!("{key} must be greater than 0")));
        }
        if self.autocomplete.max_suggestions > 100 {
            return Err(SettingsError(
                "autocomplete.max_suggestions must be at most 100".into(),
            ));
        }
        let l = &self.limits;
        if l.send_queue_bytes < l.max_doc_bytes + l.max_frame_bytes {
            return Err(SettingsError(
                "limits.send_queue_bytes must hold a whole document and a frame \
                 (at least limits.max_doc_bytes + limits.max_frame_bytes)"
                    .into(),
            ));
        }
        if (l.byte_burst as usize) < l.max_frame_bytes || l.room_queue_bytes < l.max_frame_bytes {
            return Err(SettingsError(
                "limits.byte_burst and limits.room_queue_bytes must be at least \
                 limits.max_frame_bytes (a frame at the limit must get through)"
                    .into(),
            ));
        }
        let r = &self.redis;
        if r.subscription_queue_bytes < l.max_frame_bytes
            || r.publish_queue_bytes < 2 * l.max_frame_bytes
            || r.stream_max_bytes < l.max_frame_bytes
        {
            return Err(SettingsError(
                "redis.subscription_queue_bytes and redis.stream_max_bytes must be at least \
                 limits.max_frame_bytes, redis.publish_queue_bytes twice that \
                 (an update at the limit must get through)"
                    .into(),
            ));
        }
        // RFC 7518 3.2: an HS256 key at least as long as the hash.
        if let Some(secret) = &self.auth.token_secret
            && secret.expose().len() < 32
        {
            return Err(SettingsError(
                "auth.token_secret must be at least 32 bytes (use a random string)".into(),
            ));
        }
        if self.history.max_versions < 2 {
            return Err(SettingsError(
                "history.max_versions must be at least 2 (a named version and a checkpoint)".into(),
            ));
        }
        if self.presence.heartbeat_secs >= self.presence.ttl_secs {
            return Err(SettingsError(
                "presence.heartbeat_secs must be less than presence.ttl_secs".into(),
            ));
        }
        if self.redis.prefix.is_empty() || self.redis.prefix.contains(char::is_whitespace) {
            return Err(SettingsError(
                "redis.prefix must be non-empty and without spaces".into(),
            ));
        }
        if let Some(bad) = self
            .server
            .allowed_origins
            .iter()
            .find(|o| !crate::http::origin::is_valid_setting(o))
        {
            return Err(SettingsError(format!(
                "server.allowed_origins: {bad:?} is not `*` or scheme://host[:port]"
            )));
        }
        if self.redis.url.is_some() && self.database.url.is_none() {
            return Err(SettingsError(
                "redis.url (REDIS_URL) is set but database.url (DATABASE_URL) is not: \
                 the embedded store cannot be shared through a Redis bus; set both or neither"
                    .into(),
            ));
        }
        if self.database.url.is_some() && self.redis.url.is_none() {
            return Err(SettingsError(
                "database.url (DATABASE_URL) is set but redis.url (REDIS_URL) is not: \
                 the scaled-out mode needs both"
                    .into(),
            ));
        }
        Ok(())
    }

    /// True when instances share Postgres and Redis.
    pub fn is_distributed(&self) -> bool {
        self.database.url.is_some()
    }
}

/// A list setting: a sequence (TOML), or one string of comma-separated
/// items (environment); empty items are skipped, each item is parsed.
fn parsed_list<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: Display,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        One(String),
        Many(Vec<String>),
    }
    let items = match Raw::deserialize(deserializer)? {
        Raw::One(s) => s.split(',').map(str::to_owned).collect(),
        Raw::Many(v) => v,
    };
    items
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse()
                .map_err(|e| serde::de::Error::custom(format!("{s:?}: {e}")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(vars: &'static [(&'static str, &'static str)]) -> Result<Settings, SettingsError> {
        Settings::load_from(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn defaults_are_the_embedded_single_node() {
        let settings = with(&[]).unwrap();
        assert!(!settings.is_distributed());
        assert_eq!(settings.server.port, 8000);
        assert_eq!(settings.persist.flush_interval_ms, 500);
    }

    #[test]
    fn conventional_variables_are_honoured() {
        let settings = with(&[
            ("PORT", "9001"),
            ("DATABASE_URL", "postgres://u@h/db"),
            ("REDIS_URL", "redis://h"),
        ])
        .unwrap();
        assert_eq!(settings.server.port, 9001);
        assert!(settings.is_distributed());
    }

    #[test]
    fn token_secrets_are_checked_and_never_printed() {
        let defaults = with(&[]).unwrap();
        assert!(!defaults.auth.enabled());
        let mut settings = defaults.clone();
        settings.auth.token_secret = Some(Secret("too short".into()));
        let err = settings.validate().unwrap_err().to_string();
        assert!(err.contains("auth.token_secret"), "{err}");
        settings.auth.token_secret = Some(Secret("s3cr3t-".repeat(6)));
        assert!(settings.validate().is_ok() && settings.auth.enabled());
        assert!(!format!("{settings:?}").contains("s3cr3t"));
    }

    #[test]
    fn bad_settings_name_the_key() {
        let port = with(&[("PORT", "eighty")]).unwrap_err().to_string();
        assert!(port.contains("server.port"), "{port}");
        let bus = with(&[("REDIS_URL", "redis://h")]).unwrap_err().to_string();
        assert!(
            bus.contains("redis.url") && bus.contains("database.url"),
            "{bus}"
        );
        let store = with(&[("DATABASE_URL", "postgres://u@h/db")])
            .unwrap_err()
            .to_string();
        assert!(store.contains("redis.url"), "{store}");
    }

    /// The defaults plus `overrides`, deserialized as `load_from` does.
    fn overridden(overrides: &[(&str, &str)]) -> Result<Settings, String> {
        let mut builder = Config::builder();
        for (key, value) in DEFAULTS.iter().chain(overrides) {
            builder = builder.set_override(*key, *value).unwrap();
        }
        let settings: Settings = builder
            .build()
            .and_then(Config::try_deserialize)
            .map_err(|e| e.to_string())?;
        settings.validate().map_err(|e| e.to_string())?;
        Ok(settings)
    }

    #[test]
    fn list_settings_are_one_comma_separated_string_or_a_list() {
        let defaults = with(&[]).unwrap();
        let trusted: Vec<String> = defaults
            .server
            .trusted_proxies
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            trusted,
            [
                "127.0.0.0/8",
                "::1/128",
                "10.0.0.0/8",
                "172.16.0.0/12",
                "192.168.0.0/16",
                "fc00::/7"
            ]
        );
        assert!(defaults.server.allowed_origins.is_empty());

        let set = overridden(&[
            ("server.trusted_proxies", " 10.1.0.0/16 ,, 2001:db8::/32"),
            (
                "server.allowed_origins",
                "https://a.example, http://b.example:8080",
            ),
        ])
        .unwrap();
        assert_eq!(set.server.trusted_proxies.len(), 2);
        assert_eq!(
            set.server.allowed_origins,
            ["https://a.example", "http://b.example:8080"]
        );
        let none = overridden(&[("server.trusted_proxies", "")]).unwrap();
        assert!(none.server.trusted_proxies.is_empty());

        let list: Vec<IpNet> = parsed_list(serde_json::json!(["10.0.0.0/8", "::1/128"])).unwrap();
        assert_eq!(list.len(), 2);
    }

    #[test]
    fn bad_list_items_name_the_key() {
        let cidr = overridden(&[("server.trusted_proxies", "10.0.0.0/8,10.0.0.0/33")]).unwrap_err();
        assert!(
            cidr.contains("trusted_proxies") && cidr.contains("10.0.0.0/33"),
            "{cidr}"
        );
        let origin = overridden(&[("server.allowed_origins", "example.com")]).unwrap_err();
        assert!(origin.contains("server.allowed_origins"), "{origin}");
    }
}
