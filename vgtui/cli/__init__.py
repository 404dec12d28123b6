"""Command line: ``vgtui`` opens the app; ``vgtui <lookup>`` prints a result.

Every lookup prints a rich table by default and JSON with ``--json``. Mistakes
give one line on stderr and exit code 2; nothing prints a traceback.
"""
from __future__ import annotations

import argparse
import math
import os
import sys
from importlib import import_module

from .. import __version__
from ..engine.errors import VgtuiError
from ..topics import lookup_names, topic_of_lookup
from .common import (EXIT_USAGE, Parser, UsageError, describe_error, fail, screen_id,
                     screen_names, theme_name)
from .completion import CompletionAction
from .output import silence_stdout
from .torch_check import torch_failed, torch_missing_text

# One module per lookup; each defines NAME, add_parser(sub) and run(args). Which lookups
# exist, and in what order, is the topic registry's (vgtui/topics.py) to say.


def build_parser(with_lookups: bool = True) -> Parser:
    """The parser; without lookups it only knows the app's own flags (a bare ``vgtui``
    then starts without importing the thirteen lookup modules and numpy)."""

    parser = Parser(prog="vgtui", description="A terminal explorer of vanishing and exploding "
                    "gradients in recurrent networks. With no command, opens the app.")
    parser.add_argument("--version", action="version", version=f"vgtui {__version__}")
    parser.add_argument("--completion", action=CompletionAction,
                        help="print a completion script for bash or zsh and exit (eval "
                             "\"$(vgtui --completion bash)\" in ~/.bashrc; zsh: ~/.zshrc)")
    parser.add_argument("--screen", metavar="NAME", help="open the app on this screen: its id "
                        "or its number key (" + ", ".join(screen_names()) + ")")
    parser.add_argument("--demo", action="store_true",
                        help="walk through the screens with a narration (space or → next, "
                             "← back, Esc ends the demo)")
    parser.add_argument("--demo-interval", metavar="S", type=_interval, default=None,
                        help="demo mode that advances by itself every S seconds (0.5 to 3600)")
    parser.add_argument("--save-dir", metavar="DIR", default=None,
                        help="where ctrl+s saves SVG screenshots (default: "
                             "$XDG_DATA_HOME/vgtui/screenshots, or "
                             "~/.local/share/vgtui/screenshots)")
    parser.add_argument("--ansi", action="store_true",
                        help="draw with the terminal's own 16-colour palette (also "
                             "VGTUI_ANSI=1; ctrl+t switches in the app)")
    parser.add_argument("--theme", metavar="NAME", default=None,
                        help="the app's colour theme for this run, e.g. textual-light or "
                             "solarized-light (a wrong name lists them all); a theme picked "
                             "in the app (ctrl+p, Theme) is remembered instead")
    if not with_lookups:
        parser.set_defaults(command=None)
        return parser

    sub = parser.add_subparsers(dest="command", metavar="LOOKUP")
    for name in lookup_names():
        import_module(f"{__name__}.{name}").add_parser(sub)
    for name, lookup in sub.choices.items():
        add_preset_flag(name, lookup)
    import_module(f"{__name__}.serve").add_parser(sub)  # not a lookup: the app, in a browser
    return parser


def add_preset_flag(name: str, lookup) -> None:
    """``--preset NAME`` on a lookup whose topic has presets (and no flag of its own)."""

    presets = topic_of_lookup(name).presets
    if not presets or "--preset" in lookup._option_string_actions:
        return
    lookup.add_argument("--preset", choices=[p.name for p in presets], metavar="NAME",
                        help="start from a named preset of the screen (flags given as well "
                             "win): " + ", ".join(p.name for p in presets))


def apply_preset(args, parser, argv: list[str]) -> None:
    """Fill the flags a preset sets, unless the command line gave them itself. A preset
    value is typed as its flag would be (through the flag's own parser); values with no
    flag on this lookup belong to the screen only and are skipped."""

    name = getattr(args, "preset", None)
    if not name or args.command == "train":  # train reads its presets itself
        return
    preset = next(p for p in topic_of_lookup(args.command).presets if p.name == name)
    lookup = parser._subparsers._group_actions[0].choices[args.command]
    aliases = getattr(import_module(f"{__name__}.{args.command}"), "PRESET_FLAGS", {})
    by_dest = {a.dest: a for a in lookup._actions if a.option_strings}
    for field, value in preset.values.items():
        dest = aliases.get(field, field)
        if dest is None:  # a screen-only value (the Jacobian screen's two-unit matrix)
            continue
        action = by_dest.get(dest)
        if action is None:
            continue
        given = any(arg == opt or arg.startswith(opt + "=") for opt in action.option_strings
                    for arg in argv)
        if given:
            continue
        text = value if isinstance(value, str) else _flag_text(value)
        setattr(args, action.dest, action.type(text) if action.type else text)


def _flag_text(value) -> str:
    if isinstance(value, (tuple, list)):
        return ",".join(_flag_text(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _wants_lookups(argv: list[str]) -> bool:
    """True unless the command line only holds the app's own flags."""
    takes_value = {"--screen", "--demo-interval", "--save-dir", "--theme"}
    previous = ""
    for arg in argv:
        if arg.startswith("--completion"):  # the script names every lookup
            return True
        if arg in ("-h", "--help") or (not arg.startswith("-") and previous not in takes_value):
            return True
        previous = arg.split("=", 1)[0]
    return False


def main(argv: list[str] | None = None) -> int:
    """The entry point. Output cut short by its reader (``vgtui flow | head -1``) is an
    ordinary end: exit 0, on every output path (rich tables, JSON, CSV, help)."""
    try:
        code = _main(argv)
        sys.stdout.flush()  # a pipe closed early fails here, not in the interpreter's exit
    except BrokenPipeError:
        silence_stdout()
        return 0
    return code


def _main(argv: list[str] | None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_wants_lookups(argv))
    args = parser.parse_args(argv)
    if args.command is None:
        return _launch_app(args)
    prog = f"vgtui {args.command}"
    try:
        apply_preset(args, parser, argv)
        return int(args.run(args) or 0)
    except UsageError as exc:
        fail(f"{prog}: error: {exc}")
    except VgtuiError as exc:
        fail(f"{prog}: error: {describe_error(exc, getattr(args, 'field_flags', None))}")
    except KeyboardInterrupt:
        fail(f"{prog}: interrupted", 130)
    except BrokenPipeError:
        raise
    except MemoryError:
        fail(f"{prog}: error: out of memory; try fewer steps or a smaller hidden size", 1)
    except Exception as exc:  # last resort: one readable line, never a traceback
        if torch_failed(exc):
            fail(f"{prog}: error: {torch_missing_text(exc)}")
        fail(f"{prog}: internal error: {type(exc).__name__}: {exc}", 1)
    return EXIT_USAGE


def _interval(text: str) -> float:
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

    env = os.environ.get("VGTUI_ANSI", "").strip().lower()
    return bool(args.ansi) or env not in ("", "0", "no", "false", "off")


def _launch_app(args) -> int:

    if args.screen:
        args.screen = screen_id(args.screen)
    if args.theme is not None:
        args.theme = theme_name(args.theme)
    if not _has_terminal():
        fail("vgtui: error: the app needs a terminal on stdin and stdout; run it in a "
             "terminal, or print a result with a lookup instead (vgtui --help lists them, "
             "e.g. vgtui flow --json)")
    make_app(args).run()
    return 0


def _has_terminal() -> bool:
    """A terminal on stdin and stdout, or a browser: textual-serve starts the app with its
    web driver, which talks through pipes."""
    if os.environ.get("TEXTUAL_DRIVER", "").endswith(":WebDriver"):
        return True
    try:
        return sys.stdin.isatty() and sys.stdout.isatty()
    except (AttributeError, ValueError):  # closed or replaced streams
        return False


def make_app(args):
    """The app as the flags ask for it (separate from run() so tests can drive it)."""
    from ..app import VgtuiApp  # textual: only the app needs it

    return VgtuiApp(start_screen=args.screen, demo=args.demo or args.demo_interval is not None,
                    demo_interval=args.demo_interval, ansi=ansi_requested(args),
                    save_dir=getattr(args, "save_dir", None),
                    theme=getattr(args, "theme", None))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
