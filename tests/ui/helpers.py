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
