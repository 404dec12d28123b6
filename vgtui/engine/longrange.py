"""Long-range dependency: how much of the gradient from a sentence's last token
reaches each earlier token.

A sentence is split into tokens; token t gets the input x_t. The loss is read
at the last token, L = sum(h_T), and the share of learning signal that reaches
token t is ||dL/dx_t||, reported relative to the last token's own ||dL/dx_T||.

Three ways to get those numbers:

- ``factor``: a closed form. Every step back multiplies the gradient by one
  per-step factor gamma, so token t receives gamma^(T-t) of the last token's
  signal. No torch.
- ``rnn``: a real vanilla RNN from the flow engine (``run_flow`` with explicit
  weights; each token's input is a fixed random embedding of the word).
- ``lstm``: a single-layer LSTM (torch.nn.LSTM's equations and weight layout)
  whose backward pass is run here in log space, like the flow engine's, so
  gradients of 1e-900 come out exact instead of 0.

A length control inserts filler tokens after the key word (the word the
meaning hinges on); a sweep over several gap lengths shows the key word's
share collapsing as the gap grows.
"""
from __future__ import annotations

import math
import re
import shlex
import time
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from . import budget, definitions
from .budget import Estimate, FLOPS_PER_S, STEP_OVERHEAD_S, flow_estimate
from .config import FIELD_SPECS, CheckedConfig, FieldSpec, RNNConfig, given_text, parse_field
from .device import dtype_name, on_engine_threads, resolve_device, resolve_dtype
from .errors import Cancelled, ConfigError
from .lists import expand_ranges
from .magnitude import LOG10_E, LogMagnitude, log10_ratio
from .recurrence import RNNWeights, build_weights

MODELS = ("factor", "rnn", "lstm")
MODEL_TITLES = {
    "factor": "per-step factor (closed form)",
    "rnn": "vanilla RNN (engine)",
    "lstm": "LSTM (engine)",
}
MAX_TOKENS = 400
MAX_TEXT = 4000
MAX_FILLER = 5000
MAX_GAPS = 16
DEFAULT_GAPS = (0, 5, 10, 20, 50, 100, 200)
# Neutral words cycled to lengthen the gap between the key word and the end.
FILLER_WORDS = ("and", "then", "so", "on")


@dataclass(frozen=True)
class Example:
    """A sentence whose last word depends on a word far back."""

    name: str
    title: str
    text: str
    key_word: str
    note: str

    @property
    def key(self) -> int:
        """1-based position of the key word among the sentence's tokens."""
        tokens = [t.lower() for t in tokenize(self.text)]
        return tokens.index(self.key_word.lower()) + 1


# Written for vgtui, in the spirit of the articles' examples: each sentence ends
# on the word whose form or meaning is decided by the key word far back.
EXAMPLES: dict[str, Example] = {e.name: e for e in (
    Example("keys", "plural subject, verb at the end",
            "The keys to the old cabinet in the back room of my grandmother's farmhouse were",
            "keys", "'were' (not 'was') agrees with 'keys', far back at the start."),
    Example("language", "where she grew up decides the language",
            "Lena spent her childhood in Kraków , moved to Canada at nineteen , studied "
            "chemistry , worked in three labs , and she still dreams in Polish",
            "Kraków", "'Polish' is predictable only from 'Kraków', far back."),
    Example("pronoun", "what 'it' refers to",
            "The bottle would not go into the cooler because it was too tall",
            "bottle", "'tall' fits the bottle, not the cooler: the pronoun reaches back."),
    Example("agreement", "subject and verb with a relative clause between",
            "The dogs that the neighbours down the street rescued from the river after the "
            "long storm bark",
            "dogs", "'bark' (not 'barks') agrees with 'dogs' across the whole clause."),
    Example("negation", "a 'not' far before the verb",
            "I did not , after all the warnings from friends , family and the doctor about "
            "the weather in the mountains , enjoy",
            "not", "'not' flips the meaning of 'enjoy', which comes many tokens later."),
    Example("story", "a name introduced at the start of a paragraph",
            "Tomás opened the bakery in 1998 . For years the street was quiet , the rent "
            "rose , two rivals came and went , and the ovens broke twice . Today the "
            "customers still ask for",
            "Tomás", "The customers ask for Tomás: the name is the first token."),
)}
DEFAULT_EXAMPLE = "keys"

_TOKEN = re.compile(r"\w+(?:['’]\w+)*|[^\w\s]")


def tokenize(text: str) -> list[str]:
    """Words (with inner apostrophes) and single punctuation marks."""
    return _TOKEN.findall(text or "")


def filler_tokens(count: int) -> list[str]:
    return [FILLER_WORDS[i % len(FILLER_WORDS)] for i in range(count)]


# -- settings ---------------------------------------------------------------------

LR_SPECS: dict[str, FieldSpec] = {s.name: s for s in (
    FieldSpec("model", str, "model", "where the per-token gradient comes from", choices=MODELS),
    FieldSpec("factor", float, "factor", "per-step gradient factor gamma (closed form)",
              0.01, 2.0),
    FieldSpec("filler", int, "filler", "filler tokens inserted after the key word", 0,
              MAX_FILLER),
    FieldSpec("key", int, "key word", "1-based position of the word the meaning hinges on "
              "(0 = the example's word, else the first token)", 0, MAX_TOKENS - 1),
    FieldSpec("forget_bias", float, "forget bias", "added to the LSTM forget-gate bias",
              -20.0, 20.0),
)}


def parse_lr_field(name: str, raw: Any) -> Any:
    """Parse one long-range setting from text; ConfigError names the setting."""
    if name in FIELD_SPECS:
        return parse_field(name, raw)
    spec = LR_SPECS[name]
    text = raw.strip() if isinstance(raw, str) else raw
    if spec.choices:
        value = str(text).strip().lower() if text is not None else ""
        if value not in spec.choices:
            raise ConfigError(f"{spec.label} must be {spec.describe_range()} (got {given_text(raw)})",
                              name)
        return value
    if text is None or text == "":
        raise ConfigError(f"{spec.label} is empty: enter {spec.describe_range()}", name)
    try:
        number = float(text)
    except (TypeError, ValueError):
        raise ConfigError(f"{spec.label} must be {spec.describe_range()} (got {given_text(raw)})",
                          name) from None
    if not math.isfinite(number):
        raise ConfigError(f"{spec.label} must be {spec.describe_range()} (got {given_text(raw)})", name)
    if spec.kind is int:
        if not number.is_integer():
            raise ConfigError(f"{spec.label} must be {spec.describe_range()}, a whole number (got "
                              f"{given_text(raw)})", name)
        number = int(number)
    if number < spec.low or number > spec.high:
        raise ConfigError(f"{spec.label} must be {spec.describe_range()} (got {given_text(raw)})",
                          name)
    return number


def parse_gaps(raw: Any) -> tuple[int, ...]:
    """'0,5,10' (or a sequence) -> sorted distinct gaps, each 0..MAX_FILLER."""
    accepts = (f"1 to {MAX_GAPS} whole numbers from 0 to {MAX_FILLER}, comma-separated or "
               "from:to:count")
    raw = expand_ranges(raw, "gaps", "gaps", whole=True)
    if isinstance(raw, str):
        parts = [p.strip() for p in raw.replace(";", ",").split(",")]
        if any(p == "" for p in parts):
            raise ConfigError(f"gaps must be {accepts} (got {given_text(raw)})", "gaps")
    else:
        parts = list(raw)
    values = []
    for p in parts:
        try:
            number = float(p)
        except (TypeError, ValueError):
            raise ConfigError(f"gaps: {given_text(p)} is not a whole number from 0 to {MAX_FILLER}",
                              "gaps") from None
        if not math.isfinite(number) or not number.is_integer() or not 0 <= number <= MAX_FILLER:
            raise ConfigError(f"gaps: {given_text(p)} is not a whole number from 0 to {MAX_FILLER}",
                              "gaps")
        values.append(int(number))
    values = sorted(set(values))
    if not values or len(values) > MAX_GAPS:
        raise ConfigError(f"gaps must be {accepts} (got {len(values)} values)", "gaps")
    return tuple(values)


def parse_text(raw: Any) -> str:
    text = " ".join(str(raw if raw is not None else "").split())
    # Bytes that were not UTF-8 reach Python as lone surrogates: show them as U+FFFD.
    text = re.sub("[\ud800-\udfff]", "\ufffd", text)
    accepts = (f"2 to {MAX_TOKENS} tokens (words or punctuation marks), at most {MAX_TEXT} "
               "characters")
    if len(text) > MAX_TEXT:
        raise ConfigError(f"sentence is too long ({len(text)} characters): enter {accepts}",
                          "sentence")
    count = len(tokenize(text))
    if not 2 <= count <= MAX_TOKENS:
        raise ConfigError(f"sentence has {count} token{'s' if count != 1 else ''}: enter "
                          f"{accepts}", "sentence")
    return text


@dataclass(frozen=True)
class LongRangeConfig(CheckedConfig):
    """One long-range measurement: a sentence, a model, a gap."""

    text: str = EXAMPLES[DEFAULT_EXAMPLE].text
    key: int = 0
    model: str = "factor"
    factor: float = 0.7
    filler: int = 0
    gaps: tuple[int, ...] = DEFAULT_GAPS
    activation: str = "tanh"
    init: str = "gaussian"
    scale: float = 1.0
    hidden: int = 32
    input_size: int = 8
    input_scale: float = 1.0
    seed: int = 0
    forget_bias: float = 0.0
    device: str = "auto"
    dtype: str = "auto"

    def check_field(self, name: str, value: Any) -> Any:
        if name == "text":
            return parse_text(value)
        if name == "gaps":
            return parse_gaps(value)
        return parse_lr_field(name, value)

    def check(self) -> None:
        count = len(tokenize(self.text))
        if self.key > count - 1:
            raise ConfigError(f"key word must be a token position from 1 to {count - 1} (before "
                              f"the last token), or 0 for the example's word (got {self.key})",
                              "key")

    def to_dict(self) -> dict[str, Any]:
        d = super().to_dict()
        d["gaps"] = list(self.gaps)
        return d

    @property
    def tokens(self) -> list[str]:
        return tokenize(self.text)

    def resolved_key(self) -> int:
        """1-based key position: the given one, else the example's, else 1."""
        if self.key:
            return self.key
        for example in EXAMPLES.values():
            if " ".join(example.text.split()) == self.text:
                return example.key
        return 1

    def to_flags(self) -> list[str]:
        """The ``vgtui longrange`` flags that rebuild this measurement: the example (or
        the sentence and its key word), the model and its settings, filler and gaps."""
        d = LongRangeConfig()
        name = self.example_name()
        if name and self.resolved_key() == EXAMPLES[name].key:
            parts = [f"--example {name}"]
        else:
            parts = [f"--sentence {shlex.quote(self.text)}", f"--key {self.resolved_key()}"]
        parts.append(f"--model {self.model}")
        if self.model == "factor":
            parts.append(f"--factor {self.factor:g}")
        parts.append(f"--filler {self.filler}")
        if self.gaps != d.gaps:
            parts.append("--gaps " + ",".join(str(g) for g in self.gaps))
        if self.model != "factor":
            names = ["scale", "hidden", "input_size", "seed"]
            names = (["activation", "init"] + names) if self.model == "rnn" else names
            for field_name in names:
                value = getattr(self, field_name)
                if value != getattr(d, field_name) or field_name in ("activation", "scale"):
                    flag = "--" + field_name.replace("_", "-")
                    parts.append(f"{flag} {value:g}" if isinstance(value, float)
                                 else f"{flag} {value}")
            if self.model == "lstm":
                parts.append(f"--forget-bias {self.forget_bias:g}")
        return parts

    def example_name(self) -> str | None:
        for example in EXAMPLES.values():
            if " ".join(example.text.split()) == self.text:
                return example.name
        return None


def example_config(name: str, base: LongRangeConfig | None = None) -> LongRangeConfig:
    if name not in EXAMPLES:
        raise ConfigError(f"unknown example {name!r}; choose one of {', '.join(EXAMPLES)}",
                          "example")
    example = EXAMPLES[name]
    return (base or LongRangeConfig()).replace(text=example.text, key=example.key)


# -- results ------------------------------------------------------------------------

@dataclass
class SweepPoint:
    gap: int           # filler tokens inserted after the key word
    distance: int      # steps from the key word to the last token
    log10_ratio: float  # key word's ||dL/dx|| relative to the last token's


@dataclass
class LongRangeResult:
    config: LongRangeConfig
    tokens: list[str]            # the sequence fed to the model (filler included)
    filler: list[bool]           # True where a token is filler
    positions: list[int | None]  # 1-based position in the sentence; None for filler
    key_index: int               # 0-based index of the key word in ``tokens``
    log10_grad: np.ndarray       # log10 ||dL/dx_t|| (closed form: relative to the last)
    sweep: list[SweepPoint]
    details: dict[str, Any] = field(default_factory=dict)
    device: str = "cpu"
    dtype: str = "float64"
    seconds: float = 0.0

    @property
    def steps(self) -> int:
        return len(self.tokens)

    @property
    def log10_ratio(self) -> np.ndarray:
        """log10 of ||dL/dx_t|| / ||dL/dx_T||: 0 at the last token."""
        return log10_ratio(self.log10_grad, self.log10_grad[-1])

    @property
    def log10_share(self) -> np.ndarray:
        """log10 of each token's fraction of the summed ||dL/dx_t|| over all tokens."""
        return log10_ratio(self.log10_grad, log10_sum(self.log10_grad))

    @property
    def key_log10_ratio(self) -> float:
        return float(self.log10_ratio[self.key_index])

    @property
    def distance(self) -> int:
        """Steps from the key word to the last token."""
        return self.steps - 1 - self.key_index

    @property
    def implied_factor(self) -> float:
        """The per-step factor that would give the key word's ratio over its distance."""
        if self.distance == 0:
            return math.nan
        return 10.0 ** (self.key_log10_ratio / self.distance)

    def to_dict(self) -> dict[str, Any]:
        ratio, share = self.log10_ratio, self.log10_share
        config = self.config.to_dict()
        config["device"], config["dtype"] = self.device, self.dtype
        return {
            "config": config,
            "model": self.config.model,
            "model_title": MODEL_TITLES[self.config.model],
            "steps": self.steps,
            "key_t": self.key_index + 1,
            "key_token": self.tokens[self.key_index],
            "distance": self.distance,
            "key_log10_ratio": self.key_log10_ratio,
            "key_ratio": LogMagnitude(self.key_log10_ratio),
            "implied_factor": _num(self.implied_factor),
            "tokens": [
                {"t": k + 1, "token": tok, "filler": self.filler[k],
                 "position": self.positions[k],
                 "grad": LogMagnitude(self.log10_grad[k]),
                 "log10_grad": _num(self.log10_grad[k]),
                 "ratio": LogMagnitude(ratio[k]), "log10_ratio": _num(ratio[k]),
                 "share": LogMagnitude(share[k]), "log10_share": _num(share[k])}
                for k, tok in enumerate(self.tokens)
            ],
            "sweep": [
                {"gap": p.gap, "distance": p.distance, "log10_ratio": _num(p.log10_ratio),
                 "ratio": LogMagnitude(p.log10_ratio)}
                for p in self.sweep
            ],
            "details": {k: _num(v) if isinstance(v, float) else v for k, v in self.details.items()},
            "definitions": dict(definitions.LONGRANGE),
        }


def _num(x: float) -> float | None:
    x = float(x)
    return None if math.isnan(x) else x


def log10_sum(log10_values: Sequence[float]) -> float:
    """log10 of the sum of 10**v, exact for values far outside float range."""
    import numpy as np  # numpy: the closed-form model runs without it
    arr = np.asarray(log10_values, dtype=np.float64)
    finite = arr[np.isfinite(arr)]
    if np.any(arr == math.inf):
        return math.inf
    if finite.size == 0:
        return -math.inf
    top = float(finite.max())
    return top + math.log10(float(np.sum(10.0 ** (finite - top))))


# -- building sequences ---------------------------------------------------------------

def build_sequence(tokens: list[str], key: int, gap: int) -> tuple[list[str], list[bool],
                                                                   list[int | None], int]:
    """Insert ``gap`` filler tokens after the key word (``key`` is 0-based)."""
    seq = tokens[:key + 1] + filler_tokens(gap) + tokens[key + 1:]
    is_filler = [False] * (key + 1) + [True] * gap + [False] * (len(tokens) - key - 1)
    positions = list(range(1, key + 2)) + [None] * gap + list(range(key + 2, len(tokens) + 1))
    return seq, is_filler, positions, key


def token_embedding(token: str, seed: int, size: int, scale: float) -> np.ndarray:
    """A fixed random vector per word (case-folded) and seed: N(0, 1) x scale."""
    import numpy as np  # numpy: the closed-form model runs without it
    word = zlib.crc32(token.lower().encode("utf-8"))
    rng = np.random.default_rng([word, seed])
    return rng.standard_normal(size) * scale


def embed(tokens: Sequence[str], seed: int, size: int, scale: float) -> np.ndarray:
    import numpy as np  # numpy: the closed-form model runs without it
    cache: dict[str, np.ndarray] = {}
    rows = []
    for tok in tokens:
        key = tok.lower()
        if key not in cache:
            cache[key] = token_embedding(tok, seed, size, scale)
        rows.append(cache[key])
    return np.stack(rows)


# -- the three models -------------------------------------------------------------------

def factor_log10_grads(length: int, factor: float) -> np.ndarray:
    """Closed form: token t (0-based) of ``length`` receives factor^(length-1-t)."""
    import numpy as np  # numpy: the closed-form model runs without it
    steps_back = np.arange(length - 1, -1, -1, dtype=np.float64)
    return steps_back * math.log10(factor)


def rnn_log10_grads(config: LongRangeConfig, tokens: Sequence[str], cancel=None):
    """||dL/dx_t|| (log10) for a vanilla RNN from the flow engine, and the FlowRun."""
    import numpy as np  # numpy and torch: only the factor model must run without them
    import torch  # torch: loaded on first use

    from .flow import run_flow  # imports numpy

    rnn = RNNConfig(activation=config.activation, init=config.init, scale=config.scale,
                    hidden=config.hidden, steps=len(tokens), input_size=config.input_size,
                    input_scale=config.input_scale, seed=config.seed, device=config.device,
                    dtype=config.dtype)
    base = build_weights([rnn], torch.device("cpu"), torch.float64)
    inputs = torch.from_numpy(embed(tokens, config.seed, config.input_size,
                                    config.input_scale)).unsqueeze(0)
    weights = RNNWeights(base.w_hh, base.w_xh, base.bias, inputs)
    run = run_flow(rnn, weights, source="token embeddings", cancel=cancel)
    return np.asarray(run.log10_grad_x, dtype=np.float64), run


@dataclass
class LSTMWeights:
    """torch.nn.LSTM layout, gates ordered i, f, g, o; float64 on the CPU."""

    w_ih: object  # (4n, m)
    w_hh: object  # (4n, n)
    b_ih: object  # (4n,)  forget_bias already added to the f slice
    b_hh: object  # (4n,)

    @property
    def hidden(self) -> int:
        return int(self.w_hh.shape[1])

    def state_dict(self) -> dict:
        """Weights under torch.nn.LSTM's parameter names (for a check or a save)."""
        return {"weight_ih_l0": self.w_ih, "weight_hh_l0": self.w_hh,
                "bias_ih_l0": self.b_ih, "bias_hh_l0": self.b_hh}


def lstm_weights(hidden: int, input_size: int, scale: float, forget_bias: float,
                 seed: int) -> LSTMWeights:
    """torch.nn.LSTM's default init, U(-1/sqrt(n), 1/sqrt(n)), times ``scale``; each
    tensor from its own seeded stream; ``forget_bias`` added to the forget gate."""
    import torch  # torch: loaded on first use

    k = 1.0 / math.sqrt(hidden)

    def uniform(shape, stream):
        g = torch.Generator(device="cpu")
        g.manual_seed(seed * 16 + 8 + stream)
        return (torch.rand(*shape, generator=g, dtype=torch.float64) * 2 - 1) * k * scale

    n = hidden
    b_ih = uniform((4 * n,), 2)
    b_ih[n:2 * n] += forget_bias
    return LSTMWeights(uniform((4 * n, input_size), 0), uniform((4 * n, n), 1), b_ih,
                       uniform((4 * n,), 3))


@on_engine_threads
def lstm_log10_grads(weights: LSTMWeights, sequences: Sequence[np.ndarray], device, dtype,
                     cancel: Callable[[], bool] | None = None) -> tuple[list[np.ndarray],
                                                                        list[float]]:
    """log10 ||dL/dx_t|| per token for each input sequence (L_b, m), L = sum(h_T).

    All sequences run in one batch: shorter ones are padded at the front, with
    the state held at zero until their first token. The backward pass carries
    the pair (dL/dh_t, dL/dc_t) as a unit vector plus the log of its norm, so
    magnitudes far below float range stay exact. Also returns the mean forget
    gate over each sequence's tokens and units.
    """
    import numpy as np  # numpy: the closed-form model runs without it
    import torch  # torch: loaded on first use

    lengths = [int(s.shape[0]) for s in sequences]
    batch, steps, n = len(sequences), max(lengths), weights.hidden
    m = int(weights.w_ih.shape[1])
    x = torch.zeros(batch, steps, m, dtype=dtype, device=device)
    active = torch.zeros(steps, batch, 1, dtype=torch.bool, device=device)
    for b, s in enumerate(sequences):
        x[b, steps - lengths[b]:] = torch.from_numpy(np.asarray(s)).to(device=device, dtype=dtype)
        active[steps - lengths[b]:, b] = True
    w_ih = weights.w_ih.to(device=device, dtype=dtype)
    w_hh = weights.w_hh.to(device=device, dtype=dtype)
    bias = (weights.b_ih + weights.b_hh).to(device=device, dtype=dtype)
    every = max(1, steps // 50)

    drive = torch.einsum("btm,gm->tbg", x, w_ih) + bias  # (T, B, 4n)
    gates = torch.empty(steps, batch, 4 * n, dtype=dtype, device=device)  # i, f, g, o
    cells = torch.empty(steps + 1, batch, n, dtype=dtype, device=device)  # cells[t+1] = c_t
    h = torch.zeros(batch, n, dtype=dtype, device=device)
    c = torch.zeros(batch, n, dtype=dtype, device=device)
    cells[0] = c
    zero = torch.zeros((), dtype=dtype, device=device)
    for t in range(steps):
        z = drive[t] + h @ w_hh.T
        i, f, g, o = z.split(n, dim=1)
        i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
        c_new = f * c + i * g
        h_new = o * torch.tanh(c_new)
        c = torch.where(active[t], c_new, zero)
        h = torch.where(active[t], h_new, zero)
        gates[t] = torch.cat((i, f, g, o), dim=1)
        cells[t + 1] = c
        if t % every == 0:
            _tick(cancel)

    # Backward from L = sum(h_T): dL/dh_T = 1, dL/dc_T = 0.
    dh = torch.full((batch, n), 1.0 / math.sqrt(n), dtype=dtype, device=device)
    dc = torch.zeros(batch, n, dtype=dtype, device=device)
    from .sums import RunningSum  # numpy: the closed-form model runs without it

    log_norm = RunningSum(torch.full((batch,), 0.5 * math.log(n), dtype=torch.float64,
                                     device=device))
    log_gx = torch.full((steps, batch), -math.inf, dtype=torch.float64, device=device)
    one = torch.ones((), dtype=dtype, device=device)
    for t in range(steps - 1, -1, -1):
        i, f, g, o = gates[t].split(n, dim=1)
        c_t, c_prev = cells[t + 1], cells[t]
        tc = torch.tanh(c_t)
        dc_total = dc + dh * o * (1 - tc * tc)
        dz = torch.cat((dc_total * g * i * (1 - i),
                        dc_total * c_prev * f * (1 - f),
                        dc_total * i * (1 - g * g),
                        dh * tc * o * (1 - o)), dim=1)
        gx = torch.linalg.vector_norm(dz @ w_ih, dim=1).to(torch.float64)
        log_gx[t] = log_norm.value() + torch.log(gx)
        dh = dz @ w_hh
        dc = dc_total * f
        norm = torch.sqrt(torch.sum(dh * dh, dim=1) + torch.sum(dc * dc, dim=1))
        safe = torch.where(norm > 0, norm, one).unsqueeze(1)
        dh, dc = dh / safe, dc / safe
        log_norm.add(torch.log(norm.to(torch.float64)))
        if t % every == 0:
            _tick(cancel)

    log10_gx = (log_gx * LOG10_E).cpu().numpy()
    forget = gates[:, :, n:2 * n].mean(dim=2).to(torch.float64).cpu().numpy()  # (T, B)
    out, mean_forget = [], []
    for b, length in enumerate(lengths):
        out.append(log10_gx[steps - length:, b].copy())
        mean_forget.append(float(forget[steps - length:, b].mean()))
    return out, mean_forget


def longrange_estimate(config: "LongRangeConfig", lengths: Sequence[int], itemsize: int = 8):
    """Memory and time of the sentence and its gap sweep (the resource guard): the
    closed form is one number per token; the RNN runs the flow engine once per length;
    the LSTM runs every length in one padded batch and keeps each step's gates and
    cell state (about 10 n numbers per step and sequence) for its backward pass."""
    n, m = config.hidden, config.input_size
    what = (f"the {config.model} model over {len(lengths)} sequences of up to {max(lengths)} "
            f"tokens, n={n}")
    advice = "lower the hidden size, the filler, or the sweep gaps"
    if config.model == "factor":
        return Estimate(sum(lengths) * 16, sum(lengths) * 1e-7, what, "filler", advice)
    if config.model == "rnn":
        total = Estimate(0, 0.0, what)
        for length in lengths:
            total = total + flow_estimate(1, n, length, m, itemsize)
        return total.named(what, "hidden", advice)
    steps, rows = max(lengths), len(lengths)
    memory = steps * rows * (10 * n + m) * itemsize
    flops = steps * rows * 2 * 4 * n * (n + m) * 2
    seconds = steps * 2 * 10 * STEP_OVERHEAD_S + flops / FLOPS_PER_S
    return Estimate(int(memory), seconds, what, "hidden", advice)


def _tick(cancel) -> None:
    if cancel is not None and cancel():
        raise Cancelled()


# -- the measurement ---------------------------------------------------------------------

def run_longrange(config: LongRangeConfig, *, cancel: Callable[[], bool] | None = None
                  ) -> LongRangeResult:
    """Per-token gradient share for the sentence (with ``config.filler`` inserted)
    and the key word's share for every gap in ``config.gaps``."""
    import numpy as np  # numpy: the closed-form model runs without it
    started = time.perf_counter()
    tokens = config.tokens
    key = config.resolved_key() - 1
    if key >= len(tokens) - 1:
        raise ConfigError(f"the key word must come before the last token (key {key + 1}, "
                          f"{len(tokens)} tokens)", "key")
    seq, is_filler, positions, key_index = build_sequence(tokens, key, config.filler)
    gaps = list(config.gaps)
    details: dict[str, Any] = {}
    device, dtype = "cpu", "float64"
    itemsize = 8
    if config.model != "factor":
        itemsize = resolve_dtype(config.dtype, resolve_device(config.device)).itemsize
    lengths = [len(seq)] + [len(tokens) + gap for gap in gaps
                            if config.model != "rnn" or gap != config.filler]
    budget.check(longrange_estimate(config, lengths, itemsize))

    if config.model == "factor":
        grads = factor_log10_grads(len(seq), config.factor)
        sweep = []
        for gap in gaps:
            length = len(tokens) + gap
            ratio = factor_log10_grads(length, config.factor)
            sweep.append(SweepPoint(gap, length - 1 - key, log10_ratio(ratio[key], ratio[-1])))
    elif config.model == "rnn":
        grads, run = rnn_log10_grads(config, seq, cancel)
        details.update(spectral_radius=run.spectral_radius, spectral_norm=run.spectral_norm,
                       fitted_factor=run.factor, verdict=run.verdict)
        device, dtype = run.device, run.dtype
        sweep = []
        for gap in gaps:
            if gap == config.filler:
                g = grads
            else:
                g, _ = rnn_log10_grads(config, build_sequence(tokens, key, gap)[0], cancel)
            sweep.append(SweepPoint(gap, len(tokens) + gap - 1 - key, log10_ratio(g[key], g[-1])))
    else:
        dev = resolve_device(config.device)
        dt = resolve_dtype(config.dtype, dev)
        sequences = [seq] + [build_sequence(tokens, key, gap)[0] for gap in gaps]
        weights = lstm_weights(config.hidden, config.input_size, config.scale,
                               config.forget_bias, config.seed)
        inputs = [embed(s, config.seed, config.input_size, config.input_scale) for s in sequences]
        all_grads, forget = lstm_log10_grads(weights, inputs, dev, dt, cancel)
        grads = all_grads[0]
        details.update(mean_forget_gate=forget[0])
        sweep = [SweepPoint(gap, len(tokens) + gap - 1 - key, log10_ratio(g[key], g[-1]))
                 for gap, g in zip(gaps, all_grads[1:])]
        device, dtype = str(dev), dtype_name(dt)

    return LongRangeResult(config=config, tokens=seq, filler=is_filler, positions=positions,
                           key_index=key_index, log10_grad=np.asarray(grads, dtype=np.float64),
                           sweep=sweep, details=details, device=device, dtype=dtype,
                           seconds=time.perf_counter() - started)
