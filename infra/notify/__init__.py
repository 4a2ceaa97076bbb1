"""Composition of the delivery layer for the worker: channels from settings, durable stores, outbox and sink."""
