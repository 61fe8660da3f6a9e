//! Logging: human-readable by default, JSON lines when `log.json` is set.

use tracing_subscriber::EnvFilter;

use crate::settings::LogSettings;

pub fn init(log: &LogSettings) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&log.level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second init (tests) is harmless: the first subscriber stays.
    let _ = if log.json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
