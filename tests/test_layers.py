"""A layer imports only below itself (docs/architecture.md): checked on a fresh interpreter."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_IMPORT_ALL = """
import importlib, json, pkgutil, sys
import {package}
for info in pkgutil.walk_packages({package}.__path__, "{package}."):
    importlib.import_module(info.name)
print(json.dumps(sorted(sys.modules)))
"""


def _modules_after_importing(package: str) -> set[str]:
    """Every module in ``sys.modules`` once each module of ``package`` has been imported."""
    done = subprocess.run(
        [sys.executable, "-c", _IMPORT_ALL.format(package=package)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        cwd=ROOT,
    )
    return set(json.loads(done.stdout))


def test_the_model_registry_imports_neither_perception_nor_the_simulator() -> None:
    loaded = _modules_after_importing("models")
    assert "models.quantize" in loaded and "models.pull" in loaded
    above = {m for m in loaded if not _allowed(m)}
    assert above == set(), f"models/ reaches up into {sorted(above)}"


def test_no_module_of_the_model_registry_names_a_layer_above_it() -> None:
    """Lazy imports inside functions and ``TYPE_CHECKING`` blocks count too: ``sys.modules``
    alone would not see them until the function runs."""
    found: list[str] = []
    for path in sorted((ROOT / "models").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            found += [f"{path.name}:{node.lineno}: {n}" for n in names if not _allowed(n)]
    assert found == [], "models/ imports from a layer above it: " + ", ".join(found)


def _allowed(module: str) -> bool:
    top = module.split(".")[0]
    if top == "simulator":
        return False
    if top != "glasses":
        return True
    return module in ("glasses", "glasses.atomic") or module.startswith("glasses.runtime")
