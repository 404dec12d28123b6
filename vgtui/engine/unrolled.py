"""Your own recurrent module unrolled step by step, for ``vgtui.measure``.

Which submodule of a model is the recurrence, its weights in the measurement's dtype, the
forward pass run with torch's own cell equations (so every step's state is a tensor the
measurement can reach), and one step of the recurrence run backward for any number of
rows at once.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import ConfigError

ARCH_OF_MODE = {"RNN_TANH": "rnn", "RNN_RELU": "rnn", "LSTM": "lstm", "GRU": "gru"}
GATES = {"rnn": 1, "lstm": 4, "gru": 3}
MODULE_NAMES = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}
# The block of W_hh that drives the candidate state (LSTM g, GRU n; all of a vanilla W_hh):
# its spectral radius and norm are the ones quoted for a layer.
CANDIDATE_BLOCK = {"rnn": 0, "lstm": 2, "gru": 2}
NORMS = "Frobenius over batch and units"


def float_list(values) -> list:
    """Floats for JSON: nan as None, +-inf kept (the CLI writes them as +-1e999)."""
    return [None if math.isnan(v) else float(v) for v in np.asarray(values, dtype=float).tolist()]


def optional_float(value: float | None):
    return None if value is None or math.isnan(value) else float(value)



# -- finding the recurrent module ---------------------------------------------------------
def recurrent_modules(model) -> list[tuple[str, Any]]:
    """Every torch.nn.RNN / LSTM / GRU inside ``model`` as (dotted name, module); the model
    itself is named ""."""
    import torch.nn as nn  # torch: loaded when first needed

    return [(name, m) for name, m in model.named_modules()
            if isinstance(m, (nn.RNN, nn.LSTM, nn.GRU))]


def where_text(name: str) -> str:
    return f"at {name!r}" if name else "(the model itself)"


def find_recurrent(model, rnn: str | None = None) -> tuple[str, Any]:
    """The one recurrent submodule to measure, as (name, module); ``rnn`` names it when
    the model holds several. Refusals name what was found."""
    import torch.nn as nn  # torch: loaded when first needed

    if not isinstance(model, nn.Module):
        raise ConfigError(f"model must be a torch.nn.Module (an RNN, LSTM or GRU, or a model "
                          f"holding one), not {type(model).__name__}", "model")
    found = recurrent_modules(model)
    listed = ", ".join(f"{MODULE_NAMES[ARCH_OF_MODE[m.mode]]} {n!r}" for n, m in found[:8])
    if rnn is not None:
        if not isinstance(rnn, str):
            raise ConfigError(f"rnn must be the dotted name of a submodule (a string such as "
                              f"'encoder.lstm'), not {type(rnn).__name__}", "rnn")
        try:
            module = model.get_submodule(rnn)
        except AttributeError:
            module = None
        if module is None or not isinstance(module, (nn.RNN, nn.LSTM, nn.GRU)):
            what = "no submodule" if module is None else f"a {type(module).__name__}, not an RNN"
            raise ConfigError(f"rnn={rnn!r} is {what}; the model's recurrent modules: "
                              f"{listed or 'none'}", "rnn")
        name = rnn
    elif not found:
        raise ConfigError(f"the model ({type(model).__name__}) holds no torch.nn.RNN, LSTM or "
                          "GRU; vgtui measures those", "model")
    elif len(found) > 1:
        raise ConfigError(f"the model holds {len(found)} recurrent modules ({listed}); name the "
                          f"one to measure, e.g. rnn={found[0][0] or found[1][0]!r}", "rnn")
    else:
        name, module = found[0]
    arch = ARCH_OF_MODE.get(getattr(module, "mode", ""), None)
    if arch is None:
        raise ConfigError(f"the recurrent module {where_text(name)} has mode {module.mode!r}, which "
                          "vgtui does not know", "rnn")
    own = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[arch]
    if type(module).forward is not own.forward:
        raise ConfigError(f"the {type(module).__name__} {where_text(name)} overrides forward(); "
                          "vgtui re-runs torch's own cell equations, which would not be what "
                          "it computes", "rnn")
    if module.bidirectional:
        raise ConfigError(f"the {MODULE_NAMES[arch]} {where_text(name)} is bidirectional; vgtui "
                          "measures one-direction modules (the reverse direction carries the "
                          "gradient forward in time, which the per-step picture leaves out)",
                          "rnn")
    params = list(module.parameters())
    if params and (params[0].is_complex() or not params[0].is_floating_point()):
        raise ConfigError(f"the {MODULE_NAMES[arch]} {where_text(name)} holds {params[0].dtype} "
                          "weights; vgtui measures real floating-point ones", "rnn")
    return name, module


# -- the module's weights, in the dtype of the measurement --------------------------------
@dataclass
class LayerWeights:
    w_ih: Any  # (G n, m_l)
    w_hh: Any  # (G n, n_out)
    b_ih: Any  # (G n,)
    b_hh: Any  # (G n,)
    w_hr: Any = None  # (n_out, n) with proj_size, else None
    both: Any = None  # [W_hh | W_ih] (G n, n_out + m_l): one product for both, steps back

@dataclass
class RecurrentShape:
    arch: str
    nonlinearity: str
    layers: int
    hidden: int  # n: units of the cell state (and of h without a projection)
    out: int  # size of h_t: proj_size when the LSTM projects, else hidden
    input_size: int
    batch_first: bool
    dropout: float

    @property
    def gates(self) -> int:
        return GATES[self.arch]


def shape_of(module, arch: str) -> RecurrentShape:
    proj = int(getattr(module, "proj_size", 0) or 0)
    return RecurrentShape(arch, getattr(module, "nonlinearity", "tanh") if arch == "rnn" else "",
                  int(module.num_layers), int(module.hidden_size),
                  proj if proj > 0 else int(module.hidden_size), int(module.input_size),
                  bool(module.batch_first), float(module.dropout))


def compute_dtype(device):
    """float64 wherever the device has it (every device but Apple's MPS)."""
    import torch  # torch: loaded when first needed

    return torch.float32 if getattr(device, "type", "cpu") == "mps" else torch.float64


def layer_weights(module, shape: RecurrentShape, dtype) -> list[LayerWeights]:
    import torch  # torch: loaded when first needed

    out = []
    for k in range(shape.layers):
        def get(name):
            t = getattr(module, f"{name}_l{k}", None)
            return None if t is None else t.detach().to(dtype)

        w_ih, w_hh = get("weight_ih"), get("weight_hh")
        zeros = torch.zeros(w_hh.shape[0], dtype=dtype, device=w_hh.device)
        b_ih, b_hh = get("bias_ih"), get("bias_hh")
        out.append(LayerWeights(w_ih, w_hh, zeros if b_ih is None else b_ih,
                          zeros if b_hh is None else b_hh, get("weight_hr")))
    return out


# -- the forward pass, unrolled ---------------------------------------------------------
@dataclass
class ForwardTrace:
    """What one layer's forward pass keeps for the backward pass. Index 0 of ``h`` and
    ``c`` is the initial state; index t of the others is step t + 1."""

    x: Any  # (T, B, m_l) the layer's input
    h: Any  # (T+1, B, n_out)
    c: Any = None  # (T+1, B, n) LSTM
    acts: Any = None  # LSTM (T, B, 4n) i f g o after their nonlinearities; GRU (T, B, 2n) r z
    tc: Any = None  # LSTM tanh(c_t)
    m: Any = None  # LSTM with projection: o * tanh(c_t) before W_hr
    cand: Any = None  # GRU n_t
    hn: Any = None  # GRU W_hn h_(t-1) + b_hn
    mask: Any = None  # dropout mask applied to this layer's output before the next layer
    # Local derivatives, computed for every step at once after the forward loop so that
    # each backward step is a few multiplications (see fill_derivatives).
    d_state: Any = None  # RNN f'(z); LSTM o * tanh'(c); GRU (1 - z) * tanh'(n)
    d_gates: Any = None  # LSTM (T, B, 4n) factors of i f g o; GRU (T, B, 2n) of r and z


def run_layer(shape: RecurrentShape, w: LayerWeights, x, h0, c0) -> ForwardTrace:
    """torch.nn's equations for one layer over every step (gate order as torch: LSTM i f g o,
    GRU r z n)."""
    import torch  # torch: loaded when first needed

    steps, batch = x.shape[0], x.shape[1]
    n, n_out = shape.hidden, shape.out
    # Every step's input part at once (T, B, G n); b_hh is added here too, except a GRU's
    # b_hn, which sits inside r * (W_hn h + b_hn).
    bias = w.b_ih + w.b_hh
    if shape.arch == "gru":
        bias = torch.cat((bias[:2 * shape.hidden], w.b_ih[2 * shape.hidden:]))
    drive = torch.addmm(bias, x.reshape(-1, x.shape[-1]), w.w_ih.T).view(x.shape[0], x.shape[1], -1)
    h = x.new_empty(steps + 1, batch, n_out)
    h[0] = h0
    tr = ForwardTrace(x=x, h=h)
    w_hh_t = w.w_hh.T  # a transposed view: BLAS reads it as it is
    if shape.arch == "rnn":
        for t in range(steps):
            z = torch.addmm(drive[t], h[t], w_hh_t)
            if shape.nonlinearity == "tanh":
                torch.tanh(z, out=h[t + 1])
            else:
                torch.clamp(z, min=0, out=h[t + 1])  # relu
    elif shape.arch == "lstm":
        c = x.new_empty(steps + 1, batch, n)
        c[0] = c0
        acts = x.new_empty(steps, batch, 4 * n)
        tc = x.new_empty(steps, batch, n)
        m = x.new_empty(steps, batch, n) if w.w_hr is not None else None
        # every operation writes into the sequence's own buffers (no temporaries)
        for t in range(steps):
            a = torch.addmm(drive[t], h[t], w_hh_t)
            torch.sigmoid(a, out=acts[t])
            torch.tanh(a[:, 2 * n:3 * n], out=acts[t, :, 2 * n:3 * n])
            i, f, g, o = acts[t].split(n, dim=1)
            torch.mul(f, c[t], out=c[t + 1]).addcmul_(i, g)
            torch.tanh(c[t + 1], out=tc[t])
            if m is None:
                torch.mul(o, tc[t], out=h[t + 1])
            else:
                torch.mul(o, tc[t], out=m[t])
                torch.mm(m[t], w.w_hr.T, out=h[t + 1])
        tr.c, tr.acts, tr.tc, tr.m = c, acts, tc, m
    else:
        acts = x.new_empty(steps, batch, 2 * n)
        b_hn = torch.cat((torch.zeros_like(w.b_hh[:2 * n]), w.b_hh[2 * n:]))
        cand = x.new_empty(steps, batch, n)
        hn = x.new_empty(steps, batch, n)
        for t in range(steps):
            gh = torch.addmm(b_hn, h[t], w_hh_t)
            torch.sigmoid(drive[t, :, :2 * n] + gh[:, :2 * n], out=acts[t])
            hn[t] = gh[:, 2 * n:]
            r, z = acts[t].split(n, dim=1)
            torch.tanh(torch.addcmul(drive[t, :, 2 * n:], r, hn[t]), out=cand[t])
            # h = (1 - z) n + z h_prev = n + z (h_prev - n)
            torch.addcmul(cand[t], z, h[t] - cand[t], out=h[t + 1])
        tr.acts, tr.cand, tr.hn = acts, cand, hn
    fill_derivatives(shape, tr)
    return tr


def fill_derivatives(shape: RecurrentShape, tr: ForwardTrace) -> None:
    """Each step's local derivatives in a few whole-sequence operations:

    RNN   dz = gh * f'(z)                      f' = 1 - h^2 (tanh) or [h > 0] (relu)
    LSTM  dc = gc + gm * o (1 - tanh(c)^2);    d(i f g o) = (dc, dc, dc, gm) * d_gates
    GRU   dn = gh * (1 - z)(1 - n^2);          d(r z) = (dn, gh) * d_gates
    """
    import torch  # torch: loaded when first needed

    # Written into fresh buffers with in-place operations: a temporary the size of the
    # whole sequence costs more in first-touch page faults than the arithmetic itself.
    n = shape.hidden
    if shape.arch == "rnn":
        h = tr.h[1:]
        if shape.nonlinearity == "tanh":
            tr.d_state = torch.mul(h, h).neg_().add_(1)  # 1 - tanh^2
        else:
            tr.d_state = (h > 0).to(h.dtype)
        return
    if shape.arch == "lstm":
        i, f, g, o = tr.acts.split(n, dim=-1)
        tc = tr.tc
        tr.d_state = torch.mul(tc, tc).neg_().add_(1).mul_(o)  # o * (1 - tanh(c)^2)
        d = torch.empty_like(tr.acts)
        di, df, dg, do = d.split(n, dim=-1)
        torch.addcmul(i, i, i, value=-1, out=di).mul_(g)  # i (1 - i) g
        torch.addcmul(f, f, f, value=-1, out=df).mul_(tr.c[:-1])  # f (1 - f) c_(t-1)
        torch.mul(g, g, out=dg).neg_().add_(1).mul_(i)  # (1 - g^2) i
        torch.addcmul(o, o, o, value=-1, out=do).mul_(tc)  # o (1 - o) tanh(c)
        tr.d_gates = d
        return
    r, z = tr.acts.split(n, dim=-1)
    cand = tr.cand
    tr.d_state = torch.mul(cand, cand).neg_().add_(1).mul_(1 - z)  # (1 - z)(1 - n^2)
    d = torch.empty_like(tr.acts)
    dr, dz = d.split(n, dim=-1)
    torch.addcmul(r, r, r, value=-1, out=dr).mul_(tr.hn)  # r (1 - r) (W_hn h + b_hn)
    torch.addcmul(z, z, z, value=-1, out=dz).mul_(tr.h[:-1] - cand)  # z (1 - z)(h - n)
    tr.d_gates = d


# -- the backward pass of one step, for any number of rows ---------------------------------
def step_back(shape: RecurrentShape, w: LayerWeights, tr: ForwardTrace, t: int, gh, gc, b: int,
               want_dx: bool = False):
    """One step back through step t + 1 of a layer (t is 0-based), for R rows at once.

    ``gh`` (R, b, n_out) is the total gradient at h_(t+1); ``gc`` (R, b, n) for an LSTM is
    the gradient reaching c_(t+1) from later steps and from c_n. Only the first ``b``
    sequences of the batch take part. Returns (gh_prev, gc_prev, dgate_h, dgate_x, dc)
    where dc is the LSTM's total gradient at c_(t+1) and dgate_* the gradients at the
    pre-activations of the hidden and input sides (they differ only for a GRU); the
    gradient at the layer's input is dgate_x @ W_ih; with ``want_dx`` it is appended to
    the result (one product with [W_hh | W_ih] where the two sides share their gate
    gradients), else None is."""
    import torch  # torch: loaded when first needed

    n = shape.hidden
    if shape.arch == "rnn":
        dz = gh * tr.d_state[t, :b]
        prev, dx = back_products(w, dz, want_dx)
        return prev, None, dz, dz, None, dx
    if shape.arch == "lstm":
        gm = gh if w.w_hr is None else gh @ w.w_hr
        dc = torch.addcmul(gc, gm, tr.d_state[t, :b])
        # (dc, dc, dc, gm) times the gate factors, written block by block (no concatenation)
        rows = gh.shape[0]
        dpre = gh.new_empty(rows, b, 4 * n)
        torch.mul(tr.d_gates[t, :b, :3 * n].view(b, 3, n), dc.unsqueeze(-2),
                  out=dpre[..., :3 * n].view(rows, b, 3, n))
        torch.mul(tr.d_gates[t, :b, 3 * n:], gm, out=dpre[..., 3 * n:])
        prev, dx = back_products(w, dpre, want_dx)
        return prev, dc * tr.acts[t, :b, n:2 * n], dpre, dpre, dc, dx
    z = tr.acts[t, :b, n:]
    dcand = gh * tr.d_state[t, :b]
    drz = torch.cat((dcand, gh), dim=-1) * tr.d_gates[t, :b]
    dgate_h = torch.cat((drz, dcand * tr.acts[t, :b, :n]), dim=-1)
    dgate_x = torch.cat((drz, dcand), dim=-1)
    return (gh * z + dgate_h @ w.w_hh, None, dgate_h, dgate_x, None,
            dgate_x @ w.w_ih if want_dx else None)


def back_products(w: LayerWeights, gate, want_dx: bool):
    """gate @ W_hh, and gate @ W_ih when asked, as one matrix product."""
    import torch  # torch: loaded when first needed

    if not want_dx:
        return gate @ w.w_hh, None
    if w.both is None:
        w.both = torch.cat((w.w_hh, w.w_ih), dim=1)
    out = gate @ w.both
    split = w.w_hh.shape[1]
    return out[..., :split], out[..., split:]


MEASURE_DTYPES = ("float64", "float32", "model")


def chosen_dtype(name: str | None, device, model_dtype):
    """The torch dtype a measurement runs in (see ``measure_model``'s ``dtype``)."""
    import torch  # torch: loaded when first needed

    if name is None or name == "float64":
        best = compute_dtype(device)
        if name == "float64" and best != torch.float64:
            raise ConfigError(f"the device {device} has no float64; use dtype='model' or "
                              "'float32'", "dtype")
        return best
    if name == "float32":
        return torch.float32
    if name == "model":
        return model_dtype if model_dtype in (torch.float32, torch.float64) else torch.float32
    raise ConfigError(f"dtype must be one of {', '.join(MEASURE_DTYPES)} (got {name!r})",
                      "dtype")
