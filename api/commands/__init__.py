"""Commands: request bodies, and the service that publishes them to Kafka, audits them and waits on them."""
