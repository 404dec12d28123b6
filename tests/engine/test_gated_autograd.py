"""LSTM / GRU / stacked cells against torch autograd through torch.nn modules."""
import json
import math

import numpy as np
import pytest
import torch

from vgtui.engine import RNNConfig
from vgtui.engine.flow import run_flow
from vgtui.engine.forget_gate import toy_carousel
from vgtui.engine.gated import run_stack, run_stack_batch
from vgtui.engine.stack_weights import StackWeights, build_stack_weights

MODULES = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}


def random_module(arch: str, rng: np.random.Generator, layers: int):
    n = int(rng.integers(2, 20))
    m = int(rng.integers(1, 7))
    steps = int(rng.integers(2, 40))
    torch.manual_seed(int(rng.integers(0, 10_000)))
    module = MODULES[arch](m, n, num_layers=layers).double()
    with torch.no_grad():  # spread the weights so the runs are not all alike
        for p in module.parameters():
            p.mul_(float(rng.uniform(0.5, 3.0)))
    x = torch.randn(steps, m, dtype=torch.float64) * float(rng.uniform(0.2, 2.0))
    return module, x


def module_reference(module, x):
    """Step the stacked module itself one step at a time. The state tensor h_n holds
    every layer; its top row feeds only the next step and the loss, so its grad is
    the top layer's total dL/dh_t. x.grad gives dL/dx_t."""
    layers, n = module.num_layers, module.hidden_size
    x = x.clone().requires_grad_(True)
    h = torch.zeros(layers, 1, n, dtype=torch.float64)
    c = torch.zeros(layers, 1, n, dtype=torch.float64)
    states = []
    for t in range(x.shape[0]):
        if isinstance(module, torch.nn.LSTM):
            _, (h, c) = module(x[t:t + 1, None, :], (h, c))
        else:
            _, h = module(x[t:t + 1, None, :], h)
        h.retain_grad()
        states.append(h)
    states[-1][-1].sum().backward()
    top = np.array([s.grad[-1].norm().item() for s in states])
    return top, x.grad.norm(dim=1).numpy()


def per_layer_reference(module, x):
    """Every layer's total dL/dh_t (and dL/dc_t for LSTMs) from single-layer torch.nn
    modules holding the stacked module's weights, fed into one another step by step.
    The LSTM's dL/dc_t also needs the path through h_t = o*tanh(c_t), so c_t comes from
    an explicit float64 loop with the same weights and retain_grad."""
    arch = "lstm" if isinstance(module, torch.nn.LSTM) else "gru" if isinstance(module, torch.nn.GRU) else "rnn"
    layers, n = module.num_layers, module.hidden_size
    sd = module.state_dict()
    cells = []
    for k in range(layers):
        single = MODULES[arch](x.shape[1] if k == 0 else n, n,
                               **({"nonlinearity": module.nonlinearity} if arch == "rnn" else {})).double()
        single.load_state_dict({key.replace(f"_l{k}", "_l0"): v for key, v in sd.items()
                                if key.endswith(f"_l{k}")})
        cells.append(single)
    h = [torch.zeros(1, 1, n, dtype=torch.float64) for _ in range(layers)]
    hs = [[] for _ in range(layers)]
    for t in range(x.shape[0]):
        inp = x[t:t + 1, None, :]
        for k in range(layers):
            if arch == "lstm":
                raise AssertionError("use lstm_explicit for LSTMs")
            _, h[k] = cells[k](inp, h[k])
            h[k].retain_grad()
            hs[k].append(h[k])
            inp = h[k]
    hs[-1][-1].sum().backward()
    return [np.array([s.grad.norm().item() for s in layer]) for layer in hs], None


def lstm_explicit(module, x, isolate_cell=False):
    """An explicit float64 LSTM loop (torch.nn gate order i, f, g, o) with retain_grad on
    every h_t and c_t. With isolate_cell the gates read a detached h_{t-1}, so the only
    way from c_t to c_T is the direct path c_t = f*c_{t-1} + ..."""
    sd = dict(module.named_parameters())
    layers, n = module.num_layers, module.hidden_size
    h = [torch.zeros(n, dtype=torch.float64) for _ in range(layers)]
    c = [torch.zeros(n, dtype=torch.float64) for _ in range(layers)]
    hs = [[] for _ in range(layers)]
    cs = [[] for _ in range(layers)]
    for t in range(x.shape[0]):
        inp = x[t]
        for k in range(layers):
            hin = h[k].detach() if isolate_cell else h[k]
            a = (sd[f"weight_ih_l{k}"] @ inp + sd[f"bias_ih_l{k}"]
                 + sd[f"weight_hh_l{k}"] @ hin + sd[f"bias_hh_l{k}"])
            i, f, g, o = a.chunk(4)
            c[k] = torch.sigmoid(f) * c[k] + torch.sigmoid(i) * torch.tanh(g)
            c[k].retain_grad()
            h[k] = torch.sigmoid(o) * torch.tanh(c[k])
            h[k].retain_grad()
            hs[k].append(h[k])
            cs[k].append(c[k])
            inp = h[k]
    return hs, cs


def save_and_run(tmp_path, run_cli, module, x, *extra):
    model, inputs = tmp_path / "m.pt", tmp_path / "x.npy"
    torch.save(module.state_dict(), model)
    np.save(inputs, x.numpy())
    code, out, err = run_cli("flow", "--model", str(model), "--inputs", str(inputs),
                             "--dtype", "float64", "--json", *extra)
    assert code == 0, err
    return json.loads(out)


@pytest.mark.parametrize("arch", ["lstm", "gru"])
@pytest.mark.parametrize("layers", [1, 2, 3])
def test_cli_model_matches_autograd_through_the_module(tmp_path, run_cli, arch, layers):
    rng = np.random.default_rng(7 * layers + (arch == "gru"))
    module, x = random_module(arch, rng, layers)
    data = save_and_run(tmp_path, run_cli, module, x)
    assert data["arch"] == arch and data["config"]["layers"] == layers
    assert data["config"]["hidden"] == module.hidden_size
    top, gx = module_reference(module, x)
    np.testing.assert_allclose(np.array(data["grad_h"]), top, rtol=1e-9, atol=0)
    np.testing.assert_allclose(np.array(data["grad_x"]), gx, rtol=1e-9, atol=0)
    assert len(data["layers"]) == layers
    if arch == "lstm":
        hs, cs = lstm_explicit(module, x)
        hs[-1][-1].sum().backward()
        for k in range(layers):
            ref_h = np.array([h.grad.norm().item() for h in hs[k]])
            ref_c = np.array([c.grad.norm().item() for c in cs[k]])
            np.testing.assert_allclose(np.array(data["layers"][k]["grad_h"]), ref_h, rtol=1e-9)
            np.testing.assert_allclose(np.array(data["layers"][k]["grad_c"]), ref_c, rtol=1e-9)
        np.testing.assert_allclose(np.array(data["grad_c"]), ref_c, rtol=1e-9)
    else:
        assert "grad_c" not in data
        per_layer, _ = per_layer_reference(module, x)
        for k in range(layers):
            np.testing.assert_allclose(np.array(data["layers"][k]["grad_h"]), per_layer[k], rtol=1e-9)


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_stacked_vanilla_rnn_matches_autograd(tmp_path, run_cli, nonlinearity):
    rng = np.random.default_rng(3)
    module, x = random_module("rnn", rng, 1)
    module = torch.nn.RNN(x.shape[1], 6, num_layers=3, nonlinearity=nonlinearity).double()
    data = save_and_run(tmp_path, run_cli, module, x, "--activation", nonlinearity)
    assert data["arch"] == "rnn" and len(data["layers"]) == 3
    top, gx = module_reference(module, x)
    nz = top > 0
    np.testing.assert_allclose(np.array(data["grad_h"])[nz], top[nz], rtol=1e-9)
    assert np.all(np.array(data["grad_h"])[~nz] == 0)
    np.testing.assert_allclose(np.array(data["grad_x"])[gx > 0], gx[gx > 0], rtol=1e-9)


def test_module_saved_inside_a_larger_model_and_without_bias(tmp_path, run_cli):
    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = torch.nn.GRU(3, 5, num_layers=2, bias=False)
            self.head = torch.nn.Linear(5, 1)

    torch.manual_seed(1)
    net = Net().double()
    x = torch.randn(9, 3, dtype=torch.float64)
    model, inputs = tmp_path / "net.pt", tmp_path / "x.npy"
    torch.save(net.state_dict(), model)
    np.save(inputs, x.numpy())
    code, out, err = run_cli("flow", "--model", str(model), "--inputs", str(inputs), "--json")
    assert code == 0, err
    data = json.loads(out)
    assert "encoder." in data["source"] and data["arch"] == "gru"
    top, gx = module_reference(net.encoder, x)
    np.testing.assert_allclose(np.array(data["grad_h"]), top, rtol=1e-9)
    np.testing.assert_allclose(np.array(data["grad_x"]), gx, rtol=1e-9)


def vjp_reference_log10(cell, x):
    """log10 ||dL/dh_t|| and ||dL/dx_t|| for a single-layer torch.nn.LSTMCell / GRUCell
    run over a long sequence: torch autograd one step at a time (vector-Jacobian
    products), the carried vector renormalised every step with its log kept aside."""
    steps, n = x.shape[0], cell.hidden_size
    lstm = isinstance(cell, torch.nn.LSTMCell)
    hs, cs = [torch.zeros(n, dtype=torch.float64)], [torch.zeros(n, dtype=torch.float64)]
    with torch.no_grad():
        for t in range(steps):
            if lstm:
                h, c = cell(x[t], (hs[-1], cs[-1]))
                cs.append(c)
            else:
                h = cell(x[t], hs[-1])
            hs.append(h)
    gh, gc = torch.ones(n, dtype=torch.float64), torch.zeros(n, dtype=torch.float64)
    log_scale = 0.0
    out_h, out_x = np.empty(steps), np.empty(steps)
    for t in range(steps - 1, -1, -1):
        out_h[t] = (log_scale + math.log(gh.norm().item())) / math.log(10)
        h_prev = hs[t].clone().requires_grad_(True)
        xt = x[t].clone().requires_grad_(True)
        if lstm:
            c_prev = cs[t].clone().requires_grad_(True)
            h, c = cell(xt, (h_prev, c_prev))
            grads = torch.autograd.grad((h, c), (h_prev, c_prev, xt), (gh, gc))
            gh, gc, gx = grads
        else:
            h = cell(xt, h_prev)
            gh, gx = torch.autograd.grad(h, (h_prev, xt), gh)
        out_x[t] = (log_scale + math.log(gx.norm().item())) / math.log(10)
        norm = math.sqrt(gh.norm().item() ** 2 + gc.norm().item() ** 2)
        gh, gc = gh / norm, gc / norm
        log_scale += math.log(norm)
    return out_h, out_x


@pytest.mark.slow
@pytest.mark.parametrize("arch", ["lstm", "gru"])
def test_long_sequences_stay_exact_far_below_float_range(arch):
    steps, n, m = 1500, 6, 3
    torch.manual_seed(11)
    cell = (torch.nn.LSTMCell if arch == "lstm" else torch.nn.GRUCell)(m, n).double()
    with torch.no_grad():
        # keep-gates strongly closed: each step back keeps a small share
        cell.bias_ih[n:2 * n] = -3.0
        cell.weight_hh.mul_(0.3)
    x = torch.randn(steps, m, dtype=torch.float64)
    sd = cell.state_dict()
    weights = StackWeights(arch, [sd["weight_ih"][None]], [sd["weight_hh"][None]],
                           [sd["bias_ih"][None]], [sd["bias_hh"][None]], x[None])
    r = run_stack(RNNConfig(arch=arch, hidden=n, input_size=m, steps=steps, dtype="float64"),
                  weights)
    ref_h, ref_x = vjp_reference_log10(cell, x)
    assert r.log10_grad_h[0] < -400  # far below the smallest float64
    assert np.all(np.isfinite(r.log10_grad_h))
    np.testing.assert_allclose(r.log10_grad_h, ref_h, atol=4e-10, rtol=0)
    np.testing.assert_allclose(r.log10_grad_x, ref_x, atol=4e-10, rtol=0)


def test_cell_only_path_total_cell_gradient_and_forget_product_against_autograd():
    """Three figures, three independent references, and they are not equal:
    - grad_c, the total dL/dc_t: autograd through the full explicit loop;
    - cell_path: dL/dc_T (from that full loop) sent back through a loop whose gates read a
      detached h_(t-1), so only c_t = f*c_(t-1) + ... carries it: autograd again;
    - forget_product: the RMS of products of forget gates, from a plain loop."""
    torch.manual_seed(5)
    module = torch.nn.LSTM(3, 7, num_layers=2).double()
    with torch.no_grad():
        for p in module.parameters():
            p.mul_(2.5)  # a strong route through h, so the figures part
    x = torch.randn(30, 3, dtype=torch.float64)
    sd = module.state_dict()
    weights = StackWeights("lstm", [sd[f"weight_ih_l{k}"][None] for k in range(2)],
                           [sd[f"weight_hh_l{k}"][None] for k in range(2)],
                           [sd[f"bias_ih_l{k}"][None] for k in range(2)],
                           [sd[f"bias_hh_l{k}"][None] for k in range(2)], x[None])
    r = run_stack(RNNConfig(arch="lstm", layers=2, hidden=7, input_size=3, steps=30,
                            dtype="float64"), weights)
    hs, full = lstm_explicit(module, x)
    hs[-1][-1].sum().backward()
    for k in range(2):
        layer = r.layers[k]
        total = np.array([c.grad.norm().item() for c in full[k]])
        np.testing.assert_allclose(10 ** layer.log10_grad_c, total, rtol=1e-9)
        _, iso = lstm_explicit(module, x, isolate_cell=True)
        (full[k][-1].grad * iso[k][-1]).sum().backward()
        cell_only = np.array([c.grad.norm().item() for c in iso[k]])
        np.testing.assert_allclose(10 ** layer.log10_cell_path, cell_only, rtol=1e-9)
        with torch.no_grad():
            f = []
            inp_h = [torch.zeros(7, dtype=torch.float64) for _ in range(2)]
            c = [torch.zeros(7, dtype=torch.float64) for _ in range(2)]
            for t in range(30):
                inp = x[t]
                for j in range(2):
                    a = (sd[f"weight_ih_l{j}"] @ inp + sd[f"bias_ih_l{j}"]
                         + sd[f"weight_hh_l{j}"] @ inp_h[j] + sd[f"bias_hh_l{j}"])
                    i_, f_, g_, o_ = a.chunk(4)
                    c[j] = torch.sigmoid(f_) * c[j] + torch.sigmoid(i_) * torch.tanh(g_)
                    inp_h[j] = torch.sigmoid(o_) * torch.tanh(c[j])
                    if j == k:
                        f.append(torch.sigmoid(f_).numpy())
                    inp = inp_h[j]
        f = np.array(f)
        products = np.array([np.prod(f[t + 1:], axis=0) for t in range(30)])
        rms = np.sqrt((products ** 2).mean(axis=1))
        np.testing.assert_allclose(10 ** layer.log10_forget_product, rms, rtol=1e-10)
        # measured, not equal by construction: the route through h shows
        assert layer.h_route_gap > 0.1 and layer.forget_product_gap > 0.1
        assert layer.parting_step is not None


def test_cell_only_path_stays_exact_far_below_float_range():
    """A forget gate near 0.12 over 600 steps: the product is ~1e-550; the segments of the
    autograd pass are renormalised, so it is still measured (against the log-space product
    of the same gates times |dL/dc_T| on a one-unit cell, where all three coincide)."""
    cfg = RNNConfig(arch="lstm", hidden=1, input_size=1, steps=600, forget_bias=-2.0,
                    scale=0.0, input_scale=0.0, dtype="float64", device="cpu")
    r = run_stack(cfg)
    layer = r.top
    assert layer.log10_cell_path[0] < -400
    expected = layer.log10_forget_product + layer.log10_grad_c[-1]
    np.testing.assert_allclose(layer.log10_cell_path, expected, atol=1e-9, rtol=0)


def test_raising_the_forget_bias_lengthens_the_horizon():
    runs = [run_stack(RNNConfig(arch="lstm", forget_bias=b, steps=150, hidden=16, seed=2))
            for b in (0.0, 1.0, 2.0, 4.0)]
    path = [r.top.cell_path_factor for r in runs]
    assert path == sorted(path) and path[0] < 0.6 < 0.95 < path[-1]
    first = [r.log10_grad_h[0] for r in runs]
    assert first == sorted(first)
    horizons = [r.vanishing_horizon if r.vanishing_horizon is not None else math.inf for r in runs]
    assert horizons == sorted(horizons) and horizons[0] < horizons[-1]
    mean_f = [float(np.mean(r.gates["forget"])) for r in runs]
    assert mean_f == sorted(mean_f)


def test_single_vanilla_layer_in_the_stack_engine_equals_the_vanilla_engine():
    for activation in ("tanh", "relu", "sigmoid"):
        cfg = RNNConfig(activation=activation, hidden=9, steps=25, seed=4, scale=1.1)
        flow, stack = run_flow(cfg), run_stack(cfg)
        np.testing.assert_allclose(stack.log10_grad_h, flow.log10_grad_h, atol=1e-10)
        np.testing.assert_allclose(stack.log10_grad_x, flow.log10_grad_x, atol=1e-10)
        assert stack.spectral_radius == pytest.approx(flow.spectral_radius, rel=1e-12)


def test_gated_cells_share_the_vanilla_candidate_weights_and_inputs():
    cfg = RNNConfig(hidden=5, input_size=2, steps=4, seed=9)
    w_rnn = build_stack_weights([cfg], torch.device("cpu"), torch.float64)
    w_lstm = build_stack_weights([cfg.replace(arch="lstm", forget_bias=1.5)],
                                 torch.device("cpu"), torch.float64)
    assert torch.equal(w_lstm.w_hh[0][0, 10:15], w_rnn.w_hh[0][0])
    assert torch.equal(w_lstm.inputs, w_rnn.inputs)
    assert torch.all(w_lstm.b_ih[0][0, 5:10] == 1.5) and torch.all(w_lstm.b_ih[0][0, :5] == 0)


@pytest.mark.parametrize("arch", ["lstm", "gru", "rnn"])
def test_batch_equals_single_runs(arch):
    configs = [RNNConfig(arch=arch, layers=2, hidden=8, steps=20, seed=s, forget_bias=b,
                         activation=a)
               for s in (0, 1) for b in (0.0, 2.0) for a in ("tanh", "relu")]
    batch = run_stack_batch(configs)
    for cfg, run in zip(configs, batch):
        single = run_stack(cfg)
        for a, b in zip(run.layers, single.layers):
            np.testing.assert_allclose(a.log10_grad_h, b.log10_grad_h, atol=1e-10)
        np.testing.assert_allclose(run.log10_grad_x, single.log10_grad_x, atol=1e-10)


def test_float32_agrees_with_float64():
    base = RNNConfig(arch="lstm", layers=2, hidden=12, steps=40, forget_bias=1.0)
    r64 = run_stack(base.replace(dtype="float64"))
    r32 = run_stack(base.replace(dtype="float32"))
    assert r32.dtype == "float32"
    np.testing.assert_allclose(r32.log10_grad_h, r64.log10_grad_h, atol=1e-4)
    np.testing.assert_allclose(r32.log10_grad_c, r64.log10_grad_c, atol=1e-4)


def test_gate_means_are_means_of_the_gates():
    torch.manual_seed(2)
    module = torch.nn.GRU(2, 4).double()
    x = torch.randn(6, 2, dtype=torch.float64)
    sd = module.state_dict()
    weights = StackWeights("gru", [sd["weight_ih_l0"][None]], [sd["weight_hh_l0"][None]],
                           [sd["bias_ih_l0"][None]], [sd["bias_hh_l0"][None]], x[None])
    r = run_stack(RNNConfig(arch="gru", hidden=4, input_size=2, steps=6), weights)
    h = torch.zeros(4, dtype=torch.float64)
    for t in range(6):
        gi = sd["weight_ih_l0"] @ x[t] + sd["bias_ih_l0"]
        gh = sd["weight_hh_l0"] @ h + sd["bias_hh_l0"]
        rr = torch.sigmoid(gi[:4] + gh[:4])
        z = torch.sigmoid(gi[4:8] + gh[4:8])
        nn_ = torch.tanh(gi[8:] + rr * gh[8:])
        h = (1 - z) * nn_ + z * h
        assert r.gates["reset"][t] == pytest.approx(rr.mean().item(), rel=1e-12)
        assert r.gates["update"][t] == pytest.approx(z.mean().item(), rel=1e-12)
        assert r.h_norm[t] == pytest.approx(h.norm().item(), rel=1e-12)


def test_toy_carousel_matches_repeated_multiplication():
    toy = toy_carousel(0.7, 0.98, 100)
    rnn, gate = 1.0, 1.0
    for _ in range(100):
        rnn *= 0.7
        gate *= 0.98
    assert 10 ** toy.log10_final_rnn == pytest.approx(rnn, rel=1e-12)
    assert 10 ** toy.log10_final_gate == pytest.approx(gate, rel=1e-12)
    assert toy.log10_advantage == pytest.approx(math.log10(gate / rnn), rel=1e-12)
    zero = toy_carousel(0.0, 1.0, 5)
    assert zero.log10_rnn[0] == 0 and np.all(zero.log10_rnn[1:] == -math.inf)
    assert np.all(zero.log10_gate == 0)


def test_memory_guard_refuses_huge_runs():
    from vgtui.engine.errors import ConfigError

    with pytest.raises(ConfigError) as info:
        run_stack(RNNConfig(arch="lstm", hidden=2048, steps=200_000, layers=4))
    assert info.value.field == "steps"


def test_a_gradient_falling_past_the_float_range_within_a_block_is_still_exact():
    """The backward loop renormalises once per block of steps; a block in which the
    gradient falls by more than the float range (forget gate sigmoid(-300), about 1e-130
    a step, so 16 steps would be 1e-2085) must be redone step by step, row by row.
    One unit, zero inputs and candidate bias, so g = 0, c and h stay 0, and dL/dc_t is
    exactly o (1 - tanh^2 0) times the product of the forget gates after t (closed form).
    The recurrent weights of the i, f and o blocks are not zero (weights that small
    would send the loop step by step from the start) but meet h = 0 forward and zero
    factors backward; the candidate block's are zero, so nothing returns through h.
    A second row with an ordinary forget gate shares the batch."""
    steps, n, m = 40, 1, 1
    biases = {"row0": -300.0, "row1": 2.0}
    w_hh = torch.full((2, 4 * n, n), 0.5, dtype=torch.float64)
    w_hh[:, 2 * n:3 * n] = 0.0

    def b_ih(forget):
        b = torch.zeros(1, 4 * n, dtype=torch.float64)
        b[0, n:2 * n] = forget
        return b

    weights = StackWeights(
        "lstm", [torch.zeros(2, 4 * n, m, dtype=torch.float64)],
        [w_hh], [torch.cat([b_ih(biases["row0"]), b_ih(biases["row1"])])],
        [torch.zeros(2, 4 * n, dtype=torch.float64)], torch.zeros(2, steps, m, dtype=torch.float64))
    cfg = RNNConfig(arch="lstm", hidden=n, input_size=m, steps=steps, dtype="float64",
                    device="cpu")
    runs = run_stack_batch([cfg, cfg], weights)
    for run, forget in zip(runs, biases.values()):
        # log sigmoid(b) = -log(1 + e^-b), written to keep its digits for b = -300 and 2
        log10_f = (forget - math.log1p(math.exp(forget)) if forget < 0
                   else -math.log1p(math.exp(-forget))) / math.log(10)
        expected = math.log10(0.5) + (steps - 1 - np.arange(steps)) * log10_f
        np.testing.assert_allclose(run.top.log10_grad_c, expected, atol=1e-9, rtol=0)
        np.testing.assert_allclose(run.top.log10_cell_path, expected, atol=1e-9, rtol=0)
        assert np.all(run.top.log10_grad_h[:-1] == -np.inf)  # no recurrent weights
    assert runs[0].top.log10_grad_c[0] < -5000
