"""Adapters and operations: settings, SQL, Kafka, notification channels."""
