"""The local Apache Kafka broker (KRaft, from Maven Central) and Kafka admin helpers.

- `broker.LocalBroker` runs one single-node broker under the data directory for development and CI.
- `admin.ensure_topics` / `admin.probe` talk to any broker through aiokafka's admin client.
"""
