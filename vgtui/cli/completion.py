"""Shell completion scripts, written from the argument parsers themselves
(``vgtui --completion bash`` / ``zsh``), so every lookup, flag and fixed choice the CLI
knows completes, and a new flag completes without touching this file. No extra package.

bash: ``eval "$(vgtui --completion bash)"`` in ~/.bashrc. zsh: the same with ``zsh`` in
~/.zshrc (the script loads zsh's bash-completion layer, bashcompinit). File arguments
(``watch FILE``, ``--model``, ``--inputs``) fall back to file names.
"""
from __future__ import annotations

import argparse
import shlex
import sys

from ..topics import TOPICS
from .common import theme_names

SHELLS = ("bash", "zsh")


def screen_words() -> list[str]:
    """What --screen takes: every screen's id and number key."""
    return [t.id for t in TOPICS] + [t.key for t in TOPICS if t.key]


def _options(parser: argparse.ArgumentParser) -> tuple[list[str], dict[str, list[str]], list[str]]:
    """(every option string, choices per option that has fixed ones, options taking a value)."""
    flags, choices, valued = [], {}, []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) or not action.option_strings:
            continue
        flags += action.option_strings
        if action.nargs != 0:
            valued += action.option_strings
            # fixed choices: argparse's own, or those of an engine setting's type
            words = action.choices or getattr(action.type, "choices", None) or ()
            if action.dest == "screen":
                words = screen_words()
            elif action.dest == "theme":
                words = theme_names()
            if words:
                for opt in action.option_strings:
                    choices[opt] = [str(c) for c in words]
    return flags, choices, valued


def _words(items) -> str:
    return shlex.quote(" ".join(items))


def _case_choices(choices: dict[str, list[str]], indent: str) -> str:
    lines = [f"{indent}case \"$prev\" in"]
    for opt, words in choices.items():
        lines.append(f"{indent}  {opt}) COMPREPLY=($(compgen -W {_words(words)} -- \"$cur\")); "
                     "return;;")
    lines.append(f"{indent}esac")
    return "\n".join(lines)


def bash_script(parser: argparse.ArgumentParser) -> str:
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    top_flags, top_choices, top_valued = _options(parser)
    commands = list(sub.choices)
    lines = [
        "# vgtui completion for bash (written by: vgtui --completion bash)",
        "_vgtui() {",
        "  local cur prev cmd i skip",
        '  cur="${COMP_WORDS[COMP_CWORD]}"',
        '  prev="${COMP_WORDS[COMP_CWORD-1]}"',
        '  cmd=""',
        "  skip=0",
        "  # the lookup: the first word that is neither an option nor an option's value",
        '  for ((i = 1; i < COMP_CWORD; i++)); do',
        "    if ((skip)); then skip=0; continue; fi",
        '    case "${COMP_WORDS[i]}" in',
        f"      {'|'.join(top_valued) or '--'}) skip=1;;",
        "      -*) ;;",
        '      *) cmd="${COMP_WORDS[i]}"; break;;',
        "    esac",
        "  done",
        '  case "$cmd" in',
        '    "")',
        _case_choices({k: v for k, v in top_choices.items() if v}, "      "),
        f"      COMPREPLY=($(compgen -W {_words(top_flags + commands)} -- \"$cur\"));;",
    ]
    for name, sp in sub.choices.items():
        flags, choices, _ = _options(sp)
        lines.append(f"    {name})")
        if choices:
            lines.append(_case_choices(choices, "      "))
        lines.append(f"      COMPREPLY=($(compgen -W {_words(flags)} -- \"$cur\"));;")
    lines += [
        "  esac",
        "}",
        "complete -o default -o bashdefault -F _vgtui vgtui",
        "",
    ]
    return "\n".join(lines)


def zsh_script(parser: argparse.ArgumentParser) -> str:
    return ("# vgtui completion for zsh (written by: vgtui --completion zsh)\n"
            "autoload -U +X compinit && { (( $+functions[compdef] )) || compinit; }\n"
            "autoload -U +X bashcompinit && bashcompinit\n"
            + bash_script(parser).split("\n", 1)[1])


def script(parser: argparse.ArgumentParser, shell: str) -> str:
    return bash_script(parser) if shell == "bash" else zsh_script(parser)


class CompletionAction(argparse.Action):
    """``--completion SHELL``: print the script for that shell and exit."""

    def __init__(self, option_strings, dest, **kwargs) -> None:
        super().__init__(option_strings, dest, choices=SHELLS, metavar="SHELL", **kwargs)

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        sys.stdout.write(script(parser, values))
        parser.exit(0)
