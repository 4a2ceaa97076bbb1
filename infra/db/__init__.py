"""The SQL read model: tables, engine, projection of events and queries."""
