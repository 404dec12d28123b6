"""The Watch screen: it follows a log that a real training process is writing
(new records, a half-written last line, a restarted run), moves through records,
layers and quantities, and says what is wrong with files that are not logs."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from vgtui.app import VgtuiApp
from vgtui.screens.watch import WatchScreen, sample_paths
from vgtui.widgets.help import HelpScreen

from .helpers import screen_text, text_of, wait_until

START = 90.0  # a fresh Python importing torch on a busy machine

# A training loop with a probe that waits for the test between phases; the signals are
# files the test creates in the same directory.
TRAINER = textwrap.dedent("""
    import os, sys, time, torch, vgtui
    here, log = sys.argv[1], sys.argv[2]
    torch.set_num_threads(1)

    def wait_for(name):
        while not os.path.exists(os.path.join(here, name)):
            time.sleep(0.02)

    def train(cell, steps, first_step=0):
        torch.manual_seed(0)
        model = cell(2, 6, num_layers=2)
        opt = torch.optim.SGD(model.parameters(), lr=0.05)
        probe = vgtui.Probe(model, log, every=1)
        for step in range(first_step, first_step + steps):
            x = torch.randn(12, 4, 2)
            out, _ = model(x)
            loss = out[-1].pow(2).mean()
            opt.zero_grad(); loss.backward(); opt.step()
            probe.observe(step, x, lambda o: o[0][-1].pow(2).mean())
        return probe

    probe = train(torch.nn.LSTM, 5)
    wait_for("go-half")
    last = open(log, "rb").read().splitlines()[-1]
    record = last.replace(b'"step":4', b'"step":5', 1)
    with open(log, "ab") as fh:  # half a line, as a reader sees a record being written
        fh.write(record[: len(record) // 2]); fh.flush()
        open(os.path.join(here, "half-written"), "w").close()
        wait_for("go-rest")
        fh.write(record[len(record) // 2:] + b"\\n"); fh.flush()
    probe.close()
    wait_for("go-restart")
    train(torch.nn.GRU, 3).close()  # a new run into the same file
    open(os.path.join(here, "done"), "w").close()
""")


def runs_of(app) -> list:
    screen = app.screen
    return screen.views if isinstance(screen, WatchScreen) else []


@pytest.mark.slow
async def test_following_a_training_process_through_a_half_line_and_a_restart(tmp_path):
    log = tmp_path / "run.jsonl"
    script = tmp_path / "trainer.py"
    script.write_text(TRAINER)
    signal = lambda name: (tmp_path / name).write_text("")  # noqa: E731
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    proc = subprocess.Popen([sys.executable, str(script), str(tmp_path), str(log)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        app = VgtuiApp(start_screen="watch")
        app.watch_files = [str(log)]  # started before the log exists: it waits
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_until(pilot, lambda: runs_of(app) and runs_of(app)[0].state == "waiting"
                             or (runs_of(app) and runs_of(app)[0].records > 0), timeout=START)
            # the training process writes five records: all shown while it runs
            await wait_until(pilot, lambda: runs_of(app)[0].records == 5, timeout=START)
            view = runs_of(app)[0]
            assert view.arch == "lstm" and view.latest.step == 4 and view.garbage == 0
            assert "5 records, step 4" in screen_text(app)
            # half a record on the last line: not a record, not garbage, until its end
            signal("go-half")
            await wait_until(pilot, lambda: (tmp_path / "half-written").exists())
            screen = app.screen
            await wait_until(pilot, lambda: screen.runs[0].buffer != b"")
            assert runs_of(app)[0].records == 5 and runs_of(app)[0].garbage == 0
            signal("go-rest")
            await wait_until(pilot, lambda: runs_of(app)[0].records == 6)
            assert runs_of(app)[0].latest.step == 5 and runs_of(app)[0].garbage == 0
            # a new run into the same file: noticed, said, and read from its start
            signal("go-restart")
            await wait_until(pilot, lambda: (tmp_path / "done").exists(), timeout=START)
            await wait_until(pilot, lambda: runs_of(app)[0].arch == "gru"
                             and runs_of(app)[0].records == 3)
            view = runs_of(app)[0]
            assert view.restarts == 1 and view.first.step == 0
            assert "starting over" in screen_text(app)
            assert app._exception is None
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode is not None


def write_log(path, header: dict, records: list[dict], extra: str = "") -> None:
    path.write_text("".join(json.dumps(x) + "\n" for x in [header, *records]) + extra)


def lstm_log(tmp_path, name="a.jsonl", records=4, layers=2):
    header = {"vgtui_watch": 1, "arch": "lstm", "module": "rnn", "module_type": "LSTM",
              "layers": layers, "hidden": 8, "input_size": 2, "parameters": 100,
              "torch": "2.x", "device": "cpu"}
    rows = []
    for s in range(records):
        layer = {"log10_grad_h": [-6 + s + t for t in range(6)],
                 "log10_grad_c": [-5 + t for t in range(6)], "factor": 0.5, "horizon": 3,
                 "verdict": "vanishing", "spectral_radius": 0.9, "spectral_norm": 1.2,
                 "forget_gate": 0.6, "log10_lag": [0, -1, -2, -3, -4, -5], "lag_factor": 0.1,
                 "lag_horizon": 4}
        rows.append({"step": 10 * s, "time": s, "loss": 1.0 / (s + 1), "steps": 6, "batch": 2,
                     "bins": None, "layers": [layer] * layers,
                     "log10_grad_x": [-7 + t for t in range(6)], "lag_steps": 1, "params": {}})
    path = tmp_path / name
    write_log(path, header, rows)
    return path


async def open_on(paths, size=(100, 32)):
    app = VgtuiApp(start_screen="watch")
    app.watch_files = [str(p) for p in paths]
    return app


async def test_keys_move_through_records_layers_and_quantities(tmp_path):
    app = await open_on([lstm_log(tmp_path)])
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_until(pilot, lambda: getattr(app.screen, "views", None)
                         and app.screen.views[0].records == 4)
        screen = app.screen
        legend = lambda: text_of(screen.query_one("#watch-legend"))  # noqa: E731
        assert "latest record (following)" in legend()
        await pilot.press("left")
        assert screen.sel.step == 20 and "record at step 20" in legend()
        await pilot.press("home")
        assert screen.sel.step == 0
        await pilot.press("end")
        assert screen.sel.step is None
        await pilot.press("l")
        assert screen.sel.layer == 1 and "layer 2 of 2" in legend()
        await pilot.press("l")
        assert screen.sel.layer == 0
        for key, quantity, title in (("v", "c", "dL/dc_t"), ("v", "x", "dL/dx_t"),
                                     ("v", "lag", "lag profile"), ("v", "h", "dL/dh_t"),
                                     ("x", "x", "dL/dx_t"), ("k", "lag", "lag"),
                                     ("h", "h", "dL/dh_t")):
            await pilot.press(key)
            assert screen.sel.quantity == quantity and title in legend(), key
        assert "k=5" in screen_text(app) or screen.sel.quantity == "h"
        assert app._exception is None


@pytest.mark.slow
async def test_a_quantity_a_log_lacks_is_refused_inline(tmp_path):
    path = tmp_path / "rnn.jsonl"
    header = {"vgtui_watch": 1, "arch": "rnn", "layers": 1, "hidden": 3, "input_size": 1}
    rec = {"step": 0, "loss": 1.0, "steps": 3, "layers": [
        {"log10_grad_h": [-2, -1, 0], "factor": 0.1, "verdict": "vanishing"}],
        "log10_grad_x": [-3, -2, -1]}
    write_log(path, header, [rec])
    app = await open_on([path])
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: getattr(app.screen, "views", None)
                         and app.screen.views[0].records == 1)
        screen = app.screen
        await pilot.press("k")
        assert screen.sel.quantity == "h"
        assert "not in these logs" in text_of(screen.query_one("#status-line"))


async def test_a_log_without_the_quantity_shown_says_so_in_its_chart():
    """Beside an LSTM, a vanilla RNN has no cell state: on ||dL/dc_t|| its chart says
    that, rather than that it waits for a record."""
    from vgtui.widgets.log_chart import LogChart

    rnn = next(p for p in sample_paths() if p.endswith("-rnn.jsonl"))
    lstm = next(p for p in sample_paths() if p.endswith("-lstm.jsonl"))
    app = await open_on([rnn, lstm])
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: getattr(app.screen, "views", None)
                         and all(v.records for v in app.screen.views))
        screen = app.screen
        await pilot.press("v")
        await wait_until(pilot, lambda: screen.sel.quantity == "c")
        charts = list(screen.query(LogChart))
        await wait_until(pilot, lambda: "this log has no" in charts[0].render().plain)
        assert charts[1].series  # the LSTM's own chart is drawn


@pytest.mark.slow
async def test_garbage_unknown_schema_and_missing_files_side_by_side(tmp_path):
    good = lstm_log(tmp_path, "good.jsonl")
    with open(good, "a") as fh:
        fh.write("this is not json\n")
    future = tmp_path / "future.jsonl"
    write_log(future, {"vgtui_watch": 99, "layers": 1}, [])
    notes = tmp_path / "notes.txt"
    notes.write_text("just some text\n")
    missing = tmp_path / "later.jsonl"
    app = await open_on([good, future, notes, missing])
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_until(pilot, lambda: getattr(app.screen, "views", None)
                         and len(app.screen.views) == 4 and app.screen.views[0].garbage == 1)
        wanted = ("1 line skipped", "unknown log schema version 99", "not a vgtui watch log",
                  "waiting for")
        # the views are read before the screen draws them: wait for the drawing
        await wait_until(pilot, lambda: all(w in screen_text(app) for w in wanted))
        # the missing file appears: it is read without a restart of the screen
        lstm_log(tmp_path, "later.jsonl", records=2)
        await wait_until(pilot, lambda: app.screen.views[3].records == 2)


@pytest.mark.slow
async def test_paths_typed_in_the_field_with_a_glob(tmp_path):
    lstm_log(tmp_path, "one.jsonl")
    lstm_log(tmp_path, "two.jsonl")
    app = VgtuiApp(start_screen="watch")
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, WatchScreen))
        screen = app.screen
        assert "No log to follow" in screen_text(app)
        await pilot.press("o")
        field = screen.query_one("#watch-open")
        field.value = str(tmp_path / "*.jsonl")
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(screen.views) == 2
                         and all(v.records == 4 for v in screen.views))
        assert screen.cli_command().endswith("--json") and "one.jsonl" in screen.cli_command()
        await pilot.press("o")
        field.value = "bad\x00path"
        await pilot.press("enter")
        assert "NUL" in text_of(screen.query_one("#status-line"))
        assert len(screen.views) == 2  # the logs on show stay


@pytest.mark.slow
async def test_help_explains_how_to_read_the_heatmap():
    app = VgtuiApp(start_screen="watch")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, WatchScreen))
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert "How to read the heatmap" in app.screen.markdown
        assert "▁" in app.screen.markdown and "decade" in app.screen.markdown


@pytest.mark.parametrize("path", sample_paths())
def test_the_sample_logs_are_complete_vgtui_logs(path):
    from vgtui.engine.watchlog import read_log

    run = read_log(path)
    assert run.records >= 10 and run.garbage == 0 and run.header["arch"] in path
