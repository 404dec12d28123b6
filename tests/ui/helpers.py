"""Shared Pilot helpers: wait for a worker's result rather than sleeping blindly."""
from __future__ import annotations

import time


async def wait_until(pilot, condition, timeout: float = 15.0, step: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        await pilot.pause(step)
        if condition():
            return
    raise AssertionError("condition not met in time")


def text_of(widget) -> str:
    rendered = widget.render()
    return str(getattr(rendered, "plain", rendered))


async def settled(pilot, screen, timeout: float = 30.0):
    """Wait until a ConfigPage has nothing pending: no debounced request, no job out."""
    def done():
        requests = getattr(screen, "requests", None)
        pending = requests is not None and requests.pending is not None
        return not pending and screen.is_ready()
    await pilot.pause()
    await wait_until(pilot, done, timeout=timeout)
