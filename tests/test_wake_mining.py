"""Hard-negative mining for the wake head (``glasses.training.wake_word.mine``): which windows of
a distractor stream become negatives. Synthetic embeddings, no models."""

from __future__ import annotations

import numpy as np

from glasses.speech.wake_features import EMBED_DIM
from glasses.speech.wake_model import WINDOW
from glasses.training.wake_word import KINDS, Steps, mine, window_index


def _stream(n: int) -> tuple[Steps, np.ndarray]:
    """``n`` steps led by ``WINDOW − 1`` rows; step i's embedding is i everywhere, so a
    window's score can be read from its last row."""
    values = np.concatenate([np.zeros(WINDOW - 1), np.arange(n)])
    emb = np.repeat(values[:, None], EMBED_DIM, axis=1).astype(np.float16)
    rows = len(values)
    steps = Steps(emb, np.full(rows, -1, np.int8), np.full(rows, KINDS.index("mined"), np.int8))
    return steps, np.arange(WINDOW - 1, rows)


def _last_step(windows: np.ndarray) -> np.ndarray:
    return windows[:, -1, 0] / 100.0  # step i scores i / 100


def test_windows_at_the_minimum_score_become_negatives() -> None:
    stream, ends = _stream(100)
    mined, scores = mine(stream, ends, _last_step, 0.9, 5)
    assert np.allclose(scores, np.arange(100) / 100)
    rows = window_index(mined)
    assert rows.tolist() == ends[90:].tolist()
    assert set(mined.labels[rows].tolist()) == {0}
    assert int(np.sum(mined.labels == -1)) == len(mined.labels) - 10


def test_the_top_scoring_windows_are_taken_when_too_few_pass() -> None:
    stream, ends = _stream(100)
    mined, _ = mine(stream, ends, _last_step, 0.99, 20)
    assert window_index(mined).tolist() == ends[80:].tolist()
    assert stream.labels.max() == -1  # the stream itself is not changed
