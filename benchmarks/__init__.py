"""vgtui's benchmark suite: run with ``python -m benchmarks`` from the repository root."""
