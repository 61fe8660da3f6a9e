//! Typed settings, layered: built-in defaults < optional `pairprog.toml` <
//! `PAIRPROG__SECTION__KEY` environment variables < the conventional `HOST`,
//! `PORT`, `DATABASE_URL` and `REDIS_URL`.
//!
//! Everything that bounds a size or a rate lives here, so an operator can
//! tune it without a rebuild, and `validate` refuses nonsense at start-up
//! with one line that names the offending key.

use std::path::PathBuf;

use config::{Config, Environment, File};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub server: ServerSettings,
    pub store: StoreSettings,
    pub database: DatabaseSettings,
    pub redis: RedisSettings,
    pub persist: PersistSettings,
    pub presence: PresenceSettings,
    pub limits: Limits,
    pub ws: WsSettings,
    pub log: LogSettings,
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
    /// Entries kept in each room's update stream: the gap-repair window,
    /// and the tail a cold room merges on top of what Postgres holds.
    pub stream_max_len: usize,
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
    /// Frames queued for one socket before it counts as too slow.
    pub send_queue: usize,
}

#[derive(Debug, Clone, Deserialize)]
pub struct WsSettings {
    pub ping_interval_secs: u64,
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
    ("store.data_dir", "./data"),
    ("database.pool_size", "16"),
    ("redis.pool_size", "16"),
    ("redis.prefix", "pairprog"),
    ("redis.stream_max_len", "2000"),
    ("persist.flush_interval_ms", "500"),
    ("persist.compact_every", "200"),
    ("presence.ttl_secs", "30"),
    ("presence.heartbeat_secs", "10"),
    ("limits.max_frame_bytes", "1048576"),
    ("limits.max_doc_bytes", "2097152"),
    ("limits.max_conns_per_room", "200"),
    ("limits.msgs_per_sec", "60"),
    ("limits.msg_burst", "200"),
    ("limits.max_msgs_per_frame", "64"),
    ("limits.rooms_per_minute", "30"),
    ("limits.send_queue", "1024"),
    ("ws.ping_interval_secs", "20"),
    ("log.json", "false"),
    ("log.level", "info"),
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
        let settings: Settings = builder
            .build()
            .and_then(Config::try_deserialize)
            .map_err(|e| SettingsError(e.to_string()))?;
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
            ("limits.send_queue", self.limits.send_queue as u64),
            ("persist.flush_interval_ms", self.persist.flush_interval_ms),
            ("persist.compact_every", self.persist.compact_every),
            ("presence.ttl_secs", self.presence.ttl_secs),
            ("presence.heartbeat_secs", self.presence.heartbeat_secs),
            ("ws.ping_interval_secs", self.ws.ping_interval_secs),
            ("database.pool_size", self.database.pool_size as u64),
            ("redis.pool_size", self.redis.pool_size as u64),
            ("redis.stream_max_len", self.redis.stream_max_len as u64),
        ];
        if let Some((key, _)) = positive.iter().find(|(_, v)| *v == 0) {
            return Err(SettingsError(format!("{key} must be greater than 0")));
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
}
