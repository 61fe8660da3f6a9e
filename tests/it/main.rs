//! Integration tests: real server processes on loopback ports, real
//! Postgres and Redis (a fresh database and key prefix per test), real
//! WebSocket clients for both protocols.

#![allow(clippy::unwrap_used)]

mod support;

mod autocomplete;
mod cluster;
mod durability;
mod edge;
mod history;
mod hostile;
mod json_protocol;
mod limits;
mod redis_faults;
mod rest;
mod rolling;
mod tokens;
mod view;
mod yjs_protocol;
