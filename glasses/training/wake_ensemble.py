"""Average trained wake heads into one head file:
``python -m glasses.training.wake_ensemble --out PATH MEMBER.onnx MEMBER.onnx …``.

Each member is a head that ``glasses.training.wake_word`` exported (input ``embeddings``
B×16×96 float32, output ``score`` B×1, a probability). The ensemble feeds the same embeddings
to every member and scores their mean (ONNX ``Mean``), so the runtime loads it like any head
(``glasses.speech.wake_model.Head``): one file, one hash in the manifest. Members trained on
different data make different mistakes; their mean is better than either at the same false
accepts (the shipped pair and its figures: ``docs/speech_synthesis.md``, "Two heads averaged").

Beside the output, a JSON record (``.json``) names each member by file, sha256 and the record
its training wrote (the ``.json`` beside it, when there is one), so the run can be repeated.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from glasses.atomic import write_text
from glasses.training.wake_word import HEAD_INPUT as INPUT
from glasses.training.wake_word import HEAD_OUTPUT as OUTPUT
from glasses.training.wake_word import write_head_graph
from models.registry import sha256_of


class EnsembleError(ValueError):
    """A member is missing, unreadable or not a wake head (one line, naming the file)."""


def _member(path: Path, index: int) -> Any:
    """Member ``path`` loaded, checked and with every name prefixed ``m<index>_``."""
    import onnx
    from onnx import compose

    try:
        model = onnx.load(str(path))
        onnx.checker.check_model(model)
    except FileNotFoundError:
        raise EnsembleError(f"{path}: no such head file") from None
    except Exception as exc:  # onnx raises several types for a corrupt file
        raise EnsembleError(f"{path}: not a readable ONNX model ({exc})") from None
    inputs = [i.name for i in model.graph.input]
    outputs = [o.name for o in model.graph.output]
    if inputs != [INPUT] or outputs != [OUTPUT]:
        raise EnsembleError(
            f"{path}: a wake head has input {INPUT!r} and output {OUTPUT!r}, "
            f"this one {inputs} and {outputs}"
        )
    return compose.add_prefix(model, f"m{index}_")


def average_heads(members: Sequence[Path], out: Path) -> None:
    """Write the head whose score is the mean of ``members``' scores to ``out``."""
    from onnx import helper

    if len(members) < 2:
        raise EnsembleError("an ensemble needs at least two member heads")
    loaded = [_member(Path(p), i) for i, p in enumerate(members)]
    nodes = [helper.make_node("Identity", [INPUT], [f"m{i}_{INPUT}"]) for i in range(len(loaded))]
    initializers = []
    for model in loaded:
        nodes += model.graph.node
        initializers += model.graph.initializer
    nodes.append(helper.make_node("Mean", [f"m{i}_{OUTPUT}" for i in range(len(loaded))], [OUTPUT]))
    write_head_graph(nodes, initializers, "hey_glasses_head_mean", out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m glasses.training.wake_ensemble", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--out", type=Path, required=True, help="the ensemble head (.onnx)")
    parser.add_argument("members", type=Path, nargs="+", help="member heads (.onnx)")
    args = parser.parse_args(argv)
    try:
        average_heads(args.members, args.out)
    except EnsembleError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    members = []
    for path in args.members:
        record_path = path.with_suffix(".json")
        record = json.loads(record_path.read_text()) if record_path.is_file() else None
        members.append({"file": path.name, "sha256": sha256_of(path), "record": record})
    record = {
        "model": str(args.out),
        "sha256": sha256_of(args.out),
        "size_bytes": args.out.stat().st_size,
        "date": datetime.datetime.now(datetime.UTC).date().isoformat(),
        "command": "python -m glasses.training.wake_ensemble "
        + " ".join(sys.argv[1:] if argv is None else argv),
        "combine": "mean of the members' scores",
        "members": members,
    }
    write_text(args.out.with_suffix(".json"), json.dumps(record, indent=2) + "\n")
    print(f"{args.out}: the mean of {len(members)} heads, sha256 {record['sha256']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
