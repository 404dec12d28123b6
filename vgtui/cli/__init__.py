"""Command line: ``vgtui`` opens the app; ``vgtui <lookup>`` prints a result.

Every lookup prints a rich table by default and JSON with ``--json``. Mistakes
give one line on stderr and exit code 2; nothing prints a traceback.
"""
from __future__ import annotations

import sys
from importlib import import_module

from ..engine.errors import VgtuiError
from .common import EXIT_USAGE, Parser, UsageError, describe_error, fail

# One module per lookup; each defines NAME, add_parser(sub) and run(args).
LOOKUPS = ["flow", "decay", "activations", "trace", "longrange", "capacity", "jacobian",
           "spectrum", "bound", "lyapunov", "clip", "compare", "train", "claims", "watch"]


def build_parser(with_lookups: bool = True) -> Parser:
    """The parser; without lookups it only knows the app's own flags (a bare ``vgtui``
    then starts without importing the thirteen lookup modules and numpy)."""
    from .. import __version__

    parser = Parser(prog="vgtui", description="A terminal explorer of vanishing and exploding "
                    "gradients in recurrent networks. With no command, opens the app.")
    parser.add_argument("--version", action="version", version=f"vgtui {__version__}")
    parser.add_argument("--screen", metavar="NAME", help="open the app on this screen")
    parser.add_argument("--demo", action="store_true",
                        help="walk through the screens with a narration (space or → next, "
                             "← back, Esc ends the demo)")
    parser.add_argument("--demo-interval", metavar="S", type=_interval, default=None,
                        help="demo mode that advances by itself every S seconds (0.5 to 3600)")
    parser.add_argument("--ansi", action="store_true",
                        help="draw with the terminal's own 16-colour palette (also "
                             "VGTUI_ANSI=1; ctrl+t switches in the app)")
    if not with_lookups:
        parser.set_defaults(command=None)
        return parser
    sub = parser.add_subparsers(dest="command", metavar="LOOKUP")
    for name in LOOKUPS:
        import_module(f"{__name__}.{name}").add_parser(sub)
    return parser


def _wants_lookups(argv: list[str]) -> bool:
    """True unless the command line only holds the app's own flags."""
    takes_value = {"--screen", "--demo-interval"}
    previous = ""
    for arg in argv:
        if arg in ("-h", "--help") or (not arg.startswith("-") and previous not in takes_value):
            return True
        previous = arg.split("=", 1)[0]
    return False


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(_wants_lookups(argv)).parse_args(argv)
    if args.command is None:
        return _launch_app(args)
    prog = f"vgtui {args.command}"
    try:
        return int(args.run(args) or 0)
    except UsageError as exc:
        fail(f"{prog}: error: {exc}")
    except VgtuiError as exc:
        fail(f"{prog}: error: {describe_error(exc, getattr(args, 'field_flags', None))}")
    except KeyboardInterrupt:
        fail(f"{prog}: interrupted", 130)
    except BrokenPipeError:
        return 0
    except MemoryError:
        fail(f"{prog}: error: out of memory; try fewer steps or a smaller hidden size", 1)
    except Exception as exc:  # last resort: one readable line, never a traceback
        fail(f"{prog}: internal error: {type(exc).__name__}: {exc}", 1)
    return EXIT_USAGE


def _interval(text: str) -> float:
    import argparse
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds from 0.5 to 3600 "
                                         f"(got {text!r})") from None
    if not math.isfinite(value) or not 0.5 <= value <= 3600:
        raise argparse.ArgumentTypeError(f"must be a number of seconds from 0.5 to 3600 "
                                         f"(got {text!r})")
    return value


def ansi_requested(args) -> bool:
    """--ansi, or VGTUI_ANSI set to anything but empty / 0 / no / false."""
    import os

    env = os.environ.get("VGTUI_ANSI", "").strip().lower()
    return bool(args.ansi) or env not in ("", "0", "no", "false", "off")


def _launch_app(args) -> int:
    from ..screens.registry import screen_ids

    if args.screen and args.screen not in screen_ids():
        fail(f"vgtui: error: --screen: unknown screen {args.screen!r}; choose one of "
             f"{', '.join(screen_ids())}")
    make_app(args).run()
    return 0


def make_app(args):
    """The app as the flags ask for it (separate from run() so tests can drive it)."""
    from ..app import VgtuiApp

    return VgtuiApp(start_screen=args.screen, demo=args.demo or args.demo_interval is not None,
                    demo_interval=args.demo_interval, ansi=ansi_requested(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
