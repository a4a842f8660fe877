"""Average (or combine) two wake heads into one ONNX file with the same input and output."""
import sys, onnx
from onnx import helper, compose
a = onnx.load(sys.argv[1]); b = onnx.load(sys.argv[2]); mode = sys.argv[4] if len(sys.argv) > 4 else "mean"
a = compose.add_prefix(a, "a_"); b = compose.add_prefix(b, "b_")
g = helper.make_graph(
    [
        helper.make_node("Identity", ["embeddings"], ["a_embeddings"]),
        helper.make_node("Identity", ["embeddings"], ["b_embeddings"]),
    ] + list(a.graph.node) + list(b.graph.node) + [
        helper.make_node("Mean" if mode == "mean" else "Max", ["a_score", "b_score"], ["score"]),
    ],
    "ens",
    [onnx.helper.make_tensor_value_info("embeddings", onnx.TensorProto.FLOAT, ["B", 16, 96])],
    [onnx.helper.make_tensor_value_info("score", onnx.TensorProto.FLOAT, ["B", 1])],
    initializer=list(a.graph.initializer) + list(b.graph.initializer),
)
m = helper.make_model(g, opset_imports=a.opset_import); m.ir_version = a.ir_version
onnx.checker.check_model(m); onnx.save(m, sys.argv[3])
