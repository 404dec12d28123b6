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
LOOKUPS = ["flow", "train"]


def build_parser() -> Parser:
    from .. import __version__

    parser = Parser(prog="vgtui", description="A terminal explorer of vanishing and exploding "
                    "gradients in recurrent networks. With no command, opens the app.")
    parser.add_argument("--version", action="version", version=f"vgtui {__version__}")
    parser.add_argument("--screen", metavar="NAME", help="open the app on this screen")
    sub = parser.add_subparsers(dest="command", metavar="LOOKUP")
    for name in LOOKUPS:
        import_module(f"{__name__}.{name}").add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command is None:
        return _launch_app(args)
    prog = f"vgtui {args.command}"
    try:
        return int(args.run(args) or 0)
    except UsageError as exc:
        fail(f"{prog}: error: {exc}")
    except VgtuiError as exc:
        fail(f"{prog}: error: {describe_error(exc)}")
    except KeyboardInterrupt:
        fail(f"{prog}: interrupted", 130)
    except BrokenPipeError:
        return 0
    except MemoryError:
        fail(f"{prog}: error: out of memory; try fewer steps or a smaller hidden size", 1)
    except Exception as exc:  # last resort: one readable line, never a traceback
        fail(f"{prog}: internal error: {type(exc).__name__}: {exc}", 1)
    return EXIT_USAGE


def _launch_app(args) -> int:
    from ..app import VgtuiApp
    from ..screens.registry import screen_ids

    if args.screen and args.screen not in screen_ids():
        fail(f"vgtui: error: --screen: unknown screen {args.screen!r}; choose one of "
             f"{', '.join(screen_ids())}")
    VgtuiApp(start_screen=args.screen).run()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
