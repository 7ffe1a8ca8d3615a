"""Answer quality measured through any asker: a city's questions asked one by one, scored like crosscity.

An *asker* is a callable ``ask(text) -> (decision, ids)`` (optionally ``(decision, ids, via)``, where ``via``
names the path that took the question, e.g. the Rasa intent): the chat API over HTTP, or the FAQ engine
in-process. :func:`ask_city` asks every question of a :class:`~knowledge.crosscity.City`, :func:`score_asked`
scores the outcomes with :func:`knowledge.crosscity.score_outcomes` (the same figures as ``eval-cities``; the
ranking is the ids the asker returned), and :func:`compare` / :func:`differing` put two askers side by side:
the gaps per figure, and the questions on which they disagree.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from knowledge.crosscity import City, CityScore, score_outcomes
from knowledge.evaluation import EvalQuery

__all__ = [
    "DECISIONS",
    "GATED",
    "Ask",
    "Asked",
    "Difference",
    "ask_city",
    "compare",
    "differing",
    "largest_gap",
    "score_asked",
    "via_counts",
]

DECISIONS = ("answer", "choose", "unknown")
# the figures on which two askers must agree (the chat API must not lose answers the engine gives)
GATED = ("answered_right", "buttons_contain")

Ask = Callable[[str], tuple[str, list[str]] | tuple[str, list[str], str]]


@dataclass(frozen=True)
class Asked:
    """One question and what the asker did with it."""

    query: EvalQuery
    decision: str  # answer | choose | unknown
    ids: list[str]  # answer: the entry given first; choose: the offered entries
    via: str = ""  # what took the question (the Rasa intent for the chat API), for diagnosis

    @property
    def right(self) -> bool:
        """Answered with the expected entry."""
        return self.query.in_scope and self.decision == "answer" and self.ids[:1] == [self.query.expected_id]

    @property
    def buttons(self) -> bool:
        """The expected entry answered, or among the offered choices (crosscity's ``buttons_contain``)."""
        return self.right or (
            self.query.in_scope and self.decision == "choose" and self.query.expected_id in self.ids
        )

    def shown(self) -> str:
        return f"{self.decision}[{','.join(self.ids[:3])}]" + (f" via {self.via}" if self.via else "")


def ask_city(city: City, ask: Ask, progress: Callable[[int, int], None] | None = None) -> list[Asked]:
    """Ask every question of ``city`` in order; the decision must be one of :data:`DECISIONS`."""
    out = []
    for n, query in enumerate(city.queries):
        result = ask(query.text)
        decision, ids = result[0], list(result[1])
        if decision not in DECISIONS:
            raise ValueError(f"{query.text!r}: unknown decision {decision!r} (expected one of {DECISIONS})")
        via = result[2] if len(result) > 2 else ""  # type: ignore[misc]  # the optional third member
        out.append(Asked(query, decision, ids, str(via)))
        if progress:
            progress(n + 1, len(city.queries))
    return out


def score_asked(name: str, method: str, asked: Sequence[Asked]) -> CityScore:
    """The crosscity figures of these outcomes (top-1/top-3 count the ids the asker returned)."""
    return score_outcomes(name, method, ((a.query, a.decision, a.ids, a.ids) for a in asked))


def compare(a: CityScore, b: CityScore, figures: Sequence[str] = GATED) -> dict[str, float]:
    """``a`` minus ``b`` on each figure (negative: ``a`` is worse on a higher-is-better figure)."""
    return {f: float(getattr(a, f)) - float(getattr(b, f)) for f in figures}


def largest_gap(gaps: dict[str, float]) -> tuple[str, float]:
    """The figure with the largest absolute gap, and that gap (signed)."""
    if not gaps:
        return "", 0.0
    figure = max(gaps, key=lambda f: abs(gaps[f]))
    return figure, gaps[figure]


@dataclass(frozen=True)
class Difference:
    """A question two askers treated differently on a gated figure."""

    a: Asked
    b: Asked

    @property
    def figure(self) -> str:
        return "answered_right" if self.a.right != self.b.right else "buttons_contain"

    @property
    def a_better(self) -> bool:
        return (self.a.right, self.a.buttons) > (self.b.right, self.b.buttons)


def differing(a: Sequence[Asked], b: Sequence[Asked]) -> list[Difference]:
    """The questions (same order in both) where ``a`` and ``b`` differ on answered-right or buttons-contain."""
    if [x.query for x in a] != [y.query for y in b]:
        raise ValueError("both askers must have asked the same questions in the same order")
    return [
        Difference(x, y) for x, y in zip(a, b, strict=True) if (x.right, x.buttons) != (y.right, y.buttons)
    ]


def via_counts(differences: Sequence[Difference]) -> Counter[str]:
    """How many of the differing questions each path of the first asker took (e.g. per Rasa intent)."""
    return Counter(d.a.via or "(none)" for d in differences)
