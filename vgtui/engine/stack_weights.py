"""The weights of a stack of recurrent layers (vanilla, LSTM or GRU), in torch.nn's
layout, and the seeded draws that make them.

Per layer l: W_ih (B, G n, m_l), W_hh (B, G n, n), b_ih and b_hh (B, G n), with G the
number of gate blocks (1, 4 or 3, torch.nn's order: LSTM i, f, g, o; GRU r, z, n).
A seeded stack shares its first layer's candidate block, its W_xh and its inputs
with the vanilla engine's draws for the same seed, so the cells compare on the same
footing.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from .config import RNNConfig
from .recurrence import random_stream, recurrent_matrix

GATE_COUNT = {"rnn": 1, "lstm": 4, "gru": 3}
BLOCK_NAMES = {"rnn": ("h",), "lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n")}
# The block that makes the new content (its W_hh block plays the vanilla W_hh's part).
CANDIDATE_BLOCK = {"rnn": 0, "lstm": 2, "gru": 2}
# The block whose bias ``forget_bias`` sets: the LSTM forget gate, the GRU update gate.
KEEP_BLOCK = {"lstm": 1, "gru": 1}
# Mean gate activations reported per step (name -> block).


@dataclass
class StackWeights:
    """Explicit weights for a batch of stacks. Per layer l: w_ih (B, G n, m_l),
    w_hh (B, G n, n), b_ih and b_hh (B, G n); inputs (B, T, m). G is 1, 4 or 3."""

    arch: str
    w_ih: list
    w_hh: list
    b_ih: list
    b_hh: list
    inputs: object

    @property
    def batch(self) -> int:
        return int(self.inputs.shape[0])

    @property
    def layers(self) -> int:
        return len(self.w_hh)

    @property
    def hidden(self) -> int:
        return int(self.w_hh[0].shape[-1])

    def to(self, device, dtype) -> "StackWeights":
        def move(ts):
            return [t.to(device=device, dtype=dtype) for t in ts]

        return StackWeights(self.arch, move(self.w_ih), move(self.w_hh), move(self.b_ih),
                            move(self.b_hh), self.inputs.to(device=device, dtype=dtype))


def _stack_stream(seed: int, layer: int, block: int, kind: int):
    """Generators for the extra gate blocks and layers, apart from the vanilla
    engine's streams (those stay with layer 1's candidate block and the inputs)."""
    import torch  # torch: loaded on first use

    g = torch.Generator(device="cpu")
    g.manual_seed(2 ** 40 + seed * 4096 + layer * 64 + block * 8 + kind)
    return g


def _square_matrix(config: RNNConfig, layer: int, block: int):
    """An n x n recurrent block drawn like the vanilla W_hh (same init rule)."""
    import torch  # torch: loaded on first use

    if layer == 0 and block == CANDIDATE_BLOCK[config.arch]:
        return recurrent_matrix(config)  # identical to the vanilla RNN's W_hh
    n = config.hidden
    if config.init == "gaussian":
        w = torch.randn(n, n, generator=_stack_stream(config.seed, layer, block, 0),
                        dtype=torch.float64) / math.sqrt(n)
    elif config.init == "orthogonal":
        a = torch.randn(n, n, generator=_stack_stream(config.seed, layer, block, 0),
                        dtype=torch.float64)
        q, r = torch.linalg.qr(a)
        signs = torch.sign(torch.diagonal(r))
        signs[signs == 0] = 1.0
        w = q * signs
    else:
        w = torch.eye(n, dtype=torch.float64)
    w = w * config.scale
    if config.init_noise > 0:
        w = w + config.init_noise * torch.randn(
            n, n, generator=_stack_stream(config.seed, layer, block, 3), dtype=torch.float64)
    return w


def _input_matrix(config: RNNConfig, layer: int, block: int):
    import torch  # torch: loaded on first use

    n = config.hidden
    m = config.input_size if layer == 0 else n
    if layer == 0 and block == CANDIDATE_BLOCK[config.arch]:
        gen = random_stream(config.seed, 1)  # the vanilla engine's W_xh
    else:
        gen = _stack_stream(config.seed, layer, block, 1)
    return torch.randn(n, m, generator=gen, dtype=torch.float64) / math.sqrt(m)


def seeded_inputs(config: RNNConfig):
    """The (T, m) input sequence for a seed: the same for every cell and the vanilla engine."""
    import torch  # torch: loaded on first use

    return torch.randn(config.steps, config.input_size, generator=random_stream(config.seed, 2),
                       dtype=torch.float64) * config.input_scale


def build_stack_weights(configs: Sequence[RNNConfig], device, dtype) -> StackWeights:
    """Seeded weights for each config (sharing arch, layers and sizes), stacked.

    Every block of W_hh is drawn with the config's init and scale; W_ih blocks are
    N(0, 1/m); biases are 0 except the forget (LSTM) or update (GRU) gate's input
    bias, which is ``forget_bias``. Layer 1's candidate block uses exactly the
    vanilla engine's W_hh and W_xh, and the inputs are the vanilla engine's too.
    """
    import torch  # torch: loaded on first use

    arch, layers = configs[0].arch, configs[0].layers
    gates = GATE_COUNT[arch]
    per_layer = {k: [[] for _ in range(layers)] for k in ("w_ih", "w_hh", "b_ih", "b_hh")}
    inputs = []
    for c in configs:
        n = c.hidden
        for layer in range(layers):
            per_layer["w_hh"][layer].append(torch.cat(
                [_square_matrix(c, layer, k) for k in range(gates)]))
            per_layer["w_ih"][layer].append(torch.cat(
                [_input_matrix(c, layer, k) for k in range(gates)]))
            b_ih = torch.zeros(gates * n, dtype=torch.float64)
            if arch in KEEP_BLOCK:
                k = KEEP_BLOCK[arch]
                b_ih[k * n:(k + 1) * n] = c.forget_bias
            per_layer["b_ih"][layer].append(b_ih)
            per_layer["b_hh"][layer].append(torch.zeros(gates * n, dtype=torch.float64))
        inputs.append(seeded_inputs(c))

    def stack(ts):
        return torch.stack(ts).to(device=device, dtype=dtype)

    return StackWeights(arch, *[[stack(ts) for ts in per_layer[k]]
                                for k in ("w_ih", "w_hh", "b_ih", "b_hh")], stack(inputs))
