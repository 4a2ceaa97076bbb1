"""The HTTP API: reads the SQL read model, writes only by publishing to Kafka."""
