"""Benchmarks and the synthetic corpus generator (``python -m bench.generate``)."""
