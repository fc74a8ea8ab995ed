"""Prometheus metrics; names are part of the operational contract, keep them stable."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

DELIVERIES_RECEIVED = Counter(
    "escalator_deliveries_received_total", "Webhook deliveries accepted into the inbox", ["kind"]
)
DELIVERIES_DUPLICATE = Counter(
    "escalator_deliveries_duplicate_total", "Webhook deliveries recognised as duplicates"
)
DELIVERIES_REJECTED = Counter(
    "escalator_deliveries_rejected_total", "Webhook deliveries refused", ["reason"]
)
DELIVERIES_DEAD = Counter("escalator_deliveries_dead_total", "Deliveries moved to dead")
QUEUE_DEPTH = Gauge("escalator_queue_depth", "Deliveries waiting or in progress")
PROCESSING_SECONDS = Histogram(
    "escalator_delivery_processing_seconds",
    "Time to process one delivery",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
ESCALATION_OUTCOMES = Counter(
    "escalator_escalation_outcomes_total", "Decisions taken, by outcome", ["outcome"]
)
ZENDESK_CALLS = Counter(
    "escalator_zendesk_calls_total", "Zendesk API calls", ["method", "endpoint", "status"]
)
ZENDESK_RATE_LIMITED = Counter("escalator_zendesk_429_total", "Zendesk answers with 429")
