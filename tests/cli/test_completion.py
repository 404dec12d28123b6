"""Shell completion (issue 16): ``vgtui --completion bash|zsh`` prints a script written
from the parsers; bash runs it and completes lookups, flags and fixed choices."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from vgtui.topics import lookup_names


def _complete(script: str, words: list[str]) -> list[str]:
    """What the completion function offers for the command line ``words`` (the last
    word is the one being completed)."""
    quoted = " ".join("'" + w.replace("'", "'\\''") + "'" for w in words)
    program = (f"{script}\nCOMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}\n"
               "_vgtui; printf '%s\\n' \"${COMPREPLY[@]}\"")
    done = subprocess.run(["bash", "--norc", "--noprofile", "-c", program], capture_output=True,
                          text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


@pytest.fixture(scope="module")
def bash_script():
    from vgtui.cli import main
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as exit_:
        main(["--completion", "bash"])
    assert exit_.value.code == 0
    return out.getvalue()


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash here")
def test_bash_completes_lookups_flags_and_choices(bash_script):
    assert set(lookup_names()) | {"serve"} <= set(_complete(bash_script, ["vgtui", ""]))
    assert _complete(bash_script, ["vgtui", "dec"]) == ["decay"]
    assert "--measured" in _complete(bash_script, ["vgtui", "decay", "--me"])
    assert set(_complete(bash_script, ["vgtui", "flow", "--activation", ""])) >= {
        "tanh", "sigmoid", "relu"}
    assert "--plot" in _complete(bash_script, ["vgtui", "flow", "--pl"])
    assert "flow" in _complete(bash_script, ["vgtui", "--screen", "fl"])
    # a value of --screen is not taken for the lookup
    assert "--csv" in _complete(bash_script, ["vgtui", "--screen", "flow", "decay", "--c"])


def test_completion_flag_refuses_other_shells(run_cli):
    code, out, err = run_cli("--completion", "fish")
    assert code == 2 and out == "" and "--completion" in err and err.count("\n") == 1


def test_zsh_script_loads_the_bash_layer(run_cli):
    code, out, _ = run_cli("--completion", "zsh")
    assert code == 0 and "bashcompinit" in out and "complete -o default" in out


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed here")
def test_zsh_script_parses():
    from vgtui.cli import build_parser
    from vgtui.cli.completion import zsh_script

    done = subprocess.run(["zsh", "-n", "-c", zsh_script(build_parser())], capture_output=True,
                          text=True, timeout=30)
    assert done.returncode == 0, done.stderr
