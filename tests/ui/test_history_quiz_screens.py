"""History & remedies and Quiz screens driven through Pilot."""
import json
import shlex

import pytest
from textual.widgets import TabbedContent

from vgtui.screens.flow import FlowScreen
from vgtui.screens.history import REMEDIES, TIMELINE, HistoryScreen
from vgtui.screens.quiz import QuizScreen

from .helpers import copied_command, page, text_of, wait_until


async def test_timeline_and_remedies_rows_with_detail():
    async with page(HistoryScreen, size=(80, 24)) as (app, pilot, screen):
        assert screen.query_one("#hist-timeline").row_count == len(TIMELINE) >= 11
        years = [e.year for e in TIMELINE]
        assert years[0] == "1974" and years[-1] == "2023" and years == sorted(years)
        screen.query_one("#hist-timeline").focus()
        await pilot.press("down", "down")
        await pilot.pause()
        assert TIMELINE[2].what.split(":")[0] in text_of(screen.query_one("#hist-timeline-detail"))
        await pilot.press("r")
        await pilot.pause()
        assert screen.query_one("#hist-tabs", TabbedContent).active == "remedies"
        assert screen.query_one("#hist-remedies").row_count == len(REMEDIES) == 10
        await pilot.press("down")
        await pilot.pause()
        detail = text_of(screen.query_one("#hist-remedies-detail"))
        assert REMEDIES[1].name in detail and "✓ fixes" in detail and "✗ cannot" in detail


@pytest.mark.slow
async def test_enter_on_a_row_opens_the_linked_screen():
    async with page(HistoryScreen, size=(100, 30)) as (app, pilot, screen):
        table = screen.query_one("#hist-timeline")
        table.focus()
        flow_row = next(i for i, e in enumerate(TIMELINE) if e.screen == "flow")
        table.move_cursor(row=flow_row)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, FlowScreen))


@pytest.mark.slow
async def test_a_link_to_a_screen_missing_from_the_registry_is_refused_gracefully(monkeypatch):
    import vgtui.app as app_module

    monkeypatch.setattr(app_module, "topic_ids", lambda: ["longrange", "flow", "history"])
    async with page(HistoryScreen, size=(100, 30)) as (app, pilot, screen):
        app.action_goto("quiz")
        await pilot.pause()
        assert app.screen is screen
        assert any("no screen 'quiz'" in str(n.message) for n in app._notifications)


@pytest.mark.slow
async def test_sharing_and_capacity_inputs(run_cli):
    async with page(HistoryScreen, size=(80, 24)) as (app, pilot, screen):
        await pilot.press("s")
        await pilot.pause()
        summary = text_of(screen.query_one("#cap-summary"))
        assert "4,800" in summary and "2^64" in summary
        field = screen.query_one("#cap-hidden")
        field.value = "128"
        await wait_until(pilot, lambda: screen.cap_result.config.hidden == 128)
        assert "2^128" in text_of(screen.query_one("#cap-summary"))
        kept = screen.cap_result
        field.value = "zero"
        await wait_until(pilot, lambda: "hidden size n must be"
                         in text_of(screen.query_one("#cap-error")))
        assert screen.cap_result is kept
        field.value = "32"
        await wait_until(pilot, lambda: screen.cap_result.config.hidden == 32)
        screen.query_one("#cap-table").focus()
        command = await copied_command(pilot)
        shown = screen.cap_result
    code, out, _ = run_cli(*(shlex.split(command)[1:] + ["--json"]))
    assert json.loads(out)["recurrent_params"] == shown.recurrent_params == 32 * 32 + 32 * 10 + 32


async def test_quiz_answers_by_letter_scores_and_explains():
    from vgtui.engine.quiz import ANSWER_KEYS

    async with page(QuizScreen, size=(80, 24)) as (app, pilot, screen):
        q = screen.question
        wrong = (q.answer + 1) % 4
        await pilot.press(ANSWER_KEYS[wrong])
        await pilot.pause()
        feedback = text_of(screen.query_one("#quiz-feedback"))
        assert "✗" in feedback and q.choices[wrong].why[:30] in feedback
        assert q.choices[q.answer].text in feedback
        assert screen.score == (0, 1)
        await pilot.press(ANSWER_KEYS[q.answer])  # the first answer counts
        assert screen.score == (0, 1)
        await pilot.press("n")
        await pilot.pause()
        q2 = screen.question
        await pilot.press(ANSWER_KEYS[q2.answer])
        await pilot.pause()
        assert "✓ Right" in text_of(screen.query_one("#quiz-feedback"))
        assert screen.score == (1, 2)
        assert "score 1/2" in text_of(screen.query_one("#quiz-progress"))
        await pilot.press("p")
        assert screen.index == 0


@pytest.mark.slow
async def test_quiz_enter_on_an_option_answers_and_a_full_round_reports_the_score():
    async with page(QuizScreen, size=(80, 24)) as (app, pilot, screen):
        total = len(screen.quiz.questions)
        assert total >= 12
        for _ in range(total):
            q = screen.question
            options = screen.query_one("#quiz-options")
            options.focus()
            options.highlighted = q.answer
            await pilot.press("enter")
            await pilot.pause()
            await pilot.press("n")
        assert screen.score == (total, total)
        await pilot.press("p")
        assert f"All {total} answered" in text_of(screen.query_one("#quiz-feedback"))


@pytest.mark.slow
async def test_quiz_new_round_recomputes_the_numbers():
    async with page(QuizScreen, size=(80, 24)) as (app, pilot, screen):
        first = [q.value for q in screen.quiz.questions if q.numeric]
        await pilot.press("a")
        await pilot.press("r")
        await wait_until(pilot, lambda: screen.quiz.round == 1)
        assert screen.answers == {} and screen.index == 0
        assert [q.value for q in screen.quiz.questions if q.numeric] != first


@pytest.mark.slow
async def test_quiz_copy_as_command_where_a_lookup_exists(run_cli):
    async with page(QuizScreen, size=(80, 24)) as (app, pilot, screen):
        index = next(i for i, q in enumerate(screen.quiz.questions) if q.qid == "flow-ratio")
        screen.index = index
        screen._draw()
        q = screen.question
        assert screen.cli_command() == q.command
        screen.index = next(i for i, q in enumerate(screen.quiz.questions) if not q.command)
        assert screen.cli_command() is None
    code, out, _ = run_cli(*(shlex.split(q.command)[1:]))
    assert 10 ** json.loads(out)["log10_ratio"][0] == q.value
