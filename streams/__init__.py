"""The faust stream-processing app: wire records, topics and agents."""
