"""Seeded draws from torch's process-wide random generator, one at a time.

``torch.nn`` modules take their initial weights from the global generator, and
article scripts are reproduced by seeding it (``torch.manual_seed``). Two worker
threads doing that at once interleave their draws: the same seed then gives
different weights depending on what else is running. Every seeded construction
in vgtui goes through ``global_seed``, which holds one lock for its whole extent
and restores the caller's random state afterwards.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Iterator

_GLOBAL_GENERATOR = threading.RLock()


@contextmanager
def global_seed(seed: int) -> Iterator[None]:
    """Within the block torch's global generator starts from ``seed`` and no other
    vgtui thread draws from it; outside, its state is as it was before."""
    import torch  # torch: loaded on first use

    with _GLOBAL_GENERATOR, torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield
