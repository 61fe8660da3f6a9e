//! Simulated collaborators for pairprog and the benchmark we publish.
//!
//! # Layout
//!
//! - [`cli`]: the command line.
//! - [`run`]: one run: rooms, clients, typing (steady or ramping), drain,
//!   convergence check; and the idle-connection memory mode.
//! - [`client`]: one simulated person over a WebSocket (either protocol).
//! - [`yjs`]: the y-websocket peer, sans-IO (a `yrs::Doc` and the handshake).
//! - [`json_text`]: the JSON client's local text and its rebase, sans-IO.
//! - [`typist`]: what a person types: markers framed by letters, backspaces.
//! - [`marker`]: the unique token each edit carries, and scanning for it.
//! - [`stats`]: send log, latency histograms, lost-delivery accounting.
//! - [`converge`]: the end-of-run verdict for a room.
//! - [`rest`]: room creation and reading the stored code.
//! - [`procstat`]: CPU and memory of processes, our file limit.
//! - [`report`]: the results, for people and as JSON.

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod cli;
pub mod client;
pub mod converge;
pub mod json_text;
pub mod marker;
pub mod procstat;
pub mod report;
pub mod rest;
pub mod run;
pub mod stats;
pub mod typist;
pub mod yjs;
