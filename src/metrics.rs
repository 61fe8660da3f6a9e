//! Prometheus metrics, named `pairprog_*`. Room and connection gauges are
//! here so a leak shows on a dashboard before it shows in memory.

use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

type Labels = Vec<(&'static str, &'static str)>;

pub struct Metrics {
    registry: Registry,
    pub connections: Family<Labels, Gauge>,
    pub rooms_open: Gauge,
    pub updates: Counter,
    pub frames_sent: Counter,
    pub slow_consumers: Counter,
    pub rejected: Family<Labels, Counter>,
    pub persisted_updates: Counter,
    pub persist_errors: Counter,
    pub room_panics: Counter,
    pub bus_resyncs: Counter,
    pub rooms_created: Counter,
    pub unknown_room_lookups: Family<Labels, Counter>,
    pub http_requests: Family<Labels, Counter>,
    pub versions: Family<Labels, Counter>,
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("pairprog");
        let metrics = Self {
            connections: Family::default(),
            rooms_open: Gauge::default(),
            updates: Counter::default(),
            frames_sent: Counter::default(),
            slow_consumers: Counter::default(),
            rejected: Family::default(),
            persisted_updates: Counter::default(),
            persist_errors: Counter::default(),
            room_panics: Counter::default(),
            bus_resyncs: Counter::default(),
            rooms_created: Counter::default(),
            unknown_room_lookups: Family::default(),
            http_requests: Family::default(),
            versions: Family::default(),
            registry: Registry::default(),
        };
        registry.register(
            "connections",
            "Open WebSocket connections on this instance, by protocol",
            metrics.connections.clone(),
        );
        registry.register(
            "rooms_open",
            "Rooms loaded in this instance's memory",
            metrics.rooms_open.clone(),
        );
        registry.register(
            "room_panics",
            "Messages whose handling panicked inside a room (the connection was closed, the room kept)",
            metrics.room_panics.clone(),
        );
        registry.register(
            "updates",
            "Document updates applied from local clients",
            metrics.updates.clone(),
        );
        registry.register(
            "frames_sent",
            "WebSocket frames queued to local clients",
            metrics.frames_sent.clone(),
        );
        registry.register(
            "slow_consumers",
            "Clients disconnected because their send queue was full",
            metrics.slow_consumers.clone(),
        );
        registry.register(
            "rejected_messages",
            "Client messages refused, by reason",
            metrics.rejected.clone(),
        );
        registry.register(
            "persisted_updates",
            "Updates written to the store",
            metrics.persisted_updates.clone(),
        );
        registry.register(
            "persist_errors",
            "Failed store writes (retried)",
            metrics.persist_errors.clone(),
        );
        registry.register(
            "bus_resyncs",
            "Times a room re-merged stored state after losing bus messages",
            metrics.bus_resyncs.clone(),
        );
        registry.register(
            "rooms_created",
            "Rooms created through the API",
            metrics.rooms_created.clone(),
        );
        registry.register(
            "unknown_room_lookups",
            "Lookups of rooms that do not exist, by answer: missing (looked up), \
             cached (404 from memory), limited (429, not looked up)",
            metrics.unknown_room_lookups.clone(),
        );
        registry.register(
            "http_requests",
            "HTTP requests answered, by status class",
            metrics.http_requests.clone(),
        );
        registry.register(
            "versions",
            "Room versions recorded, by kind (auto, manual, restore), and failed writes",
            metrics.versions.clone(),
        );
        Self {
            registry,
            ..metrics
        }
    }

    /// Exports the bus's own counters (gap repairs, resyncs) on each scrape.
    pub fn with_bus(mut self, bus: Arc<dyn crate::bus::Bus>) -> Self {
        self.registry
            .register_collector(Box::new(BusCollector(bus)));
        self
    }

    pub fn reject(&self, reason: &'static str) {
        self.rejected.get_or_create(&vec![("reason", reason)]).inc();
    }

    pub fn versions_recorded(&self, kind: &'static str) {
        self.versions.get_or_create(&vec![("kind", kind)]).inc();
    }

    pub fn connection_gauge(&self, protocol: &'static str) -> Gauge {
        self.connections
            .get_or_create(&vec![("protocol", protocol)])
            .clone()
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

struct BusCollector(Arc<dyn crate::bus::Bus>);

impl std::fmt::Debug for BusCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BusCollector")
    }
}

impl Collector for BusCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let stats = self.0.stats();
        for (name, help, value) in [
            (
                "bus_gaps_repaired",
                "Sequence gaps in a room's bus messages repaired from the Redis stream",
                stats.gaps_repaired,
            ),
            (
                "bus_stream_resyncs",
                "Rooms told by the bus to re-merge from the store (gap beyond the stream, full subscription, a peer's resync marker)",
                stats.resyncs,
            ),
            (
                "bus_publish_dropped",
                "Messages not published: the publish queue was full or Redis refused them",
                stats.publish_dropped,
            ),
        ] {
            let counter = ConstCounter::new(value);
            let metric = encoder.encode_descriptor(name, help, None, counter.metric_type())?;
            counter.encode(metric)?;
        }
        Ok(())
    }
}
