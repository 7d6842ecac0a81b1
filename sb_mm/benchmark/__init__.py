"""Benchmark helpers (tools/analysis_tools/benchmark.py)."""
