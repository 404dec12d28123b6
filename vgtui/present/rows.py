"""Which rows a long per-step table shows."""
from __future__ import annotations

import math


def shown_steps(steps: int, every: int | None = None, target: int = 50) -> list[int]:
    """Indices (0-based) of the rows a table shows: all, every K-th, or about
    ``target`` spread evenly; the first and last step are always included."""
    if every is None:
        every = 1 if steps <= 2 * target else math.ceil(steps / target)
    return sorted(set(range(0, steps, every)) | {0, steps - 1})
