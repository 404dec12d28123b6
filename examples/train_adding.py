"""Train a torch.nn RNN, LSTM and GRU on the adding problem, each watched by a vgtui.Probe.

The adding problem: every step of a sequence holds a random number in [0, 1) and a
marker; exactly two steps are marked, one in the first half and one in the second, and
the target is the sum of the two marked numbers. Predicting it from the last hidden
state means carrying the first number across up to T steps, so the gradient has to
reach back that far. Always guessing 1 (the mean) gives a mean squared error of 1/6;
a network that learns the task goes far below that.

    python examples/train_adding.py                 # T = 50, logs in runs/{rnn,lstm,gru}.jsonl
    vgtui watch runs/*.jsonl                         # in another terminal, while it trains

The three networks train in turn, one update each per step, so the three logs grow
together. On two CPU cores the defaults take about a minute.
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import time

import torch

import vgtui

CELLS = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}
BASELINE = 1 / 6  # mean squared error of always answering 1


class Adder(torch.nn.Module):
    """A recurrent layer and a linear readout of its last hidden state."""

    def __init__(self, cell: str, hidden: int, layers: int) -> None:
        super().__init__()
        self.rnn = CELLS[cell](2, hidden, num_layers=layers, batch_first=True)
        self.head = torch.nn.Linear(hidden, 1)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[:, -1]).squeeze(-1)


def adding_batch(batch: int, length: int, generator: torch.Generator, device):
    """(inputs (B, T, 2), targets (B,)): numbers and markers, target = the marked sum."""
    values = torch.rand(batch, length, generator=generator)
    first = torch.randint(0, max(1, length // 2), (batch,), generator=generator)
    second = torch.randint(length // 2, length, (batch,), generator=generator)
    markers = torch.zeros(batch, length)
    rows = torch.arange(batch)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    x = torch.stack((values, markers), dim=-1)
    y = values[rows, first] + values[rows, second]
    return x.to(device), y.to(device)


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more (got {text})")
    return value


def parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--length", "-T", type=positive, default=50, help="sequence length T (50)")
    p.add_argument("--steps", type=positive, default=800, help="updates per network (800)")
    p.add_argument("--hidden", type=positive, default=32, help="hidden units (32)")
    p.add_argument("--layers", type=positive, default=1, help="stacked layers (1)")
    p.add_argument("--batch", type=positive, default=32, help="sequences per update (32)")
    p.add_argument("--every", type=positive, default=20, help="probe every this many steps (20)")
    p.add_argument("--lr", type=float, default=5e-3, help="Adam learning rate (0.005)")
    p.add_argument("--arch", default="rnn,lstm,gru", help="which networks (rnn,lstm,gru)")
    p.add_argument("--out", default="runs", help="directory for the logs (runs)")
    p.add_argument("--device", default="cpu", choices=("cpu", "cuda", "auto"),
                   help="where to train (cpu); cuda fails with a clear message without a GPU")
    p.add_argument("--threads", type=positive, default=1,
                   help="torch CPU threads (1: small recurrent models gain nothing from more, "
                        "and on a busy machine a second thread mostly waits)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    args = p.parse_args(argv)
    args.arch = [a.strip() for a in args.arch.split(",") if a.strip()]
    bad = [a for a in args.arch if a not in CELLS]
    if bad or not args.arch:
        p.error(f"--arch: choose from rnn, lstm, gru (got {','.join(bad) or 'nothing'})")
    return args


def main(argv=None) -> int:
    args = parse(argv)
    from vgtui.engine.device import resolve_device
    from vgtui.engine.errors import VgtuiError

    try:
        device = resolve_device(args.device)
    except VgtuiError as exc:
        sys.stderr.write(f"train_adding: {exc}\n")
        return 2
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    runs = {}
    for name in args.arch:
        model = Adder(name, args.hidden, args.layers).to(device)
        runs[name] = {
            "model": model,
            "opt": torch.optim.Adam(model.parameters(), lr=args.lr),
            "probe": vgtui.Probe(model, os.path.join(args.out, f"{name}.jsonl"), every=args.every),
            "data": torch.Generator().manual_seed(args.seed + 1),  # the same batches for each
            "loss": math.nan,
        }
    t0 = time.perf_counter()
    for step in range(args.steps + 1):
        for name, run in runs.items():
            x, y = adding_batch(args.batch, args.length, run["data"], device)
            model = run["model"]

            def loss_fn(pred, y=y):
                return torch.nn.functional.mse_loss(pred, y)

            loss = loss_fn(model(x))
            run["opt"].zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            run["opt"].step()
            run["loss"] = loss.item()
            run["probe"].observe(step, x, loss_fn)
        if not args.quiet and step % (10 * args.every) == 0:
            losses = "  ".join(f"{n} {r['loss'] / BASELINE:5.2f}" for n, r in runs.items())
            print(f"step {step:5d}  loss / baseline: {losses}  ({time.perf_counter() - t0:.0f} s)",
                  flush=True)
    for run in runs.values():
        run["probe"].close()
    if not args.quiet:
        print(f"logs: {', '.join(r['probe'].path for r in runs.values())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
