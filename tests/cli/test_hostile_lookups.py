"""Property tests over every flag of every lookup.

For each lookup of the topic registry (``vgtui.topics.lookup_names``) a table below says, flag by flag, which text
it accepts (a hypothesis strategy of valid values) and what range its refusals must
name. Three properties per lookup:

- an invalid value exits with code 2 and exactly one line on stderr that names the
  flag and its accepted range;
- a valid value succeeds with a JSON object on stdout (or, for sizes past the time
  budget, is refused in one line with the estimate and the limit);
- any text at all, valid or not, is one of those two outcomes: never a traceback,
  never an internal error.

The table is checked against the parsers themselves, so a new flag without a row
here fails ``test_every_flag_of_every_lookup_is_covered``. Other flags stay small
and VGTUI_SECONDS is low, so large valid sizes are refused at once instead of run.
Set VGTUI_HOSTILE_EXAMPLES (a multiplier, default 1) for a longer run.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vgtui.cli import build_parser
from vgtui.topics import lookup_names

LOOKUPS = lookup_names()
from vgtui.engine.architectures import ARCHITECTURES
from vgtui.engine.config import ACTIVATIONS, ARCHES, DTYPES, INITS
from vgtui.engine.longrange import EXAMPLES, MODELS
from vgtui.engine.presets import preset_names
from vgtui.engine.spectrum import NON_NORMAL, SPECTRUM_INITS

# A numpy warning (0/0, overflow) is a silent nan or inf on its way out: an error here.
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

SCALE = max(1, int(os.environ.get("VGTUI_HOSTILE_EXAMPLES", "1")))
SECONDS = "0.3"  # the time budget while these run: big valid sizes are refused at once
NONE_WORDS = ("", "none", "off", "auto", "default", "no", "-")
ALIASES = ("leakyrelu", "linear", "normal", "f32", "f64", "double", "float", "vanilla")
NOT_NUMBERS = ["", " ", "nan", "NaN", "inf", "-inf", "+inf", "infinity", "1e999", "-1e999",
               "abc", "1,5", "0x10", "--", "1..2", "x" * 300, "😀", "1e", "e5", "- 1", "1 2",
               "\x00", "\u202e5", "0b1", "1/2", "None", "True", "[1]", "5%"]


def _parses(text: str) -> bool:
    try:
        float(text)
    except (ValueError, OverflowError):
        return False
    return True


def _fmt(x: float) -> list[str]:
    """The ways a bound can be written in a message."""
    out = {f"{x:g}", repr(x)}
    if float(x).is_integer():
        i = int(x)
        out |= {str(i), f"{i:_}", f"{i:,}"}
    return sorted(out)


@dataclass
class Flag:
    """One flag: a strategy of valid text and what a refusal must name."""

    valid: st.SearchStrategy
    invalid: st.SearchStrategy | None  # None: free text, every value is valid
    names: tuple = ()  # words the refusal must contain (bounds, choices)
    base: list | None = None  # other flags for this one (else the lookup's base)
    range_words: bool = True  # False where a refusal has no range to name (free text)


def number(low: float, high: float, integer: bool = False, none_ok: bool = False,
           base=None) -> Flag:
    if integer:
        valid = st.integers(int(low), int(high)).map(str)
    else:
        valid = st.one_of(st.floats(low, high, allow_nan=False).map(repr),
                          st.integers(math.ceil(low), math.floor(high)).map(str))
    if none_ok:
        valid = st.one_of(valid, st.sampled_from(NONE_WORDS))
    wide = max(10.0 ** 12, 10 * abs(high), 10 * abs(low))
    outside = st.one_of(st.floats(-wide, low, exclude_max=True, allow_nan=False),
                        st.floats(high, wide, exclude_min=True, allow_nan=False))
    outside = outside.filter(lambda v: v < low or v > high)
    bad = [outside.map(repr),
           st.sampled_from([t for t in NOT_NUMBERS if not (none_ok and t.strip().lower()
                                                            in NONE_WORDS)]),
           st.text(max_size=12).filter(lambda t: not _parses(t) and not (
               none_ok and t.strip().lower() in NONE_WORDS))]
    if integer:
        bad.append(st.integers(int(low), int(high) - 1).map(lambda i: f"{i}.5"))
    names = (low, high)
    return Flag(valid, st.one_of(*bad), names, base)


def choice(choices, base=None, aliases=ALIASES, exact=False) -> Flag:
    choices = tuple(choices)

    def known(t: str) -> bool:
        k = t if exact else t.strip().lower().replace("-", "_")
        return k in choices or k in aliases or (not exact and k in [c.replace("-", "_")
                                                                     for c in choices])

    bad = st.one_of(st.sampled_from(["", "x", "TANHH", "--", "😀", "gaussian2", "1", "all,"]),
                    st.text(max_size=12)).filter(lambda t: not known(t))
    return Flag(st.sampled_from(choices), bad, choices, base)


def number_list(low, high, most, integer=False, base=None, products=False,
                too_many=True) -> Flag:
    item = (st.integers(int(low), int(high)).map(str) if integer else
            st.floats(low, high, allow_nan=False).map(repr))
    valid = st.lists(item, min_size=1, max_size=most).map(",".join)
    if products:
        valid = st.one_of(valid, st.sampled_from(["0.9*0.5", "0.5 * 2,0.7"]))
    bad_entry = number(low, high, integer).invalid.filter(
        lambda t: t.strip() != "" and not any(c in t for c in ",;* \t\n\r\x0b\x0c×"))
    bad = [st.tuples(st.lists(item, max_size=3), bad_entry).map(lambda p: ",".join(p[0] + [p[1]])),
           st.sampled_from(["", " ", ",", ",,", ";"])]
    if too_many:
        bad.append(st.just(",".join(str(int(low) + k) for k in range(most + 1))))
    invalid = st.one_of(*bad)
    return Flag(valid, invalid, (low, high), base)


def choice_list(choices, base=None) -> Flag:
    valid = st.lists(st.sampled_from(choices), min_size=1, max_size=len(choices),
                     unique=True).map(",".join)
    bad = st.text(min_size=1, max_size=8).filter(
        lambda t: t.strip().lower().replace("-", "_") not in choices and t.strip()
        and not any(c in t for c in ", ;\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0"))
    invalid = st.one_of(st.tuples(st.lists(st.sampled_from(choices), max_size=2), bad)
                        .map(lambda p: ",".join(p[0] + [p[1]])),
                        st.sampled_from(["", ",", " "]))
    return Flag(valid, invalid, tuple(choices), base)


def scales(most=64, base=None) -> Flag:
    values = st.floats(0, 100, allow_nan=False)
    valid = st.one_of(
        st.lists(values.map(repr), min_size=1, max_size=6).map(",".join),
        st.tuples(values, values, st.integers(2, 8)).map(lambda t: f"{t[0]!r}:{t[1]!r}:{t[2]}"),
    )
    invalid = st.one_of(
        st.sampled_from(["", "a", "1,,2", "1:2", "1:2:1", "1:2:3:4", "0:1:10001", "-1", "101",
                         "nan", "inf", "1:inf:3", "1:2:x", "0:200:3", "1e999"]),
        st.text(max_size=10).filter(lambda t: not _scales_ok(t)),
    )
    return Flag(valid, invalid, (0, 100), base)


def _scales_ok(text: str) -> bool:
    from vgtui.engine.errors import ConfigError
    from vgtui.engine.lists import parse_scale_sweep

    try:
        parse_scale_sweep(text)
    except ConfigError:
        return False
    return True


def text_flag(valid, invalid, base=None) -> Flag:
    return Flag(valid, invalid, (), base, range_words=False)


RNN_BASE = ["--steps", "5", "--hidden", "4"]
# cuda is a valid word, refused on this GPU-less machine with its own message (tests/engine)
DEVICE = choice(("auto", "cpu"), aliases=ALIASES + ("cuda",))


def rnn_fields(skip=()) -> dict:
    out = {
        "--activation": choice(ACTIVATIONS),
        "--init": choice(INITS),
        "--scale": number(0, 100),
        "--init-noise": number(0, 10),
        "--hidden": number(1, 2048, True, base=["--steps", "5"]),
        "--steps": number(1, 200_000, True, base=["--hidden", "4"]),
        "--input-size": number(1, 1024, True),
        "--input-scale": number(0, 1000),
        "--seed": number(0, 2**31 - 1, True),
        "--leaky-slope": number(0, 1),
        "--device": DEVICE,
        "--dtype": choice(DTYPES),
    }
    return {k: v for k, v in out.items() if k not in skip}


# matrix: square, entries finite and at most 1e6, at most 32 rows
MATRICES = st.integers(1, 4).flatmap(lambda k: st.lists(
    st.lists(st.floats(-1e6, 1e6, allow_nan=False).map(repr), min_size=k, max_size=k),
    min_size=k, max_size=k)).map(lambda rows: ";".join(",".join(r) for r in rows))
BAD_MATRICES = st.sampled_from(["", ";", "1,2", "1,2;3", "a", "1;2", "nan", "1e7", "1,inf;0,1",
                                "1,,2;3,4", ";".join(["1," * 32 + "1"] * 33), "0.5,0.1;0.2"])
SENTENCES = st.lists(st.from_regex(r"[A-Za-zÀ-ÿ]{1,8}", fullmatch=True), min_size=2,
                     max_size=30).map(" ".join)
BAD_SENTENCES = st.one_of(st.sampled_from(["", " ", "word", "!", "w " * 401, "x" * 4001]),
                          st.from_regex(r"\s*[A-Za-z]{1,10}\s*", fullmatch=True))
LONG_SENTENCE = " ".join(f"w{k}" for k in range(400))

TRAIN_BASE = ["--quick", "--lengths", "5", "--arch", "rnn", "--steps", "3", "--eval-size", "16",
              "--batch", "4", "--hidden", "4"]


def _train_base(skip: str) -> list:
    out, args = [], list(TRAIN_BASE)
    while args:
        a = args.pop(0)
        if a.startswith("--") and args and not args[0].startswith("--"):
            v = args.pop(0)
            if a != skip:
                out += [a, v]
        elif a != skip:
            out.append(a)
    return out


TABLE: dict[str, dict] = {
    "flow": {"base": RNN_BASE, "flags": {
        **rnn_fields(),
        "--arch": choice(ARCHES),
        "--layers": number(1, 16, True),
        "--forget-bias": number(-20, 20, base=RNN_BASE + ["--arch", "lstm"]),
        "--preset": choice(tuple(preset_names("flow")), exact=True, aliases=(),
                           base=["--steps", "5", "--hidden", "4"]),
        "--every": number(1, 10**9, True),
    }, "skip": ("--model", "--inputs")},  # model files: tests/cli/test_hostile_model_files.py
    "decay": {"base": [], "flags": {
        "--factors": number_list(0, 1e6, 12, products=True, too_many=False),
        "--steps": number_list(1, 10**9, 12, integer=True, too_many=False),
    }},
    "decay-measured": {"lookup": "decay",
                       "base": ["--measured", "--steps", "5", "--hidden", "4", "--scales", "1",
                                "--activations", "tanh"], "flags": {
        "--activations": choice_list(ACTIVATIONS),
        "--scales": number_list(0, 100, 12, too_many=False),
        "--hidden": number(1, 2048, True),
        "--seed": number(0, 2**31 - 1, True),
        "--init": choice(INITS),
        "--input-size": number(1, 1024, True),
        "--input-scale": number(0, 1000),
        "--leaky-slope": number(0, 1),
        "--device": DEVICE,
        "--dtype": choice(DTYPES),
    }},
    "activations": {"base": [], "flags": {
        "--at": number_list(-1000, 1000, 8, too_many=False),
        "--spread": number(0, 100),
        "--activations": choice_list(("tanh", "sigmoid", "relu", "leaky_relu", "identity",
                                      "silu")),
        "--leaky-slope": number(0, 1),
    }},
    "trace": {"base": [], "flags": {
        "--weight": number(-100, 100),
        "--steps": number(1, 100_000, True),
        "--h0": number(-100, 100),
        "--every": number(1, 10**9, True),
    }},
    "longrange": {"base": ["--model", "rnn", "--hidden", "4"], "flags": {
        **rnn_fields(skip=("--steps", "--init-noise", "--leaky-slope")),
        "--hidden": number(1, 2048, True, base=["--model", "rnn"]),
        "--example": choice(tuple(EXAMPLES), exact=True, aliases=(), base=[]),
        "--sentence": Flag(SENTENCES, BAD_SENTENCES, (2, 400), base=[]),
        "--model": choice(MODELS, base=["--hidden", "4"]),
        "--factor": number(0.01, 2, base=[]),
        "--filler": number(0, 5000, True, base=[]),
        "--key": number(0, 399, True, base=["--sentence", LONG_SENTENCE]),
        "--forget-bias": number(-20, 20, base=["--model", "lstm", "--hidden", "4"]),
        "--gaps": number_list(0, 5000, 16, integer=True, base=[]),
    }},
    "capacity": {"base": [], "flags": {
        "--hidden": number(1, 2048, True),
        "--input-size": number(1, 1024, True),
        "--steps": number(1, 200_000, True),
        "--output": number(1, 1_000_000, True),
        "--factor": number(0.01, 2),
    }},
    "jacobian": {"base": RNN_BASE, "flags": {
        **rnn_fields(),
        # the products keep n x n matrices: the lookup's own caps are T <= 1000, n <= 256
        "--steps": number(1, 1000, True, base=["--hidden", "4"]),
        "--hidden": number(1, 256, True, base=["--steps", "5"]),
        "--matrix": text_flag(MATRICES, BAD_MATRICES, base=["--steps", "3"]),
        "--derivative": number(0, 10, base=["--matrix", "0.5,0.1;0.2,0.4", "--steps", "3"]),
        "--singular-values": number(0, 2048, True),
        "--every": number(1, 10**9, True),
    }},
    "spectrum": {"base": ["--hidden", "4", "--power-steps", "5"], "flags": {
        "--hidden": number(1, 512, True, base=["--power-steps", "5"]),
        "--scale": number(0, 100),
        "--seed": number(0, 2**31 - 1, True),
        "--init": choice(SPECTRUM_INITS + (NON_NORMAL, "all"), exact=True, aliases=()),
        "--power-steps": number(1, 1000, True, base=["--hidden", "4"]),
        "--shear": number(0, 10),
        "--train-steps": number(0, 500, True),
    }},
    "bound": {"base": RNN_BASE, "flags": {
        **rnn_fields(),
        "--steps": number(1, 1000, True, base=["--hidden", "4"]),
        "--hidden": number(1, 256, True, base=["--steps", "5"]),
        "--scales": scales(base=RNN_BASE + ["--sequences", "2"]),
        "--sequences": number(1, 256, True, base=RNN_BASE + ["--scales", "1"]),
        "--every": number(1, 10**9, True),
    }},
    "lyapunov": {"base": RNN_BASE + ["--scales", "1,2"], "flags": {
        **rnn_fields(skip=("--scale",)),
        "--steps": number(1, 200_000, True, base=["--hidden", "4", "--scales", "1"]),
        "--hidden": number(1, 2048, True, base=["--steps", "5", "--scales", "1"]),
        "--scales": scales(base=RNN_BASE),
    }},
    "clip": {"base": RNN_BASE, "flags": {
        **rnn_fields(),
        "--tau": number(1e-12, 1e12),
        "--every": number(1, 10**9, True),
    }},
    "compare": {"base": ["--steps", "5", "--hidden", "4"], "flags": {
        "--steps": number(1, 200_000, True, base=["--hidden", "4"]),
        "--hidden": number(1, 2048, True, base=["--steps", "5"]),
        "--input-size": number(1, 1024, True),
        "--input-scale": number(0, 1000),
        "--seed": number(0, 2**31 - 1, True),
        "--scale": number(0, 100),
        "--forget-bias": number(-20, 20),
        "--radius": number(0, 1.5),
        "--device": DEVICE,
        "--dtype": choice(DTYPES),
        "--only": choice_list(ARCHITECTURES),
        "--every": number(1, 10**9, True),
    }},
    "train": {"base": TRAIN_BASE, "flags": {
        "--preset": choice(tuple(preset_names("experiments")), exact=True, aliases=()),
        "--task": choice(("first", "latch", "adding"), aliases=()),
        "--lengths": number_list(2, 1000, 8, integer=True, base=_train_base("--lengths"),
                                 too_many=False),
        "--arch": choice_list(("rnn", "lstm", "gru"), base=_train_base("--arch")),
        "--optimizer": choice(("sgd", "adam"), aliases=()),
        "--seeds": number(1, 50, True),
        "--first-seed": number(0, 2**31 - 1, True),
        "--steps": number(1, 100_000, True, base=_train_base("--steps")),
        "--lr": number(1e-6, 10, none_ok=True),
        "--clip": number(1e-6, 1e6, none_ok=True),
        "--forget-bias": number(-20, 20, none_ok=True),
        "--truncate": number(1, 1000, True, none_ok=True),
        "--hidden": number(1, 512, True, base=_train_base("--hidden")),
        "--batch": number(1, 4096, True, base=_train_base("--batch")),
        "--noise": number(0, 100),
        "--symbols": number(2, 32, True),
        "--eval-size": number(16, 16_384, True, base=_train_base("--eval-size")),
        "--device": choice(("auto", "cpu"), aliases=("cuda",)),
        "--dtype": choice(DTYPES, aliases=()),
    }},
}
# train's --lengths has no count of its own (the plan is capped at 2,000 runs); its choice
# flags take no aliases.


def _subparsers():
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices


def _value_flags(sub) -> set[str]:
    return {a.option_strings[-1] if a.option_strings[-1].startswith("--") else
            a.option_strings[0] for a in sub._actions
            if a.option_strings and a.nargs != 0 and a.dest != "help"}


def _claims_choices(allowed, what: str) -> Flag:
    """A claims filter list: what ``parse_choices`` itself accepts decides validity
    ('3' means '000'-style article 003, 'fail' means fails, blanks separate items)."""
    from vgtui.engine.claims import parse_choices
    from vgtui.engine.errors import ConfigError

    def accepted(text: str) -> bool:
        try:
            parse_choices(text, allowed, what, what)
        except ConfigError:
            return False
        return True

    valid = st.one_of(st.lists(st.sampled_from(allowed), min_size=1, max_size=len(allowed),
                               unique=True).map(",".join),
                      st.text(max_size=12).filter(accepted))
    invalid = st.one_of(st.sampled_from(["", ",", " ", "x", "all", "9999", "--"]),
                        st.text(max_size=12)).filter(lambda t: not accepted(t))
    return Flag(valid, invalid, tuple(allowed), ["--closed-only"])


def _claims_row() -> dict:
    from vgtui.engine.articles import ARTICLE_IDS
    from vgtui.engine.claim_rules import VERDICTS

    return {"base": ["--closed-only"], "flags": {
        "--article": _claims_choices(ARTICLE_IDS, "article"),
        "--verdict": _claims_choices(tuple(VERDICTS), "verdict"),
        # free text: every value is a valid filter (at worst it matches no claim)
        "--search": Flag(st.text(max_size=60), None, (), ["--closed-only"], range_words=False),
    }}


TABLE["claims"] = _claims_row()
# watch's --layer and --quantity only act with --plot (this table runs --json): their
# hostile values are in tests/cli/test_every_format.py::test_watch_plot_refuses_bad_choices.
COVERED_ELSEWHERE: dict = {"watch": ("--layer", "--quantity")}


def _add_preset_rows() -> None:
    """Every lookup whose screen has presets takes --preset: its names and nothing else
    (the row's base flags still win over the preset's values, keeping each run small)."""
    from vgtui.topics import topic_of_lookup

    subs = _subparsers()
    for key, entry in TABLE.items():
        lookup = entry.get("lookup", key)
        if "--preset" in entry["flags"] or "--preset" not in _value_flags(subs[lookup]):
            continue
        if "--measured" in entry["base"]:  # decay's presets are the closed-form lists
            continue
        names = tuple(p.name for p in topic_of_lookup(lookup).presets)
        entry["flags"]["--preset"] = choice(names, exact=True, aliases=(), base=entry["base"])


_add_preset_rows()


def test_every_flag_of_every_lookup_is_covered():
    subs = _subparsers()
    covered = {name: set(COVERED_ELSEWHERE.get(name, ())) for name in LOOKUPS}
    for key, entry in TABLE.items():
        lookup = entry.get("lookup", key)
        covered[lookup] |= set(entry["flags"]) | set(entry.get("skip", ()))
    for name in LOOKUPS:
        missing = _value_flags(subs[name]) - covered[name]
        assert not missing, f"{name}: no hostile-input row for {sorted(missing)}"


def _run(run_cli, monkeypatch, lookup: str, args: list[str]):
    # training runs cost more per unit of estimate: a lower budget keeps them short
    monkeypatch.setenv("VGTUI_SECONDS", "0.1" if lookup == "train" else SECONDS)
    monkeypatch.delenv("VGTUI_MEMORY_MB", raising=False)
    return run_cli(lookup, *args, "--json")


def _check_one_line(err: str, code: int) -> None:
    assert "Traceback" not in err, err
    assert "internal error" not in err, err
    assert code == 2, (code, err)
    assert err.endswith("\n") and err.count("\n") == 1, repr(err)


def _is_budget_refusal(err: str) -> bool:
    return "over the limit of" in err and ("VGTUI_SECONDS" in err or "VGTUI_MEMORY_MB" in err)


def _mentions(err: str, word) -> bool:
    if isinstance(word, str):
        return word in err
    return any(form in err for form in _fmt(float(word)))


def _args(entry: dict, flag: str, spec: Flag, text: str) -> list[str]:
    base = spec.base if spec.base is not None else entry["base"]
    return [*base, f"{flag}={text}"]


def _entries():
    return [pytest.param(key, id=key) for key in TABLE]


def _settings(per_flag: int, entry: dict):
    return settings(max_examples=SCALE * per_flag * len(entry["flags"]), deadline=None,
                    derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow, HealthCheck.filter_too_much])


@pytest.mark.parametrize("key", _entries())
def test_invalid_values_give_one_line_naming_flag_and_range(key, run_cli, monkeypatch):
    entry = TABLE[key]
    lookup = entry.get("lookup", key)

    @_settings(3, entry)
    @given(data=st.data())
    def check(data):
        flag = data.draw(st.sampled_from(sorted(f for f, s in entry["flags"].items()
                                                if s.invalid is not None)), label="flag")
        spec = entry["flags"][flag]
        text = data.draw(spec.invalid, label="text")
        code, out, err = _run(run_cli, monkeypatch, lookup, _args(entry, flag, spec, text))
        _check_one_line(err, code)
        assert out == "", out
        assert flag in err, err
        if spec.range_words:
            missing = [w for w in spec.names if not _mentions(err, w)]
            assert not missing, f"{err!r} does not name {missing}"

    check()


# Spectrum's valid values reach n = 512 and 500 training steps: seconds, so the whole
# suite only.
@pytest.mark.parametrize("key", [pytest.param(k, marks=pytest.mark.slow) if k == "spectrum"
                                 else k for k in _entries()])
def test_valid_values_succeed(key, run_cli, monkeypatch):
    entry = TABLE[key]
    lookup = entry.get("lookup", key)

    @_settings(2, entry)
    @given(data=st.data())
    def check(data):
        flag = data.draw(st.sampled_from(sorted(entry["flags"])), label="flag")
        spec = entry["flags"][flag]
        text = data.draw(spec.valid, label="text")
        code, out, err = _run(run_cli, monkeypatch, lookup, _args(entry, flag, spec, text))
        if code == 2 and _is_budget_refusal(err):
            _check_one_line(err, code)  # too big for the budget: refused, with both numbers
            assert "about" in err
            return
        assert code == 0, err
        assert err == "", err
        assert isinstance(json.loads(out), dict)

    check()


ANY_TEXT = st.one_of(st.text(max_size=30), st.sampled_from(NOT_NUMBERS),
                     st.floats().map(repr), st.integers(-10**15, 10**15).map(str))


@pytest.mark.parametrize("key", _entries())
def test_any_text_is_a_result_or_one_clear_line(key, run_cli, monkeypatch):
    entry = TABLE[key]
    lookup = entry.get("lookup", key)

    @_settings(2, entry)
    @given(data=st.data())
    def check(data):
        flag = data.draw(st.sampled_from(sorted(entry["flags"])), label="flag")
        spec = entry["flags"][flag]
        text = data.draw(ANY_TEXT, label="text")
        if flag == "--device" and text.strip().lower() == "cuda":
            return  # no GPU here: refused with its own message (tests/engine)
        code, out, err = _run(run_cli, monkeypatch, lookup, _args(entry, flag, spec, text))
        if code == 0:
            assert isinstance(json.loads(out), dict)
            return
        assert spec.invalid is not None, f"{flag} takes any text, yet {text!r} failed: {err}"
        _check_one_line(err, code)
        assert flag in err or _is_budget_refusal(err), err

    check()


@pytest.mark.parametrize("args", [
    ["flow", "--scale"], ["flow", "--scale", "--json"], ["trace", "--weight", "-x"],
    ["decay", "--factors"], ["train", "--lengths"], ["clip", "--tau"],
    ["jacobian", "--matrix"], ["longrange", "--sentence"],
])
def test_a_flag_without_its_value_names_what_it_takes(run_cli, args):
    code, out, err = run_cli(*args)
    _check_one_line(err, code)
    flag = args[1]
    assert flag in err and "expected a value" in err, err
    assert len(err.split("expected a value")[1].strip(": \n")) > 5, err  # what it takes


@pytest.mark.parametrize("lookup", LOOKUPS)
def test_unknown_flags_and_stray_words_are_one_line(run_cli, lookup):
    for args in (["--no-such-flag"], ["stray"], ["--json", "--json=1"]):
        code, _, err = run_cli(lookup, *args)
        _check_one_line(err, code)


@pytest.mark.slow
def test_undecodable_bytes_in_argv_are_one_line_in_a_real_process():
    """Bytes that are not UTF-8 reach Python as surrogates; the error line must still
    be written (stderr escapes them) and the exit code be 2."""
    env = {**os.environ, "PYTHONIOENCODING": "", "LC_ALL": "C.UTF-8"}
    for args in ([b"flow", b"--scale=\xff\xfe"], [b"decay", b"--factors=0.5,\xff"],
                 [b"longrange", b"--sentence=\xff \xfe", b"--json"],
                 [b"train", b"--task=\xc3"]):
        done = subprocess.run([sys.executable.encode(), b"-m", b"vgtui", *args],
                              capture_output=True, env=env, timeout=120)
        err = done.stderr.decode("utf-8", "replace")
        assert "Traceback" not in err, err
        if done.returncode == 0:
            json.loads(done.stdout.decode("utf-8"))  # valid UTF-8, strict
        else:
            assert done.returncode == 2 and err.count("\n") == 1, err
            assert args[1].split(b"=")[0].decode() in err, err
