//! Simulated collaborators for pairprog and the benchmark we publish.
//!
//! # Layout
//!
//! - [`cli`]: the command line.
//! - [`run`]: one run: typing (steady or ramping), drain, convergence check.
//! - [`setup`]: rooms, who connects where, the state client tasks share.
//! - [`ramp`]: raising the rate or the rooms step by step, and judging steps.
//! - [`idle`]: what idle connections cost (memory, CPU).
//! - [`progress`]: typing for a while, a progress line a second.
//! - [`client`]: one simulated person over a WebSocket (any protocol).
//! - [`handshake`]: connecting and the protocol's opening.
//! - [`yjs`]: the y-websocket peer, sans-IO (a `yrs::Doc` and the handshake).
//! - [`framing`]: y-protocols messages bare or in Hocuspocus's framing.
//! - [`json_text`]: the JSON client's local text and its rebase, sans-IO.
//! - [`typist`]: what a person types: markers framed by letters, backspaces.
//! - [`marker`]: the unique token each edit carries, and scanning for it.
//! - [`stats`]: send log, latency histograms, lost-delivery accounting.
//! - [`converge`]: the end-of-run verdict for a room.
//! - [`rest`]: room creation and reading the stored code.
//! - [`procstat`]: CPU and memory of processes, our file limit.
//! - [`cpu`]: CPU marks of a run and the figures between them.
//! - [`report`]: the results, for people and as JSON.

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod cli;
pub mod client;
pub mod converge;
pub mod cpu;
pub mod framing;
pub mod handshake;
pub mod idle;
pub mod json_text;
pub mod marker;
pub mod procstat;
pub mod progress;
pub mod ramp;
pub mod report;
pub mod rest;
pub mod run;
pub mod setup;
pub mod stats;
pub mod typist;
pub mod yjs;
