"""The time loops of the gated stack engine (``gated``): one layer forward over the
whole sequence, and one layer backward through time in log space.

The backward loop holds every vector relative to a log scale per row and renormalises
once per block of steps; ``gated``'s module docstring has the equations.
"""
from __future__ import annotations

import functools
import math

from .recurrence import row_norms, tiny_weights
from .stack_weights import GATE_COUNT, StackWeights


def forward_layer(arch, weights: StackWeights, layer: int, x, plan, tick) -> dict:
    """One layer over the whole sequence; keeps what its backward pass needs. Each step
    writes straight into the stored buffers (one product, the gate functions in place):
    the loop's cost is the number of torch calls per step."""
    import torch  # torch: loaded on first use
    import torch.nn.functional as F  # torch: loaded on first use

    w_ih, w_hh = weights.w_ih[layer], weights.w_hh[layer]
    b_ih, b_hh = weights.b_ih[layer], weights.b_hh[layer]
    batch, steps, _ = x.shape
    n = w_hh.shape[-1]
    dtype, device = w_hh.dtype, w_hh.device
    gru = arch == "gru"
    # The GRU's b_hn sits inside r * (W_hn h + b_hn); elsewhere both biases simply add.
    bias = b_ih if gru else b_ih + b_hh
    drive = torch.baddbmm(bias.unsqueeze(1), x, w_ih.transpose(1, 2))  # (B, T, G n)
    drive = drive.transpose(0, 1).contiguous()  # (T, B, G n): one step is one block
    w_hh_t = w_hh.transpose(1, 2).contiguous()  # (B, n, G n)
    gates = GATE_COUNT[arch]
    hidden = torch.empty(steps, batch, n, dtype=dtype, device=device)
    rec = {"hidden": hidden}
    zero = torch.zeros(batch, n, dtype=dtype, device=device)
    every = max(1, steps // 50)
    if arch == "rnn":
        deriv = torch.empty(steps, batch, n, dtype=dtype, device=device)
        rec.update(acts=hidden, deriv=deriv)
        z = torch.empty(batch, 1, n, dtype=dtype, device=device)
        for t in range(steps):
            h_prev = hidden[t - 1] if t else zero
            torch.baddbmm(drive[t].unsqueeze(1), h_prev.unsqueeze(1), w_hh_t, out=z)
            h, d = plan(z[:, 0])
            hidden[t] = h
            deriv[t] = d
            if t % every == 0:
                tick(t / steps)
        return rec
    acts = rec["acts"] = torch.empty(steps, batch, gates * n, dtype=dtype, device=device)
    # Every step's views are made once, one call each: slicing inside the loop cost about
    # as much as the arithmetic.
    h_rows, h_in = hidden.unbind(0), hidden.unsqueeze(2).unbind(0)  # (B, n), (B, 1, n)
    blocks = [acts[:, :, k * n:(k + 1) * n].unbind(0) for k in range(gates)]
    zero_in = zero.unsqueeze(1)
    if arch == "lstm":
        cells = rec["cells"] = torch.empty(steps, batch, n, dtype=dtype, device=device)
        pre_f = torch.empty(steps, batch, n, dtype=dtype, device=device)
        c_rows, f_rows = cells.unbind(0), pre_f.unbind(0)
        a_out, d_in = acts.unsqueeze(2).unbind(0), drive.unsqueeze(2).unbind(0)
        i_, f_, g_, o_ = blocks
        if_ = acts[:, :, :2 * n].unbind(0)
        for t in range(steps):
            # the pre-activations, then the gates in place
            torch.baddbmm(d_in[t], h_in[t - 1] if t else zero_in, w_hh_t, out=a_out[t])
            f_rows[t].copy_(f_[t])
            if_[t].sigmoid_()
            g_[t].tanh_()
            o_[t].sigmoid_()
            c = c_rows[t]
            torch.mul(f_[t], c_rows[t - 1] if t else zero, out=c)
            c.addcmul_(i_[t], g_[t])
            h = h_rows[t]
            torch.tanh(c, out=h)
            h.mul_(o_[t])
            if t % every == 0:
                tick(t / steps)
        g = acts[:, :, 2 * n:3 * n]
        rec["deriv"] = 1.0 - g * g
        # log f from the pre-activations (log-sigmoid never rounds to log 0), all steps at once.
        rec["log_f"] = F.logsigmoid(pre_f.to(torch.float64))
        return rec
    # GRU
    hn_store = rec["hn"] = torch.empty(steps, batch, n, dtype=dtype, device=device)
    hn_rows = hn_store.unbind(0)
    recur = torch.empty(batch, 1, gates * n, dtype=dtype, device=device)
    rh = recur[:, 0]
    rh_rz, rh_n, bias_in = rh[:, :2 * n], rh[:, 2 * n:], b_hh.unsqueeze(1)
    rz_rows = acts[:, :, :2 * n].unbind(0)
    x_rz, x_n = drive[:, :, :2 * n].unbind(0), drive[:, :, 2 * n:].unbind(0)
    r_, z_, new_ = blocks
    for t in range(steps):
        torch.baddbmm(bias_in, h_in[t - 1] if t else zero_in, w_hh_t, out=recur)
        rz = rz_rows[t]
        torch.add(x_rz[t], rh_rz, out=rz)
        rz.sigmoid_()
        hn_rows[t].copy_(rh_n)
        new = new_[t]
        torch.addcmul(x_n[t], r_[t], rh_n, out=new)
        new.tanh_()
        h = h_rows[t]  # (1 - z) n + z h_(t-1), as n + z (h_(t-1) - n)
        torch.sub(h_rows[t - 1] if t else zero, new, out=h)
        h.mul_(z_[t])
        h.add_(new)
        if t % every == 0:
            tick(t / steps)
    new = acts[:, :, 2 * n:]
    rec["deriv"] = 1.0 - new * new
    return rec


# The backward loop renormalises its vectors once per block of steps rather than at every
# step (a step's torch calls are the loop's cost): up to 16 steps in float64, 4 in float32.
# A block whose vectors leave the band below (an underflow could lose digits, or a run of
# steps that truly zeroes the gradient) is redone one step at a time, and blocks grow
# back by doubling. Weights too small to square (``tiny_weights``) go one step at a time.
BLOCK_STEPS = {8: 16, 4: 4}
SAFE_BAND = {8: (1e-200, 1e200), 4: (1e-20, 1e20)}


def backward_layer(arch, weights: StackWeights, layer: int, rec: dict, above_dir, above_log,
                   tick) -> dict:
    """One layer backward through time, in log space.

    ``above_dir[t]`` (unit vectors, or zero) times exp(``above_log[t]``) is what the
    layer above (or the loss) sends into this layer's h_t. Returns log ||dL/dh_t||,
    log ||dL/dc_t|| (LSTM), dL/dc_T (LSTM, for the cell-only path), and the gradient
    sent to this layer's inputs as directions and logs.

    Steps are taken in blocks. Within a block every vector is held relative to one scale
    exp(S) per row (S as a pair of floats, high and low part, so 100,000 steps keep their
    last digits); the gate factors of the block's steps are formed together first, so
    each step is one product and a few multiply-adds; norms and logs come per block.
    """
    import torch  # torch: loaded on first use

    w_ih, w_hh = weights.w_ih[layer], weights.w_hh[layer]
    steps, batch, n = rec["hidden"].shape
    dtype, device = w_hh.dtype, w_hh.device
    f64 = torch.float64
    lstm, gru = arch == "lstm", arch == "gru"
    gates = GATE_COUNT[arch]
    longest = 1 if tiny_weights(w_hh) else BLOCK_STEPS[dtype.itemsize]
    low, high = SAFE_BAND[dtype.itemsize]
    hidden, acts, deriv = rec["hidden"], rec["acts"], rec["deriv"]

    log_gh = torch.empty(steps, batch, dtype=f64, device=device)
    scale = torch.empty(steps, batch, dtype=f64, device=device)  # S of pre_in[t] ...
    scale_lo = torch.empty(steps, batch, dtype=f64, device=device)  # ... and its low part
    pre_in = torch.empty(steps, batch, gates * n, dtype=dtype, device=device)
    out = {}
    if lstm:
        log_gc = out["log_gc"] = torch.empty(steps, batch, dtype=f64, device=device)
        cells = rec["cells"]
    # Slot k holds step bottom + k - 1 of a block; slot 0 receives what goes on to the
    # step below the block.
    dh_slots = torch.zeros(longest + 1, batch, n, dtype=dtype, device=device)
    dc_slots = torch.zeros(longest + 1, batch, n, dtype=dtype, device=device) if lstm else None
    # Fixed buffers for a block's factors and results, and every view the step loop
    # needs made once here: making a view costs about what a small product does.
    blank = functools.partial(torch.empty, dtype=dtype, device=device)
    from_above, weight_above = blank(longest, batch, n), blank(longest, batch, 1)
    above_v, weight_v = from_above.unbind(0), weight_above.unbind(0)
    dh_v, dh_in = dh_slots.unbind(0), dh_slots.unsqueeze(2).unbind(0)  # (B, n), (B, 1, n)
    pre_block = blank(longest, batch, gates * n)  # pre_in of the block's steps
    pre_v, pre_in_v = pre_block.unbind(0), pre_block.unsqueeze(2).unbind(0)
    if lstm:
        dc_v, dc_in = dc_slots.unbind(0), dc_slots.unsqueeze(2).unbind(0)
        to_cell, to_pre, forget = blank(longest, batch, n), blank(longest, batch, 4 * n), \
            blank(longest, batch, n)
        to_cell_v, forget_v = to_cell.unbind(0), forget.unbind(0)
        to_pre3_v = to_pre.view(longest, batch, 4, n)[:, :, :3].unbind(0)
        to_pre_o_v = to_pre[:, :, 3 * n:].unbind(0)
        pre3_v = pre_block.view(longest, batch, 4, n)[:, :, :3].unbind(0)
        pre_o_v = pre_block[:, :, 3 * n:].unbind(0)
    elif gru:
        to_hid, update = blank(longest, batch, 3 * n), blank(longest, batch, n)
        to_hid_v, update_v = to_hid.view(longest, batch, 3, n).unbind(0), update.unbind(0)
        pre_h = blank(batch, 3 * n)
        pre_h3, pre_h_in = pre_h.view(batch, 3, n), pre_h.unsqueeze(1)
    else:
        slope = blank(longest, batch, n)
        slope_v = slope.unbind(0)
    carry_h = torch.zeros(batch, n, dtype=dtype, device=device)
    carry_c = torch.zeros(batch, n, dtype=dtype, device=device) if lstm else None
    s_hi = torch.full((batch,), -math.inf, dtype=f64, device=device)  # -inf: carry exactly 0
    s_lo = torch.zeros(batch, dtype=f64, device=device)
    one = torch.ones((), dtype=dtype, device=device)
    zero_f64 = torch.zeros((), dtype=f64, device=device)
    neg_inf = torch.full((), -math.inf, dtype=f64, device=device)

    size = 1
    top = steps - 1  # the block's last step (blocks go from the end back)
    while top >= 0:
        bottom = max(0, top - size + 1)
        k_steps = top - bottom + 1
        span = slice(bottom, top + 1)
        above = above_log[span]  # (K, B)
        any_above = torch.isfinite(above).any(dim=0)
        alive = torch.isfinite(s_hi)
        has_above, has_carry = (torch.stack([any_above.any(), alive.any()]).tolist())
        if not has_above and not has_carry and not bool(torch.isnan(carry_h).any()):
            # Nothing reaches these steps: every gradient in them is exactly zero.
            log_gh[span] = -math.inf
            if lstm:
                log_gc[span] = -math.inf
            pre_in[span] = 0.0
            scale[span] = 0.0
            scale_lo[span] = 0.0
            if top == steps - 1 and lstm:
                out["dc_end_dir"] = torch.zeros(batch, n, dtype=dtype, device=device)
                out["dc_end_log"] = log_gc[top].clone()
            top = bottom - 1
            size = min(longest, 2 * size)
            continue

        # The block's scale: the carry's, or the largest gradient from above if that is more.
        s_top = torch.maximum(s_hi, above.amax(dim=0))
        s_top = torch.where(torch.isinf(s_top), zero_f64, s_top)
        moved = s_top != s_hi
        factor = torch.exp(torch.where(moved, (s_hi - s_top) + s_lo, zero_f64)).to(dtype)
        block_lo = torch.where(moved, zero_f64, s_lo)
        torch.mul(carry_h, factor.unsqueeze(1), out=dh_slots[k_steps])
        if lstm:
            torch.mul(carry_c, factor.unsqueeze(1), out=dc_slots[k_steps])

        # The gate factors of the block's steps, all at once, into the fixed buffers.
        if lstm:
            i, f, g, o = acts[span].split(n, dim=2)
            c_prev = (cells[bottom - 1:top] if bottom else
                      torch.cat([torch.zeros_like(cells[:1]), cells[:top]]))
            tc = torch.tanh(cells[span])
            torch.mul(o, 1.0 - tc * tc, out=to_cell[:k_steps])  # dc += dh * o (1 - tanh^2 c)
            torch.cat([g * i * (1.0 - i), c_prev * f * (1.0 - f), i * (1.0 - g * g),
                       tc * o * (1.0 - o)], dim=2, out=to_pre[:k_steps])  # da = [dc dc dc dh] *
            forget[:k_steps] = f
        elif gru:
            r, z, new = acts[span].split(n, dim=2)
            h_prev = (hidden[bottom - 1:top] if bottom else
                      torch.cat([torch.zeros_like(hidden[:1]), hidden[:top]]))
            to_new = (1.0 - z) * (1.0 - new * new)
            to_in = torch.cat([to_new * rec["hn"][span] * r * (1.0 - r),
                               (h_prev - new) * z * (1.0 - z), to_new], dim=2)
            torch.cat([to_in[:, :, :2 * n], to_new * r], dim=2, out=to_hid[:k_steps])
            update[:k_steps] = z
        else:
            slope[:k_steps] = deriv[span]
        if has_above:
            from_above[:k_steps] = above_dir[span]
            weight_above[:k_steps] = torch.exp(above - s_top).unsqueeze(2)

        for t in range(top, bottom - 1, -1):
            k = t - bottom + 1
            j = k - 1  # index into the block's factors
            dh = dh_v[k]
            if has_above:
                dh.addcmul_(above_v[j], weight_v[j])
            if lstm:
                dc = dc_v[k]
                dc.addcmul_(dh, to_cell_v[j])
                torch.mul(to_pre3_v[j], dc_in[k], out=pre3_v[j])
                torch.mul(to_pre_o_v[j], dh, out=pre_o_v[j])
                if t:
                    torch.mul(dc, forget_v[j], out=dc_v[k - 1])
                p = pre_in_v[j]
            elif gru:
                torch.mul(to_hid_v[j], dh_in[k], out=pre_h3)
                p = pre_h_in
            else:
                torch.mul(dh, slope_v[j], out=pre_v[j])
                p = pre_in_v[j]
            if t:
                torch.bmm(p, w_hh, out=dh_in[k - 1])
                if gru:
                    dh_v[k - 1].addcmul_(dh, update_v[j])
        if not gru:
            pre_in[span] = pre_block[:k_steps]

        norm_h = row_norms(dh_slots[1:k_steps + 1])  # (K, B)
        norm_c = row_norms(dc_slots[1:k_steps + 1]) if lstm else None
        if bottom:
            big = torch.linalg.vector_norm(dh_slots[0], ord=math.inf, dim=1)
            if lstm:
                big = torch.maximum(big, torch.linalg.vector_norm(dc_slots[0], ord=math.inf,
                                                                  dim=1))
        if k_steps > 1:
            sizes = torch.maximum(norm_h, norm_c) if lstm else norm_h
            if bottom:
                sizes = torch.cat([sizes, big.unsqueeze(0)])
            bad = ~((sizes >= low) & (sizes <= high)) & (alive | any_above)
            if bool(bad.any()):
                size = 1  # redo these steps one at a time (the carry is untouched)
                continue

        log_gh[span] = s_top + (block_lo + torch.log(norm_h.to(f64)))
        if lstm:
            log_gc[span] = s_top + (block_lo + torch.log(norm_c.to(f64)))
            if top == steps - 1:  # dL/dc_T: where the cell-only path starts
                end = norm_c[-1]
                out["dc_end_dir"] = dc_slots[k_steps] / torch.where(end > 0, end, one).unsqueeze(1)
                out["dc_end_log"] = log_gc[top].clone()
        if gru:
            torch.mul(to_in.view(k_steps, batch, 3, n), dh_slots[1:k_steps + 1].unsqueeze(2),
                      out=pre_in[span].view(k_steps, batch, 3, n))
        scale[span] = s_top
        scale_lo[span] = block_lo
        if bottom:
            # What goes on to step bottom - 1, renormalised by its largest entry (exact, no
            # squares); the log of that factor joins the scale as a high and low part.
            safe = torch.where(big > 0, big, one).unsqueeze(1)
            torch.div(dh_slots[0], safe, out=carry_h)
            if lstm:
                torch.div(dc_slots[0], safe, out=carry_c)
            term = block_lo + torch.log(big.to(f64))
            total = s_top + term
            lost = torch.where(s_top.abs() >= term.abs(), (s_top - total) + term,
                               (term - total) + s_top)
            s_hi = torch.where(big > 0, total, neg_inf)
            s_lo = torch.where((big > 0) & torch.isfinite(total), lost, zero_f64)
        tick((steps - bottom) / steps)
        top = bottom - 1
        size = min(longest, 2 * size)

    # What goes to the inputs of this layer: W_ih^T (pre-activation gradient), all t at once.
    dx = torch.einsum("tbg,bgm->tbm", pre_in, w_ih)
    dx_norm = row_norms(dx)
    out["dx_dir"] = dx / torch.where(dx_norm > 0, dx_norm, one).unsqueeze(2)
    out["dx_log"] = scale + (scale_lo + torch.log(dx_norm.to(f64)))
    out["log_gh"] = log_gh
    return out
