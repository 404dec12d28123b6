"""The gradient of your own loss through your own torch.nn RNN / LSTM / GRU, at every
timestep of every layer: the engine behind ``vgtui.measure`` and ``vgtui.Probe``.

How it works. For one call of ``model(inputs)`` the recurrent submodule's ``forward`` is
replaced by an unrolled loop of torch's own cell equations, run with the module's own
weights in float64 (float32 only on a device without float64). What that loop hands back
to the rest of the model (output, h_n, c_n) are fresh autograd leaves, so a single
``torch.autograd.grad`` of the loss gives exactly what the loss injects into the
recurrence at every step, whatever the model does after the recurrent module. The
recurrence is then run backward by hand, step by step and layer by layer:

    total dL/d(state_t) = injected at t + (d state_(t+1) / d state_t)^T dL/d(state_(t+1))
                          + what the layer above sends down at t

with the gradient renormalised at every step and its scale carried as a log10, so a
gradient of 1e-400 is reported as 1e-400, not 0. Nothing is written to ``.grad``.

The lag profile. The loss reaches the recurrence at some set of steps s (every step for a
loss summed over the sequence, only T for a sequence-to-one loss). The gradient at step t
is the sum of one part per such step: the part injected at s and carried back s - t steps.
Each of those parts is pushed back as its own row of one batched tensor, in the same
loop as the total, so ``||part of dL/dh_t injected at s||`` is exact for every pair
(t, s). The profile at lag k is the root mean square, over the pairs (t, t + k) whose
step t + k the loss reads, of those norms: how much of the gradient at a step comes from
loss terms k steps later. For a sequence-to-one loss it is the gradient itself, read
backwards from T.

Norms over a batch are Frobenius norms over the batch and the units: ||dL/dh_t|| is
sqrt(sum over sequences b and units i of (dL/dh_t[b, i])^2).

Cost. The total costs about two forward passes; each loss step read adds one row to the
lag pass, which costs about (number of steps read) x (T / 2) single-sequence steps, so a
loss over every step of T steps costs about T / 2 times the total. Both are estimated
before anything runs and refused past the budget (engine/budget.py); with ``lag=None``
the lag profile alone is left out when it would not fit.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .budget import FLOPS_PER_S, STEP_OVERHEAD_S, Estimate, ResourceError, check
from .errors import ConfigError
from .flow import fitted_factor, horizons, verdict_for
from .measure_results import (
    LayerMeasure,
    Measurement,
    lag_profile,
    log10_float,
    log10_host,
    log10_norms,
    row_weights,
)
from .unrolled import (
    ARCH_OF_MODE,
    CANDIDATE_BLOCK,
    MODULE_NAMES,
    ForwardTrace,
    LayerWeights,
    RecurrentShape,
    chosen_dtype,
    find_recurrent,
    layer_weights,
    run_layer,
    shape_of,
    step_back,
    where_text,
)


# -- the estimate ------------------------------------------------------------------------
def measure_estimate(shape: RecurrentShape, steps: int, batch: int, lag_rows: int, lag_batch: int,
                     lag_row_steps: int, itemsize: int = 8) -> tuple[Estimate, Estimate]:
    """(the total's estimate, the lag profile's extra), for the resource guard.

    Per step, sequence and layer the forward keeps h, c and the gates (about (G + 4) n
    numbers) and the backward the gate gradients (G n, twice for a GRU); the lag pass
    holds ``lag_rows`` rows of the state per layer and a T x rows table, and does about
    ``lag_row_steps`` (the sum over loss steps s of s) single-row steps per layer."""
    g, n, layers, m = shape.gates, shape.hidden, shape.layers, shape.input_size
    per = (g + 5) * n + shape.out + (g * n if shape.arch == "gru" else 0)
    total = steps * batch * (layers * per + m) * itemsize
    flops = 3 * 2 * steps * batch * layers * g * n * (shape.out + max(m, shape.out))
    seconds = 3 * steps * layers * 12 * STEP_OVERHEAD_S + flops / FLOPS_PER_S
    what = f"{MODULE_NAMES[shape.arch]} x {layers}, T={steps}, n={n}, batch {batch}"
    base = Estimate(int(total), seconds, f"measuring the {what}", "inputs",
                    "use shorter or fewer sequences")
    lag_bytes = (layers * lag_rows * lag_batch * (shape.out + n) * itemsize * 8
                 + layers * steps * lag_rows * 8)
    lag_flops = 2 * 2 * lag_row_steps * lag_batch * layers * g * n * (shape.out + shape.out)
    lag_seconds = steps * layers * 16 * STEP_OVERHEAD_S + lag_flops / FLOPS_PER_S
    lag = Estimate(int(lag_bytes), lag_seconds,
                   f"the lag profile of {lag_rows} loss steps ({what})", "inputs",
                   "pass lag=False, a loss over fewer steps, or fewer sequences")
    return base, lag


# -- the measurement ----------------------------------------------------------------------
class _Interceptor:
    """Stands in for the recurrent module's forward during one call of the model."""

    def __init__(self, module, name: str, shape: RecurrentShape, dtype, weights, check_budget) -> None:
        self.module = module
        self.weights = weights
        self.name = name
        self.shape = shape
        self.dtype = dtype
        self.check_budget = check_budget
        self.calls = 0
        self.traces: list[ForwardTrace] = []
        self.batched = True
        self.out_leaf = self.hn_leaf = self.cn_leaf = None
        self.input = None  # the tensor the model passed in (for paths around the module)

    def forward(self, input, hx=None):
        import torch  # torch: loaded when first needed
        from torch.nn.utils.rnn import PackedSequence  # torch: loaded when first needed

        self.calls += 1
        where = f"the {MODULE_NAMES[self.shape.arch]} {where_text(self.name)}"
        if self.calls > 1:
            raise ConfigError(f"the model called {where} more than once in one forward pass "
                              "(step by step?); vgtui measures one call over the whole "
                              "sequence", "model")
        if isinstance(input, PackedSequence):
            raise ConfigError(f"{where} was given a PackedSequence; vgtui measures padded "
                              "tensors: call it with a plain (B, T, m) or (T, B, m) tensor",
                              "inputs")
        s = self.shape
        if not torch.is_tensor(input) or input.dim() not in (2, 3) \
                or input.shape[-1] != s.input_size:
            got = tuple(input.shape) if torch.is_tensor(input) else type(input).__name__
            order = "(B, T, m)" if s.batch_first else "(T, B, m)"
            raise ConfigError(f"{where} takes (T, {s.input_size}) or {order} with m = "
                              f"{s.input_size}; it was given {got}", "inputs")
        weight_dtype = self.module.weight_hh_l0.dtype
        if input.dtype != weight_dtype:
            raise ConfigError(f"{where} has {weight_dtype} weights but was given "
                              f"{input.dtype} inputs; convert one of them", "inputs")
        self.batched = input.dim() == 3
        self.input = input
        x = input.detach().to(self.dtype)
        if not self.batched:
            x = x.unsqueeze(1)
        elif s.batch_first:
            x = x.transpose(0, 1)
        steps, batch = x.shape[0], x.shape[1]
        if steps < 1 or batch < 1:
            raise ConfigError(f"{where} was given an empty sequence ({tuple(input.shape)})",
                              "inputs")
        self.check_budget(steps, batch)
        h0, c0 = self._initial(hx, batch, x)
        layer_in = x
        with torch.no_grad():
            for k, w in enumerate(self.weights):
                tr = run_layer(s, w, layer_in, h0[k], None if c0 is None else c0[k])
                self.traces.append(tr)
                layer_in = tr.h[1:]
                if k < s.layers - 1 and self.module.training and s.dropout > 0:
                    # torch's inter-layer dropout, drawn from torch's RNG (restored afterwards)
                    keep = 1.0 - s.dropout
                    tr.mask = (torch.empty_like(layer_in).bernoulli_(keep) / keep
                               if keep > 0 else torch.zeros_like(layer_in))
                    layer_in = layer_in * tr.mask
        top = self.traces[-1].h[1:]
        out = top.transpose(0, 1) if s.batch_first else top
        h_n = torch.stack([tr.h[-1] for tr in self.traces])
        c_n = torch.stack([tr.c[-1] for tr in self.traces]) if s.arch == "lstm" else None
        if not self.batched:
            out, h_n = out[:, 0], h_n[:, 0]
            c_n = None if c_n is None else c_n[:, 0]
        # fresh leaves (copies), so the loss's gradient stops here and nothing else is traced
        self.out_leaf = out.to(weight_dtype, copy=True).requires_grad_(True)
        self.hn_leaf = h_n.to(weight_dtype, copy=True).requires_grad_(True)
        if c_n is not None:
            self.cn_leaf = c_n.to(weight_dtype, copy=True).requires_grad_(True)
            return self.out_leaf, (self.hn_leaf, self.cn_leaf)
        return self.out_leaf, self.hn_leaf

    def _initial(self, hx, batch: int, x):
        import torch  # torch: loaded when first needed

        s = self.shape
        zeros_h = x.new_zeros(s.layers, batch, s.out)
        zeros_c = x.new_zeros(s.layers, batch, s.hidden) if s.arch == "lstm" else None
        if hx is None:
            return zeros_h, zeros_c
        parts = hx if isinstance(hx, (tuple, list)) else (hx,)
        want = 2 if s.arch == "lstm" else 1
        if len(parts) != want or not all(torch.is_tensor(p) for p in parts):
            raise ConfigError(f"the initial state given to the {MODULE_NAMES[s.arch]} must be "
                              f"{'(h_0, c_0)' if want == 2 else 'one tensor h_0'}", "inputs")
        out = []
        for p, size in zip(parts, (s.out, s.hidden)):
            p = p.detach().to(self.dtype)
            if not self.batched:
                p = p.unsqueeze(1)
            if tuple(p.shape) != (s.layers, batch, size):
                raise ConfigError(f"the initial state has shape {tuple(p.shape)}; the "
                                  f"{MODULE_NAMES[s.arch]} needs ({s.layers}, {batch}, {size})",
                                  "inputs")
            out.append(p)
        return out[0], (out[1] if want == 2 else None)


@dataclass
class _Rows:
    """One group of rows pushed back together: row 0 the total, rows 1.. one per loss
    step (the lag parts), over the first ``batch`` sequences."""

    batch: int
    total: bool
    sources: list  # 0-based steps, descending, one per lag row
    carry_h: list = field(default_factory=list)  # per layer (alive rows, b, n_out)
    carry_c: list = field(default_factory=list)
    carry_s: list = field(default_factory=list)  # per layer, host log10 scale per row
    lag: list = field(default_factory=list)  # per layer (T, S) log10 norms
    live: int = 0  # rows alive so far (a prefix: sources are in descending order)
    source_row: dict = field(default_factory=dict)  # loss step -> its row
    inj_log: Any = None  # host log10 norm of the loss's injection at every step


def check_options(loss_fn, lag_batch) -> None:
    """The options ``measure`` and ``Probe`` share, checked before any work."""
    if loss_fn is not None and not callable(loss_fn):
        raise ConfigError(f"loss_fn must be a function of the model's output returning a "
                          f"scalar, not {type(loss_fn).__name__}", "loss_fn")
    if lag_batch is not None and (isinstance(lag_batch, bool) or not isinstance(lag_batch, int)
                                  or lag_batch < 1):
        raise ConfigError(f"lag_batch must be None or a whole number of sequences, 1 or more "
                          f"(got {lag_batch!r})", "lag_batch")


def measure_model(model, inputs, loss_fn: Callable | None = None, rnn: str | None = None, *,
                  lag: bool | None = None, lag_batch: int | None = None,
                  params: bool = True, dtype: str | None = None) -> Measurement:
    """Measure ``model`` on ``inputs`` (see the module docstring for what and how).

    ``lag``: True computes the lag profile (refused past the budget), False leaves it
    out, None (default) computes it when it fits. ``lag_batch`` restricts the lag profile
    to the first that many sequences of the batch. ``params=False`` skips the
    per-parameter gradient norms. ``dtype``: the recurrence is re-run in float64 by
    default (float32 on a device without float64); "model" uses the recurrent module's
    own dtype instead (about 1.6x faster for a float32 model, and, the gradient being
    renormalised at every step, still free of under- and overflow; what it loses is
    digits, about 1e-6 relative). The model is left exactly as it was: parameters,
    ``.grad``, buffers, train/eval mode, and torch's CPU and CUDA random states."""
    import torch  # torch: loaded when first needed

    t0 = time.perf_counter()
    name, module = find_recurrent(model, rnn)
    arch = ARCH_OF_MODE[module.mode]
    shape = shape_of(module, arch)
    check_options(loss_fn, lag_batch)
    device = module.weight_hh_l0.device
    dtype = chosen_dtype(dtype, device, module.weight_hh_l0.dtype)
    model_dtype = next((p.dtype for p in model.parameters() if p.is_floating_point()),
                       module.weight_hh_l0.dtype)
    inputs = _as_model_inputs(inputs, device, model_dtype)

    saved = _Snapshot(model)
    try:
        with torch.enable_grad():
            return _measure(model, module, name, shape, inputs, loss_fn, dtype, lag, lag_batch,
                            params, t0)
    finally:
        saved.restore()


def _as_model_inputs(inputs, device, dtype):
    """A numpy array becomes a tensor on the model's device (floats in the model's dtype,
    whole numbers as int64 for embeddings); a float tensor is detached and made to
    require grad, so paths around the recurrent module show up in dL/dx."""
    import torch  # torch: loaded when first needed

    if isinstance(inputs, np.ndarray):
        if inputs.dtype.kind == "f":
            inputs = torch.from_numpy(np.ascontiguousarray(inputs)).to(device=device, dtype=dtype)
        elif inputs.dtype.kind in "iu":
            inputs = torch.from_numpy(np.ascontiguousarray(inputs)).to(device=device,
                                                                       dtype=torch.int64)
        elif inputs.dtype.kind == "b":
            inputs = torch.from_numpy(np.ascontiguousarray(inputs)).to(device=device)
        else:
            raise ConfigError(f"inputs must hold numbers, found a numpy array of "
                              f"{inputs.dtype}", "inputs")
    if torch.is_tensor(inputs) and inputs.is_floating_point():
        inputs = inputs.detach().requires_grad_(True)
    return inputs


class _Snapshot:
    """The model's state that running it might touch, put back afterwards: buffers
    (BatchNorm statistics), .grad, and torch's random number generators."""

    def __init__(self, model) -> None:
        import torch  # torch: loaded when first needed

        self.rng = torch.get_rng_state()
        self.cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else None
        self.buffers = [(b, b.detach().clone()) for b in model.buffers()]
        self.grads = [(p, p.grad, None if p.grad is None else p.grad.detach().clone())
                      for p in model.parameters()]
        self.modes = [(m, m.training) for m in model.modules()]

    def restore(self) -> None:
        import torch  # torch: loaded when first needed

        with torch.no_grad():
            for b, old in self.buffers:
                if b.shape != old.shape or not torch.equal(b, old):
                    b.copy_(old)
            for p, grad, old in self.grads:
                if p.grad is not grad:
                    p.grad = grad
                if grad is not None and not torch.equal(grad, old):
                    grad.copy_(old)
        for m, training in self.modes:
            if m.training != training:
                m.training = training
        torch.set_rng_state(self.rng)
        if self.cuda is not None:
            torch.cuda.set_rng_state_all(self.cuda)


def _loss_label(loss_fn) -> str:
    if loss_fn is None:
        return "sum of the top layer's last hidden state"
    return getattr(loss_fn, "__qualname__", None) or type(loss_fn).__name__


def _measure(model, module, name, shape: RecurrentShape, inputs, loss_fn, dtype, lag, lag_batch,
             want_params, t0) -> Measurement:
    import torch  # torch: loaded when first needed

    plan = {}

    def check_budget(steps: int, batch: int) -> None:
        plan["steps"], plan["batch"] = steps, batch
        base, _ = measure_estimate(shape, steps, batch, 1, batch, steps)
        check(base)

    grab = _Interceptor(module, name, shape, dtype, layer_weights(module, shape, dtype),
                        check_budget)
    module.forward = grab.forward  # the instance attribute wins over the class's forward
    try:
        output = model(inputs)
    except ConfigError:
        raise
    except Exception as exc:
        raise ConfigError(f"model(inputs) failed: {_one_line(exc)}", "inputs") from None
    finally:
        del module.forward
    if grab.calls == 0:
        raise ConfigError(f"model(inputs) never called the {MODULE_NAMES[shape.arch]} "
                          f"{where_text(name)}", "model")
    if loss_fn is None:
        loss = grab.hn_leaf[-1].sum()
    else:
        try:
            loss = loss_fn(output)
        except Exception as exc:
            raise ConfigError(f"loss_fn(output) failed: {_one_line(exc)}", "loss_fn") from None
    if not torch.is_tensor(loss) or loss.numel() != 1 or not loss.is_floating_point():
        got = f"a tensor of shape {tuple(loss.shape)}" if torch.is_tensor(loss) else \
            type(loss).__name__
        raise ConfigError(f"loss_fn must return a scalar tensor, it returned {got}", "loss_fn")
    if not loss.requires_grad:
        raise ConfigError("the loss does not depend on the recurrent module's output through "
                          "autograd (was it computed under torch.no_grad, or from "
                          ".detach()ed values?)", "loss_fn")

    # What the loss injects: one autograd pass down to the module's outputs (and to the
    # module's input, for paths that go around it), plus the other parameters' gradients.
    own = {id(p) for p in module.parameters()}
    others = [(n, p) for n, p in model.named_parameters() if id(p) not in own and p.requires_grad]
    x_in = grab.input if grab.input is not None and grab.input.requires_grad else None
    wanted = [grab.out_leaf, grab.hn_leaf] + ([grab.cn_leaf] if grab.cn_leaf is not None else [])
    wanted += ([x_in] if x_in is not None else []) + ([p for _, p in others] if want_params else [])
    grads = torch.autograd.grad(loss.reshape(()), wanted, allow_unused=True)
    k = 2 + (grab.cn_leaf is not None)
    g_out, g_hn = grads[0], grads[1]
    g_cn = grads[2] if grab.cn_leaf is not None else None
    g_skip = grads[k] if x_in is not None else None
    g_others = list(grads[k + (x_in is not None):])

    steps, batch = plan["steps"], plan["batch"]
    inj_out = _to_steps(g_out, shape, grab.batched, dtype)
    inj_hn = _to_layers(g_hn, shape, grab.batched, dtype)
    inj_cn = _to_layers(g_cn, shape, grab.batched, dtype)
    skip = _to_steps(g_skip, shape, grab.batched, dtype)

    # The steps the loss reads: any nonzero injection at that step.
    read = torch.zeros(steps, dtype=torch.bool, device=inj_out.device if inj_out is not None
                       else grab.traces[0].h.device)
    if inj_out is not None:
        read |= inj_out.reshape(steps, -1).abs().amax(dim=1) > 0
    if (inj_hn is not None and bool((inj_hn != 0).any())) or \
            (inj_cn is not None and bool((inj_cn != 0).any())):
        read[-1] = True
    lag_steps = [int(s) for s in torch.nonzero(read).flatten().tolist()]
    lb = batch if lag_batch is None else min(lag_batch, batch)
    lag_note = ""
    do_lag = lag is not False and bool(lag_steps)
    if do_lag:
        _, lag_est = measure_estimate(shape, steps, batch, len(lag_steps), lb,
                                      sum(s + 1 for s in lag_steps))
        if lag is None:
            try:
                check(lag_est)
            except ResourceError as exc:
                do_lag, lag_note = False, f"lag profile left out: {exc}"
        else:
            check(lag_est)
    elif not lag_steps:
        lag_note = "the loss reads no step (its gradient is exactly 0 everywhere)"
    else:
        lag_note = "lag profile not asked for (lag=False)"

    back = _backward(shape, grab, inj_out, inj_hn, inj_cn, skip, steps, batch,
                     lag_steps if do_lag else [], lb)

    layers = []
    for k_layer in range(shape.layers):
        lh = back["grad_h"][k_layer]
        factor = fitted_factor(lh)
        vanish, explode = horizons(lh)
        spectral = candidate_spectrum(grab.weights[k_layer], shape)
        lm = LayerMeasure(
            index=k_layer + 1, log10_grad_h=lh,
            log10_grad_c=back["grad_c"][k_layer] if shape.arch == "lstm" else None,
            factor=factor, vanishing_horizon=vanish, exploding_horizon=explode,
            verdict=verdict_for(factor, vanish, explode), spectral_radius=spectral[0],
            spectral_norm=spectral[1], gate_means=gate_means(shape, grab.traces[k_layer]))
        if do_lag:
            matrix = back["lag"][k_layer]
            profile = lag_profile(matrix, lag_steps)
            lm.log10_lag, lm.log10_lag_matrix = profile, matrix
            finite = profile[np.isfinite(profile)]
            if finite.size >= 2:
                # fitted_factor and horizons read an array ending at distance 0
                lm.lag_factor = fitted_factor(profile[::-1])
                lm.lag_horizon = horizons(profile[::-1])[0]
        layers.append(lm)

    param_norms = {}
    if want_params:
        param_norms = _param_norms(model, module, name, shape, grab, back, others, g_others,
                                   x_in)
    loss_value = float(loss.detach().double().cpu())
    return Measurement(
        arch=shape.arch, module=name, module_type=MODULE_NAMES[shape.arch],
        nonlinearity=shape.nonlinearity, steps=steps, batch=batch if grab.batched else None,
        hidden=shape.hidden, proj_size=shape.out if shape.out != shape.hidden else 0,
        input_size=shape.input_size, batch_first=shape.batch_first, loss=loss_value,
        loss_name=_loss_label(loss_fn), layers=layers, log10_grad_x=back["grad_x"],
        lag_steps=[s + 1 for s in lag_steps] if do_lag else [], lag_note=lag_note,
        params=param_norms, device=str(module.weight_hh_l0.device),
        dtype=str(dtype).replace("torch.", ""), seconds=time.perf_counter() - t0,
        lag_batch=(lb if do_lag and lb < batch else None))


def _one_line(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__


def _to_steps(grad, shape: RecurrentShape, batched: bool, dtype):
    """A gradient at the module's output (or input) in the module's layout, as (T, B, .)
    in the measurement's dtype; None when the loss does not reach it."""
    if grad is None:
        return None
    g = grad.detach().to(dtype)
    if not batched:
        g = g.unsqueeze(1)
    elif shape.batch_first:
        g = g.transpose(0, 1)
    return g


def _to_layers(grad, shape: RecurrentShape, batched: bool, dtype):
    """A gradient at h_n or c_n as (L, B, .)."""
    if grad is None:
        return None
    g = grad.detach().to(dtype)
    return g if batched else g.unsqueeze(1)


# A row's vectors are divided by their norm only when it leaves this range: the scale
# bookkeeping is exact either way, and a division per step would be one more operation.
RESCALE_BELOW, RESCALE_ABOVE = 1e-60, 1e60


def _backward(shape: RecurrentShape, grab: _Interceptor, inj_out, inj_hn, inj_cn, skip, steps: int,
              batch: int, lag_steps: list, lag_batch: int) -> dict:
    """Every layer's total gradient (row 0) and each read step's part (the lag rows), from
    step T down to 1, layers top to bottom at each step.

    Each row's vectors are held next to a log10 scale (a float on the host, one per row
    and layer): the true gradient is vector x 10^scale. Terms are added after rescaling
    to the largest term's scale, and a row is divided by its norm whenever that norm
    leaves [1e-60, 1e60], so nothing over- or underflows however far it falls. The norms
    that are recorded are taken from each step's combined gradient."""
    import torch  # torch: loaded when first needed

    traces, weights = grab.traces, grab.weights
    layers, lstm = shape.layers, shape.arch == "lstm"
    dev, cdt = traces[0].h.device, traces[0].h.dtype
    sources = sorted(lag_steps, reverse=True)
    # A loss that reads one step only: its one part is the total itself, so no extra rows;
    # the lag table is row 0's norm over the first lag_batch sequences.
    single = len(sources) == 1
    if single:
        sources = []
    groups = [_Rows(batch, True, sources if lag_batch == batch else [])]
    if sources and lag_batch != batch:
        groups.append(_Rows(lag_batch, False, sources))
    for grp in groups:
        grp.carry_h = [traces[k].h.new_zeros(0, grp.batch, shape.out) for k in range(layers)]
        grp.carry_c = [traces[k].h.new_zeros(0, grp.batch, shape.hidden) if lstm else None
                       for k in range(layers)]
        grp.carry_s = [np.zeros(0) for _ in range(layers)]
        if grp.sources:
            grp.lag = [np.full((steps, len(grp.sources)), -np.inf) for _ in range(layers)]
        grp.source_row = {s: int(grp.total) + j for j, s in enumerate(grp.sources)}
        # log10 norms of the loss's injections over this group's sequences
        grp.inj_log = (log10_norms(torch.linalg.vector_norm(inj_out[:, :grp.batch], dim=(1, 2)))
                       if inj_out is not None else None)

    def mul_rows(tensor, factors):
        """Each row times its factor (a host array); a plain number for one row, nothing
        at all when every factor is 1."""
        if np.all(factors == 1.0):
            return tensor
        if factors.shape[0] == 1:
            return tensor * float(factors[0])
        col = torch.from_numpy(np.ascontiguousarray(factors)).to(device=dev, dtype=cdt)
        return tensor * col.view(-1, 1, 1)

    grad_h = np.full((layers, steps), -np.inf)
    lag_one = np.full((layers, steps), -np.inf) if single else None
    # row 0 of every step, kept for the parameter gradients and the end-of-loop norms
    keep = {"gate_h": [[None] * steps for _ in range(layers)],
            "gate_x": [[None] * steps for _ in range(layers)],
            "gh": [[None] * steps for _ in range(layers)],
            "dc": [[None] * steps for _ in range(layers)],
            "scale": [np.full(steps, -np.inf) for _ in range(layers)],
            "dx": [None] * steps, "dx_scale": np.full(steps, -np.inf)}
    skip_log = (log10_norms(torch.linalg.vector_norm(skip, dim=(1, 2)))
                if skip is not None else None)
    with_proj = [w.w_hr is not None for w in weights]

    for t in range(steps - 1, -1, -1):
        for grp in groups:
            # rows alive at step t: the total, and every loss step s >= t
            alive = int(grp.total) + sum(1 for s in grp.sources if s >= t)
            if alive == 0:
                continue
            b = grp.batch
            if alive > grp.live:  # loss steps that start here: zero rows of their own
                extra = alive - grp.live
                for k in range(layers):
                    grp.carry_h[k] = torch.cat((grp.carry_h[k], grp.carry_h[k].new_zeros(
                        extra, b, shape.out)))
                    if lstm:
                        grp.carry_c[k] = torch.cat((grp.carry_c[k], grp.carry_c[k].new_zeros(
                            extra, b, shape.hidden)))
                    grp.carry_s[k] = np.concatenate((grp.carry_s[k], np.full(extra, -np.inf)))
                grp.live = alive
            down = None  # (vectors, scales): dL/d(input) of the layer above, at step t
            for k in range(layers - 1, -1, -1):
                tr, w = traces[k], weights[k]
                gh, gc, cs = grp.carry_h[k], grp.carry_c[k], grp.carry_s[k]
                # the loss's own injection at this step: row 0 and step t's lag row get it
                inj_h = inj_out[t, :b] if (k == layers - 1 and inj_out is not None) else None
                inj_c = None
                inj_log = float(grp.inj_log[t]) if inj_h is not None else -math.inf
                if t == steps - 1 and (inj_hn is not None or inj_cn is not None):
                    extra_h = inj_hn[k, :b] if inj_hn is not None else None
                    inj_h = extra_h if inj_h is None else (inj_h if extra_h is None
                                                           else inj_h + extra_h)
                    inj_c = inj_cn[k, :b] if (lstm and inj_cn is not None) else None
                    parts = [p.reshape(-1) for p in (inj_h, inj_c) if p is not None]
                    inj_log = float(log10_norms(torch.linalg.vector_norm(torch.cat(parts))))
                inj_rows = []
                if inj_log > -math.inf:
                    inj_rows = ([0] if grp.total else []) + \
                        ([grp.source_row[t]] if t in grp.source_row else [])
                # the common scale of each row: its largest term's
                top = cs.copy()
                if down is not None:
                    np.maximum(top, down[1], out=top)
                if inj_rows:
                    top[inj_rows] = np.maximum(top[inj_rows], inj_log)
                top[~np.isfinite(top)] = 0.0
                wc = row_weights(cs, top)
                gh = mul_rows(gh, wc)
                gc = mul_rows(gc, wc) if lstm else None
                if down is not None:
                    gh = gh + mul_rows(down[0], row_weights(down[1], top))
                for row in inj_rows:  # (gh, gc are this step's own tensors: safe in place)
                    factor = 10.0 ** (-float(top[row]))
                    if gh is grp.carry_h[k]:
                        gh = gh.clone()
                    if inj_h is not None:
                        gh[row].add_(inj_h, alpha=factor)
                    if inj_c is not None:
                        if gc is grp.carry_c[k]:
                            gc = gc.clone()
                        gc[row].add_(inj_c, alpha=factor)
                # this step's norms: recorded, and used to keep the vectors in range
                norms = [torch.linalg.vector_norm(gh, dim=(1, 2))]
                if lstm:
                    norms.append(torch.linalg.vector_norm(gc, dim=(1, 2)))
                if single and grp.total and lag_batch != batch:
                    norms.append(torch.linalg.vector_norm(gh[:1, :lag_batch], dim=(1, 2)))
                host = (torch.cat(norms) if len(norms) > 1 else norms[0]).double().cpu().numpy()
                n_h = host[:alive]
                log_h = top + log10_host(n_h)
                if grp.total:
                    grad_h[k, t] = log_h[0]
                    if single:
                        lag_one[k, t] = log_h[0] if lag_batch == batch else \
                            top[0] + log10_float(host[-1])
                if grp.sources:
                    first = int(grp.total)
                    grp.lag[k][t, :alive - first] = log_h[first:]
                joint = np.sqrt(n_h ** 2 + host[alive:2 * alive] ** 2) if lstm else n_h
                scale = top
                if np.any((joint < RESCALE_BELOW) | (joint > RESCALE_ABOVE)):
                    safe = np.where(joint > 0, joint, 1.0)
                    gh = mul_rows(gh, 1.0 / safe)
                    gc = mul_rows(gc, 1.0 / safe) if lstm else None
                    scale = np.where(joint > 0, top + np.log10(safe), -np.inf)
                gh_prev, gc_prev, gate_h, gate_x, dc, dx = step_back(shape, w, tr, t, gh, gc, b,
                                                                      want_dx=k > 0)
                if grp.total:
                    keep["gate_h"][k][t] = gate_h[0]
                    keep["gate_x"][k][t] = gate_x[0]
                    keep["dc"][k][t] = dc[0] if lstm else None
                    keep["gh"][k][t] = gh[0] if with_proj[k] else None
                    keep["scale"][k][t] = scale[0]
                grp.carry_h[k], grp.carry_s[k] = gh_prev, scale
                if lstm:
                    grp.carry_c[k] = gc_prev
                if k > 0:
                    # dx: dL/d(this layer's input) = dL/d(h of the layer below)
                    if traces[k - 1].mask is not None:
                        dx = dx * traces[k - 1].mask[t, :b]
                    down = (dx, scale)
                elif grp.total:
                    # dL/dx_t: through the recurrence (row 0), plus any path around the
                    # module, which arrives at scale 1
                    dx0, s0 = gate_x[0] @ w.w_ih, float(scale[0])
                    if skip_log is not None and skip_log[t] > -np.inf:
                        top0 = max(s0, float(skip_log[t])) if math.isfinite(s0) else float(skip_log[t])
                        wd = 10.0 ** (s0 - top0) if math.isfinite(s0) else 0.0
                        dx0 = dx0 * wd + skip[t] * 10.0 ** -top0
                        s0 = top0
                    keep["dx"][t] = dx0
                    keep["dx_scale"][t] = s0

    # what was kept of row 0, stacked once: norms in one pass each
    stack = lambda items: torch.stack(items)  # noqa: E731
    keep["dx"] = stack(keep["dx"])
    with np.errstate(divide="ignore"):
        grad_x = keep["dx_scale"] + np.log10(
            torch.linalg.vector_norm(keep["dx"], dim=(1, 2)).double().cpu().numpy())
        grad_c = None
        if lstm:
            grad_c = np.stack([keep["scale"][k] + np.log10(torch.linalg.vector_norm(
                stack(keep["dc"][k]), dim=(1, 2)).double().cpu().numpy()) for k in range(layers)])
    for k in range(layers):
        keep["gate_h"][k] = stack(keep["gate_h"][k])
        keep["gate_x"][k] = keep["gate_h"][k] if shape.arch != "gru" else stack(keep["gate_x"][k])
        keep["gh"][k] = stack(keep["gh"][k]) if with_proj[k] else None
    grad_x[~np.isfinite(keep["dx_scale"])] = -np.inf
    out = {"grad_h": grad_h, "grad_x": grad_x, "grad_c": grad_c, "keep": keep}
    lag_group = next((g for g in groups if g.sources), None)
    if single:
        out["lag"] = [row[:, None] for row in lag_one]
    elif lag_group is not None:
        order = np.argsort(np.array(lag_group.sources))  # ascending steps
        out["lag"] = [m[:, order] for m in lag_group.lag]
    return out



def candidate_spectrum(w: LayerWeights, shape: RecurrentShape) -> tuple[float, float]:
    """Spectral radius and norm of W_hh's candidate block (all of a vanilla W_hh; LSTM g,
    GRU n), times W_hr with a projection: the matrix each step back multiplies by before
    the gates and the nonlinearity act."""
    import torch  # torch: loaded when first needed

    n, k = shape.hidden, CANDIDATE_BLOCK[shape.arch]
    block = w.w_hh[k * n:(k + 1) * n]
    if w.w_hr is not None:
        block = block @ w.w_hr
    block = block.to(torch.float64).cpu()
    return (float(torch.linalg.eigvals(block).abs().max()),
            float(torch.linalg.matrix_norm(block, ord=2)))


def gate_means(shape: RecurrentShape, tr: ForwardTrace) -> dict:
    n = shape.hidden
    if shape.arch == "lstm":
        a = tr.acts
        return {"input": float(a[..., :n].mean()), "forget": float(a[..., n:2 * n].mean()),
                "output": float(a[..., 3 * n:].mean())}
    if shape.arch == "gru":
        a = tr.acts
        return {"reset": float(a[..., :n].mean()), "update": float(a[..., n:].mean())}
    return {}


def _param_norms(model, module, name, shape: RecurrentShape, grab: _Interceptor, back: dict, others,
                 g_others, x_in) -> dict:
    """log10 ||dL/dp|| for every parameter: the recurrent module's from the backward pass
    above (each step's part rescaled to a common scale), the others from autograd, plus,
    for parameters before the module, the part that flows through it."""
    import torch  # torch: loaded when first needed

    keep = back["keep"]
    prefix = f"{name}." if name else ""
    # The products below are the costliest part of a measurement; they run in the model's
    # own dtype (each step's part is already rescaled next to the largest, so nothing
    # that matters underflows), as precise as the model's own gradients would be.
    pdt = module.weight_hh_l0.dtype
    out = {}
    for k in range(shape.layers):
        tr, w = grab.traces[k], grab.weights[k]
        scale = keep["scale"][k]
        top = float(scale.max())
        names = [pn for pn in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")
                 if getattr(module, f"{pn}_l{k}", None) is not None]
        if not math.isfinite(top):
            out.update({f"{prefix}{pn}_l{k}": -math.inf for pn in names})
            continue
        wts = torch.from_numpy(row_weights(scale, top)).to(tr.h.device).view(-1, 1, 1)
        gate_h = (keep["gate_h"][k] * wts.to(tr.h.dtype)).to(pdt).flatten(0, 1)  # (T B, G n)
        gate_x = gate_h if shape.arch != "gru" else \
            (keep["gate_x"][k] * wts.to(tr.h.dtype)).to(pdt).flatten(0, 1)
        h_prev = tr.h[:-1].to(pdt).flatten(0, 1)
        x_flat = tr.x.to(pdt).flatten(0, 1)  # the layer's input, dropout mask included
        lt = float(top)
        grads = {"weight_ih": gate_x.T @ x_flat, "weight_hh": gate_h.T @ h_prev,
                 "bias_ih": gate_x.sum(0), "bias_hh": gate_h.sum(0)}
        if w.w_hr is not None:
            gh = (keep["gh"][k] * wts.to(tr.h.dtype)).to(pdt).flatten(0, 1)
            grads["weight_hr"] = gh.T @ tr.m.to(pdt).flatten(0, 1)
        for pn in names:
            norm = torch.linalg.vector_norm(grads[pn].to(torch.float64))
            out[f"{prefix}{pn}_l{k}"] = float(torch.log10(norm)) + lt
    through = {}
    before = [(n, p) for n, p in others]
    if x_in is not None and x_in.grad_fn is not None and before:
        scale = keep["dx_scale"]
        top = float(scale.max())
        if math.isfinite(top):
            wts = torch.from_numpy(row_weights(scale, top)).to(keep["dx"].device)
            g = keep["dx"] * wts.to(keep["dx"].dtype).view(-1, 1, 1)
            s = grab.shape
            if not grab.batched:
                g = g[:, 0]
            elif s.batch_first:
                g = g.transpose(0, 1)
            parts = torch.autograd.grad(x_in, [p for _, p in before],
                                        grad_outputs=g.to(x_in.dtype), allow_unused=True)
            for (n, _), part in zip(before, parts):
                if part is not None:
                    through[n] = (part.detach().to(torch.float64), top)
    for (n, p), g in zip(others, g_others):
        direct = None if g is None else g.detach().to(torch.float64)
        extra = through.get(n)
        out[n] = _combined_norm(direct, extra)
    return out


def _combined_norm(direct, extra) -> float:
    """log10 ||direct + extra[0] * 10^extra[1]||, with either part possibly missing."""
    import torch  # torch: loaded when first needed

    if extra is None:
        if direct is None:
            return -math.inf
        return float(torch.log10(torch.linalg.vector_norm(direct)))
    part, scale = extra
    if direct is None or not bool(direct.any()):
        return float(torch.log10(torch.linalg.vector_norm(part))) + scale
    if scale < -290:
        return float(torch.log10(torch.linalg.vector_norm(direct)))
    return float(torch.log10(torch.linalg.vector_norm(direct + part * 10.0 ** scale)))

