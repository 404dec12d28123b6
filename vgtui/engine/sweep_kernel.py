"""The time loops of the measured decay table, cut down to what a sweep reads.

A sweep cell needs ||dL/dh_t|| at every step (for the ratio, the fitted factor and the
horizons) and the mean f'(z_t) over units and steps; it never reads ||h_t||, the
saturated share or dL/dx_t. Its rows share one base matrix A (W_hh = s A for every
row) and one input sequence. So, instead of the general Gradient Flow loop:

- rows are held activation by activation in a (groups, scales, n) block, and each
  forward step is one matrix product for every row, one fused multiply-add that puts
  each row's scale and the shared input drive in, and the activations (tanh goes
  through the sigmoid, tanh(z) = 2 sigmoid(2z) - 1, which torch computes about three
  times faster in float64, so one call covers the tanh and sigmoid groups);
- rows with the identity activation never run forward (f' = 1 everywhere) and share
  one backward chain: with f' = 1 the direction of the gradient does not depend on the
  scale, and the scale's power s^(T-t) is added as a logarithm;
- derivatives and their means are taken over whole buffers after the forward loop,
  and each backward step is one multiply and one matrix product; the gradient rows are
  renormalised only every few steps (float64 has some 600 decades of room); they live
  in a small ring of slots that stays in cache, and their norms are taken a block of
  steps at a time.

``run_sweep_kernel`` returns None for the cases it does not cover (noise on W_hh,
given weights, a ReLU row whose forward state would leave the checked range); the
caller then runs the general loop, which gives the same quantities.
"""
from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from .config import RNNConfig
from .device import dtype_name, engine_threads, loop_threads, resolve_device, resolve_dtype
from .flow import HOMOGENEOUS, SCRATCH
from .magnitude import LOG10_E
from .recurrence import (base_matrix, check_vanilla_batch, gc_paused, progress_tick,
                         random_stream, row_norms)

# The order of the activation groups in the forward block: the two that go through one
# sigmoid call first (tanh, then sigmoid), then the piecewise-linear ones.
FORWARD_ORDER = ("tanh", "sigmoid", "relu", "leaky_relu")
# Renormalise the backward rows every this many steps (float64, float32).
RENORM_EVERY = {64: 8, 32: 4}
# The backward's gradients go through a ring of this many slots, their norms taken once
# per turn of the ring (about 1.6 MB at 193 rows of 64 in float64: it stays in cache).
RING_SLOTS = 16
# A ReLU row whose forward state passes this is handed to the general loop (which carries
# such rows rescaled); the checks come often enough that nothing overflows in between.
FORWARD_LIMIT = {64: 1e100, 32: 1e30}


# Rough speed of the loops' small products (used only to split the progress bar).
LOOP_FLOPS_PER_S = 10e9
_EIG_RATE: list = []  # seconds per n^3 of torch.linalg.eigvals, measured once


def eigvals_seconds(n: int) -> float:
    """About how long the eigenvalues of an n x n float64 matrix take on this machine,
    from one timing of a 192 x 192 one (cubic in n), made the first time it is asked."""
    import torch  # torch: loaded on first use

    if n < 256:
        return 1e-3
    if not _EIG_RATE:
        m = torch.randn(192, 192, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
        started = time.perf_counter()
        torch.linalg.eigvals(m)
        # LAPACK runs large matrices about twice as efficiently as this small one.
        _EIG_RATE.append(0.5 * (time.perf_counter() - started) / 192 ** 3)
    return _EIG_RATE[0] * n ** 3


def _eigvals_with_progress(matrix, estimate: float, progress, start: float):
    """torch.linalg.eigvals, with ``progress`` moving from ``start`` towards 1 against
    ``estimate`` seconds while LAPACK runs (it cannot report on its own), and 1 at the end.
    Past the estimate the bar creeps on slowly instead of sitting still."""
    import torch  # torch: loaded on first use

    if progress is None or estimate < 0.5:
        out = torch.linalg.eigvals(matrix)
        if progress is not None:
            progress(1.0)
        return out
    done = threading.Event()
    began = time.perf_counter()

    def tick() -> None:
        while not done.wait(0.2):
            x = (time.perf_counter() - began) / estimate
            f = 0.9 * x if x < 1 else 1 - 0.1 * math.exp(-(x - 1))  # creeping past 90%
            progress(start + (1 - start) * min(f, 0.99))

    ticker = threading.Thread(target=tick, name="vgtui-eig-progress", daemon=True)
    ticker.start()
    try:
        return torch.linalg.eigvals(matrix)
    finally:
        done.set()
        ticker.join()
        progress(1.0)


@dataclass
class SweepArrays:
    """Per configuration (columns in the order given): log10 ||dL/dh_t|| as a (T, B)
    array, the per-step mean f'(z_t) as (T, B), the spectral radius of W_hh."""

    log10_grad_h: np.ndarray
    mean_derivative: np.ndarray
    spectral_radius: np.ndarray
    device: str
    dtype: str
    threads: int


def covered(configs: Sequence[RNNConfig]) -> bool:
    """Whether the sweep kernel computes this batch (else the general loop does)."""
    first = configs[0]
    keys = {(c.init, c.seed, c.hidden, c.input_size, c.steps, c.input_scale, c.leaky_slope,
             c.device, c.dtype, c.arch, c.layers, c.init_noise) for c in configs}
    return (len(keys) == 1 and first.init_noise == 0 and first.arch == "rnn"
            and first.layers == 1 and all(c.scale >= 0 for c in configs))


def run_sweep_kernel(configs: Sequence[RNNConfig], *,
                     progress: Callable[[float], None] | None = None,
                     cancel: Callable[[], bool] | None = None) -> SweepArrays | None:
    """The sweep's measurements for configs that differ only in scale and activation."""
    import torch  # torch: loaded on first use

    configs = list(configs)
    check_vanilla_batch(configs)
    if not covered(configs):
        return None
    first = configs[0]
    device = resolve_device(first.device)
    dtype = resolve_dtype(first.dtype, device)
    with engine_threads():
        base64 = base_matrix(first)
        # The sweep never reads the spectral norm; the Frobenius norm bounds it for the
        # overflow check.
        sigma = float(torch.linalg.matrix_norm(base64))
        scales = sorted({float(c.scale) for c in configs})
        kinds = sorted({c.activation for c in configs if c.activation != "identity"},
                       key=FORWARD_ORDER.index)
        identity = any(c.activation == "identity" for c in configs)
        back_rows = len(kinds) * len(scales) + identity
        work = back_rows * first.hidden ** 2
        # The share of the time the time loops take, the rest being the eigenvalues.
        loops_s = 2 * first.steps * (work * 2 / LOOP_FLOPS_PER_S + 60e-6)
        eig_s = eigvals_seconds(first.hidden)
        share = loops_s / (loops_s + eig_s)
        loop_progress = None if progress is None else (lambda f: progress(share * f))
        with torch.no_grad(), gc_paused(), loop_threads(work):
            threads = torch.get_num_threads()
            got = _loops(first, base64, scales, kinds, identity, sigma, device, dtype,
                         loop_progress, cancel)
        if got is None:
            return None
        # Spectral radius of s A: |s| times the base's, decomposed once.
        rho = float(_eigvals_with_progress(base64, eig_s, progress, share).abs().amax())
    log_g, means = got  # (T, backward rows), (T, forward rows)
    rows = len(scales)
    where = {("identity", s): log_g.shape[1] - 1 for s in scales}
    where.update({(k, s): g * rows + r for g, k in enumerate(kinds) for r, s in enumerate(scales)})
    index = np.array([where[(c.activation, float(c.scale))] for c in configs])
    size = np.array([float(c.scale) for c in configs])
    # The scale left out of every backward product: (T - t) log s, added at the end.
    back = np.arange(first.steps - 1, -1, -1, dtype=np.float64)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        extra = np.where(back > 0, back * np.log(size)[None, :], 0.0)
    log10_grad_h = (log_g[:, index] + extra) * LOG10_E
    ones = np.ones((first.steps, 1))
    means = np.concatenate([means, ones], axis=1) if means.shape[1] < log_g.shape[1] else means
    mean_derivative = means[:, index]
    return SweepArrays(log10_grad_h, mean_derivative, rho * size, str(device),
                       dtype_name(dtype), threads)


def _loops(first: RNNConfig, base64, scales, kinds, identity, sigma, device, dtype,
           progress, cancel):
    import torch  # torch: loaded on first use

    steps, n = first.steps, first.hidden
    groups, rows = len(kinds), len(scales)
    forward_rows = groups * rows
    back_rows = forward_rows + int(identity)
    bits = torch.finfo(dtype).bits
    every = max(1, steps // 50)  # progress and cancel
    base = base64.to(device=device, dtype=dtype)
    base_t = base.t().contiguous()
    # x_t W_xh^T + b for every step (rows share one input sequence), float64 then cast.
    w_xh = torch.randn(n, first.input_size, generator=_stream(first, 1),
                       dtype=torch.float64) / math.sqrt(first.input_size)
    inputs = torch.randn(steps, first.input_size, generator=_stream(first, 2),
                         dtype=torch.float64) * first.input_scale
    drive64 = (inputs @ w_xh.t()).to(device=device, dtype=dtype)  # b = 0

    # Per group: a factor on the pre-activation (2 for tanh: sigmoid(2z) gives tanh(z)).
    alpha = torch.tensor([2.0 if k == "tanh" else 1.0 for k in kinds], dtype=dtype,
                         device=device)
    scale_t = torch.tensor(scales, dtype=dtype, device=device)
    row_scale = (alpha.view(-1, 1) * scale_t.view(1, -1)).unsqueeze(-1)  # (G, R, 1)
    drive = (alpha.view(1, -1, 1, 1) * drive64.view(steps, 1, 1, n)).contiguous()  # (T, G, 1, n)

    # hidden[t] holds h_(t+1) for the forward rows; then f'(z_(t+1)) in place, with one
    # more row of ones (identity) at the end.
    hidden = SCRATCH.take((steps, back_rows, n), dtype, device)
    try:
        if forward_rows:
            product = torch.empty(forward_rows, n, dtype=dtype, device=device)
            bounded = sum(k in ("tanh", "sigmoid") for k in kinds) * rows
            tanh_rows = rows if "tanh" in kinds else 0
            linear = [(g, k) for g, k in enumerate(kinds) if k in HOMOGENEOUS]
            lo_linear = min((g for g, _ in linear), default=groups) * rows
            minus_one = torch.tensor(-1.0, dtype=dtype, device=device)
            slope = float(first.leaky_slope)
            check = _check_every(scales, sigma, bits) if linear else 0
            limit = FORWARD_LIMIT[bits]
            # Every step's views made up front (one call each): slicing inside the loop
            # cost as much as the elementwise work.
            flat = hidden[:, :forward_rows]
            outs = flat.unbind(0)
            blocks = flat.unflatten(1, (groups, rows)).unbind(0)
            sig = flat[:, :bounded].unbind(0) if bounded else None
            tan = flat[:, :tanh_rows].unbind(0) if tanh_rows else None
            lin = [(k, flat.unflatten(1, (groups, rows))[:, g].unbind(0)) for g, k in linear]
            drives = drive.unbind(0)
            product_block = product.view(groups, rows, n)
            for t in range(steps):
                out = outs[t]
                if t == 0:
                    blocks[0].copy_(drives[0].expand(groups, rows, n))
                else:
                    torch.mm(outs[t - 1], base_t, out=product)
                    torch.addcmul(drives[t], product_block, row_scale, out=blocks[t])
                if bounded:
                    torch.sigmoid(sig[t], out=sig[t])
                if tanh_rows:
                    torch.add(minus_one, tan[t], alpha=2, out=tan[t])
                for k, views in lin:
                    if k == "relu":
                        torch.relu_(views[t])
                    else:
                        torch.nn.functional.leaky_relu_(views[t], slope)
                if check and t % check == check - 1:
                    if float(out[lo_linear:].abs().amax()) > limit:
                        return None  # the general loop carries such rows rescaled
                if t % every == 0:
                    progress_tick(progress, cancel, 0.5 * t / steps)
        mean_d = _derivatives_in_place(hidden, kinds, scales, forward_rows, identity, first)
        log_g = _backward(hidden, base, bits, progress, cancel)
    finally:
        SCRATCH.give(hidden)
    return log_g, mean_d


def _stream(config: RNNConfig, stream: int):
    return random_stream(config.seed, stream)


def _check_every(scales, sigma: float, bits: int) -> int:
    """How often the ReLU rows' size is checked: ||h_t|| grows by at most max(s) ||A||_2
    per step (plus the bounded input), so a check every k steps catches a row past the
    limit long before it can overflow."""
    room = 200.0 if bits == 64 else 8.0  # decades between the limit and overflow
    growth = max(max(scales) * sigma, 1.0 + 1e-9)
    return int(max(1, min(64, room / max(math.log10(growth), 1e-9) // 2)))


def _derivatives_in_place(hidden, kinds, scales, forward_rows, identity, first):
    """f'(z_t) from h_t over the whole (T, rows, n) buffer, in place; the mean over units
    per step and forward row, (T, rows) float64 numpy."""
    import torch  # torch: loaded on first use

    steps, _, n = hidden.shape
    rows = len(scales)
    for g, kind in enumerate(kinds):
        h = hidden[:, g * rows:(g + 1) * rows]
        if kind == "tanh":
            torch.addcmul(torch.ones((), dtype=h.dtype, device=h.device), h, h, value=-1.0, out=h)
        elif kind == "sigmoid":
            torch.addcmul(h, h, h, value=-1.0, out=h)
        elif kind == "relu":
            torch.sign(h, out=h)  # 1 where z > 0, 0 elsewhere (relu'(0) = 0)
        else:  # leaky relu: h > 0 exactly where z > 0 (slope >= 0)
            slope = torch.tensor(float(first.leaky_slope), dtype=h.dtype, device=h.device)
            torch.where(h > 0, torch.ones((), dtype=h.dtype, device=h.device), slope, out=h)
    if identity:
        hidden[:, forward_rows] = 1.0
    return hidden[:, :forward_rows].mean(dim=2).to(torch.float64).cpu().numpy()  # (T, rows)


def _backward(deriv, base, bits, progress, cancel):
    """log ||dL/dh_t|| per backward row without the scale's power, natural log, as a
    (T, rows) float64 array.

    The steps go from the end back in blocks of ``RING_SLOTS``, whose gradients live in
    a ring of slots (slot k holds the block's k-th step from its top), so that each step
    writes into memory still in cache rather than into a (T, rows, n) buffer; a block's
    row norms are taken in one call when it is complete. Every ``RENORM_EVERY`` steps a
    vector is divided by its largest entry, whose log goes into the step's offset: the
    gradient at step t is the slot's vector times exp(sum of the logs at steps >= t).
    """
    import torch  # torch: loaded on first use

    steps, back_rows, n = deriv.shape
    every = max(1, steps // 50)
    renorm = RENORM_EVERY[bits]
    tiny = torch.finfo(deriv.dtype).tiny
    logs = torch.zeros(steps, back_rows, dtype=deriv.dtype, device=deriv.device)
    # norms in reversed time (row j is step steps - 1 - j): a block's slots are in that
    # order, so each block's norms are one contiguous write
    norms = torch.empty(steps, back_rows, dtype=deriv.dtype, device=deriv.device)
    size = RING_SLOTS  # a multiple of every RENORM_EVERY
    ring = torch.empty(size, back_rows, n, dtype=deriv.dtype, device=deriv.device)
    scratch = torch.empty(back_rows, n, dtype=deriv.dtype, device=deriv.device)
    slots, deriv_at, logs_at = ring.unbind(0), deriv.unbind(0), logs.unbind(0)
    slots[0].fill_(1.0)  # dL/dh_T, the loss being sum(h_T)
    v = slots[0]
    for t in range(steps - 1, 0, -1):
        back = steps - t  # step t - 1 is this far from the end; it goes in slot k
        k = back % size
        torch.mul(deriv_at[t], v, out=scratch)
        if k == 0:  # the previous block is complete: its norms, before slot 0 is reused
            norms[back - size:back] = row_norms(ring)
        v = slots[k]
        torch.mm(scratch, base, out=v)  # A^T a_t (rows as row vectors); the scale comes later
        if back % renorm == 0:
            # Any positive factor per row will do; the largest entry is exact (no
            # squares to underflow), and abs().amax() is the inf-norm at a seventh of
            # vector_norm(ord=inf)'s cost here.
            big = torch.amax(v.abs(), dim=1).clamp_min_(tiny)
            v.div_(big.unsqueeze(1))
            torch.log(big, out=logs_at[t - 1])
        if t % every == 0:
            progress_tick(progress, cancel, 0.5 + 0.5 * (steps - t) / steps)
    done = steps % size or size  # slots filled in the last block
    norms[steps - done:] = row_norms(ring[:done])
    # The factors taken out at steps >= t apply to step t: a reversed cumulative sum.
    offset = torch.flip(torch.cumsum(torch.flip(logs.to(torch.float64), [0]), 0), [0])
    log_norms = torch.flip(torch.log(norms.to(torch.float64)), [0])
    return (log_norms + offset).cpu().numpy()  # (T, rows)
