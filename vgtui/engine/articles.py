"""The five source articles: their ids, how vgtui names them, and every figure they
state that vgtui sets beside its own computation.

One source for all of it. Figures are kept as printed (text, with the precision it
was printed at) and are never used in a computation: the engine computes, and the
checks (``figure_checks``, ``claims``, the screens) compare. Which article says what
is data here; how a stated figure is judged is ``claim_rules``.
"""
from __future__ import annotations

from dataclasses import dataclass

from .lists import short_number


@dataclass(frozen=True)
class Article:
    """A source article. Its id ("000") is a file name, never shown to a reader alone:
    the screens and the CLI name an article by its title, its short name or its phrase."""

    id: str
    title: str   # as the claims list names it ('Bengio, Simard & Frasconi (1994), a walkthrough')
    phrase: str  # as a sentence refers to it ('the Bengio et al. (1994) walkthrough')
    short: str   # where room is scarce, at most 10 cells: a table cell ('Bengio 94')


ARTICLES: dict[str, Article] = {a.id: a for a in (
    Article("000", "Bengio, Simard & Frasconi (1994), a walkthrough",
            "the Bengio et al. (1994) walkthrough", "Bengio 94"),
    Article("001", "textbook section on vanishing gradients",
            "the textbook section on vanishing gradients", "Textbook"),
    Article("002", "note on the stability of BPTT", "the BPTT stability note", "BPTT note"),
    Article("003", "Chapter 16, 'The Vanishing Gradient Problem'",
            "Chapter 16, 'The Vanishing Gradient Problem'", "Chapter 16"),
    Article("004", "lesson 'The Vanishing Gradient Problem in RNNs'",
            "the lesson 'The Vanishing Gradient Problem in RNNs'", "RNN lesson"),
)}
ARTICLE_IDS = tuple(ARTICLES)
# id -> title (the claims list, ``vgtui claims --json``), id -> phrase (the screens'
# article-figure tables) and id -> short name (table cells, preset titles).
ARTICLE_TITLES = {k: a.title for k, a in ARTICLES.items()}
ARTICLE_PHRASES = {k: a.phrase for k, a in ARTICLES.items()}
ARTICLE_SHORT = {k: a.short for k, a in ARTICLES.items()}


def cite(article: str, about: str = "") -> str:
    """How a sentence names article ``article`` (an id), optionally with what part of
    it: "the Bengio et al. (1994) walkthrough (its two-unit worked example)"."""
    phrase = ARTICLES[article].phrase
    return f"{phrase} ({about})" if about else phrase


# -- figures the closed forms recompute (decay, derivatives, the scalar trace) ----------
@dataclass(frozen=True)
class ArticleFigure:
    article: str  # an id of ARTICLES
    context: str  # where in the article
    expression: str  # what is computed, in words/symbols
    stated: str  # the article's figure as printed
    kind: str  # "power", "derivative", "max_derivative", "trace"
    args: tuple
    order_only: bool = False  # stated only as a power of ten ("about 1e-12")


def _power(f, t, article, context, stated, expression=None, order_only=False):
    expr = expression or f"{short_number(f)}^{t}"
    return ArticleFigure(article, context, expr, stated, "power", (f, t), order_only)


def _deriv(kind, z, article, context, stated):
    return ArticleFigure(article, context, f"{kind}'({short_number(z)})", stated,
                         "derivative", (kind, z))


def _max_deriv(kind, article, context, stated):
    return ArticleFigure(article, context, f"max {kind}'", stated, "max_derivative", (kind,))


def _trace(column, t, article, stated):
    words = {"h": "h_t", "local": "local w(1-h_t^2)", "cum": "dh_t/dh_0"}[column]
    return ArticleFigure(article, "scalar trace, w=0.5, T=10, h0=0.1", f"{words} at t={t}",
                         stated, "trace", (0.5, 10, 0.1, column, t))


DECAY_FIGURES: tuple[ArticleFigure, ...] = (
    _power(0.5, 20, "003", "w^20 table", "9.5e-7"),
    _power(0.7, 20, "003", "w^20 table", "7.9e-4"),
    _power(0.9, 20, "003", "w^20 table", "1.2e-1"),
    _power(1.0, 20, "003", "w^20 table", "1.0"),
    _power(1.1, 20, "003", "w^20 table", "6.7"),
    _power(1.5, 20, "003", "w^20 table", "3325"),
    _power(2.0, 20, "003", "w^20 table", "1,048,576"),
    _power(0.25, 20, "003", "sigmoid bound over 20 steps", "1e-12", order_only=True),
    _power(0.7, 13, "003", "subject-verb gap of 13 tokens", "0.01"),
    _power(0.5, 10, "003", "ten steps at 0.5", "0.001"),
    _power(0.5, 20, "003", "twenty steps at 0.5", "1e-6", order_only=True),
    _power(0.9, 10, "001", "scalar example table", "0.35"),
    _power(0.9, 50, "001", "scalar example table", "0.005"),
    _power(0.9, 100, "001", "scalar example table", "0.000026"),
    _power(0.7, 10, "000", "0.7 per step", "0.028"),
    _power(0.7, 20, "000", "0.7 per step", "0.0008"),
    _power(0.7, 50, "000", "0.7 per step", "1.8e-8"),
    _power(0.9, 50, "000", "gamma = 0.9 over 50 steps", "0.005"),
    _power(0.46, 5, "000", "two-unit example, its rho = 0.46", "0.021"),
    _power(0.46, 10, "000", "two-unit example, its rho = 0.46", "0.00043"),
    _power(0.46, 20, "000", "two-unit example, its rho = 0.46", "1.8e-7"),
    _power(0.8, 17, "000", "17 Jacobians of norm 0.8", "0.023"),
    _power(0.95, 100, "000", "compound interest", "0.006"),
    _power(0.42, 20, "000", "tanh' = 0.42 over 20 steps", "2e-8"),
    _power(0.2, 20, "000", "sigmoid' = 0.20 over 20 steps", "1e-14"),
    _power(0.7, 100, "000", "RNN factor 0.7 over 100 steps", "3.2e-16"),
    _power(0.98, 100, "000", "forget gate 0.98 over 100 steps", "0.13"),
    _power(0.45, 10, "004", "eigenvalue 0.9 x tanh' 0.5", "3.49e-03", "(0.9*0.5)^10"),
    _power(0.45, 20, "004", "eigenvalue 0.9 x tanh' 0.5", "1.22e-05", "(0.9*0.5)^20"),
    _power(0.45, 50, "004", "eigenvalue 0.9 x tanh' 0.5", "5.20e-14", "(0.9*0.5)^50"),
    _power(0.45, 100, "004", "eigenvalue 0.9 x tanh' 0.5", "2.70e-27", "(0.9*0.5)^100"),
    _power(1.1, 10, "004", "eigenvalue 1.1", "2.59e+00"),
    _power(1.1, 20, "004", "eigenvalue 1.1", "6.73e+00"),
    _power(1.1, 50, "004", "eigenvalue 1.1", "1.17e+02"),
)

DERIVATIVE_FIGURES: tuple[ArticleFigure, ...] = (
    _deriv("tanh", 0.0, "000", "derivative printout", "1.00"),
    _deriv("tanh", 1.0, "000", "derivative printout", "0.42"),
    _deriv("tanh", 2.0, "000", "derivative printout", "0.07"),
    _deriv("sigmoid", 0.0, "000", "derivative printout", "0.25"),
    _deriv("sigmoid", 1.0, "000", "derivative printout", "0.20"),
    _deriv("sigmoid", 2.0, "000", "derivative printout", "0.10"),
    _deriv("sigmoid", 5.0, "000", "sigmoid tails", "0.007"),
    _max_deriv("tanh", "000", "activation table", "1.0"),
    _max_deriv("sigmoid", "000", "activation table", "0.25"),
    _max_deriv("relu", "000", "activation table", "1.0"),
    _max_deriv("tanh", "001", "tanh can reach 1 near zero", "1"),
    _deriv("tanh", 0.0, "004", "tanh derivative comments", "1"),
    _deriv("tanh", 2.0, "004", "tanh derivative comments", "0.07"),
    _deriv("tanh", 5.0, "004", "tanh derivative comments", "0.00018"),
    _deriv("tanh", 1.0, "003", "activation table, typical (|z| = 1)", "0.42"),
    _deriv("sigmoid", 1.0, "003", "activation table, typical (|z| = 1)", "0.20"),
    _max_deriv("sigmoid", "003", "activation table", "0.25"),
    _max_deriv("tanh", "003", "activation table", "1.00"),
    _max_deriv("relu", "003", "activation table", "1.00"),
    _max_deriv("identity", "003", "activation table", "1.00"),
    _max_deriv("tanh", "004", "key takeaways", "1"),
)

TRACE_FIGURES: tuple[ArticleFigure, ...] = (
    _trace("h", 1, "003", "0.04996"),
    _trace("local", 1, "003", "0.49875"),
    _trace("cum", 1, "003", "4.988e-01"),
    _trace("h", 5, "003", "0.003122"),
    _trace("cum", 5, "003", "3.115e-02"),
    _trace("local", 5, "003", "0.50000"),
    _trace("h", 10, "003", "0.00010"),
    _trace("cum", 10, "003", "9.733e-04"),
)


# -- the two-unit worked example (the Jacobian screen) ----------------------------------
@dataclass(frozen=True)
class ArticleFigures:
    """Figures an article states for a worked example, quoted so the screen can set
    them beside what the engine computes. They are never used in a computation."""

    source: str
    matrix: tuple[tuple[float, ...], ...]
    derivative: float
    spectral_radius: float
    norms: tuple[tuple[int, float], ...]  # (n, stated ||J^n||)
    norm_kind: str


# The Bengio walkthrough works a two-unit example through by hand and in numpy (whose
# np.linalg.norm of a matrix is the Frobenius norm by default).
ARTICLE_TWO_UNIT = ArticleFigures(
    source=cite("000", "its two-unit worked example"),
    matrix=((0.5, 0.1), (0.2, 0.4)),
    derivative=0.8,
    spectral_radius=0.46,
    norms=((1, 0.464), (5, 0.021), (10, 0.00043), (20, 1.8e-7)),
    norm_kind="np.linalg.norm (Frobenius)",
)


# -- statements the RNN screens check against a measurement ------------------------------
@dataclass(frozen=True)
class ArticleMemoryClaim:
    """The Bengio walkthrough on memory capacity: with 64 hidden units, 50 steps back only two or
    three directions still carry gradient. Quoted, never computed with."""

    source: str = cite("000", "on effective memory capacity")
    hidden: int = 64
    steps_back: int = 50
    dims: tuple[int, int] = (2, 3)

    def applies(self, run) -> bool:
        """Whether a JacobianRun is the article's set-up (64 units, more than 50 steps)."""
        return run.config.hidden == self.hidden and run.steps > self.steps_back

    def computed(self, run) -> int:
        """Effective dimensions of a JacobianRun's dh_T/dh_t at T - t = steps_back."""
        return int(run.effective_dims[run.steps - 1 - self.steps_back])


ARTICLE_MEMORY = ArticleMemoryClaim()


@dataclass(frozen=True)
class ArticleGrowthClaim:
    """Chapter 16 suggests changing its 4-unit network's 0.5 to 1.5 and says the gradient
    then reaches numbers of about 1e8 at early time steps. Quoted, never computed with."""

    source: str = cite("003", "its 4-unit network with 0.5 changed to 1.5")
    stated_log10: float = 8.0


ARTICLE_GROWTH = ArticleGrowthClaim()


@dataclass(frozen=True)
class ArticleSigmoidClaim:
    """The Bengio walkthrough: pushing a sigmoid RNN's ||W_hh|| past 4 (so the bound allows survival)
    lands it in the exploding regime for many inputs. Quoted, never computed with."""

    source: str = cite("000", "a sigmoid RNN needs ||W_hh|| > 4")
    norm: float = 4.0

    def measured(self, sweep) -> tuple[int, int]:
        """(exploded, total) over a Catch22Sweep's sequences at scales with ||W_hh||_2 > 4."""
        rows = [r for r in sweep.rows if r.spectral_norm > self.norm]
        return sum(r.exploded for r in rows), sum(r.sequences for r in rows)


ARTICLE_SIGMOID = ArticleSigmoidClaim()


# -- the LSTM toy: a per-step factor against a forget gate (the Forget gate screen) ------
ARTICLE_TOY = {"factor": 0.7, "gate": 0.98, "steps": 100}
# What the source article states for its toy, as numbers, so the screen can check them.
ARTICLE_TOY_CLAIMS = (
    ("0.7^100", "rnn", 3.2e-16),
    ("0.98^100", "gate", 0.13),
    ("gate / RNN", "advantage", 1e15),
)


# -- training -----------------------------------------------------------------------------
@dataclass(frozen=True)
class StatedLosses:
    """Final losses an article prints for a training set-up that an Experiments preset
    follows: {T: loss}. Shown beside the measured ones, never used to compute."""

    source: str
    preset: str  # the Experiments preset that follows the article's set-up
    losses: dict


ARTICLE_FIRST_LOSSES = StatedLosses(cite("000"), "article-first",
                                    {5: 0.02, 10: 0.15, 20: 0.85, 50: 1.00, 100: 1.00})
STATED_LOSSES = {s.preset: s for s in (ARTICLE_FIRST_LOSSES,)}

# The articles put the vanilla RNN's limit at roughly 10 to 20 steps.
ARTICLE_RNN_LIMIT = 20
