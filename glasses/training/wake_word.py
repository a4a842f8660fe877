"""Train the "hey glasses" head: ``python -m glasses.training.wake_word --seed N --out PATH``.

1. **Data** (``glasses.training.wake_data``): ``--positives`` and ``--negatives`` augmented
   clips from the training voices, in shards of ``SHARD`` clips, each from its own seed.
2. **Features**: each clip's openWakeWord embeddings (``glasses.speech.wake_features``), one per
   80 ms step, as the runtime computes them, with a label per step: 1 when the step ends within
   ``POSITIVE_BEFORE_S``/``POSITIVE_AFTER_S`` of the end of "glasses", 0 for every step of a
   negative clip and for the steps of a positive clip that end ``NEGATIVE_BEFORE_S`` or more
   before the phrase does, ignored otherwise (the phrase is still in the window after it ends).
   Shards are cached under ``$GLASSES_CACHE_DIR/wake_train`` (default ``~/.cache/glasses``),
   keyed by the recipe version and seed, so a rerun only trains.
3. **Head**: LayerNorm-MLP over the last 16 embeddings (1.28 s) → the probability that the
   phrase has just ended; Adam, binary cross-entropy with positives and look-alikes weighted up;
   torch on the CPU (the ``train`` extra). ``--hard-rounds N`` then re-weights the negative
   windows the head still scores >= 0.05 and trains a few more epochs (off by default: on the
   held-out figures it cost more detection than it saved false accepts).
   ``--mine-minutes N`` mines hard negatives from a larger pool instead: N minutes of the
   held-out figures' distractor stream (``wake_figures.stream_minutes``: sentences, dictionary
   words, look-alikes, noise, tones) spoken by the *training* voices from seeds of its own
   (cached like the shards), scored window by window by a first pass of the same recipe (or
   ``--mine-head``); the windows scoring ``--mine-min`` or more, topped up to the ``--mine-top``
   highest-scoring ones, join the data as negatives of kind "mined" (weighted like look-alikes)
   and the head is trained again from the same seed.
4. **Export**: the weights written as an ONNX graph with ``onnx.helper`` (input ``embeddings``
   B×16×96 float32, output ``score`` B×1), beside a JSON record of the run (``.json``).

Held-out voices (``wake_data.voices("eval")``) give the record's quick figures; the real ones are
``glasses.bench.wake_figures``. ``make wake-model`` runs it with the committed seed.
"""

from __future__ import annotations

import argparse
import datetime
import functools
import hashlib
import json
import multiprocessing
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from glasses.atomic import write_bytes, write_text
from glasses.bench.speech_corpus import HELD_OUT_ACCENTS, HELD_OUT_OTHER_VOICES, HELD_OUT_VARIANTS
from glasses.cache import cache_dir as glasses_cache_dir
from glasses.cache import load_npz, save_npz
from glasses.speech.wake_features import (
    EMBED_DIM,
    RATE,
    STEP,
    FrontEnd,
    StreamingFeatures,
    clip_embeddings,
)
from glasses.speech.wake_model import WINDOW
from glasses.training import wake_data
from models.registry import sha256_of

# Bump when wake_data or the labelling changes what a shard holds. 3: espeak-ng speaks each clip
# afresh (wake_data.WordTimedEspeak); recipe 2's clips depended on the clips before them.
RECIPE_VERSION = 3
OTHER_RECIPE_VERSION = 1  # the same, for the shards of other synthesisers than espeak-ng
SHARD = 200
POSITIVE_BEFORE_S = 0.08
POSITIVE_AFTER_S = 0.24
NEGATIVE_BEFORE_S = 0.4
HEAD_INPUT, HEAD_OUTPUT = "embeddings", "score"  # the head graph's input and output names
KINDS = ("pos", "lookalike", "speech", "noise", "tone", "silence", "mined")
MINE_VERSION = 3  # bump when the mining stream's recipe (wake_figures.stream_minutes) changes
MINE_SHARD_MINUTES = 30
DEFAULT_OUT = Path("models/wake/hey_glasses.onnx")

Progress = Callable[[str], None]
T = TypeVar("T")


def cache_root() -> Path:
    """``$GLASSES_CACHE_DIR/wake_train``, else ``$XDG_CACHE_HOME/glasses/wake_train``."""
    return glasses_cache_dir("wake_train")


@dataclass(frozen=True, slots=True)
class Steps:
    """Embeddings of many clips, one row per 80 ms step, each clip led by ``WINDOW − 1`` rows of
    silence. ``labels``: 1, 0 or −1 (ignored; also the lead rows); ``kind``: index in
    ``KINDS``."""

    embeddings: np.ndarray  # (n, 96) float16
    labels: np.ndarray  # (n,) int8
    kind: np.ndarray  # (n,) int8

    @staticmethod
    def concat(parts: list[Steps]) -> Steps:
        return Steps(
            np.concatenate([p.embeddings for p in parts]),
            np.concatenate([p.labels for p in parts]),
            np.concatenate([p.kind for p in parts]),
        )


def label_steps(n_steps: int, ends: tuple[int, ...]) -> np.ndarray:
    """Labels of a clip's ``n_steps`` steps given where "hey glasses" ends (samples)."""
    labels = np.zeros(n_steps, np.int8)
    step_end = (np.arange(n_steps) + 1) * STEP
    for end in ends:
        near = (step_end >= end - POSITIVE_BEFORE_S * RATE) & (
            step_end <= end + POSITIVE_AFTER_S * RATE
        )
        labels[step_end > end - NEGATIVE_BEFORE_S * RATE] = -1
        labels[near] = 1
    return labels


def clip_steps(clip: wake_data.Clip, front: FrontEnd) -> Steps:
    emb = clip_embeddings(clip.audio, front)
    lead = np.repeat(front.silent_embedding[None], WINDOW - 1, axis=0)
    labels = np.concatenate([np.full(WINDOW - 1, -1, np.int8), label_steps(len(emb), clip.ends)])
    kind = np.full(len(labels), KINDS.index(clip.kind), np.int8)
    return Steps(np.concatenate([lead, emb]).astype(np.float16), labels, kind)


def shard(
    split: str,
    polarity: str,
    seed: int,
    index: int,
    front: FrontEnd | None = None,
    synth: str = "espeak",
) -> Steps:
    """Shard ``index`` of ``polarity`` ("pos"/"neg") clips of ``synth``'s ``split`` voices,
    cached. espeak-ng shards are keyed by ``RECIPE_VERSION``, the others by
    ``OTHER_RECIPE_VERSION``, so adding synthesisers does not remake espeak-ng's."""
    if synth == "espeak":
        key = f"v{RECIPE_VERSION}-{split}-{polarity}-{seed}-{index}"
    else:
        key = f"v{OTHER_RECIPE_VERSION}-{synth}-{split}-{polarity}-{seed}-{index}"
    path = cache_root() / f"{key}.npz"
    cached = load_npz(path, "embeddings", "labels", "kind")
    if cached is not None:
        return Steps(cached["embeddings"], cached["labels"], cached["kind"])
    digest = hashlib.sha256(key.encode()).digest()
    rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
    pool = wake_data.voices(split, synth)
    if not pool:
        raise ValueError(f"{synth} has no {split} voices")
    make = wake_data.positive_clip if polarity == "pos" else wake_data.negative_clip
    front = front or _worker_front_end()
    steps = Steps.concat([clip_steps(make(rng, pool), front) for _ in range(SHARD)])
    save_npz(path, embeddings=steps.embeddings, labels=steps.labels, kind=steps.kind)
    return steps


@functools.cache
def _worker_front_end() -> FrontEnd:
    return FrontEnd(threads=1)


def _shard_job(job: tuple[str, str, int, int, str]) -> Steps:
    split, polarity, seed, index, synth = job
    return shard(split, polarity, seed, index, synth=synth)


def dataset(
    split: str,
    counts: dict[str, tuple[int, int]],
    seed: int,
    progress: Progress,
    *,
    jobs: int = 2,
) -> Steps:
    """The steps of (positives, negatives) clips of each synthesiser's ``split`` voices
    (``counts``; whole shards), made by ``jobs`` processes (one ONNX thread each)."""
    todo = []
    for synth, (positives, negatives) in counts.items():
        todo += [(split, "pos", seed, i, synth) for i in range((positives + SHARD - 1) // SHARD)]
        todo += [(split, "neg", seed, i, synth) for i in range((negatives + SHARD - 1) // SHARD)]
    return Steps.concat(_in_workers(_shard_job, todo, jobs, progress, split))


def _in_workers(
    fn: Callable[[Any], T], todo: list[Any], jobs: int, progress: Progress, what: str
) -> list[T]:
    """``fn`` of each of ``todo``, in order, by ``jobs`` forked processes (they inherit
    nothing heavy: no ONNX session exists in the parent yet), a progress line per result."""
    out: list[T] = []
    t0 = time.monotonic()
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        for n, result in enumerate(pool.imap(fn, todo), start=1):
            out.append(result)
            progress(f"{what}: shard {n}/{len(todo)} {time.monotonic() - t0:.0f} s")
    return out


def mining_shard(seed: int, index: int, front: FrontEnd | None = None) -> np.ndarray:
    """Embeddings ((n, 96) float16, one per step, streamed) of ``MINE_SHARD_MINUTES`` of the
    held-out figures' distractor stream (``wake_figures.stream_minutes``) spoken by the
    *training* voices without the bench's sentences, from its own seed; cached like the
    shards."""
    from glasses.bench.wake_figures import stream_minutes

    key = f"mine-v{MINE_VERSION}-{seed}-{index}"
    path = cache_root() / f"{key}.npz"
    cached = load_npz(path, "embeddings")
    if cached is not None:
        return cached["embeddings"]
    digest = hashlib.sha256(key.encode()).digest()
    rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
    features = StreamingFeatures(front or _worker_front_end())
    audio = stream_minutes(
        MINE_SHARD_MINUTES, rng, wake_data.voices("train"), [], bench_texts=False
    )
    embeddings = np.concatenate([features.push(pcm) for pcm in audio]).astype(np.float16)
    save_npz(path, embeddings=embeddings)
    return embeddings


def _mining_job(job: tuple[int, int]) -> np.ndarray:
    return mining_shard(*job)


def mining_stream(
    minutes: int, seed: int, progress: Progress, *, jobs: int = 2
) -> tuple[Steps, np.ndarray]:
    """``minutes`` (whole shards) of the training voices' distractor stream as ``Steps`` (each
    shard led by ``WINDOW − 1`` silent rows, every row labelled −1: ``mine`` picks the rows),
    and the rows that end a window of the stream (not a lead row)."""
    todo = [(seed, i) for i in range((minutes + MINE_SHARD_MINUTES - 1) // MINE_SHARD_MINUTES)]
    # The parent makes its front end only after the workers are done.
    shards = _in_workers(_mining_job, todo, jobs, progress, "mining stream")
    lead = np.repeat(_worker_front_end().silent_embedding[None], WINDOW - 1, axis=0)
    parts, ends = [], []
    offset = 0
    for emb in shards:
        rows = np.concatenate([lead, emb]).astype(np.float16)
        kind = np.full(len(rows), KINDS.index("mined"), np.int8)
        parts.append(Steps(rows, np.full(len(rows), -1, np.int8), kind))
        ends.append(offset + np.arange(WINDOW - 1, len(rows)))
        offset += len(rows)
    return Steps.concat(parts), np.concatenate(ends)


def mine(
    stream: Steps,
    ends: np.ndarray,
    score: Callable[[np.ndarray], np.ndarray],
    min_score: float,
    top: int,
) -> tuple[Steps, np.ndarray]:
    """``stream`` with the windows (ending at ``ends``) that ``score`` ((B, 16, 96) → (B,))
    gives ``min_score`` or more labelled 0 (negatives), or its ``top`` highest-scoring windows
    when fewer pass; and every window's score."""
    scores = np.concatenate(
        [score(gather(stream, ends[i : i + 8192])) for i in range(0, len(ends), 8192)]
    )
    chosen = scores >= min_score
    if chosen.sum() < top:
        chosen = np.zeros(len(ends), bool)
        chosen[np.argsort(-scores, kind="stable")[:top]] = True
    labels = stream.labels.copy()
    labels[ends[chosen]] = 0
    return Steps(stream.embeddings, labels, stream.kind), scores


def window_index(steps: Steps) -> np.ndarray:
    """Rows whose label counts (the end of each training window)."""
    return np.nonzero(steps.labels >= 0)[0]


def gather(steps: Steps, rows: np.ndarray) -> np.ndarray:
    """(len(rows), 16, 96) float32 windows ending at ``rows``."""
    idx = rows[:, None] + np.arange(-WINDOW + 1, 1)[None, :]
    return steps.embeddings[idx].astype(np.float32)


# ---- the head -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HeadConfig:
    hidden: int = 64
    epochs: int = 12
    batch: int = 512
    lr: float = 1e-3
    weight_decay: float = 1e-4
    dropout: float = 0.2
    positive_weight: float = 4.0
    lookalike_weight: float = 3.0
    hard_rounds: int = 0  # measured: 2 rounds lowered detection more than false accepts
    hard_min: float = 0.05
    hard_weight: float = 4.0
    hard_epochs: int = 4
    mined_weight: float = 3.0  # the mined stream windows (kind "mined"), like look-alikes


def train_head(train: Steps, config: HeadConfig, seed: int, progress: Progress) -> dict[str, Any]:
    """Train the MLP; its weights as numpy arrays (names as in ``export_onnx``)."""
    import torch
    from torch import nn

    torch.manual_seed(seed)
    torch.set_num_threads(2)
    d = WINDOW * EMBED_DIM
    h = config.hidden
    model = nn.Sequential(
        nn.Flatten(),
        nn.Linear(d, h), nn.LayerNorm(h), nn.ReLU(), nn.Dropout(config.dropout),
        nn.Linear(h, h), nn.LayerNorm(h), nn.ReLU(), nn.Dropout(config.dropout),
        nn.Linear(h, 1),
    )  # fmt: skip
    rows = window_index(train)
    y_all = (train.labels[rows] == 1).astype(np.float32)
    w_all = np.ones(len(rows), np.float32)
    w_all[y_all == 1] = config.positive_weight
    w_all[train.kind[rows] == KINDS.index("lookalike")] = config.lookalike_weight
    w_all[train.kind[rows] == KINDS.index("mined")] = config.mined_weight
    rng = np.random.default_rng(seed)
    loss_fn = nn.BCEWithLogitsLoss(reduction="none")

    def run_epochs(epochs: int, lr: float, tag: str) -> None:
        optimiser = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=config.weight_decay)
        steps_total = epochs * ((len(rows) + config.batch - 1) // config.batch)
        schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, lr, total_steps=steps_total)
        for epoch in range(epochs):
            model.train()
            order = rng.permutation(len(rows))
            total = 0.0
            for i in range(0, len(order), config.batch):
                b = order[i : i + config.batch]
                x = torch.from_numpy(gather(train, rows[b]))
                # Feature noise: a cheap guard against over-trusting any one embedding value.
                x = x + 0.05 * torch.randn_like(x) * x.std()
                logits = model(x).squeeze(1)
                loss = loss_fn(logits, torch.from_numpy(y_all[b])) * torch.from_numpy(w_all[b])
                loss = loss.mean()
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                schedule.step()
                total += loss.item() * len(b)
            progress(f"{tag} epoch {epoch + 1}/{epochs}: loss {total / len(rows):.4f}")

    run_epochs(config.epochs, config.lr, "train")
    negatives = np.nonzero(y_all == 0)[0]
    for r in range(config.hard_rounds):
        # Hard negatives: the windows of non-phrase audio the head still scores highest weigh
        # more in a few more epochs (the false accepts of a stream come from exactly these).
        model.eval()
        with torch.no_grad():
            probs = np.concatenate([
                torch.sigmoid(model(torch.from_numpy(gather(train, rows[negatives[i : i + 8192]]))))
                .squeeze(1).numpy()
                for i in range(0, len(negatives), 8192)
            ])  # fmt: skip
        hard = negatives[probs >= config.hard_min]
        w_all[hard] *= config.hard_weight
        progress(f"hard negatives, round {r + 1}: {len(hard)} windows scored >= {config.hard_min}")
        run_epochs(config.hard_epochs, config.lr / 3, f"hard {r + 1}")
    model.eval()
    layers = [m for m in model if isinstance(m, nn.Linear | nn.LayerNorm)]
    names = ["fc1", "ln1", "fc2", "ln2", "fc3"]
    weights: dict[str, Any] = {}
    for name, layer in zip(names, layers, strict=True):
        weights[f"{name}.weight"] = layer.weight.detach().numpy().astype(np.float32)
        weights[f"{name}.bias"] = layer.bias.detach().numpy().astype(np.float32)
    return weights


def forward_numpy(weights: dict[str, Any], x: np.ndarray) -> np.ndarray:
    """The head in numpy (checks the export): (B, 16, 96) → (B,) probabilities."""
    h = x.reshape(len(x), -1)
    for i in (1, 2):
        h = h @ weights[f"fc{i}.weight"].T + weights[f"fc{i}.bias"]
        mu, var = h.mean(1, keepdims=True), h.var(1, keepdims=True)
        h = (h - mu) / np.sqrt(var + 1e-5) * weights[f"ln{i}.weight"] + weights[f"ln{i}.bias"]
        h = np.maximum(h, 0.0)
    z = h @ weights["fc3.weight"].T + weights["fc3.bias"]
    return (1.0 / (1.0 + np.exp(-z))).reshape(-1)


def export_onnx(weights: dict[str, Any], path: Path) -> None:
    """The head as an ONNX graph (opset 17): embeddings B×16×96 → score B×1 (a probability)."""
    from onnx import helper, numpy_helper

    inits = [numpy_helper.from_array(np.ascontiguousarray(v), k) for k, v in weights.items()]
    inits.append(numpy_helper.from_array(np.array([0, -1], np.int64), "flat_shape"))
    nodes = [helper.make_node("Reshape", [HEAD_INPUT, "flat_shape"], ["x0"])]
    x = "x0"
    for i in (1, 2):
        nodes += [
            helper.make_node("Gemm", [x, f"fc{i}.weight", f"fc{i}.bias"], [f"g{i}"], transB=1),
            helper.make_node("LayerNormalization", [f"g{i}", f"ln{i}.weight", f"ln{i}.bias"],
                             [f"n{i}"], axis=-1, epsilon=1e-5),
            helper.make_node("Relu", [f"n{i}"], [f"r{i}"]),
        ]  # fmt: skip
        x = f"r{i}"
    nodes += [
        helper.make_node("Gemm", [x, "fc3.weight", "fc3.bias"], ["logit"], transB=1),
        helper.make_node("Sigmoid", ["logit"], [HEAD_OUTPUT]),
    ]
    write_head_graph(nodes, inits, "hey_glasses_head", path)


def write_head_graph(nodes: list[Any], initializers: list[Any], name: str, path: Path) -> None:
    """The ONNX graph ``name`` of ``nodes`` and ``initializers`` with the head's signature
    (``HEAD_INPUT`` B×16×96 → ``HEAD_OUTPUT`` B×1; opset 17, IR 8, as the runtime's onnxruntime
    reads), checked and written to ``path`` atomically."""
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        nodes,
        name,
        [helper.make_tensor_value_info(HEAD_INPUT, TensorProto.FLOAT, ["B", WINDOW, EMBED_DIM])],
        [helper.make_tensor_value_info(HEAD_OUTPUT, TensorProto.FLOAT, ["B", 1])],
        initializers,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="glasses.training"
    )
    model.ir_version = 8
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes(path, model.SerializeToString())


def quick_figures(weights: dict[str, Any], held: Steps, threshold: float) -> dict[str, float]:
    """Per-window figures on the held-out voices: the share of positive phrases whose best
    window passes ``threshold`` is approximated by positive windows; negatives per window."""
    rows = window_index(held)
    scores = np.concatenate(
        [
            forward_numpy(weights, gather(held, rows[i : i + 4096]))
            for i in range(0, len(rows), 4096)
        ]
    )
    labels = held.labels[rows]
    kind = held.kind[rows]
    out = {
        "positive_windows_above": float(np.mean(scores[labels == 1] >= threshold)),
        "negative_windows_above": float(np.mean(scores[labels == 0] >= threshold)),
    }
    for k in ("lookalike", "speech", "noise"):
        sel = (labels == 0) & (kind == KINDS.index(k))
        if sel.any():
            out[f"{k}_windows_above"] = float(np.mean(scores[sel] >= threshold))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m glasses.training.wake_word", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    # The defaults are the committed head's run (models/wake/hey_glasses.json).
    parser.add_argument("--positives", type=int, default=4000, help="espeak-ng positive clips")
    parser.add_argument("--negatives", type=int, default=6000, help="espeak-ng negative clips")
    parser.add_argument(
        "--other-positives", type=int, default=1200,
        help="positive clips of each other synthesiser with training voices (Piper, Flite)",
    )  # fmt: skip
    parser.add_argument(
        "--other-negatives", type=int, default=1800, help="negative clips of each of them"
    )
    parser.add_argument(
        "--eval-clips", type=int, default=200, help="held-out clips of each kind and synthesiser"
    )
    parser.add_argument("--epochs", type=int, default=HeadConfig().epochs)
    parser.add_argument("--hidden", type=int, default=HeadConfig().hidden, help="units per layer")
    parser.add_argument("--jobs", type=int, default=2, help="processes making the data")
    parser.add_argument(
        "--hard-rounds", type=int, default=0, help="rounds of hard-negative re-weighting"
    )
    parser.add_argument(
        "--mine-minutes", type=int, default=240,
        help="minutes of distractor stream in training voices to mine hard negatives from "
        "(0: no mining)",
    )  # fmt: skip
    parser.add_argument(
        "--mine-min", type=float, default=0.05, help="mined: windows scoring at least this"
    )
    parser.add_argument(
        "--mine-top", type=int, default=20000,
        help="mined: at least this many windows (the highest-scoring) when fewer pass --mine-min",
    )  # fmt: skip
    parser.add_argument(
        "--mine-head", type=Path,
        help="score the mining stream with this head file, not a first pass trained here",
    )  # fmt: skip
    args = parser.parse_args(argv)
    t0 = time.monotonic()

    def progress(line: str) -> None:
        print(line, flush=True)

    def counts(
        split: str, espeak: tuple[int, int], other: tuple[int, int]
    ) -> dict[str, tuple[int, int]]:
        return {
            synth: espeak if synth == "espeak" else other
            for synth in wake_data.SYNTHESISERS
            if wake_data.voices(split, synth) and (synth == "espeak" or min(other) > 0)
        }

    train_counts = counts(
        "train", (args.positives, args.negatives), (args.other_positives, args.other_negatives)
    )
    eval_counts = counts("eval", (args.eval_clips,) * 2, (args.eval_clips,) * 2)
    train = dataset("train", train_counts, args.seed, progress, jobs=args.jobs)
    helds = {
        synth: dataset("eval", {synth: n}, args.seed, progress, jobs=args.jobs)
        for synth, n in eval_counts.items()
    }
    held = Steps.concat(list(helds.values()))
    t_data = time.monotonic() - t0
    config = HeadConfig(epochs=args.epochs, hard_rounds=args.hard_rounds, hidden=args.hidden)
    mining: dict[str, Any] | None = None
    if args.mine_minutes > 0:
        # Hard negatives from a large pool: the windows of a distractor stream (training voices,
        # its own seed) that a first head scores highest become extra negatives of a second
        # training from the same seed.
        stream, ends = mining_stream(args.mine_minutes, args.seed, progress, jobs=args.jobs)
        from glasses.speech.wake_model import Head

        # The first pass scores as its ONNX file does (onnxruntime, not ``forward_numpy``): the
        # same windows as ``--mine-head`` with that file.
        scorer = args.mine_head or args.out.with_name(f"{args.out.stem}.first-pass.onnx")
        if args.mine_head is None:
            export_onnx(train_head(train, config, args.seed, progress), scorer)
        what = args.mine_head or "a first pass of this recipe without mining"
        scored_by = f"{what} (sha256 {sha256_of(scorer)})"
        mined, scores = mine(stream, ends, Head(path=scorer), args.mine_min, args.mine_top)
        if args.mine_head is None:
            scorer.unlink()
        n_mined = int(np.sum(mined.labels == 0))
        progress(f"mined {n_mined} of {len(ends)} stream windows (>= {args.mine_min}: "
                 f"{int(np.sum(scores >= args.mine_min))})")  # fmt: skip
        train = Steps.concat([train, mined])
        mining = {
            "stream_minutes": args.mine_minutes,
            "stream": "glasses.bench.wake_figures.stream_minutes, training voices, "
            f"shards of {MINE_SHARD_MINUTES} min (recipe v{MINE_VERSION})",
            "min_score": args.mine_min,
            "top": args.mine_top,
            "scored_by": scored_by,
            "stream_windows": len(ends),
            "windows_at_min_score": int(np.sum(scores >= args.mine_min)),
            "mined_windows": n_mined,
        }
    weights = train_head(train, config, args.seed, progress)
    t_train = time.monotonic() - t0 - t_data
    export_onnx(weights, args.out)
    import onnxruntime as ort

    session = ort.InferenceSession(str(args.out), providers=["CPUExecutionProvider"])
    probe = gather(held, window_index(held)[:256])
    exported = np.asarray(session.run(None, {HEAD_INPUT: probe})[0]).reshape(-1)
    drift = float(np.max(np.abs(exported - forward_numpy(weights, probe))))
    if drift > 1e-4:
        raise SystemExit(f"the exported head differs from the trained one by {drift:g}")
    figures = {synth: quick_figures(weights, h, 0.5) for synth, h in helds.items()}
    record = {
        "model": str(args.out),
        "sha256": sha256_of(args.out),
        "size_bytes": args.out.stat().st_size,
        "date": datetime.datetime.now(datetime.UTC).date().isoformat(),
        "command": "python -m glasses.training.wake_word "
        + " ".join(sys.argv[1:] if argv is None else argv),
        "seed": args.seed,
        "recipe_version": RECIPE_VERSION,
        "clips": {
            synth: {"positives": p, "negatives": n} for synth, (p, n) in train_counts.items()
        },
        "train_windows": len(window_index(train)),
        "train_positive_windows": int(np.sum(train.labels == 1)),
        "train_voices": {synth: len(wake_data.voices("train", synth)) for synth in train_counts},
        "held_out_voices": "glasses.bench.speech_corpus.is_held_out (accents "
        + ", ".join(HELD_OUT_ACCENTS)
        + "; variants "
        + ", ".join(HELD_OUT_VARIANTS)
        + "; voices "
        + ", ".join(HELD_OUT_OTHER_VOICES)
        + ")",
        "head": asdict(config),
        "mining": mining,
        "data_seconds": round(t_data, 1),
        "train_seconds": round(t_train, 1),
        "held_out_at_0.5": {
            synth: {k: round(v, 5) for k, v in f.items()} for synth, f in figures.items()
        },
    }
    write_text(args.out.with_suffix(".json"), json.dumps(record, indent=2) + "\n")
    progress(json.dumps(record, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
