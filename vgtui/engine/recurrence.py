"""The recurrence kernel shared by every engine that runs a vanilla RNN.

What the Gradient Flow, Jacobian, Lyapunov, clipping, spectrum, architecture and
claims engines all need before their own time loops: seeded random streams (one
per seed and purpose, so a change of init never shifts the draws for the inputs),
the weights of a batch of configurations (W_hh, W_xh, b and the inputs, with a
shared base matrix when rows differ only in scale), the batch checks, the norms
that stay exact for tiny entries, and the progress / cancel tick of every loop.

torch is imported inside the functions: importing this module stays cheap.
"""
from __future__ import annotations

import gc
import math
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Sequence

from .config import RNNConfig, same_shape_key
from .device import resolve_device, resolve_dtype
from .errors import Cancelled, ConfigError


def random_stream(seed: int, stream: int):
    """An independent CPU generator per (seed, stream), so every draw is reproducible
    and a change of init for W_hh never shifts the draws for W_xh or the inputs."""
    import torch  # torch: loaded on first use

    g = torch.Generator(device="cpu")
    g.manual_seed(seed * 8 + stream)
    return g


def base_matrix(config: RNNConfig):
    """W_hh before scaling and noise, float64 on the CPU."""
    import torch  # torch: loaded on first use

    n = config.hidden
    if config.init == "gaussian":
        w = torch.randn(n, n, generator=random_stream(config.seed, 0), dtype=torch.float64) / math.sqrt(n)
    elif config.init == "orthogonal":
        a = torch.randn(n, n, generator=random_stream(config.seed, 0), dtype=torch.float64)
        q, r = torch.linalg.qr(a)
        # Fix the signs so the result is Haar-distributed and reproducible.
        signs = torch.sign(torch.diagonal(r))
        signs[signs == 0] = 1.0
        w = q * signs
    elif config.init == "identity":
        w = torch.eye(n, dtype=torch.float64)
    else:  # config validation makes this unreachable
        raise ConfigError(f"unknown init {config.init!r}", "init")
    return w


def noise_matrix(config: RNNConfig):
    """The gaussian noise added to W_hh (None when init_noise is 0)."""
    import torch  # torch: loaded on first use

    if config.init_noise <= 0:
        return None
    n = config.hidden
    return config.init_noise * torch.randn(n, n, generator=random_stream(config.seed, 3), dtype=torch.float64)


def recurrent_matrix(config: RNNConfig):
    """W_hh = scale * base + noise for a config, float64 on the CPU."""
    w = base_matrix(config) * config.scale
    noise = noise_matrix(config)
    return w if noise is None else w + noise


@contextmanager
def gc_paused():
    """Python's cyclic garbage collector off while inside. A time loop creates thousands
    of short-lived tensor objects that refcounting frees (none forms a cycle), and each
    full collection they trigger walks every object torch has loaded: about 60 ms, which
    was every seventh sweep's worth of time. Nested and concurrent uses are harmless: the
    collector comes back on when the use that turned it off ends."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


@dataclass
class SharedRecurrence:
    """Every W_hh in a batch equals scales[b] * base (+ noise): one matrix product per
    step then serves the whole batch, instead of B separate matrix-vector products."""

    base: object  # (n, n)
    scales: object  # (B,)
    noise: object = None  # (n, n) or None

    def to(self, device, dtype) -> "SharedRecurrence":
        return SharedRecurrence(self.base.to(device=device, dtype=dtype),
                                self.scales.to(device=device, dtype=dtype),
                                None if self.noise is None else self.noise.to(device=device, dtype=dtype))

    def select(self, index) -> "SharedRecurrence":
        return SharedRecurrence(self.base, self.scales[index], self.noise)

    def stack(self):
        """The (B, n, n) matrices themselves."""
        w = self.scales.view(-1, 1, 1) * self.base
        return w if self.noise is None else w + self.noise


class RNNWeights:
    """Explicit weights for a batch: W_hh (B,n,n), W_xh (B,n,m), b (B,n), x (B,T,m).

    With ``shared`` given, ``w_hh`` may be None: the (B, n, n) stack is then built only
    when something asks for it, since the time loops need the base matrix alone (a
    sweep of 256 scales would otherwise copy 256 matrices it never reads).
    ``same_inputs`` says every row holds the same W_xh, b and x (one seed): they are
    stored as broadcast views of one row and the input drive is computed once.
    """

    def __init__(self, w_hh, w_xh, bias, inputs, shared: SharedRecurrence | None = None,
                 same_inputs: bool = False) -> None:
        if w_hh is None and shared is None:
            raise ValueError("RNNWeights needs W_hh or a shared recurrence")
        self._w_hh = w_hh
        self.w_xh = w_xh
        self.bias = bias
        self.inputs = inputs
        self.shared = shared
        self.same_inputs = same_inputs

    @property
    def w_hh(self):
        if self._w_hh is None:
            self._w_hh = self.shared.stack()
        return self._w_hh

    @property
    def batch(self) -> int:
        return int(self.w_xh.shape[0])

    @property
    def hidden(self) -> int:
        return int(self.w_xh.shape[1])

    @property
    def dtype(self):
        return self.w_xh.dtype

    @property
    def device(self):
        return self.w_xh.device

    def _inputs_map(self, fn):
        """fn applied to (W_xh, b, x); to one row only when every row shares them."""
        if not self.same_inputs:
            return [fn(t) for t in (self.w_xh, self.bias, self.inputs)]
        return [fn(t[:1]).expand(self.batch, *t.shape[1:]) for t in
                (self.w_xh, self.bias, self.inputs)]

    def to(self, device, dtype) -> "RNNWeights":
        def move(t):
            return t.to(device=device, dtype=dtype)

        return RNNWeights(None if self._w_hh is None else move(self._w_hh),
                          *self._inputs_map(move),
                          None if self.shared is None else self.shared.to(device, dtype),
                          self.same_inputs)

    def select(self, index) -> "RNNWeights":
        """The batch rows in ``index`` (a list of ints), in that order."""
        import torch  # torch: loaded on first use

        idx = torch.as_tensor(index, device=self.device)
        if self.same_inputs:
            w_xh, bias, inputs = (t[:1].expand(len(index), *t.shape[1:]) for t in
                                  (self.w_xh, self.bias, self.inputs))
        else:
            w_xh, bias, inputs = self.w_xh[idx], self.bias[idx], self.inputs[idx]
        return RNNWeights(None if self._w_hh is None else self._w_hh[idx], w_xh, bias, inputs,
                          None if self.shared is None else
                          self.shared.select(idx.to(self.shared.scales.device)),
                          self.same_inputs)

    def with_sharing(self) -> "RNNWeights":
        """A batch of one is trivially shared: its own W_hh with scale 1."""
        if self.shared is not None or self.batch != 1:
            return self
        import torch  # torch: loaded on first use

        ones = torch.ones(1, dtype=self.w_hh.dtype, device=self.w_hh.device)
        return RNNWeights(self.w_hh, self.w_xh, self.bias, self.inputs,
                          SharedRecurrence(self.w_hh[0], ones), self.same_inputs)

    def tiny(self) -> bool:
        """``tiny_weights`` of the stack, read off the base and scales when shared."""
        shared = self.shared
        if self._w_hh is None and shared.noise is None:
            import torch  # torch: loaded on first use

            limit = math.sqrt(torch.finfo(shared.base.dtype).tiny) * 1e12
            return bool((shared.scales.abs() * shared.base.abs().amax() < limit).any())
        return tiny_weights(self.w_hh)


def _input_key(c: RNNConfig) -> tuple:
    return (c.seed, c.hidden, c.input_size, c.steps, c.input_scale)


def build_weights(configs: Sequence[RNNConfig], device, dtype) -> RNNWeights:
    """Seeded weights and inputs for each config, stacked into one batch."""
    import torch  # torch: loaded on first use

    def draw_inputs(c):
        w_xh = torch.randn(c.hidden, c.input_size, generator=random_stream(c.seed, 1),
                           dtype=torch.float64) / math.sqrt(c.input_size)
        inputs = torch.randn(c.steps, c.input_size, generator=random_stream(c.seed, 2),
                             dtype=torch.float64) * c.input_scale
        return w_xh, torch.zeros(c.hidden, dtype=torch.float64), inputs

    def move(t):
        return t.to(device=device, dtype=dtype)

    batch = len(configs)
    # Configs that differ only in scale (and activation) share one base matrix.
    base_cache: dict = {}
    for c in configs:
        key = (c.init, c.seed, c.hidden, c.init_noise)
        if key not in base_cache:
            base_cache[key] = (base_matrix(c), noise_matrix(c))
    shared = w_hh = None
    if len(base_cache) == 1:
        base, noise = next(iter(base_cache.values()))
        shared = SharedRecurrence(base, torch.tensor([c.scale for c in configs],
                                                     dtype=torch.float64), noise).to(device, dtype)
    else:
        mats = []
        for c in configs:
            base, noise = base_cache[(c.init, c.seed, c.hidden, c.init_noise)]
            mats.append(base * c.scale if noise is None else base * c.scale + noise)
        w_hh = move(torch.stack(mats))

    # One seed for every row (a sweep over scales or activations): one draw, broadcast.
    if len({_input_key(c) for c in configs}) == 1:
        w_xh, bias, inputs = (move(t).unsqueeze(0).expand(batch, *t.shape)
                              for t in draw_inputs(configs[0]))
        return RNNWeights(w_hh, w_xh, bias, inputs, shared, same_inputs=True)
    cache: dict = {}
    rows = []
    for c in configs:
        key = _input_key(c)
        if key not in cache:
            cache[key] = draw_inputs(c)
        rows.append(cache[key])
    w_xh, bias, inputs = (move(torch.stack(ts)) for ts in zip(*rows))
    return RNNWeights(w_hh, w_xh, bias, inputs, shared)


def check_vanilla_batch(configs: Sequence[RNNConfig]) -> None:
    """Refuse an empty batch, gated or stacked cells, and rows of different shapes."""
    if not configs:
        raise ConfigError("a batch needs at least one configuration")
    stacked = [c for c in configs if c.arch != "rnn" or c.layers != 1]
    if stacked:
        raise ConfigError("run_flow computes single-layer vanilla RNNs; LSTM, GRU and stacked "
                          "layers go through vgtui.engine.gated.run_stack", "arch")
    keys = {same_shape_key(c) for c in configs}
    if len(keys) > 1:
        raise ConfigError("configurations in one batch must share hidden, steps, input size, "
                          "device and dtype")

def prepare_vanilla_batch(configs: Sequence[RNNConfig], weights: RNNWeights | None = None):
    """(configs, device, dtype, weights) for a batch, as ``run_flow_batch`` prepares it:
    the batch checked, device and dtype resolved, seeded weights built (or the given
    ones moved there), a batch of one given its shared base."""
    configs = list(configs)
    check_vanilla_batch(configs)
    device = resolve_device(configs[0].device)
    dtype = resolve_dtype(configs[0].dtype, device)
    if weights is None:
        weights = build_weights(configs, device, dtype)
    else:
        weights = RNNWeights(*(t.to(device=device, dtype=dtype) for t in
                               (weights.w_hh, weights.w_xh, weights.bias, weights.inputs)))
    if weights.batch != len(configs):
        raise ConfigError("weights and configurations differ in batch size")
    return configs, device, dtype, weights.with_sharing()


def safe_norm(v, dim: int):
    """The Euclidean norm along ``dim``, exact also for tiny entries: the squares of
    numbers below about 1e-154 (1e-19 in float32) underflow to 0, so the vector is first
    divided by its largest entry. An all-zero vector keeps norm 0."""
    import torch  # torch: loaded on first use

    big = v.abs().amax(dim=dim, keepdim=True)
    scaled = v / torch.where(big > 0, big, torch.ones_like(big))
    return torch.linalg.vector_norm(scaled, dim=dim) * big.squeeze(dim)


def row_norms(v):
    """``safe_norm`` over the last axis, at the price of a plain norm: only the rows
    whose plain norm left the range where squaring is exact are recomputed."""
    import torch  # torch: loaded on first use

    norm = torch.linalg.vector_norm(v, dim=-1)
    finfo = torch.finfo(v.dtype)
    low, high = math.sqrt(finfo.tiny) * 1e6, math.sqrt(finfo.max) * 1e-6
    odd = ~((norm > low) & (norm < high))  # also catches 0, inf and nan
    if bool(odd.any()):
        norm[odd] = safe_norm(v[odd], -1)
    return norm


def tiny_weights(w) -> bool:
    """True when some row's matrix is so small (weight scale about 1e-140 or less in float64)
    that a gradient's squared entries would underflow: the time loops then take the
    slower, scaled norm (``safe_norm``) at every step."""
    import torch  # torch: loaded on first use

    limit = math.sqrt(torch.finfo(w.dtype).tiny) * 1e12
    rows = w.abs().reshape(w.shape[0], -1).amax(dim=1)
    return bool((rows < limit).any())


def progress_tick(progress: Callable[[float], None] | None, cancel: Callable[[], bool] | None,
                  fraction: float) -> None:
    """Raise Cancelled when ``cancel()`` says stop, else report ``fraction`` (clamped to
    0..1) to ``progress``: called every few steps by every time loop."""
    if cancel is not None and cancel():
        raise Cancelled()
    if progress is not None:
        progress(min(1.0, max(0.0, fraction)))
