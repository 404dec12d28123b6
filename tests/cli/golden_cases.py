"""A fixed list of lookups whose output is recorded in tests/cli/golden/.

The recorded files were written by the commit before a refactoring; the test
(test_golden_output.py) reruns every case and asks for the same text, so a change
of structure cannot change what a user sees. A deliberate change of output
re-records the files (``python -m tests.cli.golden_cases --write``) in the same
commit, which names the reason.

"The same text" is byte for byte, except in a number printed with all of a float64's
digits (JSON output): there the last few digits depend on the CPU's vector unit (an
AVX-512 machine sums a matrix product in another order than an AVX2 one), so such a
number must agree to ``FULL_DIGITS_RTOL`` relative. A number printed to a few digits
(every table) must match exactly.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

GOLDEN = Path(__file__).parent / "golden"

CASES: dict[str, list[str]] = {
    "flow-default": ["flow"],
    "flow-json": ["flow", "--activation", "sigmoid", "--scale", "1.0", "--steps", "20", "--json"],
    "flow-preset-logspace": ["flow", "--preset", "log-space", "--json"],
    "flow-lstm": ["flow", "--arch", "lstm", "--steps", "30", "--hidden", "8", "--json"],
    "flow-gru-layers": ["flow", "--arch", "gru", "--layers", "2", "--steps", "15", "--hidden", "6"],
    "decay": ["decay", "--factors", "0.5,0.9", "--steps", "10,20,50"],
    "decay-json": ["decay", "--factors", "0.5,0.9*0.5,1.1", "--steps", "5,5000", "--json"],
    "decay-measured": ["decay", "--measured", "--activations", "tanh,sigmoid", "--scales",
                       "0.5,1,1.5", "--steps", "30", "--hidden", "16", "--json"],
    "decay-measured-table": ["decay", "--measured", "--activations", "tanh,relu", "--scales",
                             "0.5,1", "--steps", "20", "--hidden", "8"],
    "activations": ["activations"],
    "activations-json": ["activations", "--at", "0,1,2,5", "--spread", "1.5", "--json"],
    "trace": ["trace", "--weight", "0.5", "--steps", "10", "--h0", "0.1"],
    "trace-json": ["trace", "--weight", "1.5", "--steps", "30", "--json"],
    "longrange": ["longrange"],
    "longrange-json": ["longrange", "--model", "rnn", "--json"],
    "longrange-lstm": ["longrange", "--model", "lstm"],
    "capacity": ["capacity"],
    "capacity-json": ["capacity", "--json"],
    "jacobian": ["jacobian", "--steps", "30", "--hidden", "16"],
    "jacobian-json": ["jacobian", "--steps", "20", "--hidden", "8", "--json"],
    "jacobian-matrix": ["jacobian", "--matrix", "0.5,0.1;0.2,0.4", "--derivative", "0.8",
                        "--steps", "20"],
    "jacobian-matrix-json": ["jacobian", "--matrix", "0.5,2;0,0.5", "--derivative", "1",
                             "--steps", "10", "--json"],
    "spectrum": ["spectrum", "--hidden", "16"],
    "spectrum-json": ["spectrum", "--hidden", "8", "--scale", "1.2", "--json"],
    "bound": ["bound", "--steps", "20", "--hidden", "16"],
    "bound-json": ["bound", "--steps", "15", "--hidden", "8", "--scales", "0.5:3:4",
                   "--sequences", "4", "--json"],
    "lyapunov": ["lyapunov", "--hidden", "16", "--steps", "40", "--scales", "0.5:3:6"],
    "lyapunov-json": ["lyapunov", "--hidden", "16", "--steps", "40", "--scales", "0.5:3:6",
                      "--json"],
    "clip": ["clip", "--steps", "20", "--hidden", "16", "--scale", "2", "--tau", "5"],
    "clip-json": ["clip", "--steps", "20", "--hidden", "16", "--scale", "2", "--tau", "5",
                  "--json"],
    "compare": ["compare", "--steps", "20"],
    "compare-json": ["compare", "--steps", "12", "--json"],
    "claims": ["claims", "--article", "003"],
    "claims-json": ["claims", "--verdict", "fails", "--json"],
}

# Wall-clock figures differ run to run; they are blanked before comparing.
_TIMING = [
    (re.compile(r'("(?:seconds|elapsed|elapsed_seconds|time_s)": )[-0-9.e+]+'), r"\1<t>"),
    (re.compile(r"\b\d+(?:\.\d+)? ?(ms|s)\b(?= *(?:\)|·|$|,|\.|\s))"), r"<t>\1"),
]


def normalise(text: str) -> str:
    for pattern, repl in _TIMING:
        text = pattern.sub(repl, text)
    return text


def run_case(args: list[str]) -> tuple[int, str, str]:
    import io
    from contextlib import redirect_stderr, redirect_stdout

    from vgtui.cli import main

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    return code, out.getvalue(), err.getvalue()


# A number as the CLI prints one; those with at least FULL_DIGITS significant digits are
# compared by value.
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
FULL_DIGITS = 12
FULL_DIGITS_RTOL = 1e-9


def _significant(token: str) -> int:
    mantissa = re.split(r"[eE]", token)[0].lstrip("-").replace(".", "").lstrip("0")
    return len(mantissa)


def mismatch(actual: str, expected: str) -> str | None:
    """None when ``actual`` reads as ``expected`` (see the module docstring), else the
    first place where it does not, as one line."""
    a_parts, e_parts = _NUMBER.split(actual), _NUMBER.split(expected)
    a_nums, e_nums = _NUMBER.findall(actual), _NUMBER.findall(expected)
    if a_parts != e_parts or len(a_nums) != len(e_nums):
        for i, (x, y) in enumerate(zip(actual.splitlines(), expected.splitlines())):
            if _NUMBER.sub("#", x) != _NUMBER.sub("#", y):
                return f"line {i + 1}: {x!r} != {y!r}"
        return "the text around the numbers differs (lines added or missing)"
    for x, y in zip(a_nums, e_nums):
        if x == y:
            continue
        if min(_significant(x), _significant(y)) < FULL_DIGITS:
            return f"printed number {x} != {y}"
        fx, fy = float(x), float(y)
        if abs(fx - fy) > FULL_DIGITS_RTOL * max(abs(fx), abs(fy)):
            return f"full-precision number {x} != {y} (beyond {FULL_DIGITS_RTOL:g} relative)"
    return None


def record(name: str, args: list[str]) -> str:
    code, out, err = run_case(args)
    return normalise(f"$ vgtui {' '.join(args)}\nexit {code}\n--- stdout\n{out}--- stderr\n{err}")


if __name__ == "__main__":
    if "--write" not in sys.argv:
        sys.exit("usage: python -m tests.cli.golden_cases --write [NAME ...]")
    names = [a for a in sys.argv[1:] if not a.startswith("--")] or list(CASES)
    GOLDEN.mkdir(exist_ok=True)
    for name in names:
        (GOLDEN / f"{name}.txt").write_text(record(name, CASES[name]))
        print("recorded", name)
