"""The first screen draws while torch is still importing."""
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent('''
    import asyncio, importlib.abc, importlib.machinery, sys, threading, time

    gate = threading.Event()
    loaded = threading.Event()

    class GatedLoader(importlib.abc.Loader):
        """Runs torch's own loader only once the test opens the gate. The wait is in
        exec_module, which holds torch's module lock only, so other imports go on."""
        def __init__(self, real):
            self.real = real
        def create_module(self, spec):
            return self.real.create_module(spec)
        def exec_module(self, module):
            gate.wait(60)
            self.real.exec_module(module)
            loaded.set()

    class SlowTorch(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name != "torch":
                return None
            spec = importlib.machinery.PathFinder.find_spec(name, path)
            spec.loader = GatedLoader(spec.loader)
            return spec

    sys.meta_path.insert(0, SlowTorch())

    from vgtui.app import VgtuiApp

    async def until(pilot, condition, what, timeout=60):
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, what
            await pilot.pause(0.05)

    def shown(app, selector):
        try:
            return str(app.screen.query_one(selector).render())
        except Exception:  # not mounted yet
            return ""

    async def main():
        app = VgtuiApp(start_screen="flow")
        async with app.run_test(size=(100, 30)) as pilot:
            await until(pilot, lambda: "Gradient Flow" in shown(app, "#title-bar")
                        and "torch is loading" in shown(app, "#flow-summary"),
                        "the page did not say torch is loading")
            assert not loaded.is_set(), "torch finished importing before the check"
            gate.set()  # now let torch load; the first result must follow
            await until(pilot, lambda: app.screen.result is not None, "no first result")
            print("drawn-before-torch")

    asyncio.run(main())
''')


def python(code: str) -> str:
    """Run ``code`` in a fresh Python (imports counted from zero); return what it printed."""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=180)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


@pytest.mark.slow
def test_first_screen_draws_before_torch_has_loaded():
    assert "drawn-before-torch" in python(SCRIPT)


OPENING = SCRIPT.split("async def main():")[0] + textwrap.dedent('''
    async def main():
        app = VgtuiApp()  # the opening screen: Long-range dependency, closed form
        async with app.run_test(size=(100, 30)) as pilot:
            await until(pilot, lambda: app.screen.__class__.__name__ == "LongRangeScreen"
                        and app.screen.result is not None, "no first result")
            assert not loaded.is_set(), "the closed form needed torch"
            print("computed-without-torch")
            gate.set()

    asyncio.run(main())
''')


@pytest.mark.slow
def test_opening_screen_computes_its_first_result_without_torch():
    assert "computed-without-torch" in python(OPENING)


def test_the_opening_screen_loads_no_numerics_before_it_draws():
    """What the first screen's modules import is start-up time: numpy, torch and the
    Markdown help viewer wait until they are needed (a worker, the first F1)."""
    code = ("import sys, vgtui.app, vgtui.screens.longrange; "
            "print(sorted(m for m in ('numpy', 'torch', 'textual.widgets._markdown') "
            "if m in sys.modules))")
    printed = python(code)
    assert printed.strip() == "[]", printed


async def test_garbage_is_collected_while_the_app_is_quiet_and_the_collector_given_back():
    """After start-up the app collects cyclic garbage itself, in quiet moments (an
    automatic collection could land in the middle of a key press), and switches
    Python's own collector back on when it ends."""
    import gc
    import weakref

    from vgtui import app as app_module
    from vgtui.app import VgtuiApp

    from .helpers import wait_until

    app = VgtuiApp(start_screen="quiz")
    async with app.run_test() as pilot:
        await wait_until(pilot, lambda: app._gc_timer is not None)
        assert not gc.isenabled()

        class Node:
            pass

        for _ in range(2 * app_module.GC_YOUNG):  # cycles: only a collection frees them
            node = Node()
            node.me = node
        last = weakref.ref(node)
        del node
        await wait_until(pilot, lambda: last() is None, timeout=20)
    assert gc.isenabled()
