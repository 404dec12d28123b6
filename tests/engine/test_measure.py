"""``vgtui.measure`` against torch autograd.

Every reference here is built independently of vgtui: the recurrent module's weights are
copied into torch.nn.RNNCell / LSTMCell / GRUCell (or explicit gate equations where
torch has no cell, as for a projected LSTM), the sequence is unrolled by hand with
``retain_grad`` on every step's hidden and cell state, and ``backward()`` gives the
gradients. Everything is float64 and compared to 1e-9 relative.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import vgtui
from vgtui.engine.errors import ConfigError, VgtuiError

RTOL = 1e-9
CELLS = {torch.nn.RNN: torch.nn.RNNCell, torch.nn.LSTM: torch.nn.LSTMCell,
         torch.nn.GRU: torch.nn.GRUCell}


# -- the reference: unrolled by hand ---------------------------------------------------------
class Unrolled:
    """The module's computation, one cell call per step and layer, every state retained.

    ``x`` is time-major (T, B, m); ``steps_in`` are per-step leaf tensors (B, m) so that
    dL/dx_t is each leaf's .grad."""

    def __init__(self, module, x):
        self.module = module
        self.layers = module.num_layers
        self.lstm = isinstance(module, torch.nn.LSTM)
        self.proj = getattr(module, "proj_size", 0) or 0
        self.steps_in = [x[t].detach().clone().requires_grad_(True) for t in range(x.shape[0])]
        self.h = [[None] * x.shape[0] for _ in range(self.layers)]
        self.c = [[None] * x.shape[0] for _ in range(self.layers)]
        self.cells = [self._cell(k) for k in range(self.layers)]

    def _cell(self, k):
        m = self.module
        if self.proj:
            return None  # explicit equations below
        kind = CELLS[type(m)]
        kwargs = {"nonlinearity": m.nonlinearity} if kind is torch.nn.RNNCell else {}
        cell = kind(m.input_size if k == 0 else m.hidden_size, m.hidden_size, bias=m.bias,
                    **kwargs).double()
        with torch.no_grad():
            cell.weight_ih.copy_(getattr(m, f"weight_ih_l{k}"))
            cell.weight_hh.copy_(getattr(m, f"weight_hh_l{k}"))
            if m.bias:
                cell.bias_ih.copy_(getattr(m, f"bias_ih_l{k}"))
                cell.bias_hh.copy_(getattr(m, f"bias_hh_l{k}"))
        return cell

    def _projected_step(self, k, x, state):
        """LSTM with proj_size: torch's documented equations, written out."""
        m = self.module
        w_ih, w_hh = getattr(m, f"weight_ih_l{k}"), getattr(m, f"weight_hh_l{k}")
        w_hr = getattr(m, f"weight_hr_l{k}")
        b = (getattr(m, f"bias_ih_l{k}") + getattr(m, f"bias_hh_l{k}")) if m.bias else 0
        h, c = state
        i, f, g, o = (x @ w_ih.T + h @ w_hh.T + b).chunk(4, dim=-1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = (torch.sigmoid(o) * torch.tanh(c)) @ w_hr.T
        return h, c

    def run(self):
        m = self.module
        batch = self.steps_in[0].shape[0]
        out_size = self.proj or m.hidden_size
        state = [None] * self.layers
        if self.proj:
            state = [(torch.zeros(batch, out_size, dtype=torch.float64),
                      torch.zeros(batch, m.hidden_size, dtype=torch.float64))
                     for _ in range(self.layers)]
        top = []
        for t, x in enumerate(self.steps_in):
            inp = x
            for k in range(self.layers):
                if self.proj:
                    new = self._projected_step(k, inp, state[k])
                else:
                    new = self.cells[k](inp, state[k])
                if self.lstm:
                    h, c = new
                    h.retain_grad()
                    c.retain_grad()
                    self.c[k][t] = c
                else:
                    h = new
                    h.retain_grad()
                self.h[k][t] = h
                state[k] = new
                inp = h
            top.append(inp)
        return torch.stack(top)  # (T, B, n_out)

    def grad_h(self, k):
        return np.array([self.h[k][t].grad.norm().item() for t in range(len(self.steps_in))])

    def grad_c(self, k):
        return np.array([self.c[k][t].grad.norm().item() for t in range(len(self.steps_in))])

    def grad_x(self):
        return np.array([x.grad.norm().item() for x in self.steps_in])


def time_major(x, batch_first):
    if x.dim() == 2:
        return x.unsqueeze(1)
    return x.transpose(0, 1) if batch_first else x


def assert_close(log10_ours, reference, what):
    ours = np.power(10.0, np.asarray(log10_ours, dtype=float))
    np.testing.assert_allclose(ours, reference, rtol=RTOL, atol=0, err_msg=what)


def check_against(result, ref: Unrolled, lstm: bool):
    for k in range(ref.layers):
        assert_close(result.layers[k].log10_grad_h, ref.grad_h(k), f"layer {k + 1} dL/dh")
        if lstm:
            assert_close(result.layers[k].log10_grad_c, ref.grad_c(k), f"layer {k + 1} dL/dc")
    assert_close(result.log10_grad_x, ref.grad_x(), "dL/dx")


# -- plain recurrent modules -------------------------------------------------------------------
CASES = [(kind, layers, batch_first, batch, bias)
         for kind in (torch.nn.RNN, torch.nn.LSTM, torch.nn.GRU)
         for layers, batch_first, batch, bias in ((1, False, None, True), (1, True, 4, False),
                                                  (3, False, 3, True), (2, True, 5, True))]


@pytest.mark.parametrize("kind,layers,batch_first,batch,bias", CASES,
                         ids=[f"{k.__name__}-L{l}-{'bf' if bf else 'tm'}-B{b}-{'bias' if bi else 'nobias'}"
                              for k, l, bf, b, bi in CASES])
def test_default_loss_matches_autograd(kind, layers, batch_first, batch, bias):
    """The CLI's loss, sum(h_T) of the top layer, on random modules of every shape."""
    torch.manual_seed(layers * 10 + (batch or 0))
    m, n, steps = 3, 6, 9
    module = kind(m, n, num_layers=layers, batch_first=batch_first, bias=bias).double()
    if batch is None:
        x = torch.randn(steps, m, dtype=torch.float64)
    elif batch_first:
        x = torch.randn(batch, steps, m, dtype=torch.float64)
    else:
        x = torch.randn(steps, batch, m, dtype=torch.float64)
    result = vgtui.measure(module, x)
    ref = Unrolled(module, time_major(x, batch_first))
    ref.run()
    ref.h[layers - 1][steps - 1].sum().backward()
    check_against(result, ref, kind is torch.nn.LSTM)
    assert len(result.layers) == layers and result.steps == steps
    assert result.batch == batch
    out = result.to_dict()
    assert out["arch"] == {torch.nn.RNN: "rnn", torch.nn.LSTM: "lstm", torch.nn.GRU: "gru"}[kind]
    assert len(out["layers"]) == layers and out["steps"] == steps
    assert all(len(layer["log10_grad_h"]) == steps for layer in out["layers"])
    assert len(out["grad_x"]) == steps and len(out["log10_grad_x"]) == steps
    assert ("grad_c" in out["layers"][0]) == (kind is torch.nn.LSTM)
    assert math.isclose(out["loss"], ref.h[layers - 1][steps - 1].sum().item(), rel_tol=1e-12)


@pytest.mark.slow
@pytest.mark.parametrize("kind", [torch.nn.RNN, torch.nn.LSTM, torch.nn.GRU])
def test_loss_over_every_step_matches_autograd_and_its_lag_profile(kind):
    """A loss that reads every step: the total gradient, and each loss term's own part
    (the lag table and profile) against one backward per loss term."""
    torch.manual_seed(7)
    steps, batch, m, n, layers = 8, 3, 2, 5, 2
    module = kind(m, n, num_layers=layers).double()
    x = torch.randn(steps, batch, m, dtype=torch.float64)
    weights = torch.randn(steps, batch, n, dtype=torch.float64)

    def loss_fn(out):
        output = out[0]
        return (torch.sin(output) * weights).sum()

    result = vgtui.measure(module, x, loss_fn)
    ref = Unrolled(module, x)
    top = ref.run()
    terms = [(torch.sin(top[s]) * weights[s]).sum() for s in range(steps)]
    sum(terms).backward(retain_graph=True)
    check_against(result, ref, kind is torch.nn.LSTM)
    assert result.lag_steps == list(range(1, steps + 1))

    # each loss term's part of dL/dh_t, one backward per term
    for k in range(layers):
        table = np.full((steps, steps), -np.inf)
        for s in range(steps):
            hs = [ref.h[k][t] for t in range(s + 1)]
            parts = torch.autograd.grad(terms[s], hs, retain_graph=True)
            table[: s + 1, s] = [math.log10(p.norm().item()) for p in parts]
        mine = result.layers[k].log10_lag_matrix
        finite = np.isfinite(table)
        assert np.array_equal(np.isfinite(mine), finite)
        np.testing.assert_allclose(np.power(10.0, mine[finite]), np.power(10.0, table[finite]),
                                   rtol=RTOL)
        # the profile: root mean square over the pairs (t, t + k) of those parts
        expected = []
        for lag in range(steps):
            norms = [10.0 ** table[t, t + lag] for t in range(steps - lag)]
            expected.append(math.sqrt(sum(v * v for v in norms) / len(norms)))
        assert_close(result.layers[k].log10_lag, np.array(expected), f"lag profile layer {k + 1}")


def test_sequence_to_one_lag_profile_is_the_gradient_read_backwards():
    torch.manual_seed(2)
    module = torch.nn.GRU(2, 4).double()
    x = torch.randn(12, 2, 2, dtype=torch.float64)
    result = vgtui.measure(module, x, lambda out: out[0][-1].pow(2).sum())
    assert result.lag_steps == [12]
    layer = result.layers[0]
    np.testing.assert_allclose(layer.log10_lag, layer.log10_grad_h[::-1], rtol=0, atol=1e-12)


def test_projected_lstm_matches_its_written_out_equations():
    torch.manual_seed(5)
    module = torch.nn.LSTM(3, 6, num_layers=2, proj_size=4, batch_first=True).double()
    x = torch.randn(2, 7, 3, dtype=torch.float64)
    # out[1] is (h_n, c_n): the loss also reads every layer's last cell state
    result = vgtui.measure(module, x, lambda out: (out[0] ** 3).sum() + out[1][1].sum())
    ref = Unrolled(module, time_major(x, True))
    top = ref.run()
    ((top ** 3).sum() + sum(ref.c[k][-1].sum() for k in range(2))).backward()
    check_against(result, ref, True)
    assert result.proj_size == 4 and result.hidden == 6


# -- a model that wraps the recurrent module ------------------------------------------------
class Tagger(torch.nn.Module):
    """Embedding -> 2-layer LSTM (batch first) -> linear head over every step."""

    def __init__(self, vocab=11, emb=4, hidden=5, classes=3):
        super().__init__()
        self.embed = torch.nn.Embedding(vocab, emb)
        self.lstm = torch.nn.LSTM(emb, hidden, num_layers=2, batch_first=True)
        self.head = torch.nn.Linear(hidden, classes)

    def forward(self, tokens):
        out, _ = self.lstm(self.embed(tokens))
        return self.head(out)


def tagger_reference(model, tokens):
    emb = model.embed(tokens)  # (B, T, E)
    ref = Unrolled(model.lstm, emb.transpose(0, 1))
    top = ref.run().transpose(0, 1)  # (B, T, n)
    return ref, model.head(top)


@pytest.mark.slow
@pytest.mark.parametrize("every_step", [False, True], ids=["sequence-to-one", "every-step"])
def test_embedding_lstm_head_matches_autograd(every_step):
    torch.manual_seed(11)
    model = Tagger().double()
    tokens = torch.randint(0, 11, (3, 10))
    labels = torch.randint(0, 3, (3, 10))
    ce = torch.nn.functional.cross_entropy

    def loss_fn(logits):
        if every_step:
            return ce(logits.reshape(-1, 3), labels.reshape(-1))
        return ce(logits[:, -1], labels[:, -1])

    result = vgtui.measure(model, tokens, loss_fn)
    assert result.module == "lstm" and "'lstm'" in result.describe()
    ref, logits = tagger_reference(model, tokens)
    loss_fn(logits).backward()
    check_against(result, ref, True)
    assert result.lag_steps == (list(range(1, 11)) if every_step else [10])
    # per-parameter gradient norms: the same loss through the real module, by autograd
    model.zero_grad()
    loss_fn(model(tokens)).backward()
    for name, p in model.named_parameters():
        assert math.isclose(10 ** result.params[name], p.grad.norm().item(), rel_tol=1e-9), name


class Residual(torch.nn.Module):
    """A path around the recurrent module: out = head(rnn(x) + skip(x))."""

    def __init__(self):
        super().__init__()
        self.rnn = torch.nn.RNN(3, 3, batch_first=True)
        self.skip = torch.nn.Linear(3, 3)
        self.head = torch.nn.Linear(3, 1)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out + self.skip(x))


def test_paths_around_the_module_count_in_dl_dx():
    torch.manual_seed(4)
    model = Residual().double()
    x = torch.randn(2, 6, 3, dtype=torch.float64)
    result = vgtui.measure(model, x, lambda y: y.pow(2).sum())
    xs = x.transpose(0, 1)
    ref = Unrolled(model.rnn, xs)
    top = ref.run()  # (T, B, n)
    inputs = torch.stack(ref.steps_in)  # the same leaves feed the skip path
    y = model.head(top + model.skip(inputs))
    y.pow(2).sum().backward()
    check_against(result, ref, False)


# -- log space ----------------------------------------------------------------------------------
def test_a_gradient_far_below_float_range_is_reported_exactly():
    """relu RNN with W_hh = 0.5 I and positive drive stays linear, so dL/dh_t is exactly
    0.5^(T-t) times the ones vector: 1e-602 at t = 1 for T = 2000."""
    n, steps = 4, 2000
    module = torch.nn.RNN(1, n, nonlinearity="relu").double()
    with torch.no_grad():
        module.weight_hh_l0.copy_(0.5 * torch.eye(n))
        module.weight_ih_l0.fill_(1.0)
        module.bias_ih_l0.fill_(0.1)
        module.bias_hh_l0.zero_()
    x = torch.rand(steps, 1, 1, dtype=torch.float64) + 0.1
    result = vgtui.measure(module, x)
    expected = (steps - np.arange(1, steps + 1)) * math.log10(0.5) + 0.5 * math.log10(n)
    np.testing.assert_allclose(result.layers[0].log10_grad_h, expected, rtol=1e-12, atol=1e-9)
    assert result.layers[0].log10_grad_h[0] < -600
    assert result.to_dict()["layers"][0]["grad_h"][0].json().endswith("e-602")


# -- the model is left exactly as it was ----------------------------------------------------
class Normed(torch.nn.Module):
    """BatchNorm (running statistics are buffers), dropout in the recurrent module and
    after it, one submodule in eval mode while the rest trains."""

    def __init__(self):
        super().__init__()
        self.norm = torch.nn.BatchNorm1d(3)
        self.lstm = torch.nn.LSTM(3, 4, num_layers=2, dropout=0.3, batch_first=True)
        self.drop = torch.nn.Dropout(0.2)
        self.head = torch.nn.Linear(4, 1)

    def forward(self, x):
        x = self.norm(x.transpose(1, 2)).transpose(1, 2)
        out, _ = self.lstm(x)
        return self.head(self.drop(out[:, -1]))


def test_the_model_is_left_exactly_as_it_was():
    torch.manual_seed(9)
    model = Normed()
    model.train()
    model.head.eval()
    x = torch.randn(5, 7, 3)
    model(x).sum().backward()  # .grad holds something to keep
    params = {n: p.detach().clone() for n, p in model.named_parameters()}
    grads = {n: p.grad.clone() for n, p in model.named_parameters()}
    buffers = {n: b.clone() for n, b in model.named_buffers()}
    modes = {n: m.training for n, m in model.named_modules()}
    rng = torch.get_rng_state()
    first = vgtui.measure(model, x, lambda y: y.sum())
    assert torch.equal(torch.get_rng_state(), rng)
    for n, p in model.named_parameters():
        assert torch.equal(p, params[n]) and torch.equal(p.grad, grads[n]), n
    for n, b in model.named_buffers():
        assert torch.equal(b, buffers[n]), n
    assert {n: m.training for n, m in model.named_modules()} == modes
    assert "forward" not in vars(model.lstm)  # the stand-in forward is gone
    # the same random state gives the same dropout masks: the same figures again
    again = vgtui.measure(model, x, lambda y: y.sum())
    assert np.array_equal(first.layers[0].log10_grad_h, again.layers[0].log10_grad_h)
    assert torch.equal(torch.get_rng_state(), rng)
    # and after a failed measurement too
    with pytest.raises(VgtuiError):
        vgtui.measure(model, x, lambda y: y)  # not a scalar
    assert "forward" not in vars(model.lstm)
    assert torch.equal(torch.get_rng_state(), rng)


# -- bad arguments: one readable line --------------------------------------------------------
class TwoLayers(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = torch.nn.Module()
        self.encoder.lstm = torch.nn.LSTM(2, 3, batch_first=True)
        self.decoder = torch.nn.GRU(3, 3, batch_first=True)

    def forward(self, x):
        out, _ = self.encoder.lstm(x)
        out, _ = self.decoder(out)
        return out


def one_line(exc) -> str:
    text = str(exc)
    assert "\n" not in text and len(text) < 400
    return text


def test_several_recurrent_modules_are_listed_and_one_can_be_named():
    torch.manual_seed(1)
    model = TwoLayers().double()
    x = torch.randn(2, 5, 2, dtype=torch.float64)
    with pytest.raises(ConfigError) as info:
        vgtui.measure(model, x)
    text = one_line(info.value)
    assert "'encoder.lstm'" in text and "'decoder'" in text and "rnn=" in text
    chosen = vgtui.measure(model, x, lambda out: out.sum(), rnn="encoder.lstm")
    assert chosen.module == "encoder.lstm" and chosen.arch == "lstm"
    other = vgtui.measure(model, x, lambda out: out.sum(), rnn="decoder")
    assert other.arch == "gru"
    with pytest.raises(ConfigError) as info:
        vgtui.measure(model, x, rnn="encoder.gru")
    assert "'encoder.lstm'" in one_line(info.value)


@pytest.mark.parametrize("model,inputs,loss_fn,words", [
    ("not a module", torch.zeros(3, 2), None, "torch.nn.Module"),
    (torch.nn.Linear(2, 2), torch.zeros(3, 2), None, "holds no"),
    (torch.nn.LSTM(2, 3, bidirectional=True), torch.zeros(4, 2), None, "bidirectional"),
    (torch.nn.GRU(2, 3), torch.zeros(4, 5), None, "takes (T, 2)"),
    (torch.nn.GRU(2, 3), torch.zeros(4, 1, 1, 2), None, "takes (T, 2)"),
    (torch.nn.GRU(2, 3), np.zeros((4, 2), dtype=object), None, "numbers"),
    (torch.nn.GRU(2, 3), torch.zeros(4, 2), lambda out: out[0], "scalar"),
    (torch.nn.GRU(2, 3), torch.zeros(4, 2), lambda out: out[0].sum().detach(), "autograd"),
    (torch.nn.GRU(2, 3), torch.zeros(4, 2), lambda out: 1 / 0, "ZeroDivisionError"),
    (torch.nn.GRU(2, 3), torch.zeros(4, 2), "sum", "loss_fn must be"),
    (torch.nn.GRU(2, 3), torch.zeros(4, 2, dtype=torch.float64), None, "float64"),
])
def test_bad_arguments_raise_one_readable_line(model, inputs, loss_fn, words):
    with pytest.raises(VgtuiError) as info:
        vgtui.measure(model, inputs, loss_fn)
    assert words in one_line(info.value)


def test_numpy_inputs_and_batch_first_both_ways():
    torch.manual_seed(8)
    for batch_first in (False, True):
        module = torch.nn.LSTM(2, 3, batch_first=batch_first).double()
        x = np.random.default_rng(0).normal(size=(4, 6, 2) if batch_first else (6, 4, 2))
        from_numpy = vgtui.measure(module, x)
        from_tensor = vgtui.measure(module, torch.from_numpy(x))
        assert from_numpy.steps == 6 and from_numpy.batch == 4
        assert np.array_equal(from_numpy.layers[0].log10_grad_h, from_tensor.layers[0].log10_grad_h)


def test_past_the_budget_is_refused_with_the_estimate(monkeypatch):
    monkeypatch.setenv("VGTUI_MEMORY_MB", "1")
    module = torch.nn.LSTM(8, 64)
    with pytest.raises(VgtuiError) as info:
        vgtui.measure(module, torch.zeros(2000, 8, 8))
    assert "over the limit" in one_line(info.value)


def test_lag_profile_left_out_when_only_it_would_pass_the_budget(monkeypatch):
    """lag=None drops the lag profile (saying why) when the rest fits; lag=True refuses."""
    torch.manual_seed(3)
    module = torch.nn.RNN(2, 8).double()
    x = torch.randn(600, 4, 2, dtype=torch.float64)
    every = lambda out: out[0].sum()  # noqa: E731
    # the total keeps about 1 MB here; one lag row per step adds a 600 x 600 table and more
    monkeypatch.setenv("VGTUI_MEMORY_MB", "2")
    result = vgtui.measure(module, x, every)
    assert result.layers[0].log10_lag is None and "lag profile left out" in result.lag_note
    with pytest.raises(VgtuiError):
        vgtui.measure(module, x, every, lag=True)


def test_lag_batch_covers_the_first_sequences_only():
    """lag_batch=2: each loss term's part, normed over the first two sequences, against one
    backward per term; the totals still cover the whole batch."""
    torch.manual_seed(12)
    steps, batch = 6, 5
    module = torch.nn.LSTM(2, 4, num_layers=2).double()
    x = torch.randn(steps, batch, 2, dtype=torch.float64)
    result = vgtui.measure(module, x, lambda out: out[0].pow(2).sum(), lag_batch=2)
    assert result.lag_batch == 2
    ref = Unrolled(module, x)
    top = ref.run()
    terms = [top[s].pow(2).sum() for s in range(steps)]
    sum(terms).backward(retain_graph=True)
    check_against(result, ref, True)
    for k in range(2):
        for s in range(steps):
            parts = torch.autograd.grad(terms[s], [ref.h[k][t] for t in range(s + 1)],
                                        retain_graph=True)
            expected = [p[:2].norm().item() for p in parts]
            assert_close(result.layers[k].log10_lag_matrix[: s + 1, s], np.array(expected),
                         f"layer {k + 1}, loss step {s + 1}")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_a_model_on_cuda_is_measured_there_and_agrees_with_the_cpu():
    torch.manual_seed(13)
    module = torch.nn.GRU(3, 8, num_layers=2).double()
    x = torch.randn(20, 4, 3, dtype=torch.float64)
    on_cpu = vgtui.measure(module, x)
    on_gpu = vgtui.measure(module.cuda(), x.cuda())
    assert on_gpu.device.startswith("cuda")
    for a, b in zip(on_cpu.layers, on_gpu.layers):
        np.testing.assert_allclose(a.log10_grad_h, b.log10_grad_h, atol=1e-9)


@pytest.mark.slow
def test_measuring_in_the_models_own_float32_agrees_to_its_precision():
    torch.manual_seed(14)
    module = torch.nn.LSTM(3, 16, num_layers=2)  # float32
    x = torch.randn(60, 4, 3)
    exact = vgtui.measure(module, x)
    quick = vgtui.measure(module, x, dtype="model")
    assert exact.dtype == "float64" and quick.dtype == "float32"
    for a, b in zip(exact.layers, quick.layers):
        # float32 keeps about 6 digits; log10 differences of 1e-4 are 0.02% relative
        np.testing.assert_allclose(a.log10_grad_h, b.log10_grad_h, atol=1e-4)
    with pytest.raises(ConfigError, match="dtype must be one of"):
        vgtui.measure(module, x, dtype="float16")
