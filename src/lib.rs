//! pairprog: a real-time pair-programming server.
//!
//! # Layout
//!
//! - [`settings`]: typed, layered configuration.
//! - [`app`]: builds the server from settings; serve and graceful shutdown.
//! - [`http`]: the edge — REST, the y-websocket and JSON WebSocket
//!   protocols, who may edit (view ids, signed tokens), health, metrics,
//!   docs and the static browser app.
//! - [`room`]: live rooms, one actor each: document, awareness, local
//!   connections, persistence batching, relay and history checkpoints.
//! - [`doc`]: the shared document model (pure yrs, UTF-16 offsets).
//! - [`wire`]: the y-protocols wire format, walked with bounded memory
//!   before yrs decodes it.
//! - [`store`]: durable storage — SQLite (single node) or Postgres.
//! - [`bus`]: relay between instances — in-process or Redis.
//! - [`autocomplete`]: code suggestions for the app's eight languages, from
//!   the document itself and each language's tables.
//! - [`domain`]: parsed ids and names; [`error`]: the HTTP error type;
//!   [`metrics`]: Prometheus metrics.

pub mod app;
pub mod autocomplete;
pub mod bus;
pub mod doc;
pub mod domain;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod http;
pub(crate) mod mailbox;
pub mod metrics;
pub mod room;
pub mod settings;
pub mod store;
pub mod telemetry;
pub mod wire;

pub use app::{Application, Stop};
pub use settings::Settings;
