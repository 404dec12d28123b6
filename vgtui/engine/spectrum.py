"""Jacobian products, the Bengio bound, Lyapunov exponents and clipping.

The gradient that reaches h_t from h_T passes through the product

    P_t = dh_T/dh_t = J_T J_(T-1) ... J_(t+1),     J_k = diag(f'(z_k)) W_hh,

with P_T = I. This module builds P_t for every t, backwards from T, as a matrix
kept at unit spectral norm with the log of each rescaling added up on the side,
so a product of 1e-900 or 1e+900 is exact in log space. From each P_t it takes the
singular values, the number of directions still alive (the effective memory
dimensions), and how well the direction that survives lines up with the leading
eigenvector of W_hh.

The forward pass is the one in ``flow`` (``forward_states``): the same weights,
the same f'(z_k). Everything is batched over configurations sharing (n, T, m)
and runs on the CPU or CUDA like the rest of the engine.

Definitions (used on screen, in the CLI and in tests):

- **product norm**: the spectral norm ||P_t||_2 (largest singular value).
- **effective memory dimensions** at t: how many singular values s_i of P_t satisfy
  s_i >= 1e-3 * s_1.
- **alignment** at t: the length of the projection of u_1(P_t), the top *left*
  singular vector (the direction in h_T that any change of h_t ends up in), onto
  the real invariant subspace of W_hh's leading eigenvalue: |cos| with the leading
  eigenvector when that eigenvalue is real, the projection onto span(Re v, Im v)
  when it is a complex pair. **gradient alignment** does the same for v_1(P_t), the
  top *right* singular vector (the direction the gradient takes at h_t), against
  the leading eigenvector of W_hh^T. Undefined (nan) while the top two singular
  values tie, since the top direction is then not unique.
- **largest Lyapunov exponent**: the mean of ln ||J_k q|| over steps, q a unit
  tangent vector renormalised (QR) every step, after a burn-in of T // 5 steps; in
  nats per step. exp(exponent) is the long-run stretch per step.
- **Bengio bound**: ||P_t||_2 <= (max|f'| * ||W_hh||_2)^(T-t); max|f'| is the
  activation's largest possible derivative (1 for tanh, 0.25 for sigmoid).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from .config import RNNConfig
from .errors import Cancelled, ConfigError
from .magnitude import LOG10_E, LogMagnitude, json_floats, log10_ratio
from .device import on_engine_threads
from .recurrence import (RNNWeights, build_weights, prepare_vanilla_batch, progress_tick,
                         random_stream, recurrent_matrix, safe_norm, tiny_weights)
# Products of n x n Jacobians cost n^3 per step; these caps keep a lookup under ~20 s.
JACOBIAN_MAX_STEPS = 1000
JACOBIAN_MAX_HIDDEN = 256
# A direction counts as alive while its singular value is at least this share of the largest.
EFFECTIVE_DIM_RATIO = 1e-3
# Relative size below which an SVD of a unit-norm matrix cannot resolve a singular value.
PRECISION_FLOOR_LOG10 = {"float64": -13.0, "float32": -6.0}
# Gradients beyond these multiples of their value at T count as exploded / vanished
# (the same 1e6 rule as the Gradient Flow horizons).
EXPLODE_LOG10 = 6.0
VANISH_LOG10 = -6.0
# scales x n^2 x T for one Lyapunov sweep: about a minute of CPU at most.
LYAPUNOV_MAX_WORK = 5e10


def max_derivative(activation: str, leaky_slope: float = 0.01) -> float:
    """sup |f'(z)| over all z: the sigma_max of the Bengio bound."""
    if activation == "sigmoid":
        return 0.25
    if activation == "leaky_relu":
        return max(1.0, abs(leaky_slope))
    if activation in ("tanh", "relu", "identity"):
        return 1.0
    raise ConfigError(f"unknown activation {activation!r}", "activation")


def check_jacobian_limits(config: RNNConfig) -> None:
    """Refuse sizes whose per-step n x n products would take minutes."""
    if config.steps > JACOBIAN_MAX_STEPS:
        raise ConfigError(f"steps T must be from 1 to {JACOBIAN_MAX_STEPS} for Jacobian products "
                          f"(an n x n matrix per step; got {config.steps})", "steps")
    if config.hidden > JACOBIAN_MAX_HIDDEN:
        raise ConfigError(f"hidden size n must be from 1 to {JACOBIAN_MAX_HIDDEN} for Jacobian "
                          f"products (got {config.hidden})", "hidden")


def _itemsize(config: RNNConfig) -> int:
    """Bytes per number of the dtype a config will run in (for the resource guard)."""
    from .device import resolve_device, resolve_dtype

    return resolve_dtype(config.dtype, resolve_device(config.device)).itemsize


def _leading_subspaces(w_hh):
    """Orthonormal bases (B, n, 2) for the real invariant subspace of the leading
    eigenvalue of W_hh (right eigenvector) and of W_hh^T (left eigenvector): one
    column when that eigenvalue is real, two (Re v, Im v) for a complex pair, the
    unused column zero. Also the leading eigenvalue and the gap |lambda_2|/|lambda_1|,
    lambda_2 the largest eigenvalue left after removing the leading one and, for a
    complex pair, its conjugate."""
    import torch

    w = w_hh.detach().to(device="cpu", dtype=torch.float64).numpy()
    batch, n, _ = w.shape
    bases = []
    lead = np.zeros(batch, dtype=complex)
    gap = np.ones(batch)
    for which, mats in enumerate((w, np.transpose(w, (0, 2, 1)))):
        vals, vecs = np.linalg.eig(mats)  # stacked over the batch
        idx = np.argmax(np.abs(vals), axis=1)
        v = vecs[np.arange(batch), :, idx]  # (B, n)
        pair = np.stack([v.real, v.imag], axis=2)
        u, s, _ = np.linalg.svd(pair, full_matrices=False)
        keep = s > 1e-8 * np.maximum(s[:, :1], 1e-300)
        bases.append(u * keep[:, None, :])
        if which == 0:
            lead = vals[np.arange(batch), idx]
            for b in range(batch):
                gap[b] = _eigen_gap(vals[b], int(idx[b]))
    return bases[0], bases[1], lead, gap


def _eigen_gap(vals: np.ndarray, lead: int) -> float:
    top = abs(vals[lead])
    if top == 0 or vals.shape[0] == 1:
        return 0.0 if vals.shape[0] == 1 else 1.0
    rest = np.delete(vals, lead)
    if abs(vals[lead].imag) > 1e-12 * top and rest.size:
        rest = np.delete(rest, int(np.argmin(np.abs(rest - np.conj(vals[lead])))))
    return float(np.max(np.abs(rest)) / top) if rest.size else 0.0


def _tangent_exponents(w_hh, deriv, count: int, burn_in: int, seed: int, cancel=None,
                       progress=None, span=(0.0, 1.0)):
    """Leading ``count`` Lyapunov exponents (nats per step) of dh_k = J_k dh_(k-1).

    QR re-orthonormalisation every step; the log of |diag R| is summed after
    ``burn_in`` steps. Returns a (B, count) float64 tensor on the CPU.
    """
    import torch

    steps, batch, n = deriv.shape
    device, dtype = deriv.device, deriv.dtype
    g = torch.Generator(device="cpu")
    g.manual_seed(seed * 8 + 6)
    start = torch.randn(n, count, generator=g, dtype=torch.float64)
    q = torch.linalg.qr(start)[0].to(device=device, dtype=dtype).expand(batch, n, count).contiguous()
    total = torch.zeros(batch, count, dtype=torch.float64, device=device)
    every = max(1, steps // 50)
    for k in range(steps):
        moved = deriv[k].unsqueeze(2) * torch.bmm(w_hh, q)
        if count == 1:
            norm = safe_norm(moved, 1)  # (B, 1), exact also for tiny weights
            q = moved / torch.where(norm > 0, norm, torch.ones_like(norm)).unsqueeze(1)
            stretch = norm
        else:
            q, r = torch.linalg.qr(moved)
            stretch = torch.diagonal(r, dim1=1, dim2=2).abs()
        if k >= burn_in:
            total += torch.log(stretch.to(torch.float64))
        if k % every == 0:
            progress_tick(progress, cancel, span[0] + (span[1] - span[0]) * k / steps)
    exps = total / max(1, steps - burn_in)
    return exps.cpu()


def burn_in_for(steps: int) -> int:
    """Steps left out of the Lyapunov average while the trajectory settles: T // 5."""
    return steps // 5


# ---------------------------------------------------------------------------
# Jacobian products for an RNN
# ---------------------------------------------------------------------------
@dataclass
class JacobianRun:
    """dh_T/dh_t for t = 1..T. Arrays have length T; index k is t = k + 1."""

    config: RNNConfig
    log10_singular_values: np.ndarray  # (T, n), descending; nan below the precision floor
    log10_frobenius: np.ndarray
    effective_dims: np.ndarray  # (T,) int
    alignment: np.ndarray
    alignment_gradient: np.ndarray
    log10_grad_h: np.ndarray  # ||dL/dh_t|| = ||P_t^T 1|| for L = sum(h_T), as a cross-check
    mean_abs_derivative: np.ndarray  # mean |f'(z_t)| over units, per step
    max_abs_derivative: np.ndarray  # max |f'(z_t)| over units, per step
    spectral_radius: float
    spectral_norm: float
    leading_eigenvalue: complex
    eigen_gap: float
    lyapunov: float
    device: str
    dtype: str
    seconds: float

    @property
    def steps(self) -> int:
        return int(self.log10_singular_values.shape[0])

    @property
    def log10_product_norm(self) -> np.ndarray:
        return self.log10_singular_values[:, 0]

    @property
    def sigma_max(self) -> float:
        return max_derivative(self.config.activation, self.config.leaky_slope)

    @property
    def steps_back(self) -> np.ndarray:
        return np.arange(self.steps - 1, -1, -1, dtype=np.float64)

    @property
    def bound_factor(self) -> float:
        """The theorem's per-step factor sigma_max * ||W_hh||_2."""
        return self.sigma_max * self.spectral_norm

    @property
    def log10_bound(self) -> np.ndarray:
        """(sigma_max ||W_hh||_2)^(T-t) in log10 (0 at t = T)."""
        return _power_log10(self.bound_factor, self.steps_back)

    @property
    def log10_stepwise_bound(self) -> np.ndarray:
        """prod_(k=t+1..T) max_i|f'(z_k,i)| ||W_hh||_2: the bound with each step's own
        largest derivative instead of sup|f'| (tighter, still a bound)."""
        with np.errstate(divide="ignore"):
            per_step = np.log10(self.max_abs_derivative) + _log10(self.spectral_norm)
        out = np.zeros(self.steps)
        # out[k] sums per_step over steps t+1..T, i.e. indices k+1..T-1.
        out[:-1] = np.cumsum(per_step[::-1])[::-1][1:]
        return out

    @property
    def typical_derivative(self) -> float:
        """Mean |f'(z)| over every step and unit of the run."""
        return float(np.mean(self.mean_abs_derivative))

    @property
    def typical_factor(self) -> float:
        return self.typical_derivative * self.spectral_norm

    @property
    def log10_typical(self) -> np.ndarray:
        """(mean|f'| ||W_hh||_2)^(T-t): the typical-derivative curve (not a bound)."""
        return _power_log10(self.typical_factor, self.steps_back)

    @property
    def bound_violations(self) -> int:
        """Steps where the measured norm exceeds the bound by more than rounding."""
        bound = self.log10_bound
        slack = np.where(np.isfinite(bound), 1e-9 * (1.0 + np.abs(bound)), 0.0)
        return int(np.sum(self.log10_product_norm > bound + slack))

    @property
    def typical_exceeded(self) -> int:
        """Steps where the measured norm is above the typical-derivative curve."""
        return int(np.sum(self.log10_product_norm[:-1] > self.log10_typical[:-1] + 1e-12))

    def to_dict(self, singular_values: int | None = 8) -> dict:
        c = self.config.to_dict()
        c["device"], c["dtype"] = self.device, self.dtype
        top = self.log10_singular_values
        if singular_values:
            top = top[:, :singular_values]
        return {
            "config": c,
            "steps": self.steps,
            "t": list(range(1, self.steps + 1)),
            "product_norm": [LogMagnitude(v) for v in self.log10_product_norm],
            "log10_product_norm": json_floats(self.log10_product_norm),
            "log10_frobenius_norm": json_floats(self.log10_frobenius),
            "effective_dims": [int(v) for v in self.effective_dims],
            "effective_dim_rule": f"count of singular values >= {EFFECTIVE_DIM_RATIO:g} x the largest",
            "log10_singular_values": [json_floats(row) for row in top],
            "alignment": json_floats(self.alignment),
            "alignment_gradient": json_floats(self.alignment_gradient),
            "log10_grad_h": json_floats(self.log10_grad_h),
            "spectral_radius": self.spectral_radius,
            "spectral_norm": self.spectral_norm,
            "leading_eigenvalue": [self.leading_eigenvalue.real, self.leading_eigenvalue.imag],
            "eigen_gap": self.eigen_gap,
            "lyapunov": self.lyapunov,
            "lyapunov_burn_in": burn_in_for(self.steps),
        }

    def bound_dict(self) -> dict:
        c = self.config.to_dict()
        c["device"], c["dtype"] = self.device, self.dtype
        return {
            "config": c,
            "steps": self.steps,
            "t": list(range(1, self.steps + 1)),
            "measured": [LogMagnitude(v) for v in self.log10_product_norm],
            "bound": [LogMagnitude(v) for v in self.log10_bound],
            "log10_measured": json_floats(self.log10_product_norm),
            "log10_bound": json_floats(self.log10_bound),
            "log10_stepwise_bound": json_floats(self.log10_stepwise_bound),
            "log10_typical": json_floats(self.log10_typical),
            "sigma_max": self.sigma_max,
            "spectral_norm": self.spectral_norm,
            "spectral_radius": self.spectral_radius,
            "bound_factor": self.bound_factor,
            "typical_derivative": self.typical_derivative,
            "typical_factor": self.typical_factor,
            "norm_needed_for_survival": 1.0 / self.sigma_max,
            "bound_violations": self.bound_violations,
            "typical_exceeded": self.typical_exceeded,
        }


def _log10(x: float) -> float:
    return math.log10(x) if x > 0 else -math.inf


def _power_log10(factor: float, exponents: np.ndarray) -> np.ndarray:
    """log10(factor ** k) for each k, with 0 ** 0 = 1."""
    lf = _log10(factor)
    with np.errstate(invalid="ignore"):
        out = exponents * lf
    out[exponents == 0] = 0.0
    return out


@dataclass
class JacobianBatch:
    runs: list[JacobianRun] = field(default_factory=list)
    seconds: float = 0.0

    def __len__(self) -> int:
        return len(self.runs)

    def __getitem__(self, i: int) -> JacobianRun:
        return self.runs[i]

    def __iter__(self):
        return iter(self.runs)


@on_engine_threads
def jacobian_products(
    configs: Sequence[RNNConfig],
    weights=None,
    *,
    progress: Callable[[float], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> JacobianBatch:
    """Singular values, effective dimensions and alignment of dh_T/dh_t for every t."""
    import torch

    from .device import dtype_name
    from .flow import forward_states

    from . import budget

    for c in configs:
        check_jacobian_limits(c)
    if configs:
        c = configs[0]
        budget.check(budget.jacobian_estimate(len(configs), c.hidden, c.steps, c.input_size,
                                              _itemsize(c)))
    configs, device, dtype, weights = prepare_vanilla_batch(configs, weights)
    started = time.perf_counter()
    w = weights.w_hh
    batch, n, _ = w.shape
    steps = weights.inputs.shape[1]
    floor = PRECISION_FLOOR_LOG10[dtype_name(dtype)]
    with torch.no_grad():
        _, deriv, _ = forward_states(configs, weights, cancel=cancel,
                                     progress=None if progress is None else
                                     (lambda f: progress(0.1 * f)))
        right_np, left_np, lead_np, gap_np = _leading_subspaces(w)
        right_basis = torch.as_tensor(right_np, device=device, dtype=dtype)
        left_basis = torch.as_tensor(left_np, device=device, dtype=dtype)

        log_sv = torch.empty(steps, batch, n, dtype=torch.float64, device=device)
        log_fro = torch.empty(steps, batch, dtype=torch.float64, device=device)
        dims = torch.empty(steps, batch, dtype=torch.int64, device=device)
        align = torch.empty(steps, batch, dtype=torch.float64, device=device)
        align_grad = torch.empty(steps, batch, dtype=torch.float64, device=device)
        log_grad = torch.empty(steps, batch, dtype=torch.float64, device=device)

        product = torch.eye(n, dtype=dtype, device=device).expand(batch, n, n).contiguous()
        log_scale = torch.zeros(batch, dtype=torch.float64, device=device)
        ones = torch.ones(batch, n, 1, dtype=dtype, device=device)
        every = max(1, steps // 50)
        for k in range(steps - 1, -1, -1):  # k is t - 1
            u, s, vh = torch.linalg.svd(product)
            top = s[:, 0]
            alive = top > 0
            safe_top = torch.where(alive, top, torch.ones_like(top))
            rel = s / safe_top.unsqueeze(1)
            rel_log = torch.log10(rel.to(torch.float64))
            rel_log = torch.where(rel_log < floor, torch.full_like(rel_log, math.nan), rel_log)
            base = log_scale * LOG10_E + torch.log10(top.to(torch.float64))
            log_sv[k] = base.unsqueeze(1) + rel_log
            log_sv[k, :, 0] = base
            log_fro[k] = log_scale * LOG10_E + torch.log10(
                torch.linalg.matrix_norm(product).to(torch.float64))
            dims[k] = torch.where(alive, (rel >= EFFECTIVE_DIM_RATIO).sum(dim=1),
                                  torch.zeros_like(dims[k]))
            u1, v1 = u[:, :, 0], vh[:, 0, :]
            tie = (s[:, 1] >= s[:, 0] * (1 - 1e-9)) if n > 1 else torch.zeros_like(alive)
            a_right = torch.linalg.vector_norm(torch.einsum("bn,bnk->bk", u1, right_basis), dim=1)
            a_left = torch.linalg.vector_norm(torch.einsum("bn,bnk->bk", v1, left_basis), dim=1)
            nan = torch.full_like(a_right, math.nan)
            align[k] = torch.where(tie | ~alive, nan, a_right).to(torch.float64)
            align_grad[k] = torch.where(tie | ~alive, nan, a_left).to(torch.float64)
            # dL/dh_t = P_t^T 1 for L = sum(h_T).
            g = torch.linalg.vector_norm(torch.bmm(product.transpose(1, 2), ones), dim=(1, 2))
            log_grad[k] = log_scale * LOG10_E + torch.log10(g.to(torch.float64))
            # Renormalise to unit spectral norm, then take one more factor: P_(t-1) = P_t J_t.
            product = product / safe_top.view(batch, 1, 1)
            log_scale = log_scale + torch.log(top.to(torch.float64))
            if k > 0:
                product = torch.bmm(product * deriv[k].unsqueeze(1), w)
            if k % every == 0:
                progress_tick(progress, cancel, 0.1 + 0.8 * (steps - k) / steps)
        exps = _tangent_exponents(w, deriv, 1, burn_in_for(steps), configs[0].seed, cancel,
                                  progress, (0.9, 1.0))
        abs_d = deriv.abs()
        mean_d = abs_d.mean(dim=2)
        max_d = abs_d.amax(dim=2)
        radius = torch.linalg.eigvals(w).abs().amax(dim=-1)
        norm2 = torch.linalg.matrix_norm(w, ord=2)
    if device.type == "cuda":
        torch.cuda.synchronize()
    elapsed = time.perf_counter() - started

    def host(t):
        return t.to(torch.float64).cpu().numpy() if t.is_floating_point() else t.cpu().numpy()

    sv, fro, dm, al, alg, lg = (host(t) for t in (log_sv, log_fro, dims, align, align_grad, log_grad))
    md, xd, rho, sig = host(mean_d), host(max_d), host(radius), host(norm2)
    exps_np = exps.numpy()
    runs = []
    for b, c in enumerate(configs):
        runs.append(JacobianRun(
            config=c, log10_singular_values=sv[:, b, :], log10_frobenius=fro[:, b],
            effective_dims=dm[:, b].astype(int), alignment=al[:, b], alignment_gradient=alg[:, b],
            log10_grad_h=lg[:, b], mean_abs_derivative=md[:, b], max_abs_derivative=xd[:, b],
            spectral_radius=float(rho[b]), spectral_norm=float(sig[b]),
            leading_eigenvalue=complex(lead_np[b]), eigen_gap=float(gap_np[b]),
            lyapunov=float(exps_np[b, 0]), device=str(device), dtype=dtype_name(dtype),
            seconds=elapsed))
    return JacobianBatch(runs, elapsed)


def jacobian_run(config: RNNConfig, weights=None, **kwargs) -> JacobianRun:
    return jacobian_products([config], weights, **kwargs)[0]


# ---------------------------------------------------------------------------
# Lyapunov exponents over a sweep of scales
# ---------------------------------------------------------------------------
@dataclass
class LyapunovRow:
    scale: float
    exponent: float  # nats per step
    spectral_radius: float
    spectral_norm: float
    saturation: float  # share of (step, unit) pairs with |f'| < 0.1

    @property
    def factor(self) -> float:
        """exp(exponent): the long-run stretch per step."""
        return math.exp(self.exponent) if self.exponent < 700 else math.inf

    def to_dict(self) -> dict:
        return {"scale": self.scale, "exponent": self.exponent, "factor": self.factor,
                "spectral_radius": self.spectral_radius, "spectral_norm": self.spectral_norm,
                "log_spectral_radius": _ln(self.spectral_radius), "saturation": self.saturation}


def _ln(x: float) -> float:
    return math.log(x) if x > 0 else -math.inf


@dataclass
class LyapunovSweep:
    base: RNNConfig
    rows: list[LyapunovRow]
    burn_in: int
    device: str
    dtype: str
    seconds: float

    @property
    def crossings(self) -> list[float]:
        """Scales where the exponent changes sign, by linear interpolation between
        neighbouring sweep points (sorted by scale)."""
        pts = sorted((r.scale, r.exponent) for r in self.rows if math.isfinite(r.exponent))
        out = []
        for (s0, e0), (s1, e1) in zip(pts, pts[1:]):
            if e0 == 0:
                out.append(s0)
            elif e0 * e1 < 0:
                out.append(s0 + (s1 - s0) * (-e0) / (e1 - e0))
        if pts and pts[-1][1] == 0:
            out.append(pts[-1][0])
        return sorted(set(out))

    def to_dict(self) -> dict:
        c = self.base.to_dict()
        c.pop("scale")
        c["device"], c["dtype"] = self.device, self.dtype
        return {"config": c, "burn_in": self.burn_in, "unit": "nats per step",
                "rows": [r.to_dict() for r in self.rows], "edge_of_chaos": self.crossings}


def parse_scales(text: str, low: float = 0.0, high: float = 100.0, most: int = 64) -> list[float]:
    """'0.5,1,1.5' or 'a:b:k' (k evenly spaced values from a to b) -> checked floats."""
    accepts = (f"numbers from {low:g} to {high:g}, comma-separated (at most {most}), or a range "
               f"from:to:count such as 0.5:2:16 (count 2 to {most})")
    raw = (text or "").strip()
    if not raw:
        raise ConfigError(f"scales is empty: enter {accepts}", "scales")
    shown = repr(raw) if len(raw) <= 24 else repr(raw[:21] + "...")
    if ":" in raw:
        parts = raw.split(":")
        try:
            if len(parts) != 3:
                raise ValueError
            a, b, k = float(parts[0]), float(parts[1]), int(parts[2])
        except (ValueError, OverflowError):
            raise ConfigError(f"scales must be {accepts} (got {shown})", "scales") from None
        if not 2 <= k <= most:
            raise ConfigError(f"scales: a range needs a count from 2 to {most} (got {k}); "
                              f"enter {accepts}", "scales")
        if not (math.isfinite(a) and math.isfinite(b)):
            raise ConfigError(f"scales must be {accepts} (got {shown})", "scales")
        values = [a + (b - a) * i / (k - 1) for i in range(k)]
    else:
        values = []
        for part in raw.split(","):
            try:
                values.append(float(part))
            except ValueError:
                bad = part.strip()
                bad = repr(bad) if len(bad) <= 20 else repr(bad[:17] + "...")
                raise ConfigError(f"scales: {bad} is not a number; enter {accepts}",
                                  "scales") from None
    if len(values) > most:
        raise ConfigError(f"scales: at most {most} values (got {len(values)}); enter {accepts}",
                          "scales")
    for v in values:
        if not math.isfinite(v) or v < low or v > high:
            raise ConfigError(f"scales must each be a number from {low:g} to {high:g} (got {v!r})",
                              "scales")
    return [round(v, 12) for v in values]


@on_engine_threads
def lyapunov_sweep(
    base: RNNConfig,
    scales: Sequence[float],
    *,
    progress: Callable[[float], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> LyapunovSweep:
    """The largest Lyapunov exponent for W_hh = scale x (the base config's matrix), one
    batched forward pass and one batched tangent iteration for every scale."""
    import torch

    from .device import dtype_name
    from .flow import forward_states

    if not scales:
        raise ConfigError("scales is empty", "scales")
    work = len(scales) * base.hidden ** 2 * base.steps
    if work > LYAPUNOV_MAX_WORK:
        raise ConfigError(f"Lyapunov sweep too large: scales x n^2 x T must be at most "
                          f"{LYAPUNOV_MAX_WORK:.0e} (got {work:.1e}); use fewer steps, scales or "
                          "units", "steps")
    from . import budget

    budget.check(budget.lyapunov_estimate(len(scales), base.hidden, base.steps, base.input_size,
                                          _itemsize(base)))
    configs = [base.replace(scale=float(s)) for s in scales]
    configs, device, dtype, weights = prepare_vanilla_batch(configs)
    started = time.perf_counter()
    burn = burn_in_for(base.steps)
    with torch.no_grad():
        _, deriv, _ = forward_states(configs, weights, cancel=cancel,
                                     progress=None if progress is None else
                                     (lambda f: progress(0.5 * f)))
        exps = _tangent_exponents(weights.w_hh, deriv, 1, burn, base.seed, cancel, progress,
                                  (0.5, 1.0))
        sat = (deriv.abs() < 0.1).to(torch.float64).mean(dim=(0, 2)).cpu().numpy()
        rho = torch.linalg.eigvals(weights.w_hh).abs().amax(dim=-1).to(torch.float64).cpu().numpy()
        sig = torch.linalg.matrix_norm(weights.w_hh, ord=2).to(torch.float64).cpu().numpy()
    elapsed = time.perf_counter() - started
    rows = [LyapunovRow(c.scale, float(exps[b, 0]), float(rho[b]), float(sig[b]), float(sat[b]))
            for b, c in enumerate(configs)]
    return LyapunovSweep(base, rows, burn, str(device), dtype_name(dtype), elapsed)


# ---------------------------------------------------------------------------
# The catch-22: where the bound allows survival, do some inputs explode?
# ---------------------------------------------------------------------------
@dataclass
class Catch22Row:
    scale: float
    bound_factor: float  # sigma_max * ||W_hh||_2
    spectral_norm: float
    sequences: int
    exploded: int  # sequences whose ||dL/dh_t|| rises above 1e6 x its value at T
    vanished: int  # sequences whose ||dL/dh_1|| is below 1e-6 x its value at T
    median_log10_first: float  # median over sequences of log10(||dL/dh_1|| / ||dL/dh_T||)
    max_log10_gain: float  # largest log10(||dL/dh_t|| / ||dL/dh_T||) over t and sequences
    saturation: float  # mean share of units with |f'| < 0.1
    overflowed: int  # sequences whose forward pass left float range

    @property
    def bound_permits(self) -> bool:
        return self.bound_factor >= 1.0

    @property
    def survived(self) -> int:
        return self.sequences - self.exploded - self.vanished

    def to_dict(self) -> dict:
        return {"scale": self.scale, "bound_factor": self.bound_factor,
                "bound_permits": self.bound_permits, "spectral_norm": self.spectral_norm,
                "sequences": self.sequences, "exploded": self.exploded,
                "vanished": self.vanished, "survived": self.survived,
                "exploded_share": self.exploded / self.sequences,
                "median_log10_first": self.median_log10_first,
                "max_log10_gain": self.max_log10_gain, "saturation": self.saturation,
                "forward_overflowed": self.overflowed}


@dataclass
class Catch22Sweep:
    base: RNNConfig
    rows: list[Catch22Row]
    device: str
    dtype: str
    seconds: float

    @property
    def first_permitting(self) -> float | None:
        return next((r.scale for r in sorted(self.rows, key=lambda r: r.scale) if r.bound_permits),
                    None)

    @property
    def first_exploding(self) -> float | None:
        return next((r.scale for r in sorted(self.rows, key=lambda r: r.scale) if r.exploded),
                    None)

    @property
    def permitting_without_explosion(self) -> list[float]:
        return [r.scale for r in self.rows if r.bound_permits and not r.exploded]

    @property
    def survival_scales(self) -> list[float]:
        """Scales where every sequence's gradient neither vanished nor exploded."""
        return [r.scale for r in self.rows if r.survived == r.sequences]

    def to_dict(self) -> dict:
        c = self.base.to_dict()
        c.pop("scale")
        c["device"], c["dtype"] = self.device, self.dtype
        return {"config": c, "rule": ("exploded: ||dL/dh_t|| above 1e6 x ||dL/dh_T|| for some t; "
                                      "vanished: ||dL/dh_1|| below 1e-6 x ||dL/dh_T||"),
                "rows": [r.to_dict() for r in self.rows],
                "first_permitting_scale": self.first_permitting,
                "first_exploding_scale": self.first_exploding,
                "survival_scales": self.survival_scales}


@on_engine_threads
def catch22_sweep(
    base: RNNConfig,
    scales: Sequence[float],
    sequences: int = 16,
    *,
    progress: Callable[[float], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> Catch22Sweep:
    """For each scale, ``sequences`` input sequences through one network (W_hh, W_xh
    from the base seed; inputs drawn from seeds seed+1 .. seed+K), all in one batch.

    The gradient is the Gradient Flow one (L = sum(h_T)); a sequence counts as
    exploded when ||dL/dh_t|| climbs above 1e6 times its value at T somewhere, and as
    vanished when ||dL/dh_1|| falls below 1e-6 times it.
    """
    import torch

    from .flow import run_flow_batch

    if not scales:
        raise ConfigError("scales is empty", "scales")
    if not 1 <= sequences <= 256:
        raise ConfigError(f"sequences must be a whole number from 1 to 256 (got {sequences})",
                          "sequences")
    if len(scales) * sequences > 4096:
        raise ConfigError("scales x sequences must be at most 4096", "sequences")
    from . import budget

    # Checked before any weights are built: every (scale, sequence) row has its own copy.
    budget.check(budget.flow_estimate(len(scales) * sequences, base.hidden, base.steps,
                                      base.input_size, 8).named(
        f"the catch-22 sweep ({len(scales)} scales x {sequences} sequences, T={base.steps}, "
        f"n={base.hidden})", "sequences", "use fewer scales, sequences or steps, or a smaller "
        "hidden size"))
    configs = []
    w_hh, w_xh, bias, inputs = [], [], [], []
    for s in scales:
        c = base.replace(scale=float(s))
        w = build_weights([c], torch.device("cpu"), torch.float64)
        for k in range(sequences):
            configs.append(c)
            w_hh.append(w.w_hh[0])
            w_xh.append(w.w_xh[0])
            bias.append(w.bias[0])
            inputs.append(torch.randn(c.steps, c.input_size, generator=random_stream(c.seed + 1 + k, 2),
                                      dtype=torch.float64) * c.input_scale)
    weights = RNNWeights(torch.stack(w_hh), torch.stack(w_xh), torch.stack(bias),
                         torch.stack(inputs))
    started = time.perf_counter()
    batch = run_flow_batch(configs, weights, source="catch-22 sweep", progress=progress,
                           cancel=cancel)
    sigma = max_derivative(base.activation, base.leaky_slope)
    rows = []
    for i, s in enumerate(scales):
        runs = batch.runs[i * sequences:(i + 1) * sequences]
        firsts = [r.log10_ratio[0] for r in runs]
        gains = [float(np.nanmax(r.log10_ratio)) for r in runs]
        rows.append(Catch22Row(
            scale=float(s), bound_factor=sigma * runs[0].spectral_norm,
            spectral_norm=runs[0].spectral_norm, sequences=sequences,
            exploded=int(sum(g > EXPLODE_LOG10 for g in gains)),
            vanished=int(sum((f < VANISH_LOG10) and (g <= EXPLODE_LOG10)
                             for f, g in zip(firsts, gains))),
            median_log10_first=float(np.median(firsts)), max_log10_gain=max(gains),
            saturation=float(np.mean([r.saturation.mean() for r in runs])),
            overflowed=int(sum(r.forward_overflow_step is not None for r in runs))))
    return Catch22Sweep(base, rows, batch.runs[0].device, batch.runs[0].dtype,
                        time.perf_counter() - started)


# ---------------------------------------------------------------------------
# A given matrix with a constant derivative: the articles' two-unit example
# ---------------------------------------------------------------------------
MATRIX_MAX_SIZE = 32
MATRIX_MAX_STEPS = 10_000
MATRIX_MAX_ENTRY = 1e6


@dataclass(frozen=True)
class ArticleFigures:
    """Figures an article states for a worked example, quoted so the screen can set
    them beside what the engine computes. They are never used in a computation."""

    source: str
    matrix: tuple[tuple[float, ...], ...]
    derivative: float
    spectral_radius: float
    norms: tuple[tuple[int, float], ...]  # (n, stated ||J^n||)
    norm_kind: str


# Seed 000 works a two-unit example through by hand and in numpy (whose
# np.linalg.norm of a matrix is the Frobenius norm by default).
ARTICLE_TWO_UNIT = ArticleFigures(
    source="seed 000 (the two-unit worked example)",
    matrix=((0.5, 0.1), (0.2, 0.4)),
    derivative=0.8,
    spectral_radius=0.46,
    norms=((1, 0.464), (5, 0.021), (10, 0.00043), (20, 1.8e-7)),
    norm_kind="np.linalg.norm (Frobenius)",
)


def parse_matrix(text: str) -> np.ndarray:
    """'0.5,0.1;0.2,0.4' (rows split by ';', entries by ',') -> a square float64 matrix."""
    raw = (text or "").strip()
    if not raw:
        raise ConfigError("matrix is empty: write rows separated by ';' and entries by ',', "
                          "e.g. 0.5,0.1;0.2,0.4", "matrix")
    rows = []
    for r, line in enumerate(raw.split(";")):
        entries = []
        for part in line.split(","):
            try:
                v = float(part)
            except ValueError:
                raise ConfigError(f"matrix entry {part.strip()[:20]!r} in row {r + 1} is not a "
                                  "number (rows split by ';', entries by ',')", "matrix") from None
            if not math.isfinite(v) or abs(v) > MATRIX_MAX_ENTRY:
                raise ConfigError(f"matrix entries must be finite and at most {MATRIX_MAX_ENTRY:g} "
                                  f"in size (got {part.strip()[:20]})", "matrix")
            entries.append(v)
        rows.append(entries)
    size = len(rows)
    if size > MATRIX_MAX_SIZE:
        raise ConfigError(f"matrix can have at most {MATRIX_MAX_SIZE} rows (got {size})", "matrix")
    if any(len(row) != size for row in rows):
        raise ConfigError(f"matrix must be square: {size} rows need {size} entries each "
                          f"(got {', '.join(str(len(x)) for x in rows)})", "matrix")
    return np.array(rows, dtype=np.float64)


def check_derivative(value: float) -> float:
    if not isinstance(value, (int, float)) or not math.isfinite(value) or not 0 <= value <= 10:
        raise ConfigError(f"derivative must be a number from 0 to 10 (got {value!r})", "derivative")
    return float(value)


def significant_digits(stated: float) -> int:
    """How many significant digits a stated figure was written with (0.00043 -> 2)."""
    mantissa = repr(float(stated)).lower().split("e")[0].replace("-", "").replace(".", "")
    return max(1, len(mantissa.lstrip("0").rstrip("0")) or 1)


def agrees(stated: float, computed: float) -> bool:
    """True when the computed value, rounded to the stated figure's precision, is it."""
    if stated == 0 or not math.isfinite(computed):
        return stated == computed
    digits = significant_digits(stated)
    rounded = float(f"{computed:.{digits - 1}e}")
    return math.isclose(rounded, stated, rel_tol=1e-9)


@dataclass
class MatrixPowers:
    """||J^n|| for n = 1..N with J = derivative x W. Index k is n = k + 1."""

    matrix: np.ndarray
    derivative: float
    eigenvalues_w: np.ndarray
    eigenvalues_j: np.ndarray
    log10_spectral: np.ndarray
    log10_frobenius: np.ndarray

    @property
    def steps(self) -> int:
        return int(self.log10_spectral.shape[0])

    @property
    def jacobian(self) -> np.ndarray:
        return self.derivative * self.matrix

    @property
    def spectral_radius(self) -> float:
        """rho(J), J = derivative x W: the per-step rate the powers settle to."""
        return float(np.max(np.abs(self.eigenvalues_j)))

    @property
    def spectral_radius_w(self) -> float:
        return float(np.max(np.abs(self.eigenvalues_w)))

    @property
    def spectral_norm(self) -> float:
        return float(np.linalg.norm(self.jacobian, 2))

    @property
    def log10_radius_power(self) -> np.ndarray:
        return _power_log10(self.spectral_radius, np.arange(1, self.steps + 1, dtype=np.float64))

    def article_rows(self, figures: ArticleFigures = ARTICLE_TWO_UNIT) -> list[dict]:
        """The article's stated figures beside the computed ones (only when this is the
        article's matrix and derivative). ``computed`` is in the article's own norm
        (Frobenius); ``implied_rate`` is stated ** (1/n), the per-step factor the stated
        figure corresponds to."""
        if not self.is_article_example(figures):
            return []
        rows = [{"quantity": "spectral_radius", "n": None, "article": figures.spectral_radius,
                 "computed": self.spectral_radius, "computed_of_matrix": self.spectral_radius_w,
                 "agrees": agrees(figures.spectral_radius, self.spectral_radius)}]
        for n, stated in figures.norms:
            if n > self.steps:
                continue
            k = n - 1
            computed = float(10.0 ** self.log10_frobenius[k])
            rows.append({"quantity": "product_norm", "n": n, "article": stated,
                         "computed": computed,
                         "computed_spectral": float(10.0 ** self.log10_spectral[k]),
                         "radius_power": float(10.0 ** self.log10_radius_power[k]),
                         "article_rate_power": figures.spectral_radius ** n,
                         "implied_rate": stated ** (1.0 / n),
                         "implied_rate_is_article_rate":
                             abs(stated ** (1.0 / n) - figures.spectral_radius) <= 0.005,
                         "ratio": computed / stated,
                         "agrees": agrees(stated, computed)})
        return rows

    def is_article_example(self, figures: ArticleFigures = ARTICLE_TWO_UNIT) -> bool:
        return (self.matrix.shape == (len(figures.matrix), len(figures.matrix))
                and np.array_equal(self.matrix, np.array(figures.matrix))
                and self.derivative == figures.derivative)

    def to_dict(self) -> dict:
        rows = [{"n": k + 1, "product_norm": LogMagnitude(self.log10_spectral[k]),
                 "log10_product_norm": float(self.log10_spectral[k]),
                 "frobenius_norm": LogMagnitude(self.log10_frobenius[k]),
                 "log10_frobenius_norm": float(self.log10_frobenius[k]),
                 "radius_power": LogMagnitude(self.log10_radius_power[k]),
                 "log10_radius_power": float(self.log10_radius_power[k])}
                for k in range(self.steps)]
        return {
            "matrix": self.matrix.tolist(),
            "derivative": self.derivative,
            "jacobian": self.jacobian.tolist(),
            "spectral_radius": self.spectral_radius,
            "spectral_radius_of_matrix": self.spectral_radius_w,
            "spectral_norm": self.spectral_norm,
            "eigenvalues": [[float(v.real), float(v.imag)] for v in self.eigenvalues_j],
            "steps": self.steps,
            "product_norm": [r["product_norm"] for r in rows],
            "log10_product_norm": [r["log10_product_norm"] for r in rows],
            "rows": rows,
            "article": self.article_rows(),
        }


def matrix_powers(matrix, derivative: float, steps: int) -> MatrixPowers:
    """||J^n||_2 and ||J^n||_F for n = 1..steps, J = derivative x matrix, in numpy
    float64, renormalised every step so long runs stay exact in log space."""
    w = np.array(matrix, dtype=np.float64)
    if w.ndim != 2 or w.shape[0] != w.shape[1] or w.shape[0] < 1:
        raise ConfigError("matrix must be square", "matrix")
    d = check_derivative(derivative)
    if not isinstance(steps, int) or not 1 <= steps <= MATRIX_MAX_STEPS:
        raise ConfigError(f"steps must be a whole number from 1 to {MATRIX_MAX_STEPS} (got {steps!r})",
                          "steps")
    from . import budget

    budget.check(budget.matrix_estimate(w.shape[0], steps))
    j = d * w
    spec = np.empty(steps)
    fro = np.empty(steps)
    product = np.eye(w.shape[0])
    log_scale = 0.0
    for k in range(steps):
        product = product @ j
        top = np.linalg.norm(product, 2)
        if top == 0:
            spec[k:] = -math.inf
            fro[k:] = -math.inf
            break
        product = product / top
        spec[k] = log_scale + math.log10(top)
        # Frobenius norm of the renormalised product: the squares of tiny entries
        # (1e-200) would underflow before the division.
        fro[k] = spec[k] + math.log10(np.linalg.norm(product))
        log_scale += math.log10(top)
    return MatrixPowers(w, d, np.linalg.eigvals(w), np.linalg.eigvals(j), spec, fro)


# ---------------------------------------------------------------------------
# Spectra of initialisations
# ---------------------------------------------------------------------------
SPECTRUM_INITS = ("gaussian", "orthogonal", "identity", "xavier", "torch-default")
NON_NORMAL = "shear"
SPECTRUM_MAX_HIDDEN = 512
POWER_MAX_STEPS = 1000
INIT_TITLES = {
    "gaussian": "gaussian N(0, 1/n)",
    "orthogonal": "orthogonal (Haar)",
    "identity": "identity",
    "xavier": "Xavier uniform U(±sqrt(3/n))",
    "torch-default": "torch.nn.RNN default U(±1/sqrt(n))",
    NON_NORMAL: "shear I + b N (non-normal)",
}


def init_matrix(init: str, n: int, scale: float, seed: int, shear: float = 0.5):
    """W_hh (float64, CPU) for one of SPECTRUM_INITS or the shear example, times scale.

    gaussian, orthogonal and identity are exactly the matrices the RNN screens use for
    the same seed; xavier is Glorot's uniform rule for a square matrix (variance 1/n);
    torch-default is what torch.nn.RNN draws (variance 1/(3n)); shear is
    scale x (I + b N), N the ones just above the diagonal: every eigenvalue equals
    scale, but the norm is larger.
    """
    import torch

    if init in ("gaussian", "orthogonal", "identity"):
        return recurrent_matrix(RNNConfig(init=init, hidden=n, scale=scale, seed=seed, steps=1))
    if init in ("xavier", "torch-default"):
        bound = math.sqrt(3.0 / n) if init == "xavier" else 1.0 / math.sqrt(n)
        u = torch.rand(n, n, generator=random_stream(seed, 0), dtype=torch.float64)
        return (2.0 * u - 1.0) * bound * scale
    if init == NON_NORMAL:
        return scale * (torch.eye(n, dtype=torch.float64) + shear * torch.diag(
            torch.ones(max(0, n - 1), dtype=torch.float64), 1))
    raise ConfigError(f"init must be one of {', '.join(SPECTRUM_INITS + (NON_NORMAL,))} "
                      f"(got {init!r})", "init")


@dataclass
class SpectrumEntry:
    init: str
    eigenvalues: np.ndarray  # complex, sorted by magnitude, largest first
    spectral_radius: float
    spectral_norm: float
    departure: float  # ||W^T W - W W^T||_F / ||W||_F^2: 0 for a normal matrix
    log10_power: np.ndarray  # log10 ||W^k v|| for k = 0..K, v a seeded unit vector

    @property
    def title(self) -> str:
        return INIT_TITLES[self.init]

    @property
    def magnitudes(self) -> np.ndarray:
        return np.abs(self.eigenvalues)

    @property
    def power_peak(self) -> tuple[int, float]:
        """(k, log10 ||W^k v||) at the largest value over k = 0..K."""
        finite = np.where(np.isfinite(self.log10_power), self.log10_power, -np.inf)
        k = int(np.argmax(finite))
        return k, float(self.log10_power[k])

    def to_dict(self) -> dict:
        k, peak = self.power_peak
        return {"init": self.init, "title": self.title,
                "eigenvalues": [[float(v.real), float(v.imag)] for v in self.eigenvalues],
                "magnitudes": json_floats(self.magnitudes),
                "spectral_radius": self.spectral_radius, "spectral_norm": self.spectral_norm,
                "norm_over_radius": (self.spectral_norm / self.spectral_radius
                                     if self.spectral_radius > 0 else None),
                "departure_from_normal": self.departure,
                "power_norm": [LogMagnitude(v) for v in self.log10_power],
                "log10_power_norm": json_floats(self.log10_power),
                "power_peak_k": k, "log10_power_peak": peak}


@dataclass
class SpectrumReport:
    hidden: int
    scale: float
    seed: int
    power_steps: int
    shear: float
    entries: list[SpectrumEntry]
    seconds: float
    drift: list | None = None  # TrainingDrift per init, when training was asked for
    drift_key: tuple | None = None

    def entry(self, init: str) -> SpectrumEntry:
        for e in self.entries:
            if e.init == init:
                return e
        raise KeyError(init)

    def to_dict(self) -> dict:
        out = {"hidden": self.hidden, "scale": self.scale, "seed": self.seed,
               "power_steps": self.power_steps, "shear": self.shear,
               "inits": {e.init: e.to_dict() for e in self.entries}}
        if self.drift:
            out["training"] = {"steps": self.drift_key[3] if self.drift_key else None,
                               "rows": [d.to_dict() for d in self.drift]}
        return out


@on_engine_threads
def spectrum_report(hidden: int, scale: float, seed: int = 0, power_steps: int = 50,
                    shear: float = 0.5, inits: Sequence[str] = SPECTRUM_INITS + (NON_NORMAL,),
                    cancel: Callable[[], bool] | None = None) -> SpectrumReport:
    """Eigenvalues, spectral radius and norm, and ||W^k v|| for each initialisation.
    Computed in float64 on the CPU (one eigendecomposition per matrix)."""
    import torch

    from .config import parse_field

    hidden = parse_field("hidden", hidden)
    scale = parse_field("scale", scale)
    seed = parse_field("seed", seed)
    if hidden > SPECTRUM_MAX_HIDDEN:
        raise ConfigError(f"hidden size n must be at most {SPECTRUM_MAX_HIDDEN} for the spectrum "
                          f"(one eigendecomposition each; got {hidden})", "hidden")
    if not isinstance(power_steps, int) or not 1 <= power_steps <= POWER_MAX_STEPS:
        raise ConfigError(f"power steps K must be a whole number from 1 to {POWER_MAX_STEPS} "
                          f"(got {power_steps!r})", "power_steps")
    if not math.isfinite(shear) or not 0 <= shear <= 10:
        raise ConfigError(f"shear b must be a number from 0 to 10 (got {shear!r})", "shear")
    from . import budget

    budget.check(budget.spectrum_estimate(hidden, len(inits), power_steps))
    started = time.perf_counter()
    v0 = torch.randn(hidden, generator=random_stream(seed, 5), dtype=torch.float64).numpy()
    v0 = v0 / np.linalg.norm(v0)
    entries = []
    for init in inits:
        if cancel is not None and cancel():
            raise Cancelled()
        w = init_matrix(init, hidden, scale, seed, shear).numpy()
        if init in ("identity", NON_NORMAL):
            vals = np.diag(w).astype(complex)  # triangular: the diagonal, exactly
        else:
            vals = np.linalg.eigvals(w)
        vals = vals[np.argsort(-np.abs(vals), kind="stable")]
        norm2 = float(np.linalg.norm(w, 2))
        fro2 = float(np.sum(w * w))
        departure = float(np.linalg.norm(w.T @ w - w @ w.T) / fro2) if fro2 > 0 else 0.0
        powers = np.empty(power_steps + 1)
        powers[0] = 0.0
        v, log_scale = v0.copy(), 0.0
        for k in range(1, power_steps + 1):
            v = w @ v
            size = float(np.linalg.norm(v))
            if size == 0:
                powers[k:] = -math.inf
                break
            log_scale += math.log10(size)
            powers[k] = log_scale
            v = v / size
        entries.append(SpectrumEntry(init, vals, float(np.max(np.abs(vals))), norm2, departure,
                                     powers))
    return SpectrumReport(hidden, scale, seed, power_steps, shear, entries,
                          time.perf_counter() - started)


# ---------------------------------------------------------------------------
# Gradient clipping by norm
# ---------------------------------------------------------------------------
TAU_RANGE = (1e-12, 1e12)


def check_tau(value) -> float:
    try:
        tau = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"clipping threshold tau must be a number from {TAU_RANGE[0]:g} to "
                          f"{TAU_RANGE[1]:g} (got {str(value)[:20]!r})", "tau") from None
    if not math.isfinite(tau) or not TAU_RANGE[0] <= tau <= TAU_RANGE[1]:
        raise ConfigError(f"clipping threshold tau must be a number from {TAU_RANGE[0]:g} to "
                          f"{TAU_RANGE[1]:g} (got {value!r})", "tau")
    return tau


@dataclass
class ClipRun:
    """The parameter gradient of L = sum(h_T) before and after clipping by norm.

    Per step t, ``log10_contribution`` is the size of step t's share of the gradient
    with respect to (W_hh, W_xh, b): ||dL/dz_t|| * sqrt(||h_(t-1)||^2 + ||x_t||^2 + 1).
    Clipping multiplies the whole gradient by min(1, tau / ||g||), so every step's
    share moves by the same factor and the ratio between early and late steps is
    what it was.
    """

    config: RNNConfig
    tau: float
    log10_grad_h: np.ndarray
    log10_contribution: np.ndarray
    log10_grad_norm: float  # ||g|| over all of W_hh, W_xh, b
    log10_grad_w_hh: float
    log10_grad_w_xh: float
    log10_grad_b: float
    spectral_radius: float
    device: str
    dtype: str
    seconds: float

    @property
    def steps(self) -> int:
        return int(self.log10_contribution.shape[0])

    @property
    def log10_clip_factor(self) -> float:
        """log10 of min(1, tau / ||g||): 0 when the gradient is already small enough."""
        if math.isnan(self.log10_grad_norm):
            return math.nan
        return min(0.0, math.log10(self.tau) - self.log10_grad_norm)

    @property
    def clipped(self) -> bool:
        return self.log10_clip_factor < 0

    @property
    def log10_grad_norm_after(self) -> float:
        return self.log10_grad_norm + self.log10_clip_factor

    @property
    def log10_contribution_after(self) -> np.ndarray:
        return self.log10_contribution + self.log10_clip_factor

    @property
    def log10_first_to_last(self) -> float:
        """log10 of (step 1's share) / (step T's share), before clipping."""
        return log10_ratio(self.log10_contribution[0], self.log10_contribution[-1])

    @property
    def log10_first_to_last_after(self) -> float:
        after = self.log10_contribution_after
        return log10_ratio(after[0], after[-1])

    def to_dict(self) -> dict:
        c = self.config.to_dict()
        c["device"], c["dtype"] = self.device, self.dtype
        return {
            "config": c, "tau": self.tau, "steps": self.steps,
            "grad_norm": LogMagnitude(self.log10_grad_norm),
            "log10_grad_norm": self.log10_grad_norm,
            "grad_norm_after": LogMagnitude(self.log10_grad_norm_after),
            "log10_grad_norm_after": self.log10_grad_norm_after,
            "clip_factor": LogMagnitude(self.log10_clip_factor),
            "log10_clip_factor": self.log10_clip_factor,
            "clipped": self.clipped,
            "log10_grad_w_hh": self.log10_grad_w_hh,
            "log10_grad_w_xh": self.log10_grad_w_xh,
            "log10_grad_b": self.log10_grad_b,
            "log10_grad_h": json_floats(self.log10_grad_h),
            "log10_contribution": json_floats(self.log10_contribution),
            "log10_contribution_after": json_floats(self.log10_contribution_after),
            "log10_first_to_last": self.log10_first_to_last,
            "log10_first_to_last_after": self.log10_first_to_last_after,
            "spectral_radius": self.spectral_radius,
        }


@on_engine_threads
def clip_gradients(
    configs: Sequence[RNNConfig],
    tau: float,
    weights=None,
    *,
    progress: Callable[[float], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> list[ClipRun]:
    """Gradient of L = sum(h_T) with respect to W_hh, W_xh and b, in log space, and
    what clipping its norm at tau does to it. One batch, one loop over time."""
    import torch

    from .device import dtype_name
    from .flow import forward_states

    from . import budget

    tau = check_tau(tau)
    if configs:
        c = configs[0]
        budget.check(budget.clip_estimate(len(configs), c.hidden, c.steps, c.input_size,
                                          _itemsize(c)))
    configs, device, dtype, weights = prepare_vanilla_batch(configs, weights)
    started = time.perf_counter()
    w = weights.w_hh
    scaled_norms = tiny_weights(w)
    batch, n, _ = w.shape
    steps = weights.inputs.shape[1]
    with torch.no_grad():
        hidden, deriv, log_scales = forward_states(configs, weights, cancel=cancel,
                                                   progress=None if progress is None else
                                                   (lambda f: progress(0.5 * f)))
        if log_scales is None:
            log_scales = torch.zeros(steps, batch, dtype=torch.float64, device=device)
        # a_t = dL/dz_t = exp(log_g[t]) * dirs[t]; g_T = 1 (a vector of ones).
        dirs = torch.empty(steps, batch, n, dtype=dtype, device=device)
        log_g = torch.empty(steps, batch, dtype=torch.float64, device=device)
        u = torch.full((batch, 1, n), 1.0 / math.sqrt(n), dtype=dtype, device=device)
        log_norm = torch.full((batch,), 0.5 * math.log(n), dtype=torch.float64, device=device)
        one = torch.ones((), dtype=dtype, device=device)
        every = max(1, steps // 50)
        for k in range(steps - 1, -1, -1):
            log_g[k] = log_norm
            a = deriv[k].unsqueeze(1) * u
            dirs[k] = a[:, 0]
            if k > 0:
                v = torch.bmm(a, w)
                size = safe_norm(v, 2) if scaled_norms else torch.linalg.vector_norm(v, dim=2)
                u = v / torch.where(size > 0, size, one).unsqueeze(2)
                log_norm = log_norm + torch.log(size[:, 0].to(torch.float64))
            if k % every == 0:
                progress_tick(progress, cancel, 0.5 + 0.4 * (steps - k) / steps)
        a_size = torch.linalg.vector_norm(dirs, dim=2).to(torch.float64)
        log_a = log_g + torch.log(a_size)  # ln ||dL/dz_t||, (T, B)
        # h_(t-1) = prev * exp(prev_scale): relu-like rows may be carried rescaled.
        prev = torch.cat([torch.zeros_like(hidden[:1]), hidden[:-1]], dim=0)
        prev_scale = torch.cat([torch.zeros_like(log_scales[:1]), log_scales[:-1]], dim=0)
        x = weights.inputs.transpose(0, 1)  # (T, B, m)
        log_prev = torch.log(torch.linalg.vector_norm(prev, dim=2).to(torch.float64)) + prev_scale
        log_rest = 0.5 * torch.log((torch.linalg.vector_norm(x, dim=2) ** 2 + 1.0).to(torch.float64))
        log_contrib = log_a + 0.5 * torch.logaddexp(2 * log_prev, 2 * log_rest)
        # Sum the per-step outer products, every term scaled by exp(-top) so the largest
        # is of size one; W_hh's terms carry the h scale, W_xh's and b's do not.
        ceiling = math.log(torch.finfo(dtype).max) - 1.0

        def scaled_sum(log_term, log_weight, right):
            finite = torch.where(torch.isfinite(log_term), log_term, torch.full_like(log_term, -math.inf))
            top = finite.amax(dim=0)
            top = torch.where(torch.isfinite(top), top, torch.zeros_like(top))
            # Clamped below the dtype's overflow: a term that large has ||a_t|| ~ 0 anyway.
            weight = torch.exp((log_weight - top.unsqueeze(0)).clamp(max=ceiling)).to(dtype)
            scaled = dirs * weight.unsqueeze(2)
            if right is None:
                g = scaled.sum(dim=0)
            else:
                g = torch.einsum("tbi,tbj->bij", scaled, right)
            size = torch.linalg.vector_norm(g.reshape(batch, -1), dim=1).to(torch.float64)
            return top + torch.log(size)  # ln ||g_part||

        log_whh = scaled_sum(log_a + log_prev, log_g + prev_scale, prev)
        log_wxh = scaled_sum(log_a, log_g, x)
        log_b = scaled_sum(log_a, log_g, None)
        log_total = 0.5 * torch.logsumexp(torch.stack([2 * log_whh, 2 * log_wxh, 2 * log_b]), dim=0)
        radius = torch.linalg.eigvals(w).abs().amax(dim=-1)
    elapsed = time.perf_counter() - started
    to10 = LOG10_E

    def host(t):
        return t.to(torch.float64).cpu().numpy()

    lg, lc = host(log_g) * to10, host(log_contrib) * to10
    lgh = lg  # ||dL/dh_t|| = exp(log_g)
    parts_np = [host(p) * to10 for p in (log_whh, log_wxh, log_b)]
    total_np = host(log_total) * to10
    rho = host(radius)
    runs = []
    for b, c in enumerate(configs):
        runs.append(ClipRun(
            config=c, tau=tau, log10_grad_h=lgh[:, b], log10_contribution=lc[:, b],
            log10_grad_norm=float(total_np[b]),
            log10_grad_w_hh=float(parts_np[0][b]),
            log10_grad_w_xh=float(parts_np[1][b]),
            log10_grad_b=float(parts_np[2][b]),
            spectral_radius=float(rho[b]), device=str(device), dtype=dtype_name(dtype),
            seconds=elapsed))
    return runs


@dataclass(frozen=True)
class ArticleMemoryClaim:
    """Seed 000 on memory capacity: with 64 hidden units, 50 steps back only two or
    three directions still carry gradient. Quoted, never computed with."""

    source: str = "seed 000 (effective memory capacity)"
    hidden: int = 64
    steps_back: int = 50
    dims: tuple[int, int] = (2, 3)

    def applies(self, run: JacobianRun) -> bool:
        return run.config.hidden == self.hidden and run.steps > self.steps_back

    def computed(self, run: JacobianRun) -> int:
        """Effective dimensions of dh_T/dh_t at T - t = steps_back."""
        return int(run.effective_dims[run.steps - 1 - self.steps_back])


ARTICLE_MEMORY = ArticleMemoryClaim()


def gradient_bound_log10(run) -> np.ndarray:
    """For a FlowRun: log10 of (max|f'| ||W_hh||_2)^(T-t) ||dL/dh_T||, the most that
    ||dL/dh_t|| can be by the Bengio bound."""
    sigma = max_derivative(run.config.activation, run.config.leaky_slope)
    steps_back = np.arange(run.steps - 1, -1, -1, dtype=np.float64)
    return _power_log10(sigma * run.spectral_norm, steps_back) + run.log10_grad_h[-1]


@dataclass(frozen=True)
class ArticleGrowthClaim:
    """Seed 003 suggests changing its 4-unit network's 0.5 to 1.5 and says the gradient
    then reaches numbers of about 1e8 at early time steps. Quoted, never computed with."""

    source: str = "seed 003 (its 4-unit network with 0.5 changed to 1.5)"
    stated_log10: float = 8.0


ARTICLE_GROWTH = ArticleGrowthClaim()


@dataclass(frozen=True)
class ArticleSigmoidClaim:
    """Seed 000: pushing a sigmoid RNN's ||W_hh|| past 4 (so the bound allows survival)
    lands it in the exploding regime for many inputs. Quoted, never computed with."""

    source: str = "seed 000 (sigmoid needs ||W_hh|| > 4)"
    norm: float = 4.0

    def measured(self, sweep: Catch22Sweep) -> tuple[int, int]:
        """(exploded, total) over the sweep's sequences at scales with ||W_hh||_2 > 4."""
        rows = [r for r in sweep.rows if r.spectral_norm > self.norm]
        return sum(r.exploded for r in rows), sum(r.sequences for r in rows)


ARTICLE_SIGMOID = ArticleSigmoidClaim()


# ---------------------------------------------------------------------------
# What a few training steps do to each initialisation's spectrum
# ---------------------------------------------------------------------------
TRAIN_MAX_STEPS = 500
TRAIN_MAX_HIDDEN = 128
TRAIN_SEQUENCE = 20
TRAIN_BATCH = 64
TRAIN_LR = 1e-2


@dataclass
class TrainingDrift:
    """Spectral radius and norm of W_hh before and after ``steps`` Adam steps."""

    init: str
    radius_before: float
    radius_after: float
    norm_before: float
    norm_after: float
    loss_before: float
    loss_after: float
    change: float  # ||W_after - W_before||_F / ||W_before||_F

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@on_engine_threads
def training_drift(hidden: int, scale: float, seed: int = 0, steps: int = 50,
                   inits: Sequence[str] = SPECTRUM_INITS,
                   cancel: Callable[[], bool] | None = None) -> list[TrainingDrift]:
    """Train one tanh RNN per init, all in one batch, on the long-range task of the
    articles (the output at the last of 20 steps should equal the first input, all
    other inputs zero), with Adam (lr 0.01, batch 64, squared error) for ``steps``
    steps; report how W_hh's spectrum moved. float64 on the CPU; seeded."""
    import torch

    if not isinstance(steps, int) or not 1 <= steps <= TRAIN_MAX_STEPS:
        raise ConfigError(f"training steps must be a whole number from 1 to {TRAIN_MAX_STEPS} "
                          f"(got {steps!r})", "train_steps")
    if hidden > TRAIN_MAX_HIDDEN:
        raise ConfigError(f"hidden size n must be at most {TRAIN_MAX_HIDDEN} for training "
                          f"(got {hidden})", "hidden")
    from . import budget

    inits = list(inits)
    b = len(inits)
    budget.check(budget.drift_estimate(hidden, b, steps, TRAIN_SEQUENCE, TRAIN_BATCH))
    w0 = torch.stack([init_matrix(i, hidden, scale, seed) for i in inits])
    w_hh = w0.clone().requires_grad_(True)
    # The same input weights for every init, so only W_hh differs between them.
    w_in = (torch.randn(hidden, 1, generator=random_stream(seed, 1), dtype=torch.float64)
            .expand(b, hidden, 1).clone().requires_grad_(True))
    w_out = torch.zeros(b, 1, hidden, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([w_hh, w_in, w_out], lr=TRAIN_LR)
    data = random_stream(seed, 7)

    def loss_of(signal):
        h = torch.zeros(b, hidden, TRAIN_BATCH, dtype=torch.float64)
        for t in range(TRAIN_SEQUENCE):
            drive = w_in * signal.view(1, 1, -1) if t == 0 else 0.0
            h = torch.tanh(torch.bmm(w_hh, h) + drive)
        out = torch.bmm(w_out, h)[:, 0, :]  # (B, batch)
        return ((out - signal.view(1, -1)) ** 2).mean(dim=1)  # per init

    with torch.no_grad():
        probe = torch.randn(TRAIN_BATCH, generator=random_stream(seed, 4), dtype=torch.float64)
        before = loss_of(probe)
    for _ in range(steps):
        if cancel is not None and cancel():
            raise Cancelled()
        signal = torch.randn(TRAIN_BATCH, generator=data, dtype=torch.float64)
        opt.zero_grad()
        loss_of(signal).sum().backward()  # the inits do not interact: one sum, one backward
        opt.step()
    with torch.no_grad():
        after = loss_of(probe)
        w1 = w_hh.detach()
        out = []
        for k, init in enumerate(inits):
            a, z = w0[k].numpy(), w1[k].numpy()
            base = float(np.linalg.norm(a))
            out.append(TrainingDrift(
                init, float(np.max(np.abs(np.linalg.eigvals(a)))),
                float(np.max(np.abs(np.linalg.eigvals(z)))), float(np.linalg.norm(a, 2)),
                float(np.linalg.norm(z, 2)), float(before[k]), float(after[k]),
                float(np.linalg.norm(z - a) / base) if base > 0 else math.inf))
    return out
