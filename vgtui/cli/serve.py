"""``vgtui serve``: the app in a web browser (for a class or a projector), through
textual-serve, the optional ``web`` extra: ``pip install 'vgtui[web]'``.

Every browser tab that opens the page starts its own copy of the app on this machine;
ctrl+s in a browser hands the screenshot to the browser as a download.
"""
from __future__ import annotations

import shlex
import sys
from importlib import import_module

from .common import UsageError, screen_id, theme_name, whole

NAME = "serve"
HELP = "show the app in a web browser (needs the web extra: pip install 'vgtui[web]')"
EXTRA = "pip install 'vgtui[web]' (or pip install textual-serve)"


def add_parser(sub) -> None:
    p = sub.add_parser(NAME, help=HELP, description=HELP + ". Open the address it prints; "
                       "each browser tab runs its own copy of the app on this machine.")
    p.add_argument("--host", default="localhost", metavar="HOST",
                   help="address to listen on (default localhost; 0.0.0.0 for every interface "
                        "of this machine, e.g. for a class on the same network)")
    p.add_argument("--port", type=whole(1, 65535), default=8000, metavar="N",
                   help="port to listen on (1 to 65535; default 8000)")
    p.add_argument("--public-url", metavar="URL", default=None,
                   help="the address browsers reach the server at, when it is behind a proxy")
    p.add_argument("--screen", metavar="NAME", default=None,
                   help="open the app on this screen (as vgtui --screen)")
    p.add_argument("--theme", metavar="NAME", default=None,
                   help="the app's colour theme (as vgtui --theme; textual-light for a "
                        "projector)")
    p.set_defaults(run=run)


def app_command(args) -> str:
    """The command each browser tab runs: this interpreter, the app, its flags."""
    command = [sys.executable, "-m", "vgtui"]
    if args.screen:
        command += ["--screen", args.screen]
    if getattr(args, "theme", None):
        command += ["--theme", args.theme]
    return shlex.join(command)


def run(args) -> int:
    if args.screen:
        args.screen = screen_id(args.screen)
    if args.theme is not None:
        args.theme = theme_name(args.theme)
    try:  # the optional web extra, looked up only here
        server_module = import_module("textual_serve.server")
    except ImportError:
        raise UsageError(f"needs textual-serve, which is not installed: {EXTRA}") from None
    server = server_module.Server(app_command(args), host=args.host, port=args.port, title="vgtui",
                    public_url=args.public_url)
    print(f"vgtui in a browser: {server.public_url} (ctrl+c stops the server)", file=sys.stderr)
    server.serve()
    return 0
