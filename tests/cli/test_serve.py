"""``vgtui serve`` (issue 16): the app in a browser through textual-serve, the optional
web extra. Skipped where textual-serve is not installed; without it the command says in
one line how to install it."""
from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_without_the_extra_is_one_line(run_cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "textual_serve", None)
    monkeypatch.setitem(sys.modules, "textual_serve.server", None)
    code, out, err = run_cli("serve", "--port", "8123")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "pip install 'vgtui[web]'" in err


@pytest.mark.parametrize("args,flag", [(["--port", "0"], "--port"), (["--port", "x"], "--port"),
                                       (["--screen", "nope"], "--screen")])
def test_serve_bad_flags(run_cli, args, flag):
    code, _, err = run_cli("serve", *args)
    assert code == 2 and err.count("\n") == 1 and flag in err


def test_app_under_the_web_driver_is_not_refused():
    """textual-serve starts the app with pipes, not a terminal: that is not refused."""
    from vgtui import cli

    old = os.environ.get("TEXTUAL_DRIVER")
    os.environ["TEXTUAL_DRIVER"] = "textual.drivers.web_driver:WebDriver"
    try:
        assert cli._has_terminal()
    finally:
        if old is None:
            del os.environ["TEXTUAL_DRIVER"]
        else:
            os.environ["TEXTUAL_DRIVER"] = old


@pytest.mark.slow
def test_serve_serves_the_page_and_starts_the_app():
    pytest.importorskip("textual_serve.server")
    aiohttp = pytest.importorskip("aiohttp")
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path[1:]])}
    server = subprocess.Popen([sys.executable, "-m", "vgtui", "serve", "--host", "127.0.0.1",
                               "--port", str(port), "--screen", "decay"],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, env=env, cwd=ROOT)
    try:
        page = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and page is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as r:
                    assert r.status == 200
                    page = r.read().decode()
            except OSError:
                time.sleep(0.3)
        assert page is not None, "the server did not answer"
        assert "<html" in page.lower() and "/ws" in page and "vgtui" in page

        async def first_frames() -> bytes:
            got = b""
            async with aiohttp.ClientSession() as session:
                async with session.ws_connect(
                        f"ws://127.0.0.1:{port}/ws?width=100&height=30") as ws:
                    end = time.monotonic() + 60
                    while time.monotonic() < end and b"Decay" not in got:
                        try:
                            msg = await ws.receive(timeout=5)
                        except asyncio.TimeoutError:
                            continue
                        if msg.type == aiohttp.WSMsgType.BINARY:
                            got += msg.data
                        elif msg.type == aiohttp.WSMsgType.TEXT:
                            got += msg.data.encode()
                        elif msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                            break
            return got

        frames = asyncio.run(first_frames())
        assert b"Decay" in frames, frames[-500:]  # the app drew its Decay tables screen
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
