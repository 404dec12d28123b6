"""Text a newcomer reads at 80x24 (issue 14): the `c` dialog shows the whole command;
articles are named by title, never by a number; help commands are runnable as written;
the demo narration does not repeat the screen's title, no toast covers it, and what it
talks about is on screen."""
from __future__ import annotations

import re
import shlex

import pytest

from vgtui.app import VgtuiApp, demo_text
from vgtui.topics import TOPICS
from vgtui.widgets.pickers import CommandBox, wrap_command
from vgtui.widgets.status_line import STABLE_ENV

from .helpers import screen_lines, wait_until

READY = 120.0


@pytest.fixture(autouse=True)
def stable_environment(monkeypatch):
    monkeypatch.setenv(STABLE_ENV, "1")


LONG = ("vgtui longrange --sentence 'The bottle would not go into the cooler because it was "
        "too tall' --key 2 --model factor --factor 0.7 --gap 0 --sweep 0,5,10,20,50,100,200")


@pytest.mark.parametrize("width", [30, 40, 68, 200])
def test_wrapped_command_is_the_same_command(width):
    lines = wrap_command(LONG, width)
    pasted = "\n".join(lines).replace(" \\\n", " ")
    assert shlex.split(pasted) == shlex.split(LONG)
    # every line fits, but for one word longer than a line (the quoted sentence)
    for line in lines:
        assert len(line) <= width or "'" in line


async def test_the_command_dialog_shows_the_whole_command_at_80_columns():
    app = VgtuiApp(start_screen="longrange")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.screen.is_ready(), timeout=READY)
        app.screen.query_one("#lr-results").focus()
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandBox))
        await pilot.pause()
        command = app.screen.command
        shown = " ".join(line.strip(" │╭╮╰╯─\\") for line in screen_lines(app))
        for word in shlex.split(command):
            for piece in word.split():
                assert piece in shown, (piece, screen_lines(app))


ARTICLE_NUMBER = re.compile(r"\b(seed|article|articles) 00[0-4]\b|\b00[0-4]'s\b")


def _visible_texts(cls) -> list[str]:
    texts = [getattr(cls, "HELP", ""), getattr(cls, "DEMO", "")]
    for preset in getattr(cls, "PRESETS", ()):
        texts += [preset.title, preset.note]
    return texts


@pytest.mark.parametrize("topic", TOPICS, ids=lambda t: t.id)
def test_help_presets_and_demo_name_articles_by_title(topic):
    for text in _visible_texts(topic.load()):
        assert not ARTICLE_NUMBER.search(text), text


@pytest.mark.parametrize("topic", TOPICS, ids=lambda t: t.id)
def test_help_commands_have_no_placeholders(topic):
    help_text = topic.load().HELP
    for command in re.findall(r"`(vgtui [^`]*)`", help_text):
        assert "..." not in command and "…" not in command, command


def test_article_figure_lines_name_the_article():
    from vgtui.engine.articles import (ARTICLE_GROWTH, ARTICLE_MEMORY, ARTICLE_SIGMOID,
                                       ARTICLE_TWO_UNIT, ARTICLES, STATED_LOSSES)

    sources = [ARTICLE_GROWTH.source, ARTICLE_MEMORY.source, ARTICLE_SIGMOID.source,
               ARTICLE_TWO_UNIT.source] + [s.source for s in STATED_LOSSES.values()]
    phrases = [a.phrase for a in ARTICLES.values()]
    for source in sources:
        assert not ARTICLE_NUMBER.search(source), source
        assert any(source.startswith(p) for p in phrases), source


@pytest.mark.parametrize("topic", TOPICS, ids=lambda t: t.id)
def test_demo_narration_does_not_repeat_the_title(topic):
    cls = topic.load()
    if not cls.DEMO.strip():
        return
    text = demo_text(cls.TITLE, cls.DEMO).lower()
    title = cls.TITLE.lower()
    assert not text.startswith(title) and not text.startswith("the " + title), text


async def test_demo_toast_does_not_cover_the_narration():
    app = VgtuiApp(start_screen="decay", demo=True)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await wait_until(pilot, lambda: getattr(app.screen, "SCREEN_ID", "") == "decay"
                         and app.screen.is_ready(), timeout=READY)
        await pilot.pause()
        from textual.widgets._toast import Toast

        app.notify("A toast while the demo runs")
        await wait_until(pilot, lambda: list(app.screen.query(Toast)), timeout=10)
        await pilot.pause(0.3)
        bar = app.screen.query_one("#demo-bar")
        toasts = list(app.screen.query(Toast))
        for toast in toasts:
            assert not toast.region.overlaps(bar.region), (toast.region, bar.region)


@pytest.mark.parametrize("screen_id", ["flow", "longrange", "bound"])
async def test_demo_shows_what_the_narration_is_about(screen_id):
    app = VgtuiApp(start_screen=screen_id, demo=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: getattr(app.screen, "SCREEN_ID", "") == screen_id
                         and app.screen.is_ready(), timeout=READY)
        screen = app.screen
        widget = screen.query_one(screen.DEMO_SHOWS)
        pane = screen.query_one(f"#{screen.PREFIX}-results")

        def in_view() -> bool:
            top = widget.region.y
            return pane.region.y <= top < pane.region.bottom and top < \
                screen.query_one("#demo-bar").region.y

        await wait_until(pilot, in_view, timeout=10)


def test_step_counts_and_sweep_edges_read_as_sentences():
    from types import SimpleNamespace

    from vgtui.present.bound import catch22_lines
    from vgtui.present.regimes import steps_count_text

    assert steps_count_text(None) == "never"
    assert steps_count_text(1) == "1 step" and steps_count_text(1200) == "1,200 steps"
    sweep = SimpleNamespace(first_permitting=None, first_exploding=None, survival_scales=[],
                            rows=[])
    text = "\n".join(catch22_lines(sweep))
    assert "from scale -" not in text and "at no scale of this sweep" in text


@pytest.mark.parametrize("screen_id", ["claims", "watch"])
async def test_the_footer_shows_whole_keys_only(screen_id):
    """At 80 columns a page with many keys shows the ones that fit whole and hides the
    rest from the end (Textual's footer let "m measured" run under the palette key as
    "m meas"); wider, every key is back."""
    from textual.widgets._footer import FooterKey

    from vgtui.widgets.footer import KeyFooter

    app = VgtuiApp(start_screen=screen_id)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: getattr(app.screen, "SCREEN_ID", "") == screen_id)
        footer = app.screen.query_one(KeyFooter)

        def keys():
            return [k for k in footer.query(FooterKey) if not k.has_class("-command-palette")]

        await wait_until(pilot, lambda: keys() and not keys()[-1].display)
        shown = [k for k in keys() if k.display]
        assert shown and all(k.display for k in keys()[:len(shown)])  # hidden from the end
        line = screen_lines(app)[-1]
        keys_part, _, palette = line.rpartition("▏")
        assert "palette" in palette
        for k in keys():
            if k.description:
                assert (k.description in keys_part) == k.display, (k.description, line)
        await pilot.resize_terminal(160, 24)
        await wait_until(pilot, lambda: all(k.display for k in keys()))
        assert all(k.description in screen_lines(app)[-1] for k in keys() if k.description)
