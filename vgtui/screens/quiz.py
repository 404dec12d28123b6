"""Quiz: multiple choice by keyboard, an explanation for every answer, a score.

The numeric questions are built by the engine when a round starts (the right
option is computed then, e.g. by running the flow engine on a preset); a new
round draws new parameters.
"""
from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.markup import escape
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ..engine.quiz import ANSWER_KEYS, build_quiz
from ..widgets.pickers import PagingSafeOptionList
from .base import PageScreen

HELP = """\
**What it shows.** Questions on vanishing and exploding gradients, one at a time. Several
ask you to predict a number (a power like 0.9^50, a derivative, a step count, the gradient
ratio of a real RNN): the engine computes the right option when the round starts, and
the explanation shows the computation.

**How to answer.** Press `a`, `s`, `d` or `f` (the labels in front of the options), or
move with ↑/↓ and press Enter. The first answer counts. After answering you see ✓ by the
right option and ✗ by a wrong choice, with why each is right or wrong.

**Keys.** `n` next question, `p` previous, `r` a new round with new numbers (the score
starts again). The score line counts right answers out of those answered.

**Things to try.** Answer the numeric questions before looking, then open the screen
that explains the idea (`g` lists the screens). Where a question has a matching command
(the sigmoid preset's gradient ratio, the parameter count), `c` shows it.
"""


class QuizScreen(PageScreen):
    SCREEN_ID = "quiz"
    TITLE = "Quiz"
    HELP = HELP
    DEMO = ("Quiz: multiple choice by keyboard, with an explanation for every answer. The "
            "numeric questions are computed by the engine when the round starts, so a new "
            "round asks new numbers.")
    AUTO_FOCUS = "#quiz-options"

    BINDINGS = [
        *[Binding(k, f"answer({i})", f"answer {k}", show=False, id=f"quiz.answer_{k}",
                  tooltip=f"Choose option {k}") for i, k in enumerate(ANSWER_KEYS)],
        Binding("n", "move(1)", "next", id="quiz.next", tooltip="Next question"),
        Binding("p", "move(-1)", "previous", id="quiz.previous", tooltip="Previous question"),
        Binding("r", "new_round", "new round", id="quiz.round",
                tooltip="A new round: new numbers, score reset"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.quiz = None
        self.round = 0
        self.index = 0
        self.answers: dict[int, int] = {}

    def compose_page(self) -> ComposeResult:
        with VerticalScroll(id="quiz-body"):
            yield Static("building the questions...", id="quiz-progress")
            yield Static("", id="quiz-prompt")
            yield PagingSafeOptionList(id="quiz-options")
            yield Static("", id="quiz-feedback")

    def has_result(self) -> bool:
        return self.quiz is not None

    def on_mount(self) -> None:
        self.start_round(0)

    # -- rounds ---------------------------------------------------------------------
    def start_round(self, round_: int) -> None:
        self.run_job(lambda job: build_quiz(round_, cancel=job.cancelled), self._round_ready,
                     label=f"building round {round_}")

    def _round_ready(self, quiz) -> None:
        self.quiz = quiz
        self.round = quiz.round
        self.index = 0
        self.answers = {}
        self.status.show(device="cpu", dtype="float64", message=f"round {quiz.round}: {len(quiz.questions)} questions, "
                         "numbers computed now", error=False)
        self._draw()

    @property
    def question(self):
        return self.quiz.questions[self.index] if self.quiz else None

    @property
    def score(self) -> tuple[int, int]:
        if not self.quiz:
            return 0, 0
        right = sum(1 for i, a in self.answers.items() if self.quiz.questions[i].answer == a)
        return right, len(self.answers)

    # -- actions --------------------------------------------------------------------
    def action_answer(self, choice: int) -> None:
        if self.quiz is None:
            return
        if self.index in self.answers:
            self.notify("Already answered: n for the next question, r for a new round.")
            return
        self.answers[self.index] = int(choice)
        self._draw()

    def action_move(self, delta: int) -> None:
        if self.quiz is None:
            return
        self.index = (self.index + int(delta)) % len(self.quiz.questions)
        self._draw()

    def action_new_round(self) -> None:
        self.start_round(self.round + 1)

    @on(OptionList.OptionSelected, "#quiz-options")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.action_answer(event.option_index)

    def cli_command(self) -> str | None:
        q = self.question
        return q.command if q is not None else None

    def demo_prepare(self) -> None:
        if self.quiz is not None and self.quiz.round == 0:
            self.index = 0
            self.answers = {}
            self._draw()
        else:
            self.start_round(0)

    def palette_commands(self):
        return [("Quiz: new round", "new numbers, score reset", self.action_new_round),
                ("Quiz: next question", "", lambda: self.action_move(1)),
                ("Quiz: previous question", "", lambda: self.action_move(-1))]

    # -- drawing --------------------------------------------------------------------
    def _draw(self) -> None:
        q = self.question
        if q is None:
            return
        total = len(self.quiz.questions)
        right, answered = self.score
        kind = "predict the number" if q.numeric else "concept"
        self.query_one("#quiz-progress", Static).update(
            f"question {self.index + 1} of {total} ({kind}) · score {right}/{answered} answered "
            f"· round {self.round}")
        self.query_one("#quiz-prompt", Static).update(f"[b]{escape(q.prompt)}[/b]")
        chosen = self.answers.get(self.index)
        options = self.query_one("#quiz-options", OptionList)
        options.clear_options()
        for i, choice in enumerate(q.choices):
            mark = ""
            if chosen is not None:
                mark = " ✓ right" if i == q.answer else (" ✗ your answer" if i == chosen else "")
            options.add_option(Option(escape(f"[{ANSWER_KEYS[i]}] {choice.text}{mark}")))
        options.highlighted = chosen if chosen is not None else 0
        feedback = self.query_one("#quiz-feedback", Static)
        if chosen is None:
            feedback.update("[dim]a / s / d / f or ↑↓ Enter to answer · n next · p previous · "
                            "r new round[/dim]")
            feedback.set_classes("")
            return
        lines = []
        if chosen == q.answer:
            lines.append(escape(f"✓ Right. {q.choices[q.answer].why}"))
        else:
            lines.append(escape(f"✗ Not quite. {q.choices[chosen].why}"))
            lines.append(escape(f"✓ The answer is [{ANSWER_KEYS[q.answer]}] "
                                f"{q.choices[q.answer].text}: {q.choices[q.answer].why}"))
        if q.computed:
            lines.append(f"[dim]computed when this round began: {escape(q.computed)}[/dim]")
        if q.command:
            lines.append(f"[dim]same number: {escape(q.command)}[/dim]")
        if len(self.answers) == total:
            lines.append(f"\n[b]All {total} answered: {right} right.[/b] r starts a new round.")
        feedback.update("\n".join(lines))
        feedback.set_classes("right" if chosen == q.answer else "wrong")
