"""Wake heads averaged into one file (``glasses.training.wake_ensemble``): the runtime's
``Head`` loads it like any head, and its score is the members' mean."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from glasses.speech.wake_features import EMBED_DIM
from glasses.speech.wake_model import WINDOW, Head
from glasses.training.wake_ensemble import EnsembleError, average_heads, main
from glasses.training.wake_word import export_onnx, forward_numpy

HIDDEN = 8


def _weights(seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    shapes = {
        "fc1.weight": (HIDDEN, WINDOW * EMBED_DIM),
        "fc1.bias": (HIDDEN,),
        "ln1.weight": (HIDDEN,),
        "ln1.bias": (HIDDEN,),
        "fc2.weight": (HIDDEN, HIDDEN),
        "fc2.bias": (HIDDEN,),
        "ln2.weight": (HIDDEN,),
        "ln2.bias": (HIDDEN,),
        "fc3.weight": (1, HIDDEN),
        "fc3.bias": (1,),
    }
    return {k: rng.normal(0.0, 0.3, s).astype(np.float32) for k, s in shapes.items()}


@pytest.fixture
def members(tmp_path: Path) -> tuple[list[Path], list[dict[str, np.ndarray]]]:
    weights = [_weights(1), _weights(2)]
    paths = [tmp_path / "a.onnx", tmp_path / "b.onnx"]
    for w, p in zip(weights, paths, strict=True):
        export_onnx(w, p)
    (tmp_path / "a.json").write_text(json.dumps({"seed": 1}))
    return paths, weights


def test_the_ensemble_scores_the_mean_of_its_members(
    tmp_path: Path, members: tuple[list[Path], list[dict[str, np.ndarray]]]
) -> None:
    paths, weights = members
    out = tmp_path / "mean.onnx"
    average_heads(paths, out)
    x = np.random.default_rng(0).normal(size=(64, WINDOW, EMBED_DIM)).astype(np.float32)
    expected = (forward_numpy(weights[0], x) + forward_numpy(weights[1], x)) / 2
    alone = forward_numpy(weights[0], x)
    got = Head(path=out)(x)
    assert np.allclose(got, expected, atol=1e-5)
    assert not np.allclose(got, alone, atol=1e-3)  # both members count


def test_the_record_names_each_member_by_hash(
    tmp_path: Path, members: tuple[list[Path], list[dict[str, np.ndarray]]]
) -> None:
    paths, _ = members
    out = tmp_path / "head" / "mean.onnx"
    assert main(["--out", str(out), *map(str, paths)]) == 0
    record = json.loads(out.with_suffix(".json").read_text())
    assert [m["file"] for m in record["members"]] == ["a.onnx", "b.onnx"]
    assert record["members"][0]["record"] == {"seed": 1} and record["members"][1]["record"] is None
    import hashlib

    assert record["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()


def test_a_bad_member_is_named_in_one_line(
    tmp_path: Path,
    members: tuple[list[Path], list[dict[str, np.ndarray]]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    paths, _ = members
    corrupt = tmp_path / "corrupt.onnx"
    corrupt.write_bytes(b"\x08\x01garbage")
    out = tmp_path / "mean.onnx"
    assert main(["--out", str(out), str(paths[0]), str(corrupt)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "corrupt.onnx" in err and err.count("\n") == 1
    assert not out.exists()
    with pytest.raises(EnsembleError, match="no such head file"):
        average_heads([paths[0], tmp_path / "missing.onnx"], out)
    with pytest.raises(EnsembleError, match="at least two"):
        average_heads([paths[0]], out)
