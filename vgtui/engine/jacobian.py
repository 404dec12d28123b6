"""Jacobian products dh_T/dh_t of an RNN, and the articles' two-unit worked example.

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
- **largest Lyapunov exponent** (``lyapunov``) and the **bound of Pascanu, Mikolov & Bengio 2013** (``bound``)
  come with every run.

A given matrix with a constant derivative (``matrix_powers``, no torch) works the
articles' two-unit example: ||J^n|| for J = f' W, with the article's figures beside.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from . import budget, definitions
from .articles import ARTICLE_TWO_UNIT, ArticleFigures
from .bound import log10_nonneg, max_derivative, power_log10
from .config import RNNConfig
from .device import bytes_per_number, dtype_name, on_engine_threads
from .errors import ConfigError
from .flow import forward_states
from .lyapunov import burn_in_for, tangent_exponents
from .magnitude import LOG10_E, LogMagnitude, json_floats
from .recurrence import prepare_vanilla_batch, progress_tick
from .sums import RunningSum, exact_cumsum

# Products of n x n Jacobians cost n^3 per step; these caps keep a lookup under ~20 s.
JACOBIAN_MAX_STEPS = 1000
JACOBIAN_MAX_HIDDEN = 256
# A direction counts as alive while its singular value is at least this share of the largest.
EFFECTIVE_DIM_RATIO = 1e-3
# Relative size below which an SVD of a unit-norm matrix cannot resolve a singular value.
PRECISION_FLOOR_LOG10 = {"float64": -13.0, "float32": -6.0}

def check_jacobian_limits(config: RNNConfig) -> None:
    """Refuse sizes whose per-step n x n products would take minutes."""
    if config.steps > JACOBIAN_MAX_STEPS:
        raise ConfigError(f"steps T must be from 1 to {JACOBIAN_MAX_STEPS} for Jacobian products "
                          f"(an n x n matrix per step; got {config.steps})", "steps")
    if config.hidden > JACOBIAN_MAX_HIDDEN:
        raise ConfigError(f"hidden size n must be from 1 to {JACOBIAN_MAX_HIDDEN} for Jacobian "
                          f"products (got {config.hidden})", "hidden")


def _leading_subspaces(w_hh):
    """Orthonormal bases (B, n, 2) for the real invariant subspace of the leading
    eigenvalue of W_hh (right eigenvector) and of W_hh^T (left eigenvector): one
    column when that eigenvalue is real, two (Re v, Im v) for a complex pair, the
    unused column zero. Also the leading eigenvalue and the gap |lambda_2|/|lambda_1|,
    lambda_2 the largest eigenvalue left after removing the leading one and, for a
    complex pair, its conjugate."""
    import torch  # torch: loaded on first use

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


# -- Jacobian products for an RNN -----------------------------------------------------
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
        return power_log10(self.bound_factor, self.steps_back)

    @property
    def log10_stepwise_bound(self) -> np.ndarray:
        """prod_(k=t+1..T) max_i|f'(z_k,i)| ||W_hh||_2: the bound with each step's own
        largest derivative instead of sup|f'| (tighter, still a bound)."""
        with np.errstate(divide="ignore"):
            per_step = np.log10(self.max_abs_derivative) + log10_nonneg(self.spectral_norm)
        out = np.zeros(self.steps)
        # out[k] sums per_step over steps t+1..T, i.e. indices k+1..T-1.
        out[:-1] = exact_cumsum(per_step, reverse=True)[1:]
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
        return power_log10(self.typical_factor, self.steps_back)

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


# The stored products of one block of steps (jacobian_products) stay under this.
JACOBIAN_BLOCK_BYTES = 16 * 2**20


def _block_figures(products, log_scale, steps_slice: slice, right_basis, left_basis,
                   floor: float, out) -> None:
    """Every figure of ``products`` (m, batch, n, n), the products P_t for the steps
    ``steps_slice`` in reverse order, each at true size exp(log_scale) times the stored
    one: singular values, Frobenius norm, effective dimension, alignments and the
    gradient norm, written into ``out`` at those steps."""
    import torch  # torch: loaded on first use

    log_sv, log_fro, dims, align, align_grad, log_grad = out
    n = products.shape[-1]
    u, s, vh = torch.linalg.svd(products)
    top = s[..., 0]
    alive = top > 0
    safe_top = torch.where(alive, top, torch.ones_like(top))
    rel = s / safe_top.unsqueeze(-1)
    rel_log = torch.log10(rel.to(torch.float64))
    rel_log = torch.where(rel_log < floor, torch.full_like(rel_log, math.nan), rel_log)
    base = log_scale * LOG10_E + torch.log10(top.to(torch.float64))
    sv = base.unsqueeze(-1) + rel_log
    sv[..., 0] = base
    fro = log_scale * LOG10_E + torch.log10(torch.linalg.matrix_norm(products).to(torch.float64))
    dim = torch.where(alive, (rel >= EFFECTIVE_DIM_RATIO).sum(dim=-1), torch.zeros_like(top,
                                                                                  dtype=dims.dtype))
    u1, v1 = u[..., :, 0], vh[..., 0, :]
    tie = (s[..., 1] >= s[..., 0] * (1 - 1e-9)) if n > 1 else torch.zeros_like(alive)
    a_right = torch.linalg.vector_norm(torch.einsum("mbn,bnk->mbk", u1, right_basis), dim=-1)
    a_left = torch.linalg.vector_norm(torch.einsum("mbn,bnk->mbk", v1, left_basis), dim=-1)
    nan = torch.full_like(a_right, math.nan)
    # dL/dh_t = P_t^T 1 for L = sum(h_T): the column sums of P_t.
    g = torch.linalg.vector_norm(products.sum(dim=-2), dim=-1)
    grad = log_scale * LOG10_E + torch.log10(g.to(torch.float64))
    # The block holds the steps from the last down: flip it into step order.
    for target, value in ((log_sv, sv), (log_fro, fro), (dims, dim),
                          (align, torch.where(tie | ~alive, nan, a_right).to(torch.float64)),
                          (align_grad, torch.where(tie | ~alive, nan, a_left).to(torch.float64)),
                          (log_grad, grad)):
        target[steps_slice] = value.flip(0)


@on_engine_threads
def jacobian_products(
    configs: Sequence[RNNConfig],
    weights=None,
    *,
    progress: Callable[[float], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> JacobianBatch:
    """Singular values, effective dimensions and alignment of dh_T/dh_t for every t."""
    import torch  # torch: loaded on first use

    for c in configs:
        check_jacobian_limits(c)
    if configs:
        c = configs[0]
        budget.check(budget.jacobian_estimate(len(configs), c.hidden, c.steps, c.input_size,
                                              bytes_per_number(c.device, c.dtype)))
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

        # Backward, only what the recurrence needs per step: P_(t-1) = P_t J_t, kept at
        # unit Frobenius norm (its logarithm carried aside). The decompositions and every
        # figure taken from them run over blocks of stored products at once: a dozen
        # small operations per step cost more than the products themselves.
        product = torch.eye(n, dtype=dtype, device=device).expand(batch, n, n).contiguous()
        log_scale = torch.zeros(batch, dtype=torch.float64, device=device)
        block = max(1, min(steps, JACOBIAN_BLOCK_BYTES // max(1, batch * n * n *
                                                               product.element_size())))
        stored = torch.empty(block, batch, n, n, dtype=dtype, device=device)
        stored_scale = torch.empty(block, batch, dtype=torch.float64, device=device)
        every = max(1, steps // 50)
        filled, last_k = 0, steps - 1
        for k in range(steps - 1, -1, -1):  # k is t - 1
            stored[filled] = product
            stored_scale[filled] = log_scale
            filled += 1
            if filled == block or k == 0:
                _block_figures(stored[:filled], stored_scale[:filled], slice(k, last_k + 1),
                               right_basis, left_basis, floor,
                               (log_sv, log_fro, dims, align, align_grad, log_grad))
                filled, last_k = 0, k - 1
            if k > 0:
                fro = torch.linalg.matrix_norm(product)
                log_scale = log_scale + torch.log(fro.to(torch.float64))  # -inf once dead
                product = torch.bmm(product * (deriv[k] / torch.where(fro > 0, fro, 1)
                                               .unsqueeze(1)).unsqueeze(1), w)
            if k % every == 0:
                progress_tick(progress, cancel, 0.1 + 0.8 * (steps - k) / steps)
        exps = tangent_exponents(w, deriv, 1, burn_in_for(steps), configs[0].seed, cancel,
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


# -- a given matrix with a constant derivative: the articles' two-unit example -----------
MATRIX_MAX_SIZE = 32
MATRIX_MAX_STEPS = 10_000
MATRIX_MAX_ENTRY = 1e6


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
        return power_log10(self.spectral_radius, np.arange(1, self.steps + 1, dtype=np.float64))

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
            "definitions": dict(definitions.MATRIX),
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
    budget.check(budget.matrix_estimate(w.shape[0], steps))
    j = d * w
    spec = np.empty(steps)
    fro = np.empty(steps)
    product = np.eye(w.shape[0])
    log_scale = RunningSum(0.0)  # compensated: long runs keep their last digits
    for k in range(steps):
        product = product @ j
        top = np.linalg.norm(product, 2)
        if top == 0:
            spec[k:] = -math.inf
            fro[k:] = -math.inf
            break
        product = product / top
        spec[k] = log_scale.value() + math.log10(top)
        # Frobenius norm of the renormalised product: the squares of tiny entries
        # (1e-200) would underflow before the division.
        fro[k] = spec[k] + math.log10(np.linalg.norm(product))
        log_scale.add(math.log10(top))
    return MatrixPowers(w, d, np.linalg.eigvals(w), np.linalg.eigvals(j), spec, fro)
