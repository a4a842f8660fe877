"""The max of two wake heads instead of their mean (measured, not shipped):
``python docs/experiments/wake_ensemble/combine_max.py A.onnx B.onnx OUT.onnx``.

The ensemble ``glasses.training.wake_ensemble`` writes, with its final ``Mean`` node made a
``Max``."""

import sys
from pathlib import Path

import onnx

from glasses.training.wake_ensemble import average_heads

a, b, out = map(Path, sys.argv[1:4])
average_heads([a, b], out)
model = onnx.load(str(out))
(last,) = [n for n in model.graph.node if n.op_type == "Mean"]
last.op_type = "Max"
onnx.checker.check_model(model)
onnx.save(model, str(out))
