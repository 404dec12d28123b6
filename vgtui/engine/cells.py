"""Step functions of the recurrent cells and their local derivatives (torch).

The derivative conventions follow torch autograd exactly (relu'(0) = 0, leaky
relu takes its slope at z <= 0, tanh' and sigmoid' from the output), so the
engine's backward pass matches ``loss.backward()`` to rounding.
"""
from __future__ import annotations


def activate(kind: str, z, leaky_slope=0.01):
    """(f(z), f'(z)) for one of the vanilla activations, elementwise.

    ``leaky_slope`` may be a float or a tensor that broadcasts against z.
    """
    import torch  # torch: loaded on first use

    if kind == "tanh":
        h = torch.tanh(z)
        return h, 1.0 - h * h
    if kind == "sigmoid":
        h = torch.sigmoid(z)
        return h, h * (1.0 - h)
    if kind == "relu":
        d = (z > 0).to(z.dtype)
        return z * d, d
    if kind == "leaky_relu":
        slope = leaky_slope if torch.is_tensor(leaky_slope) else torch.tensor(
            leaky_slope, dtype=z.dtype, device=z.device)
        d = torch.where(z > 0, torch.ones_like(z), slope.to(z.dtype).expand_as(z))
        return z * d, d
    if kind == "identity":
        return z, torch.ones_like(z)
    raise ValueError(f"unknown activation {kind!r}")


class ActivationPlan:
    """Applies a possibly different activation to each batch row of z (B, n).

    One pass per distinct activation present, merged by precomputed row masks,
    so a sweep over activations stays one vectorised batch.
    """

    def __init__(self, kinds: list[str], leaky_slopes: list[float], device, dtype) -> None:
        import torch  # torch: loaded on first use

        self.kinds = list(kinds)
        self.distinct = sorted(set(kinds))
        self.slopes = torch.tensor(leaky_slopes, dtype=dtype, device=device)
        self.masks = {kind: torch.tensor([k == kind for k in kinds], device=device)
                      for kind in self.distinct}

    def __call__(self, z):
        """z is batch-first, (B, ...); returns (f(z), f'(z)) of the same shape."""
        import torch  # torch: loaded on first use

        shape = (-1,) + (1,) * (z.dim() - 1)
        slopes = self.slopes.view(shape)
        if len(self.distinct) == 1:
            return activate(self.distinct[0], z, slopes)
        h = d = None
        for kind in self.distinct:
            hk, dk = activate(kind, z, slopes)
            if h is None:
                h, d = hk, dk
            else:
                mask = self.masks[kind].view(shape)
                h = torch.where(mask, hk, h)
                d = torch.where(mask, dk, d)
        return h, d


def activate_into(kind: str, z, leaky_slope, h_out, d_out) -> None:
    """``activate`` writing f(z) and f'(z) straight into preallocated tensors.

    The time loop calls this once per step, so it uses as few torch calls as it
    can; results equal ``activate`` exactly.
    """
    import torch  # torch: loaded on first use

    if kind == "tanh":
        torch.tanh(z, out=h_out)
        torch.mul(h_out, h_out, out=d_out)
        d_out.neg_().add_(1.0)
    elif kind == "sigmoid":
        torch.sigmoid(z, out=h_out)
        torch.addcmul(h_out, h_out, h_out, value=-1.0, out=d_out)
    elif kind == "relu":
        torch.clamp(z, min=0.0, out=h_out)
        torch.sign(h_out, out=d_out)  # 1 where z > 0, 0 elsewhere (relu'(0) = 0)
    elif kind == "identity":
        h_out.copy_(z)
        d_out.fill_(1.0)
    else:
        h, d = activate(kind, z, leaky_slope)
        h_out.copy_(h)
        d_out.copy_(d)


def activate_in_place(kind: str, z, leaky_slope, d_out) -> None:
    """Like ``activate_into``, but f(z) replaces z where it stands (the time loop writes
    each step's pre-activations straight into the hidden-state buffer). Identity writes
    nothing: its derivative is the constant 1, which the caller fills in once."""
    import torch  # torch: loaded on first use

    if kind == "tanh":
        torch.tanh(z, out=z)
        torch.addcmul(_one(z), z, z, value=-1.0, out=d_out)
    elif kind == "sigmoid":
        torch.sigmoid(z, out=z)
        torch.addcmul(z, z, z, value=-1.0, out=d_out)
    elif kind == "relu":
        z.clamp_(min=0.0)
        torch.sign(z, out=d_out)  # 1 where z > 0, 0 elsewhere (relu'(0) = 0)
    elif kind == "identity":
        return
    else:
        h, d = activate(kind, z, leaky_slope)
        z.copy_(h)
        d_out.copy_(d)


_ONES: dict = {}


def _one(z):
    """A 0-dim tensor 1 of z's dtype and device, made once (it broadcasts in addcmul)."""
    import torch  # torch: loaded on first use

    key = (z.dtype, z.device)
    one = _ONES.get(key)
    if one is None:
        one = _ONES[key] = torch.ones((), dtype=z.dtype, device=z.device)
    return one
