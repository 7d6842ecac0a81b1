"""Helpers of the tools (train, test, benchmark)."""
