"""journeystack's benchmark suite: `python -m bench` (see bench/README.md and docs/benchmarks.md)."""
