"""Long-range engine against independent computations: closed forms, torch
autograd through an explicit RNN loop, and torch.nn.LSTM with autograd."""
import math

import numpy as np
import pytest
import torch

from vgtui.engine.errors import ConfigError
from vgtui.engine.longrange import (EXAMPLES, LongRangeConfig, build_sequence, embed,
                                    example_config, lstm_log10_grads, lstm_weights, parse_gaps,
                                    run_longrange, tokenize)


def test_tokenize_keeps_apostrophes_and_splits_punctuation():
    assert tokenize("My grandmother's keys, too.") == ["My", "grandmother's", "keys", ",", "too",
                                                       "."]
    assert tokenize("   ") == []


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_examples_have_their_key_word_before_the_end(name):
    example = EXAMPLES[name]
    tokens = tokenize(example.text)
    assert tokens[example.key - 1].lower() == example.key_word.lower()
    assert example.key < len(tokens)
    config = example_config(name)
    assert config.resolved_key() == example.key and config.example_name() == name


@pytest.mark.parametrize("factor", [0.5, 0.7, 0.98, 1.1])
def test_closed_form_is_the_factor_to_the_power_of_the_distance(factor):
    config = LongRangeConfig(model="factor", factor=factor, filler=7, gaps=(0, 3, 50))
    r = run_longrange(config)
    for k in range(r.steps):
        assert math.isclose(10 ** r.log10_ratio[k], factor ** (r.steps - 1 - k), rel_tol=1e-9)
    key = config.resolved_key() - 1
    for p in r.sweep:
        distance = len(config.tokens) + p.gap - 1 - key
        assert p.distance == distance
        assert math.isclose(p.log10_ratio, distance * math.log10(factor), rel_tol=1e-12)
    assert math.isclose(r.implied_factor, factor, rel_tol=1e-9)


def test_shares_add_up_to_one_and_the_filler_sits_after_the_key():
    config = example_config("pronoun").replace(model="factor", filler=4)
    r = run_longrange(config)
    assert math.isclose(sum(10 ** s for s in r.log10_share), 1.0, rel_tol=1e-12)
    key = config.resolved_key() - 1
    assert r.tokens[r.key_index] == config.tokens[key]
    assert r.filler[key + 1:key + 5] == [True] * 4 and sum(r.filler) == 4
    assert r.positions[key + 5] == key + 2


def _autograd_rnn_input_grads(config, tokens):
    """||dL/dx_t|| by autograd through an explicit loop with the same weights."""
    from vgtui.engine.config import RNNConfig
    from vgtui.engine.recurrence import build_weights

    rnn = RNNConfig(activation=config.activation, init=config.init, scale=config.scale,
                    hidden=config.hidden, steps=len(tokens), input_size=config.input_size,
                    seed=config.seed)
    w = build_weights([rnn], torch.device("cpu"), torch.float64)
    x = torch.from_numpy(embed(tokens, config.seed, config.input_size,
                               config.input_scale)).clone().requires_grad_(True)
    act = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu,
           "identity": lambda z: z}[config.activation]
    h = torch.zeros(config.hidden, dtype=torch.float64)
    for t in range(len(tokens)):
        h = act(w.w_hh[0] @ h + w.w_xh[0] @ x[t] + w.bias[0])
    h.sum().backward()
    return np.log10(x.grad.norm(dim=1).numpy())


@pytest.mark.parametrize("activation,scale", [("tanh", 1.0), ("sigmoid", 2.0), ("relu", 0.8)])
def test_rnn_matches_autograd(activation, scale):
    config = example_config("keys").replace(model="rnn", activation=activation, scale=scale,
                                            hidden=12, input_size=5, filler=3, gaps=(0, 3, 9))
    r = run_longrange(config)
    expected = _autograd_rnn_input_grads(config, r.tokens)
    np.testing.assert_allclose(r.log10_grad, expected, atol=1e-9)
    key = config.resolved_key() - 1
    for p in r.sweep:
        seq = build_sequence(config.tokens, key, p.gap)[0]
        g = _autograd_rnn_input_grads(config, seq)
        assert math.isclose(p.log10_ratio, g[key] - g[-1], abs_tol=1e-9)
    assert r.details["spectral_radius"] > 0


def test_lstm_matches_torch_lstm_autograd_for_every_gap():
    config = example_config("agreement").replace(model="lstm", hidden=7, input_size=4,
                                                 forget_bias=1.5, scale=1.3, seed=3,
                                                 gaps=(0, 2, 11), filler=5)
    r = run_longrange(config)
    w = lstm_weights(7, 4, 1.3, 1.5, 3)
    lstm = torch.nn.LSTM(4, 7).double()
    lstm.load_state_dict(w.state_dict())

    def autograd(tokens):
        x = torch.from_numpy(embed(tokens, 3, 4, 1.0)).unsqueeze(1).clone().requires_grad_(True)
        out, _ = lstm(x)
        out[-1].sum().backward()
        return np.log10(x.grad[:, 0].norm(dim=1).numpy())

    np.testing.assert_allclose(r.log10_grad, autograd(r.tokens), atol=1e-9)
    key = config.resolved_key() - 1
    for p in r.sweep:
        g = autograd(build_sequence(config.tokens, key, p.gap)[0])
        assert math.isclose(p.log10_ratio, g[key] - g[-1], abs_tol=1e-9)
    assert 0 < r.details["mean_forget_gate"] < 1


def test_lstm_batch_of_different_lengths_equals_separate_runs():
    w = lstm_weights(5, 3, 1.0, 0.0, 1)
    rng = np.random.default_rng(0)
    seqs = [rng.standard_normal((n, 3)) for n in (4, 9, 1, 6)]
    together, _ = lstm_log10_grads(w, seqs, torch.device("cpu"), torch.float64)
    for s, g in zip(seqs, together):
        alone, _ = lstm_log10_grads(w, [s], torch.device("cpu"), torch.float64)
        np.testing.assert_allclose(g, alone[0], atol=1e-12)


def test_lstm_keeps_magnitudes_below_float_range():
    """A gate that forgets fast over hundreds of filler steps: autograd in float64 would
    give 0; the log-space backward gives a finite log10 far below -308."""
    config = example_config("keys").replace(model="lstm", hidden=8, filler=300, gaps=(0,),
                                            scale=0.3, forget_bias=-6.0)
    r = run_longrange(config)
    assert math.isfinite(r.key_log10_ratio) and r.key_log10_ratio < -330
    # the decay is steady: doubling the gap roughly doubles the decades lost
    half = run_longrange(config.replace(filler=150))
    ratio = r.key_log10_ratio / half.key_log10_ratio
    assert 1.8 < ratio < 2.2


def test_forget_bias_keeps_more_of_the_signal():
    base = example_config("story").replace(model="lstm", gaps=(0, 50))
    low = run_longrange(base.replace(forget_bias=-2.0))
    high = run_longrange(base.replace(forget_bias=4.0))
    assert high.sweep[-1].log10_ratio > low.sweep[-1].log10_ratio + 3


@pytest.mark.parametrize("changes,field", [
    ({"text": "one"}, "sentence"),
    ({"text": ""}, "sentence"),
    ({"text": "a " * 500}, "sentence"),
    ({"key": 999}, "key"),
    ({"factor": 0}, "factor"),
    ({"factor": "nan"}, "factor"),
    ({"filler": -1}, "filler"),
    ({"filler": 2.5}, "filler"),
    ({"model": "gru"}, "model"),
    ({"gaps": "1,,2"}, "gaps"),
    ({"gaps": "1,x"}, "gaps"),
    ({"gaps": ",".join(str(i) for i in range(20))}, "gaps"),
    ({"hidden": 0}, "hidden"),
    ({"forget_bias": 1e9}, "forget_bias"),
])
def test_bad_settings_raise_config_error_naming_the_setting(changes, field):
    with pytest.raises(ConfigError) as info:
        LongRangeConfig().replace(**changes)
    assert info.value.field == field
    assert "\n" not in str(info.value)


def test_key_on_the_last_token_is_refused():
    with pytest.raises(ConfigError) as info:  # refused by the config itself, naming 1 to 2
        LongRangeConfig(text="a b c", key=3)
    assert info.value.field == "key" and "from 1 to 2" in str(info.value)


def test_gaps_are_sorted_and_unique():
    assert parse_gaps("20, 5,5 ,0") == (0, 5, 20)


def test_json_dict_has_rows_for_every_token():
    r = run_longrange(LongRangeConfig(filler=2))
    d = r.to_dict()
    assert len(d["tokens"]) == r.steps and d["tokens"][d["key_t"] - 1]["token"] == "keys"
    assert [p["gap"] for p in d["sweep"]] == list(r.config.gaps)


def test_an_lstm_run_too_big_for_memory_is_refused_before_it_starts():
    config = LongRangeConfig(model="lstm", hidden=2048, filler=5000, gaps=(0, 5000))
    with pytest.raises(ConfigError) as info:
        run_longrange(config)
    assert info.value.field == "hidden" and "GB" in str(info.value) and "limit" in str(info.value)
