"""Benchmarks shipped with the package, so ``tuimon bench`` runs from any install.

``ingest`` (market worker vs a bare websockets loop), ``book`` (book apply vs other
libraries), ``terminal`` (the monitor on a pseudo-terminal), ``report`` (table and JSON),
``command`` (the CLI). ``tests/bench/bench_*.py`` are thin wrappers with their old output.
"""
