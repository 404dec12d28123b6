"""What the figures in vgtui's JSON mean: the conventions a reader cannot guess.

Every lookup's JSON carries the entries that apply to it under "definitions", so a
saved file explains itself; ``--help``, the F1 help and the README say the same.
"""
from __future__ import annotations

# The gradient lists of a run (vgtui flow, the Python API's runs).
FLOW = {
    "t": "steps are counted from 1: h_1 is the first state, h_T the last; h_0 = 0",
    "grad_h": "element k is ||dL/dh_(k+1)||, the total gradient at step t = k+1 "
              "(L = sum(h_T) of the top layer)",
    "grad_x": "element k is ||dL/dx_(k+1)||",
    "log10_ratio": "log10(||dL/dh_t|| / ||dL/dh_T||)",
    "h_norm": "element k is ||h_(k+1)||",
    "saturation": "share of units with |f'(z_t)| < 0.1 at each step",
    "mean_derivative": "mean of f'(z_t) over units at each step (steps 1..T)",
    "factor": "gamma of a least-squares fit log10 ||dL/dh_t|| = a + (T - t) log10 gamma",
    "vanishing_horizon": "steps back from T until ||dL/dh_t|| < 1e-6 ||dL/dh_T|| (null: never)",
    "exploding_horizon": "steps back from T until ||dL/dh_t|| > 1e6 ||dL/dh_T|| (null: never)",
    "spectral_radius": "largest |eigenvalue| of W_hh",
    "spectral_norm": "largest singular value of W_hh (||W_hh||_2)",
}

# The LSTM's cell figures (per layer in vgtui flow --arch lstm).
CELL = {
    "grad_c": "element k is ||dL/dc_(k+1)||, the total gradient at the cell state: through "
              "the cell (c_(t+1) = f c_t + ...) and through h_t = o tanh(c_t) into the next "
              "step's gates and candidate",
    "cell_path": "element k is ||dL/dc_T carried back to c_(k+1) through the cell alone||: "
                 "the cell re-stepped with h (and so every gate) held at the run's values, "
                 "so each step back multiplies it by f unit by unit",
    "forget_product": "root mean square over units of prod_(j=t+1..T) f_j, the articles' "
                      "prediction of ||dL/dc_t|| / ||dL/dc_T|| (1 at t = T)",
    "total_vs_cell_path_gap_log10": "max over t of |log10 grad_c - log10 cell_path|: what "
                                    "the route through h adds",
    "total_vs_forget_product_gap_log10": "max over t of |log10(grad_c / grad_c[T]) - log10 "
                                         "forget_product|",
    "parting_step": "latest step t where grad_c and cell_path differ by more than 0.1 "
                    "decade (null: never)",
}

# vgtui jacobian --matrix
MATRIX = {
    "product_norm": "||J^n||_2, the spectral norm (largest singular value) of J^n, "
                    "J = derivative x W; n = 1..steps",
    "frobenius_norm": "||J^n||_F, the Frobenius norm: the norm the article uses, so the "
                      "'article' block compares its figures with this one",
    "radius_power": "rho(J)^n, what the powers settle to",
}

# vgtui decay --measured
SWEEP = {
    "ratio": "||dL/dh_1|| / ||dL/dh_T||, L = sum(h_T)",
    "mean_derivative": "mean of f'(z_t) over units and over steps t = 2..T (the T-1 steps a "
                       "gradient from h_T to h_1 passes through; step 1's derivative is not "
                       "on that path)",
    "multiplier": "spectral_radius x mean_derivative, the articles' per-step shortcut",
    "implied_ratio": "multiplier^(T-1)",
}

# vgtui clip
CLIP = {
    "log10_contribution": "per step t: log10 of ||dL/dz_t|| * sqrt(||h_(t-1)||^2 + "
                          "||x_t||^2 + 1), the size of step t's term in the gradient with "
                          "respect to (W_hh, W_xh, b); z_t is the pre-activation",
    "log10_contribution_after": "the same after clipping: log10_contribution + "
                                "log10_clip_factor",
    "clip_factor": "min(1, tau / ||g||), g the whole parameter gradient",
    "log10_grad_h": "element k is log10 ||dL/dh_(k+1)||",
}

# vgtui longrange
LONGRANGE = {
    "ratio": "||dL/dx_t|| / ||dL/dx_T||: the token's gradient relative to the last token's "
             "(1 at the last token)",
    "share": "||dL/dx_t|| / sum over tokens of ||dL/dx_s||: the token's fraction of the "
             "total (the shares sum to 1)",
    "t": "tokens are counted from 1",
}
