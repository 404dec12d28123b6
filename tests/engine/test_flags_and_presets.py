"""Configs write the command-line flags that rebuild them, and presets are one type in
one table: what the ``c`` key shows and what ``--preset`` loads come from the engine."""
import shlex

import pytest

from vgtui.cli import build_parser
from vgtui.cli import compare as compare_cli
from vgtui.cli import flow as flow_cli
from vgtui.cli import longrange as longrange_cli
from vgtui.cli import train as train_cli
from vgtui.engine.config import CompareConfig, RNNConfig, RNN_FLAG_FIELDS
from vgtui.engine.errors import ConfigError
from vgtui.engine.experiment_config import ExperimentConfig, command_line
from vgtui.engine.longrange import EXAMPLES, LongRangeConfig
from vgtui.engine.presets import (FORGET_BASE, PRESETS, Preset, find_preset, matching_preset,
                                  preset_changes, preset_config, preset_names, presets_for)

# The command strings the screens showed before the flags moved into the configs.
RECORDED = [
    (LongRangeConfig(), "--example keys --model factor --factor 0.7 --filler 0"),
    (LongRangeConfig(model="rnn"), "--example keys --model rnn --filler 0 --activation tanh "
     "--scale 1"),
    (LongRangeConfig(model="lstm", forget_bias=2.5, hidden=16),
     "--example keys --model lstm --filler 0 --scale 1 --hidden 16 --forget-bias 2.5"),
    (LongRangeConfig(model="rnn", activation="relu", init="orthogonal", scale=1.25, seed=3,
                     gaps=(0, 7)),
     "--example keys --model rnn --filler 0 --gaps 0,7 --activation relu --init orthogonal "
     "--scale 1.25 --seed 3"),
    (LongRangeConfig(text="a b c d e f's end", key=2, factor=0.93, filler=4),
     "--sentence 'a b c d e f'\"'\"'s end' --key 2 --model factor --factor 0.93 --filler 4"),
    (LongRangeConfig(text=EXAMPLES["pronoun"].text, key=3),
     "--sentence 'The bottle would not go into the cooler because it was too tall' --key 3 "
     "--model factor --factor 0.7 --filler 0"),
    (CompareConfig(), "--steps 100"),
    (CompareConfig(steps=300, radius=1.01, scale=0.75, device="cpu"),
     "--steps 300 --scale 0.75 --radius 1.01 --device cpu"),
    (RNNConfig(), "--activation tanh --scale 1.0 --steps 50"),
    (RNNConfig(activation="sigmoid", steps=20, hidden=8, leaky_slope=0.2, dtype="float32"),
     "--activation sigmoid --scale 1.0 --hidden 8 --steps 20 --leaky-slope 0.2 --dtype float32"),
    (ExperimentConfig(), "--task latch --lengths 5,20,50 --arch rnn,lstm,gru "
     "--optimizer adam --seeds 1 --clip 1.0 --forget-bias 3.0"),
    (ExperimentConfig(optimizer="adam", clip=1.0, lengths=(5, 8), archs=("rnn",), truncate=4,
                      lr=0.05),
     "--task latch --lengths 5,8 --arch rnn --optimizer adam --seeds 1 --lr 0.05 --clip 1.0 "
     "--forget-bias 3.0 --truncate 4"),
]


@pytest.mark.parametrize("config,flags", RECORDED, ids=lambda v: type(v).__name__
                         if not isinstance(v, str) else None)
def test_flags_are_the_recorded_command_strings(config, flags):
    assert " ".join(config.to_flags()) == flags


@pytest.mark.parametrize("config,flags", RECORDED, ids=lambda v: type(v).__name__
                         if not isinstance(v, str) else None)
def test_flags_parse_back_to_the_same_config(config, flags):
    lookup, build = {RNNConfig: ("flow", lambda a: flow_cli.build(a)[0]),
                     CompareConfig: ("compare", compare_cli.build),
                     LongRangeConfig: ("longrange", longrange_cli.build),
                     ExperimentConfig: ("train", train_cli.build)}[type(config)]
    args = build_parser().parse_args([lookup] + shlex.split(" ".join(config.to_flags())))
    rebuilt = build(args)
    assert rebuilt.to_flags() == config.to_flags()
    if isinstance(config, LongRangeConfig):  # --example stands for the example's key word
        rebuilt, config = (c.replace(key=c.resolved_key()) for c in (rebuilt, config))
    assert rebuilt == config


def test_rnn_flags_always_skip_and_order():
    c = RNNConfig(scale=2.0, hidden=64, seed=5)
    assert c.to_flags() == ["--activation tanh", "--scale 2.0", "--hidden 64", "--steps 50",
                            "--seed 5"]
    assert c.to_flags(always=("activation", "steps"), skip=("scale",)) == [
        "--activation tanh", "--hidden 64", "--steps 50", "--seed 5"]
    assert c.to_flags(always=()) == ["--scale 2.0", "--hidden 64", "--seed 5"]
    # every flag the vanilla lookups take, in their order
    everything = RNNConfig(activation="leaky_relu", init="orthogonal", scale=0.5, init_noise=0.1,
                           hidden=3, steps=7, input_size=2, input_scale=0.5, seed=1,
                           leaky_slope=0.2, device="cpu", dtype="float64")
    assert [f.split()[0] for f in everything.to_flags()] == [
        "--" + name.replace("_", "-") for name in RNN_FLAG_FIELDS]


def test_experiment_command_line_is_vgtui_train_and_the_flags():
    c = ExperimentConfig(seeds=2, forget_bias=3.0)
    assert command_line(c) == "vgtui train " + " ".join(c.to_flags())
    assert "--forget-bias 3.0" in c.to_flags()


# -- presets --------------------------------------------------------------------------------

def test_every_preset_is_one_type_with_unique_names_and_parses():
    assert set(PRESETS) == {"flow", "forget", "architectures", "experiments", "chain", "decay",
                            "jacobian", "bound", "exploding", "spectrum", "activations"}
    for topic, presets in PRESETS.items():
        names = [p.name for p in presets]
        assert len(names) == len(set(names)), topic
        for p in presets:
            assert isinstance(p, Preset) and p.title and p.note
            assert p.name == p.name.strip().lower()
            changes = preset_changes(topic, p)
            assert set(changes) == set(p.values)


def test_preset_values_cannot_be_changed_in_place():
    p = find_preset("flow", "sigmoid-20")
    with pytest.raises(TypeError):
        p.values["scale"] = 9.0  # type: ignore[index]


def test_preset_configs_start_from_the_topic_defaults_and_keep_device_and_dtype():
    base = RNNConfig(device="cpu", dtype="float32", hidden=99)
    c = preset_config("flow", "sigmoid-20", base)
    assert (c.activation, c.scale, c.steps, c.hidden) == ("sigmoid", 1.0, 20, 32)
    assert (c.device, c.dtype) == ("cpu", "float32")
    f = preset_config("forget", "long")
    assert f == RNNConfig(**{**FORGET_BASE, "steps": 1000, "forget_bias": 1.0})
    e = preset_config("experiments", "truncated")
    assert e.archs == ("rnn", "gru") and e.lengths == (5, 8, 10, 20) and e.truncate == 8
    assert preset_config("architectures", "radius-1.01") == CompareConfig(steps=300, radius=1.01)
    assert preset_changes("decay", "product")["factors"] == pytest.approx((0.45, 1.1))
    assert preset_changes("chain", "edge") == {"weight": 1.0, "trace_steps": 1000, "h0": 0.1}


def test_matching_preset_finds_the_preset_a_config_is():
    c = preset_config("experiments", "adam-clip", ExperimentConfig(device="cpu"))
    assert matching_preset("experiments", c).name == "adam-clip"
    assert matching_preset("experiments", c.replace(seeds=7)) is None
    assert matching_preset("flow", RNNConfig()).name == "default"


def test_unknown_preset_names_the_setting_and_the_choices():
    with pytest.raises(ConfigError) as info:
        find_preset("flow", "nope")
    assert info.value.field == "preset"
    assert "log-space" in str(info.value)
    assert find_preset("flow", " Log-Space ").name == "log-space"
    assert presets_for("history") == ()


def test_the_cli_offers_exactly_the_engine_presets():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for lookup, topic in (("flow", "flow"), ("train", "experiments")):
        preset = next(a for a in sub.choices[lookup]._actions if a.dest == "preset")
        assert list(preset.choices) == preset_names(topic)
