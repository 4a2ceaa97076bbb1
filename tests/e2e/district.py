"""The district of the end-to-end tests; it lives in bench/district.py, shared with the benchmarks."""

from __future__ import annotations

from bench.district import district_on_receivers

__all__ = ["district_on_receivers"]
