"""Bursts of keys into every numeric field of every computing screen (issue 14).

Each burst is queued on the app in one go: the sequence from the issue (End, Backspace x5,
"1.25"), a held Backspace followed by typing, and a held Backspace followed by a paste.
Afterwards the field holds exactly what was typed, the configuration the screen computed
from is the one the fields show, and the ``c`` command names the same value (or the
field's error is shown inline and the last good result stays).
"""
from __future__ import annotations

import shlex
from functools import cache

import pytest

from vgtui.app import VgtuiApp
from vgtui.cli import build_parser
from vgtui.engine.errors import VgtuiError
from vgtui.screens.config_page import ConfigPage
from vgtui.topics import TOPICS
from vgtui.widgets.controls import ControlPanel
from vgtui.widgets.field_input import FieldInput

from .bursts import Paste, burst, typed_text
from .helpers import every_screen, settled, text_of

CONFIG_SCREENS = [t.id for t in TOPICS
                  if issubclass(t.load(), ConfigPage)]

HELD = ["backspace"] * 20
BURSTS = [
    ["end"] + ["backspace"] * 5 + list("1.25"),  # the tmux send-keys line
    ["end"] + HELD + list("0.3"),  # a held Backspace, then typing
    ["end"] + HELD + [Paste("12")],  # a held Backspace, then a paste
]
# Where the ``c`` command carries a field: (lookup, which of its commands, argparse dest),
# where that is not (the screen's only lookup, 0, the field's own name).
FLAGS = {
    ("chain", "weight"): ("trace", 0, "weight"),
    ("chain", "trace_steps"): ("trace", 0, "steps"),
    ("chain", "h0"): ("trace", 0, "h0"),
    ("chain", "gamma"): ("decay", 0, "factors"),
    ("chain", "gamma_steps"): ("decay", 0, "steps"),
    ("decay", "lengths"): ("decay", 0, "steps"),
    ("decay", "scales"): ("decay", 0, "scales"),
    ("activations", "points"): ("activations", 0, "at"),
    ("jacobian", "matrix"): ("jacobian", 1, "matrix"),
    ("jacobian", "derivative"): ("jacobian", 1, "derivative"),
    ("jacobian", "powers"): ("jacobian", 1, "steps"),
    ("exploding", "tau"): ("clip", 0, "tau"),
    ("exploding", "scales"): ("lyapunov", 0, "scales"),
    ("experiments", "archs"): ("train", 0, "arch"),
    ("longrange", "text"): ("longrange", 0, "sentence"),
}
# Fields no lookup prints: the forget-gate toy is closed form and drawn by the screen only.
NO_FLAG = {("forget", "toy_factor"), ("forget", "toy_gate"), ("forget", "toy_steps")}
# Fields of Decay's measured tab: its command is printed while that tab is shown.
MEASURED_TAB = {"steps", "hidden", "seed", "scales", "activations"}


def numeric_fields(screen) -> list[FieldInput]:
    """Every typed field the user can reach now (choice fields are Selects)."""
    return [f for f in screen.query(FieldInput)
            if not f.disabled and f.display and f.parent.display
            and f.parent.parent.display]


@cache
def _parser():
    return build_parser()  # some 10 ms to build; checked after every burst


def command_args(screen) -> list:
    """The ``c`` command parsed back by the CLI's own parser (one namespace per lookup)."""
    command = screen.cli_command()
    assert command, f"{screen.SCREEN_ID}: no command"
    parser = _parser()
    spaces = []
    for part in command.split(" && "):
        words = shlex.split(part)
        assert words[0] == "vgtui", command
        spaces.append(parser.parse_args(words[1:]))
    return spaces


def flag_value(screen, name: str):
    """(found, value) of the flag that carries field ``name`` in the ``c`` command; a
    flag left out has the lookup's default."""
    screen_id = screen.SCREEN_ID
    spaces = command_args(screen)
    lookup, index, dest = FLAGS.get((screen_id, name), (spaces[0].command, 0, name))
    matching = [ns for ns in spaces if ns.command == lookup]
    assert len(matching) > index, f"{screen.cli_command()!r}: no vgtui {lookup} #{index}"
    ns = matching[index]
    if not hasattr(ns, dest):
        return False, None
    value = getattr(ns, dest)
    return True, lookup_default(lookup, dest) if value is None else value


def lookup_default(lookup: str, name: str):
    """What a lookup uses for a flag the command leaves out: the engine's default."""
    from vgtui.engine.config import CompareConfig, RNNConfig
    from vgtui.engine.experiment_config import ExperimentConfig
    from vgtui.engine.longrange import LongRangeConfig

    config = {"compare": CompareConfig, "train": ExperimentConfig,
              "longrange": LongRangeConfig}.get(lookup, RNNConfig)()
    assert hasattr(config, name), f"no default known for vgtui {lookup} --{name}"
    return getattr(config, name)


def same(a, b) -> bool:
    """Equal values; a one-element list (``--factors 0.7``) equals its element."""
    if isinstance(a, (list, tuple)) and len(a) == 1 and not isinstance(b, (list, tuple)):
        return same(a[0], b)
    if isinstance(a, str) != isinstance(b, str):  # a flag kept as text ("--steps 12")
        try:
            return float(a) == float(b)
        except (TypeError, ValueError):
            a, b = str(a), str(b)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) or isinstance(b, float):
        try:
            return float(a) == float(b)
        except (TypeError, ValueError):
            return False
    return a == b


async def check_agrees(pilot, screen, field: FieldInput, expected: str, what: str) -> None:
    await settled(pilot, screen)
    name = field.id.removeprefix("field-")
    assert field.value == expected, f"{what}: field shows {field.value!r}, typed {expected!r}"
    panel = next(a for a in field.ancestors if isinstance(a, ControlPanel))
    values, errors = screen.values()
    status = text_of(screen.status)
    if errors:
        assert name in errors, f"{what}: another field broke: {errors}"
        assert "✗" in status, f"{what}: {errors[name]!r} not shown ({status!r})"
        assert panel.errors.get(name), f"{what}: no inline error under the field"
        return
    try:
        config = screen.make_config(values)
    except (VgtuiError, ValueError):
        assert "✗" in status, f"{what}: a cross-field refusal not shown ({status!r})"
        return
    assert screen.config == config, f"{what}: the screen's config is not what the fields show"
    if "✗" in status:  # the engine refused it (a budget): the last good result stays
        assert screen.shown_key is not None
        return
    assert screen.shown_key[0] == config, f"{what}: the result on screen is for other settings"
    if (screen.SCREEN_ID, name) in NO_FLAG:
        return
    found, value = flag_value(screen, name)
    command = screen.cli_command()
    assert found, f"{what}: {command!r} has no flag for {name}"
    assert same(value, values[name]), f"{what}: {command!r} says {value!r}, the field {values[name]!r}"


@pytest.mark.parametrize("screen_id", every_screen(CONFIG_SCREENS))
async def test_bursts_into_every_numeric_field(screen_id, monkeypatch):
    monkeypatch.setenv("VGTUI_SECONDS", "5")  # a burst that asks for too much is refused
    app = VgtuiApp(start_screen=screen_id)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        await settled(pilot, screen, timeout=60)
        fields = numeric_fields(screen)
        assert fields, f"{screen_id} has no numeric field"
        for field in fields:
            name = field.id.removeprefix("field-")
            if screen_id == "decay":
                screen.action_show_tab("tab-measured" if name in MEASURED_TAB else "tab-closed")
            for number, keys in enumerate(BURSTS):
                field.focus()
                await pilot.pause()
                start = field.value
                await burst(pilot, keys)
                await check_agrees(pilot, screen, field, typed_text(start, keys),
                                   f"{screen_id}.{name} burst {number}")
            screen.action_defaults()
            await settled(pilot, screen)
